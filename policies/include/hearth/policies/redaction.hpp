#pragma once
// Redaction before egress: each finding of the redacted classes becomes a typed placeholder
// ([EMAIL_1]); the same original gets the same placeholder throughout one request. The
// mapping lets a Restorer put the originals back into the reply.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/chat.hpp"
#include "hearth/core/result.hpp"
#include "hearth/policies/detector.hpp"

namespace hearth::policies {

// Placeholders of one request and the originals they stand for. Not thread-safe.
class RedactionMap {
 public:
  // The placeholder for `original` of class `cls`, made on first sight. `avoid` is checked
  // so that a placeholder never equals text the client itself wrote.
  const std::string& placeholder_for(const std::string& cls, const std::string& original,
                                     const std::vector<std::string_view>& avoid);

  const std::map<std::string, std::string>& originals() const { return originals_; }  // placeholder → original
  const std::map<std::string, int>& counts() const { return counts_; }  // replacements per class
  bool empty() const { return originals_.empty(); }
  size_t longest_placeholder() const { return longest_; }

 private:
  std::map<std::string, std::string> placeholders_;  // cls + '\0' + original → placeholder
  std::map<std::string, std::string> originals_;
  std::map<std::string, int> next_;
  std::map<std::string, int> counts_;
  size_t longest_ = 0;
};

// "[" + upper-case class + "_" + n + "]".
std::string make_placeholder(std::string_view cls, int n);

// `text` with every finding whose class is in `classes` replaced through `map`. `findings`
// must be ordered and non-overlapping (as DetectorSet::scan returns them).
std::string redact_text(std::string_view text, const std::vector<Finding>& findings,
                        const std::vector<std::string>& classes, RedactionMap& map,
                        const std::vector<std::string_view>& avoid);

struct RedactedRequest {
  ChatRequest request;  // contents redacted in its body, which no longer holds the client's bytes
  RedactionMap map;
};

// Redacts every text a model reads in `request` (message contents, text parts, tool-call
// arguments, a legacy prompt) in its body, so that the bytes sent are the redacted ones. Fail closed: a scan error, or a redacted class still found after
// redaction, is an error and no partial result is returned.
[[nodiscard]] Result<RedactedRequest> redact_request(const ChatRequest& request, const DetectorSet& detectors,
                                                     const std::vector<std::string>& classes);

// Puts originals back into a reply streamed as text chunks. Holds back only a tail that
// could be the start of a placeholder; finish() releases it. One per stream and field.
class Restorer {
 public:
  // Originals go back as they were; with `inside_json_string`, escaped for the inside of a
  // JSON string (tool-call arguments are JSON text: a `"` in an original must stay valid).
  explicit Restorer(const RedactionMap& map, bool inside_json_string = false);

  // The restored text that can be emitted now.
  std::string feed(std::string_view chunk);
  // Whatever was held back, restored as far as it can be.
  std::string finish();

 private:
  std::string restore_complete(std::string_view text) const;

  std::map<std::string, std::string, std::less<>> originals_;
  size_t longest_ = 0;
  std::string pending_;
};

}  // namespace hearth::policies
