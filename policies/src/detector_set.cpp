#include "hearth/policies/detector.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "builtin_patterns.hpp"
#include "text_shape.hpp"

namespace hearth::policies {
namespace {

unsigned flags_for(bool ignore_case, Engine engine = Engine::Hyperscan) {
  return (engine == Engine::Hyperscan ? HS_FLAG_SOM_LEFTMOST : 0u) | (ignore_case ? HS_FLAG_CASELESS : 0u);
}

constexpr size_t kMinKeyLength = 24;
// How far a digit-shaped match reaches beyond its digit cluster (an IBAN's country code and
// bank letters before its digits; a phone's "+1 (" prefix).
constexpr size_t kDigitWindowMargin = 24;

// A word as a Hyperscan literal: everything but letters and digits escaped as \xHH.
std::string literal_regex(const std::string& word) {
  std::string out;
  for (unsigned char c : word) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

struct RawMatch {
  unsigned id;
  size_t from;
  size_t to;
};

struct ScanState {
  std::string_view text;
  // Digit windows are scanned as one buffer, each followed by '\n' (no digit-shaped pattern
  // matches across one): where each window starts in that buffer and in `text`.
  const std::vector<size_t>* buffer_starts = nullptr;
  const std::vector<std::pair<size_t, size_t>>* windows = nullptr;
  std::vector<RawMatch>* matches;
  const std::vector<PatternDef>* patterns;
  std::vector<ptrdiff_t>* last;  // per pattern: index of its latest match in `matches`
};

int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int, void* context) {
  auto* state = static_cast<ScanState*>(context);
  const PatternDef& def = (*state->patterns)[id];
  if (state->buffer_starts != nullptr) {
    const auto& starts = *state->buffer_starts;
    const size_t k = static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), from) - starts.begin()) - 1;
    const size_t shift = (*state->windows)[k].first - starts[k];
    from += shift;
    to += shift;
  }
  if (def.engine == Engine::HyperscanNoSom) {
    from = locate_start(def.check, state->text, static_cast<size_t>(to));
    if (from == std::string_view::npos) return 0;
  }
  auto& last = (*state->last)[id];
  // Open-ended tokens report every end; keep only the longest per start.
  if (def.ends == Ends::Longest && last >= 0) {
    RawMatch& previous = (*state->matches)[static_cast<size_t>(last)];
    if (previous.from == from) {
      previous.to = std::max<size_t>(previous.to, to);
      return 0;
    }
  }
  last = static_cast<ptrdiff_t>(state->matches->size());
  state->matches->push_back({id, static_cast<size_t>(from), static_cast<size_t>(to)});
  return 0;
}

// Compiles the Hyperscan patterns whose near_digits is `near_digits` into `out` (left null
// when there are none).
Result<void> compile(const std::vector<PatternDef>& patterns, bool near_digits, hs_database_t** out) {
  std::vector<const char*> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (size_t i = 0; i < patterns.size(); ++i) {
    const PatternDef& def = patterns[i];
    if (def.engine == Engine::TokenRun || def.near_digits != near_digits) continue;
    expressions.push_back(def.regex.c_str());
    flags.push_back(flags_for(def.ignore_case, def.engine));
    ids.push_back(static_cast<unsigned>(i));
  }
  if (expressions.empty()) return {};
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(), static_cast<unsigned>(expressions.size()),
                       HS_MODE_BLOCK, nullptr, out, &error) != HS_SUCCESS) {
    std::string message = error != nullptr && error->message != nullptr ? error->message : "does not compile";
    if (error != nullptr && error->expression >= 0 && static_cast<size_t>(error->expression) < ids.size()) {
      message = "detector '" + patterns[ids[static_cast<size_t>(error->expression)]].detector + "': " + message;
    }
    hs_free_compile_error(error);
    return make_error(ErrorCode::InvalidRequest, message);
  }
  return {};
}

}  // namespace

struct DetectorSet::Impl {
  std::vector<PatternDef> patterns;
  hs_database_t* database = nullptr;        // every pattern but the digit-shaped ones
  hs_database_t* digit_database = nullptr;  // those, scanned only in the digit windows
  hs_scratch_t* prototype = nullptr;        // sized for both databases
  std::mutex pool_mutex;
  std::vector<hs_scratch_t*> pool;  // scratch spaces not in use

  ~Impl() {
    for (hs_scratch_t* s : pool) hs_free_scratch(s);
    if (prototype != nullptr) hs_free_scratch(prototype);
    if (database != nullptr) hs_free_database(database);
    if (digit_database != nullptr) hs_free_database(digit_database);
  }

  hs_scratch_t* borrow() {
    {
      std::lock_guard lock(pool_mutex);
      if (!pool.empty()) {
        hs_scratch_t* s = pool.back();
        pool.pop_back();
        return s;
      }
    }
    hs_scratch_t* s = nullptr;
    if (hs_clone_scratch(prototype, &s) != HS_SUCCESS) return nullptr;
    return s;
  }

  void give_back(hs_scratch_t* s) {
    std::lock_guard lock(pool_mutex);
    pool.push_back(s);
  }
};

const std::vector<std::string>& builtin_classes() {
  static const std::vector<std::string> classes = {"credit_card", "email", "iban", "ip_address",
                                                   "phone",       "secret", "ssn"};
  return classes;
}

const std::vector<std::string>& reserved_classes() {
  static const std::vector<std::string> classes = {"person_name"};
  return classes;
}

