#pragma once
// Stop sequences over streamed text: passes text through, holding back any tail that could
// still become a stop sequence, and ends the stream at the first one found (the stop text
// itself is never emitted). Sequences may span any number of pushes. One per stream; not
// thread-safe.

#include <string>
#include <string_view>
#include <vector>

namespace hearth::localnode {

class StopMatcher {
 public:
  // Empty strings in `stops` are ignored.
  explicit StopMatcher(std::vector<std::string> stops);

  // Adds text; returns what is now safe to emit. After a stop sequence is found this returns
  // the text before it and stopped() is true; later pushes return nothing.
  std::string push(std::string_view text);
  // At the end of the stream: the text held back (it did not become a stop sequence).
  std::string flush();
  bool stopped() const { return stopped_; }
  // The stop sequence that ended the stream (empty while not stopped).
  const std::string& matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  std::string matched_;
  bool stopped_ = false;
};

}  // namespace hearth::localnode
