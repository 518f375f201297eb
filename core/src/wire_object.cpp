#include "hearth/core/wire_object.hpp"

#include "hearth/core/completion.hpp"
#include "hearth/core/json_parse.hpp"
#include "common_bytes.hpp"
#include "json_number.hpp"
#include "plain_run.hpp"
#include "utf8_sequence.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstring>

namespace hearth {
namespace {

// A validating scanner for one JSON object (RFC 8259, strict UTF-8, paired surrogates, as
// nlohmann's parser accepts), that builds nothing and only notes the top-level "error" and
// "usage" members. nlohmann's SAX parser still lexes every token into a string, which made
// checking an upstream's chunks the proxy's largest cost.
//
// Each reader takes the position of its token and returns the position after it, or nullptr
// where the text is not valid: the position stays in a register, not in a member that every
// call would store and load. It recurses per container only: a member's value, a string's
// plain bytes and a number are read inline in the container's loop, the rare (escapes, UTF-8)
// out of line.
class ObjectValidator {
 public:
  ObjectValidator(std::string_view text, int max_depth, int outline_depth = 0,
                  JsonOutline* outline = nullptr,
                  EventScanner::ValueSpans* spans = nullptr)
      : begin_(text.data()),
        end_(text.data() + text.size()),
        max_depth_(max_depth),
        outline_depth_(outline != nullptr ? outline_depth : 0),
        outline_(outline),
        spans_(spans) {}

  std::optional<ObjectScan> run() {
    const char* p = begin_;
    if (end_ - p >= 3 && std::string_view(p, 3) == "\xEF\xBB\xBF") p += 3;  // as parse_json
    p = skip_space(p);
    if (p == end_ || *p != '{') return std::nullopt;
    return finish(object(p + 1, 1, false));
  }

  // The end of the number at `p` (before the end), or nullptr where none starts there.
  const char* number_at(const char* p) const { return number(p, nullptr); }

  // How many bytes of the text run() accepted open it, up to and including its last top-level
  // comma behind which the scan had noted nothing (0 where there is none). Whatever follows,
  // the scan is in the same state there as after any other such opening.
  std::size_t opening() const { return opening_ ? opening_ - begin_ : 0; }

 private:
  // Which top-level member a value belongs to, and which usage count a number fills.
  enum class Role { Other, Error, Usage, Count };

  // A string's text between its quotes, and whether it has escapes.
  struct Text {
    std::string_view raw;
    bool escaped = false;
  };

