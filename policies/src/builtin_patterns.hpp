#pragma once
// The built-in detectors as Hyperscan patterns, and the check each candidate must pass.
// Patterns over-match on purpose (Hyperscan has no lookaround); checks here decide. Tokens
// that start with a literal (keys, JWTs, bearer tokens, `password=` values) are matched by
// their first characters only and read on in C++: a long class repeat after the literal
// slows the whole database down.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::policies {

enum class Check {
  None,        // custom regex: every match counts
  Word,        // custom word: a whole word
  Boundary,    // not inside a longer word
  Email,
  Phone,
  Ssn,
  Card,
  Iban,
  Ipv4,
  Ipv6,
  Entropy,
  Bearer,      // the token after "Bearer "
  PrivateKey,  // from BEGIN to the END line (or the end of the text)
  Assigned,    // the value after "password=" and the like
  Jwt,         // three base64url segments, the first two JSON ("eyJ")
  ApiKey,      // a provider's key prefix and the characters that follow it
};

// Which ends of a match are candidates: the longest for open-ended tokens (keys), every end
// for shapes where a shorter match may be the valid one (a card followed by more digits).
enum class Ends { Longest, All };

// How a pattern is matched. Start-of-match tracking (SOM) is what makes some patterns slow
// (a leading class repeat such as an email's local part is a start at every letter), so
// those match from a literal without SOM and find their start in locate_start(). Long
// runs of key characters (generic keys) come from text_shape(): Hyperscan has no literal to
// anchor `[A-Za-z0-9+/_-]{24,}` on and runs it at a fraction of the speed.
enum class Engine { Hyperscan, HyperscanNoSom, TokenRun };

struct PatternDef {
  std::string detector;
  std::string cls;
  std::string regex;
  bool ignore_case = false;
  Check check = Check::None;
  Ends ends = Ends::Longest;
  Engine engine = Engine::Hyperscan;
  bool near_digits = false;  // every match holds a digit cluster: scan only the digit windows
};

const std::vector<PatternDef>& builtin_patterns();

// For Engine::HyperscanNoSom: where the match ending at `end` starts; npos: no finding.
size_t locate_start(Check check, std::string_view text, size_t end);



// The finding's span for a candidate [begin, end) of `text`, or nullopt when the check
// rejects it.
std::optional<std::pair<size_t, size_t>> check_candidate(Check check, std::string_view text, size_t begin,
                                                         size_t end);

}  // namespace hearth::policies
