#pragma once
// A JSON object that may travel as the text it arrived in. A proxied stream hands an
// upstream's `data:` objects to the client as they are: parsing each one into a tree and
// serialising it again was the largest cost on the proxy path. So a WireObject holds a
// parsed value, or wire text already checked to be one JSON object, and makes each form
// from the other only when someone asks for it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/container/small_vector.hpp>

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
  bool line_breaks = false;    // a raw CR or LF between tokens (compact JSON has none)
};

// Checks that `text` is exactly one JSON object, without building a tree: the verdict
// parse_json(text, max_depth) gives, object or not. nullopt when it is not valid JSON, not an
// object, or nests deeper than `max_depth` arrays and objects.
std::optional<ObjectScan> scan_json_object(std::string_view text, int max_depth = 512);

// scan_json_object for the objects of event streams. An upstream's streams come in a few
// shapes (the role, a token, the stop, the usage), and an object mostly differs from the last
// of its shape only in the text of some values: a token's content, the stream's id, its
// timestamp. So the scanner keeps the last object of a few shapes, and gives an object that
// differs from one of them only inside values that are plain strings or numbers in both (a
// string's bytes plain ASCII: no escape, no control byte, no byte >= 0x80; a number whatever
// JSON allows, but not a usage count) that one's verdict: nothing else changed. Any other
// object is scanned in full, and kept as a new shape.
//
// The objects of one stream also open alike (its id, time and model, up to a top-level comma
// behind which the scan had noted nothing): an object that opens as the last one did is
// compared with a shape only past their openings.
//
// Verdicts are scan_json_object's. One scanner may serve every stream of one thread: the
// objects it keeps are never sent on, only compared with.
class EventScanner {
 public:
  explicit EventScanner(int max_depth = 512) : max_depth_(max_depth) {}
  std::optional<ObjectScan> scan(std::string_view text);

  // Where an object's values that may change are, as offsets in its text, in document order:
  // a plain string's from its first byte to its closing quote, a number's from its first byte
  // to the byte after. The first sixteen the scan read; past them an object is compared only
  // byte for byte.
  struct ValueSpans {
    enum class Kind : bool { String, Number };
    struct Span {
      std::size_t begin, end;
      Kind kind;
    };
    std::array<Span, 16> spans;
    std::size_t count = 0;
    void note(std::size_t begin, std::size_t end, Kind kind) {
      if (count < spans.size()) spans[count++] = Span{begin, end, kind};
    }
  };

 private:
  // The last object of one shape, and what its full scan found.
  struct Shape {
    std::string text;
    std::size_t opening = 0;  // how many of its first bytes open it (0: it has no opening)
    std::size_t opening_spans = 0;  // how many of its spans lie in the opening
    ObjectScan scan;
    ValueSpans spans;
    std::uint64_t used = 0;  // when it last passed an object (uses_ counts)
  };
  // How many shapes are kept, and how large an object may be to be kept.
  static constexpr std::size_t kShapes = 4;
  static constexpr std::size_t kLargestKept = 16 * 1024;

  // Whether `text` is of shape k, and so has its verdict. `opens_as_last`: the text opens with
  // opening_, and so only what follows the openings is compared.
  bool passes_as(std::size_t k, std::string_view text, bool opens_as_last);
  // Notes that shape k passed an object.
  void use(std::size_t k);

  int max_depth_;
  std::array<Shape, kShapes> shapes_;
  std::size_t kept_ = 0;  // how many of shapes_ hold an object
  std::uint64_t uses_ = 0;
  std::string opening_;   // the opening of the last object that passed
  std::size_t last_ = 0;  // the shape of that object
  // For each shape, the other one that last came after it (itself where none has): a stream's
  // shapes come in an order, the role's, the tokens', the stop's.
  std::array<std::size_t, kShapes> next_{0, 1, 2, 3};
};

// One value of a JSON object's text, listed in document order by the scan that checks it:
// what a reader that needs a few members takes instead of a tree.
struct OutlineEntry {
  int depth;              // 1 for the top-level object's members, 2 for what they hold, ...
  std::string_view name;  // a member's name as written between its quotes; empty for an element
  bool name_escaped;      // whether that name has escapes (decode it before comparing)
  std::string_view text;  // the value's text
};

// A scan's outline. A chat request lists about a dozen values: kept in place, they cost no
// allocation per request.
using JsonOutline = boost::container::small_vector<OutlineEntry, 16>;

// A member's name spelled with escapes, decoded: `raw` is its bytes between the quotes, as a
// scan that accepted them lists them (OutlineEntry::name).
std::string decode_json_name(std::string_view raw);

// scan_json_object, also listing in `outline` every value down to `outline_depth`, each after
// the value that holds it (on nullopt, `outline` holds whatever was listed).
std::optional<ObjectScan> scan_json_object(std::string_view text, int max_depth,
                                           int outline_depth, JsonOutline& outline);

// Serialises the way hearth always does: compact, invalid UTF-8 replaced rather than thrown.
std::string dump_json(const Json& value);

class WireObject {
 public:
  WireObject() : json_(Json::object()) {}
  WireObject(Json value) : json_(std::move(value)) {}  // NOLINT: a Json is a WireObject

  // `text` must have passed scan_json_object; it is kept byte for byte.
  static WireObject from_checked_text(std::string text, ObjectScan scan);
  // from_checked_text for text owned elsewhere, which must outlive this object and what it is
  // moved into: an event passed on straight from the read that brought it, without a copy
  // and an allocation each. A copy owns its text, so what keeps a chunk copies it.
  static WireObject viewing_checked_text(std::string_view text, ObjectScan scan);

  WireObject(const WireObject& other);
  WireObject& operator=(const WireObject& other);
  WireObject(WireObject&&) noexcept = default;
  WireObject& operator=(WireObject&&) noexcept = default;

  // The parsed value (parsed on first use when this came as text).
  const Json& json() const;
  // The serialised text (the original bytes when this came as text).
  std::string_view text() const;
  // The "usage" object's counts, answered without parsing wire text.
  std::optional<Usage> usage() const;
  bool has_usage() const { return usage().has_value(); }
  // Whether text() is one line: wire text without raw line breaks, or any serialised value.
  bool single_line() const { return scan_ ? !scan_->line_breaks : true; }

 private:
  struct FromText {};
  explicit WireObject(FromText) {}  // neither value nor text yet: from_checked_text fills it

  mutable std::optional<Json> json_;
  mutable std::optional<std::string> text_;
  std::string_view viewed_;  // the text, where viewing_checked_text made this
  std::optional<ObjectScan> scan_;
};

}  // namespace hearth