  // Wire JSON is mostly compact: one compare tells a token from whitespace.
  const char* skip_space(const char* p) {
    while (p != end_ && static_cast<unsigned char>(*p) <= ' ' &&
           (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
      if (*p != ' ' && *p != '\t') scan_.line_breaks = true;
      ++p;
    }
    return p;
  }
  // One instance per word, so that its length is a constant and the compare a load or two; out
  // of line, because inlined into the value loops it made them slower on every other token.
  template <std::size_t N>
  [[gnu::noinline]] const char* literal(const char* p, const char (&word)[N]) const {
    constexpr std::size_t size = N - 1;
    if (static_cast<std::size_t>(end_ - p) < size || std::memcmp(p, word, size) != 0) {
      return nullptr;
    }
    return p + size;
  }

  // A value at `p`, before the end. `depth` is its container's.
  [[gnu::always_inline]] const char* value(const char* p, int depth, Role role) {
    if (role == Role::Error && *p != 'n') scan_.has_error = true;  // anything but null
    switch (*p) {
      case '"': return string(p + 1, /*value=*/true);
      case '{': return object(p + 1, depth + 1, role == Role::Usage);
      case '[': return array(p + 1, depth + 1);
      case 't': return literal(p, "true");
      case 'f': return literal(p, "false");
      case 'n': return literal(p, "null");
      default: {
        const char* after = number(p, role == Role::Count ? count_ : nullptr);
        // A usage count is part of the verdict: no other object may pass for this one by it.
        if (spans_ != nullptr && after != nullptr && role != Role::Count) {
          spans_->note(p - begin_, after - begin_, EventScanner::ValueSpans::Kind::Number);
        }
        return after;
      }
    }
  }

  // A value that goes into the outline: its entry is listed before what it holds.
  [[gnu::always_inline]] const char* listed_value(const char* p, int depth, Role role,
                                                  Text name) {
    const std::size_t at = outline_->size();
    outline_->push_back(OutlineEntry{depth, name.raw, name.escaped, {}});
    const char* after = value(p, depth, role);
    if (after != nullptr) (*outline_)[at].text = std::string_view(p, after - p);
    return after;
  }

  std::optional<ObjectScan> finish(const char* p) {
    if (p == nullptr || skip_space(p) != end_) return std::nullopt;
    if (scan_.usage && !saw_total_) {
      scan_.usage->total_tokens = scan_.usage->prompt_tokens + scan_.usage->completion_tokens;
    }
    return scan_;
  }

  // An object, from after its '{'. `depth` counts the containers open, this one included:
  // the top-level object is depth 1.
  const char* object(const char* p, int depth, bool is_usage) {
    if (depth > max_depth_) return nullptr;
    if (is_usage) scan_.usage = Usage{};
    p = skip_space(p);
    if (p != end_ && *p == '}') return p + 1;
    return members(p, depth, is_usage);
  }

  // An object's members, from its first member's name through its closing '}'.
  [[gnu::always_inline]] const char* members(const char* p, int depth, bool is_usage) {
    const bool listing = depth <= outline_depth_;
    const bool roles = depth == 1 || is_usage;
    while (true) {
      if (p == end_ || *p != '"') return nullptr;
      const char* const name_begin = p + 1;
      escaped_ = false;
      if ((p = string(name_begin)) == nullptr) return nullptr;
      const Text name{std::string_view(name_begin, p - 1 - name_begin), escaped_};
      if (p != end_ && *p == ':') [[likely]] {  // compact JSON: no whitespace to skip
        ++p;
      } else {
        p = skip_space(p);
        if (p == end_ || *p != ':') return nullptr;
        ++p;
      }
      p = skip_space(p);
      if (p == end_) return nullptr;
      // At the top only "error" and "usage" matter: five letters, unless spelled with escapes.
      const bool may_matter = depth != 1 || name.raw.size() == 5 || name.escaped;
      const Role role = roles && may_matter ? role_of(depth, name) : Role::Other;
      p = listing ? listed_value(p, depth, role, name) : value(p, depth, role);
      if (p == nullptr || p == end_) return nullptr;
      if (*p != ',') {
        p = skip_space(p);
        if (p == end_) return nullptr;
        if (*p != ',') return *p == '}' ? p + 1 : nullptr;
      }
      if (depth == 1 && !scan_.has_error && !scan_.usage && !scan_.line_breaks) opening_ = p + 1;
      p = skip_space(p + 1);
    }
  }

  // An array's elements, from after its '['.
  const char* array(const char* p, int depth) {
    if (depth > max_depth_) return nullptr;
    p = skip_space(p);
    if (p != end_ && *p == ']') return p + 1;
    const bool listing = depth <= outline_depth_;
    while (true) {
      if (p == end_) return nullptr;
      p = listing ? listed_value(p, depth, Role::Other, {}) : value(p, depth, Role::Other);
      if (p == nullptr) return nullptr;
      p = skip_space(p);
      if (p == end_) return nullptr;
      if (*p != ',') return *p == ']' ? p + 1 : nullptr;
      p = skip_space(p + 1);
    }
  }

  // The role of a member of the top-level object (depth 1) or of its "usage" object.
  [[gnu::noinline]] Role role_of(int depth, Text name) {
    const std::string_view key = name.escaped ? unescape(name.raw) : name.raw;
    if (depth == 1) return key == "error" ? Role::Error : key == "usage" ? Role::Usage : Role::Other;
    count_ = key == "prompt_tokens"       ? &scan_.usage->prompt_tokens
             : key == "completion_tokens" ? &scan_.usage->completion_tokens
             : key == "total_tokens"      ? &scan_.usage->total_tokens
                                          : nullptr;
    if (key == "total_tokens") saw_total_ = true;
    return count_ != nullptr ? Role::Count : Role::Other;
  }

  // A name spelled with escapes (rare), decoded; valid until the next one.
  std::string_view unescape(std::string_view raw) {
    unescaped_ = decode_json_name(raw);
    return unescaped_;
  }

  // A string, from after its opening quote. Most strings are plain bytes up to the closing
  // quote; a value's are noted where the caller asks (spans_).
  [[gnu::always_inline]] const char* string(const char* begin, bool value = false) {
    const char* p = plain_run_end(begin, end_);
    if (p != end_ && *p == '"') [[likely]] {
      if (value && spans_ != nullptr) {
        spans_->note(begin - begin_, p - begin_, EventScanner::ValueSpans::Kind::String);
      }
      return p + 1;
    }
    return string_rest(p);
  }

  // The rest of a string that stopped at `p`: an escape, a byte >= 0x80, a control byte or the
  // end. An escape sets escaped_.
  [[gnu::noinline]] const char* string_rest(const char* p) {
    while (true) {
      if (p == end_) return nullptr;
      // plain_run_end stops only at a quote, a control byte, a backslash or a byte >= 0x80.
      const auto c = static_cast<unsigned char>(*p);
      if (c == '"') break;
      if (c < 0x20) return nullptr;
      if (c == '\\') {
        escaped_ = true;
        p = escape(p + 1);
      } else {
        p = utf8(p);  // c >= 0x80
      }
      if (p == nullptr) return nullptr;
      p = plain_run_end(p, end_);
    }
    return p + 1;
  }

  // An escape, from after its backslash.
  const char* escape(const char* p) const {
    if (p == end_) return nullptr;
    const char e = *p++;
    if (e != 'u') {
      const bool known = e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                         e == 'r' || e == 't';
      return known ? p : nullptr;
    }
    unsigned unit = 0;
    if ((p = hex4(p, unit)) == nullptr) return nullptr;
    if (unit >= 0xDC00 && unit <= 0xDFFF) return nullptr;  // a lone low surrogate
    if (unit < 0xD800 || unit > 0xDBFF) return p;
    unsigned second = 0;
    if ((p = literal(p, "\\u")) == nullptr || (p = hex4(p, second)) == nullptr) return nullptr;
    return second >= 0xDC00 && second <= 0xDFFF ? p : nullptr;
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  const char* hex4(const char* p, unsigned& out) const {
    if (end_ - p < 4) return nullptr;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = hex(p[i]);
      if (digit < 0) return nullptr;
      out = out * 16 + static_cast<unsigned>(digit);
    }
    return p + 4;
  }

  // One UTF-8 sequence starting at a byte >= 0x80: well-formed, shortest form, no surrogates.
  const char* utf8(const char* p) const {
    const std::size_t length = detail::utf8_sequence_length(
        reinterpret_cast<const unsigned char*>(p), static_cast<std::size_t>(end_ - p));
    return length != 0 ? p + length : nullptr;
  }

  // One or more digits.
  const char* digits(const char* p) const {
    const char* begin = p;
    // Eight bytes a step (timestamps and counts run to ten digits): a byte is a digit when its
    // high nibble is 3 and adding 6 keeps it so. A carry out of a byte >= 0xFA reaches only
    // the bytes after it, and the first non-digit is at or before it.
    for (; std::endian::native == std::endian::little && end_ - p >= 8; p += 8) {
      std::uint64_t bytes;
      std::memcpy(&bytes, p, 8);
      constexpr std::uint64_t kHigh = 0xF0F0F0F0F0F0F0F0u, kThrees = 0x3030303030303030u;
      const std::uint64_t stops =
          ((bytes & kHigh) ^ kThrees) | (((bytes + 0x0606060606060606u) & kHigh) ^ kThrees);
      if (stops != 0) {
        p += std::countr_zero(stops) / 8;  // the first such byte in memory: the lowest
        return p != begin ? p : nullptr;
      }
    }
    while (p != end_ && *p >= '0' && *p <= '9') ++p;
    return p != begin ? p : nullptr;
  }

  // A number; `count`, when given, gets its value.
  const char* number(const char* p, int64_t* count) const {
    // A lone digit (an index, a choice count) is the most common number.
    if (const auto digit = static_cast<unsigned char>(*p - '0'); digit <= 9 && end_ - p >= 2) {
      const char next = p[1];
      if ((next < '0' || next > '9') && next != '.' && next != 'e' && next != 'E') {
        if (count != nullptr) *count = digit;
        return p + 1;
      }
    }
    const char* begin = p;
    if (*p == '-' && ++p == end_) return nullptr;
    // Decimal places before the point beyond the first: with the exponent, a bound on the
    // number's magnitude (below 10 to the bound + 1).
    long magnitude = 0;
    if (*p == '0') {
      ++p;
    } else if (*p < '1' || *p > '9') {
      return nullptr;
    } else {
      const char* first = p;
      p = digits(p);
      magnitude = p - first - 1;
    }
    bool integral = true;
    if (p != end_ && *p == '.') {
      integral = false;
      if ((p = digits(p + 1)) == nullptr) return nullptr;
    }
    if (p != end_ && (*p == 'e' || *p == 'E')) {
      integral = false;
      const bool negative = ++p != end_ && *p == '-';
      if (p != end_ && (*p == '+' || *p == '-')) ++p;
      const char* first = p;
      if ((p = digits(p)) == nullptr) return nullptr;
      long exponent = 0;
      for (const char* d = first; d != p && exponent < 100000; ++d) {
        exponent = exponent * 10 + (*d - '0');
      }
      magnitude += negative ? -exponent : exponent;
    }
    // parse_json refuses a number too large for a double; below 1e308 none is.
    if (magnitude >= 308 && !json_number_value(begin, p)) return nullptr;
    if (count != nullptr) {
      if (integral) {
        int64_t n = 0;
        if (std::from_chars(begin, p, n).ec == std::errc{}) *count = n;
      } else {
        *count = static_cast<int64_t>(json_number_value(begin, p).value_or(0));
      }
    }
    return p;
  }

  const char* const begin_;
  const char* const end_;
  const int max_depth_;
  const int outline_depth_;  // 0 when no outline is kept
  JsonOutline* outline_;
  EventScanner::ValueSpans* const spans_;  // null when no one asks
  ObjectScan scan_;
  int64_t* count_ = nullptr;
  bool saw_total_ = false;
  const char* opening_ = nullptr;
  std::string unescaped_;  // the last name that had escapes, decoded
  bool escaped_ = false;   // whether a string since it was last cleared had escapes
};

}  // namespace

std::string decode_json_name(std::string_view raw) {
  // Decoded by nlohmann, as the string it is once quoted (built by appends: GCC 12 at -O3
  // misreads "\"" + std::string(raw) + "\"" as overlapping copies, -Wrestrict).
  std::string quoted;
  quoted.reserve(raw.size() + 2);
  quoted.append(1, '"').append(raw).append(1, '"');
  return Json::parse(quoted).get<std::string>();
}

std::optional<ObjectScan> scan_json_object(std::string_view text, int max_depth) {
  return ObjectValidator(text, max_depth).run();
}

std::optional<ObjectScan> scan_json_object(std::string_view text, int max_depth,
                                           int outline_depth, JsonOutline& outline) {
  return ObjectValidator(text, max_depth, outline_depth, &outline).run();
}

std::optional<ObjectScan> EventScanner::scan(std::string_view text) {
  if (kept_ != 0) {
    const bool opens_as_last = !opening_.empty() && text.starts_with(opening_);
    // Most objects are of the last one's shape; else most are of the shape that followed it.
    const std::size_t last = last_, after_last = next_[last_];
    if (passes_as(last, text, opens_as_last)) return shapes_[last].scan;
    if (after_last != last && passes_as(after_last, text, opens_as_last)) {
      return shapes_[after_last].scan;
    }
    for (std::size_t k = 0; k != kept_; ++k) {
      if (k != last && k != after_last && passes_as(k, text, opens_as_last)) return shapes_[k].scan;
    }
  }
  ValueSpans spans;
  ObjectValidator validator(text, max_depth_, 0, nullptr, &spans);
  std::optional<ObjectScan> scan = validator.run();
  if (!scan || text.size() > kLargestKept) return scan;
  // A new shape, kept in a free place or in that of the one used longest ago.
  std::size_t k = kept_;
  if (kept_ == kShapes) {
    k = static_cast<std::size_t>(
        std::min_element(shapes_.begin(), shapes_.end(),
                         [](const Shape& a, const Shape& b) { return a.used < b.used; }) -
        shapes_.begin());
    for (std::size_t& after : next_) {
      if (after == k) after = static_cast<std::size_t>(&after - next_.data());
    }
    next_[k] = k;
  } else {
    ++kept_;
  }
  Shape& shape = shapes_[k];
  shape.text.assign(text);
  shape.opening = validator.opening();
  shape.scan = *scan;
  std::copy_n(spans.spans.begin(), spans.count, shape.spans.spans.begin());
  shape.spans.count = spans.count;
  shape.opening_spans = static_cast<std::size_t>(
      std::find_if(spans.spans.begin(), spans.spans.begin() + spans.count,
                   [&](const ValueSpans::Span& span) { return span.end > shape.opening; }) -
      spans.spans.begin());
  use(k);
  opening_.assign(text.substr(0, shape.opening));
  return scan;
}

void EventScanner::use(std::size_t k) {
  if (k != last_) next_[last_] = k;
  last_ = k;
  shapes_[k].used = ++uses_;
}

bool EventScanner::passes_as(std::size_t k, std::string_view text, bool opens_as_last) {
  const Shape& shape = shapes_[k];
  const std::string_view kept = shape.text;
  const char* const text_end = text.data() + text.size();
  const auto* const spans = shape.spans.spans.data();
  const std::size_t span_count = shape.spans.count;
  // Both open with a checked opening, behind which the scan is in the same state: compare what
  // follows. Else compare from the start, and find where the text's opening ends.
  const bool past_openings = opens_as_last && shape.opening != 0;
  std::size_t i = past_openings ? shape.opening : 0;   // where `kept` is compared next
  std::size_t j = past_openings ? opening_.size() : 0;  // and `text`
  std::size_t s = past_openings ? shape.opening_spans : 0;  // the first span not behind i
  // Where the text's opening ends, once known (npos until then). Past the openings it is known
  // at once, and the loop need not work it out (7 instructions an object).
  std::size_t text_opening = past_openings ? j : shape.opening == 0 ? 0 : std::string_view::npos;
  while (true) {
    const std::size_t left = std::min(kept.size() - i, text.size() - j);
    const std::size_t same = common_prefix_length(kept.data() + i, text.data() + j, left);
    // The kept opening's end is outside any value, so in a run of equal bytes.
    if (text_opening == std::string_view::npos && i + same >= shape.opening) {
      text_opening = shape.opening + j - i;
    }
    i += same;
    j += same;
    if (i == kept.size() && j == text.size()) break;
    // They differ at i: inside one of the kept object's values, or the text is of another shape.
    while (s != span_count && spans[s].end < i) ++s;
    if (s == span_count || spans[s].begin > i) return false;
    // The text's value runs as the kept one up to the difference, and from there must end as a
    // value of its kind does; then the comparison goes on past both values.
    const char* after = nullptr;
    if (spans[s].kind == ValueSpans::Kind::String) {
      // Its bytes so far are plain, being the kept one's, and so must the rest be: the kept
      // value ends at its closing quote, which the text must have where its plain run stops.
      after = plain_run_end(text.data() + j, text_end);
    } else {
      const char* const value = text.data() + j - (i - spans[s].begin);
      if (value == text_end) return false;
      after = ObjectValidator(text, max_depth_).number_at(value);
      if (after == nullptr) return false;
    }
    i = spans[s].end;
    j = static_cast<std::size_t>(after - text.data());
    ++s;
  }
  use(k);
  if (!past_openings) opening_.assign(text.substr(0, text_opening));
  return true;
}

std::string dump_json(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

WireObject WireObject::from_checked_text(std::string text, ObjectScan scan) {
  WireObject object{FromText{}};
  object.text_ = std::move(text);
  object.scan_ = scan;
  return object;
}

WireObject WireObject::viewing_checked_text(std::string_view text, ObjectScan scan) {
  WireObject object{FromText{}};
  object.viewed_ = text;
  object.scan_ = scan;
  return object;
}

WireObject::WireObject(const WireObject& other)
    : json_(other.json_), text_(other.text_), scan_(other.scan_) {
  if (other.viewed_.data() != nullptr) text_.emplace(other.viewed_);
}

WireObject& WireObject::operator=(const WireObject& other) {
  if (this != &other) *this = WireObject(other);
  return *this;
}

const Json& WireObject::json() const {
  if (!json_) json_ = parse_json(text()).value_or(Json(Json::value_t::discarded));
  return *json_;
}

std::string_view WireObject::text() const {
  if (viewed_.data() != nullptr) return viewed_;
  if (!text_) text_ = dump_json(*json_);
  return *text_;
}

std::optional<Usage> WireObject::usage() const {
  if (scan_) return scan_->usage;
  return usage_of(*json_);
}

}  // namespace hearth