Result<void> DetectorSet::check_regex(const std::string& regex, bool ignore_case) {
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile(regex.c_str(), flags_for(ignore_case), HS_MODE_BLOCK, nullptr, &db, &error) != HS_SUCCESS) {
    std::string message = error != nullptr && error->message != nullptr ? error->message : "does not compile";
    hs_free_compile_error(error);
    return make_error(ErrorCode::InvalidRequest, message);
  }
  hs_free_database(db);
  return {};
}

Result<std::shared_ptr<const DetectorSet>> DetectorSet::build(const std::vector<DetectorSpec>& custom) {
  auto impl = std::make_unique<Impl>();
  impl->patterns = builtin_patterns();
  for (const DetectorSpec& spec : custom) {
    if (!spec.regex.empty()) {
      impl->patterns.push_back({spec.name, spec.cls, spec.regex, spec.ignore_case, Check::None, Ends::Longest});
    }
    for (const std::string& word : spec.words) {
      impl->patterns.push_back({spec.name, spec.cls, literal_regex(word), spec.ignore_case, Check::Word, Ends::Longest});
    }
  }

  for (bool near_digits : {false, true}) {
    hs_database_t** target = near_digits ? &impl->digit_database : &impl->database;
    if (auto r = compile(impl->patterns, near_digits, target); !r) return std::move(r).error();
    if (*target != nullptr && hs_alloc_scratch(*target, &impl->prototype) != HS_SUCCESS) {
      return make_error(ErrorCode::Internal, "cannot allocate Hyperscan scratch space");
    }
  }
  return std::shared_ptr<const DetectorSet>(new DetectorSet(std::move(impl)));
}

DetectorSet::DetectorSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DetectorSet::~DetectorSet() = default;

Result<std::vector<Finding>> DetectorSet::scan(std::string_view text) const {
  std::vector<Finding> findings;
  if (text.empty()) return findings;
  if (text.size() > 0xffffffffu) return make_error(ErrorCode::PayloadTooLarge, "text too large to scan");

  // Collect raw matches.
  std::vector<RawMatch> matches;
  std::vector<ptrdiff_t> last(impl_->patterns.size(), -1);
  ScanState state{text, nullptr, nullptr, &matches, &impl_->patterns, &last};
  hs_scratch_t* scratch = impl_->borrow();
  if (scratch == nullptr) return make_error(ErrorCode::Internal, "cannot allocate Hyperscan scratch space");
  hs_error_t rc = HS_SUCCESS;
  if (impl_->database != nullptr) {
    rc = hs_scan(impl_->database, text.data(), static_cast<unsigned>(text.size()), 0, scratch, on_match, &state);
  }
  const TextShape shape = text_shape(text, kDigitWindowMargin, kMinKeyLength);
  if (rc == HS_SUCCESS && impl_->digit_database != nullptr && !shape.digit_windows.empty()) {
    // One scan over all windows: a call per window costs more than the bytes it reads.
    std::string buffer;
    std::vector<size_t> starts;
    for (const auto& [begin, end] : shape.digit_windows) {
      starts.push_back(buffer.size());
      buffer.append(text.substr(begin, end - begin));
      buffer += '\n';
    }
    state.buffer_starts = &starts;
    state.windows = &shape.digit_windows;
    rc = hs_scan(impl_->digit_database, buffer.data(), static_cast<unsigned>(buffer.size()), 0, scratch, on_match,
                 &state);
  }
  impl_->give_back(scratch);
  if (rc != HS_SUCCESS) return make_error(ErrorCode::Internal, "Hyperscan scan failed (" + std::to_string(rc) + ")");
  for (size_t id = 0; id < impl_->patterns.size(); ++id) {
    if (impl_->patterns[id].engine != Engine::TokenRun) continue;
    for (const auto& [begin, end] : shape.key_runs) matches.push_back({static_cast<unsigned>(id), begin, end});
  }

  // Per pattern and start, the longest end that passes the pattern's check.
  std::sort(matches.begin(), matches.end(), [](const RawMatch& a, const RawMatch& b) {
    if (a.id != b.id) return a.id < b.id;
    if (a.from != b.from) return a.from < b.from;
    return a.to > b.to;
  });
  struct Candidate {
    size_t begin, end;
    unsigned id;
  };
  std::vector<Candidate> candidates;
  for (size_t i = 0; i < matches.size();) {
    size_t j = i;
    bool found = false;
    for (; j < matches.size() && matches[j].id == matches[i].id && matches[j].from == matches[i].from; ++j) {
      if (found) continue;
      const PatternDef& def = impl_->patterns[matches[j].id];
      if (auto span = check_candidate(def.check, text, matches[j].from, matches[j].to)) {
        candidates.push_back({span->first, span->second, matches[j].id});
        found = true;
      }
    }
    i = j;
  }

  // Resolve overlaps: earliest first, then longest, then the earlier pattern.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end > b.end;
    return a.id < b.id;
  });
  size_t covered = 0;
  for (const Candidate& c : candidates) {
    // Overlaps the finding before it, which started earlier (or there, and is longer).
    if (!findings.empty() && c.begin < covered) continue;
    const PatternDef& def = impl_->patterns[c.id];
    findings.push_back({def.cls, def.detector, c.begin, c.end, std::string(text.substr(c.begin, c.end - c.begin))});
    covered = c.end;
  }
  return findings;
}

}  // namespace hearth::policies
