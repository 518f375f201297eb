#pragma once
// Detectors: what a prompt contains (PII, PHI, secrets). Every pattern is compiled into
// Hyperscan: one database read over the whole text (custom patterns, e-mail, secrets), one
// for the digit-shaped patterns (phone, card, SSN, IBAN, IPv4) read only around clusters of
// digits. Checks such as Luhn and IBAN mod-97 then run on the candidates reported.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/result.hpp"

namespace hearth::policies {

// A custom detector from the policy file: a regex (Hyperscan syntax, PCRE without lookaround
// or back-references) or a list of words matched as whole words.
struct DetectorSpec {
  std::string name;
  std::string cls;                 // the class rules and redaction refer to
  std::string regex;               // either this...
  std::vector<std::string> words;  // ...or this
  bool ignore_case = false;
};

struct Finding {
  std::string cls;       // "email", "credit_card", a custom class
  std::string detector;  // the detector that found it
  size_t begin = 0;      // byte range in the scanned text
  size_t end = 0;
  std::string text;      // the bytes [begin, end)
};

// The classes the built-in detectors report, and the ones reserved for detectors a policy
// supplies (person_name: hearth ships no name detector; a word list can fill it).
const std::vector<std::string>& builtin_classes();
const std::vector<std::string>& reserved_classes();

// A compiled set of detectors. Immutable after build; scan() may run on many threads at once
// (each scan borrows its own Hyperscan scratch space from a pool).
class DetectorSet {
 public:
  // Compiles the built-ins plus `custom`. An error names the custom detector at fault.
  [[nodiscard]] static Result<std::shared_ptr<const DetectorSet>> build(const std::vector<DetectorSpec>& custom);

  // Whether `regex` compiles as a detector pattern; the error is Hyperscan's message.
  [[nodiscard]] static Result<void> check_regex(const std::string& regex, bool ignore_case);

  // Every finding in `text`, ordered by position, without overlaps (the longest wins). An
  // error (Hyperscan failed) means nothing can be said about the text: callers fail closed.
  [[nodiscard]] Result<std::vector<Finding>> scan(std::string_view text) const;

  DetectorSet(const DetectorSet&) = delete;
  DetectorSet& operator=(const DetectorSet&) = delete;
  ~DetectorSet();

  struct Impl;

 private:
  explicit DetectorSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::policies
