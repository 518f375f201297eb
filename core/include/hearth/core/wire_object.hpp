#pragma once
// A JSON object that may travel as the text it arrived in. A proxied stream hands an
// upstream's `data:` objects to the client as they are: parsing each one into a tree and
// serialising it again was the largest cost on the proxy path. So a WireObject holds a
// parsed value, or wire text already checked to be one JSON object, and makes each form
// from the other only when someone asks for it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hearth/core/chat.hpp"

namespace hearth {

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
};

// What a check of wire text found at the top level of one JSON object.
struct ObjectScan {
  bool has_error = false;      // an "error" member that is not null
  std::optional<Usage> usage;  // from a "usage" object member
};

// Checks that `text` is exactly one JSON object, without building a tree. nullopt when it
// is not valid JSON or not an object.
std::optional<ObjectScan> scan_json_object(std::string_view text);

// Serialises the way hearth always does: compact, invalid UTF-8 replaced rather than thrown.
std::string dump_json(const Json& value);

class WireObject {
 public:
  WireObject() : json_(Json::object()) {}
  WireObject(Json value) : json_(std::move(value)) {}  // NOLINT: a Json is a WireObject

  // `text` must have passed scan_json_object; it is kept byte for byte.
  static WireObject from_checked_text(std::string text, ObjectScan scan);

  // The parsed value (parsed on first use when this came as text).
  const Json& json() const;
  // The serialised text (the original bytes when this came as text).
  const std::string& text() const;
  // The "usage" object's counts, answered without parsing wire text.
  std::optional<Usage> usage() const;
  bool has_usage() const { return usage().has_value(); }

 private:
  struct FromText {};
  explicit WireObject(FromText) {}  // neither value nor text yet: from_checked_text fills it

  mutable std::optional<Json> json_;
  mutable std::optional<std::string> text_;
  std::optional<ObjectScan> scan_;
};

}  // namespace hearth
