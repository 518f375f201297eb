#include "hearth/core/wire_object.hpp"

#include "hearth/core/completion.hpp"
#include "hearth/core/json_parse.hpp"
#include "plain_run.hpp"
#include "utf8_sequence.hpp"

#include <charconv>
#include <cstddef>
#include <cstdlib>

namespace hearth {
namespace {

// A validating scanner for one JSON object (RFC 8259, strict UTF-8, paired surrogates, as
// nlohmann's parser accepts), that builds nothing and only notes the top-level "error" and
// "usage" members. nlohmann's SAX parser still lexes every token into a string, which made
// checking an upstream's chunks the proxy's largest cost.
class ObjectValidator {
 public:
  ObjectValidator(std::string_view text, int max_depth, int outline_depth = 0,
                  std::vector<OutlineEntry>* outline = nullptr)
      : p_(text.data()),
        end_(text.data() + text.size()),
        max_depth_(max_depth),
        outline_depth_(outline_depth),
        outline_(outline) {}

  std::optional<ObjectScan> run() {
    if (end_ - p_ >= 3 && std::string_view(p_, 3) == "\xEF\xBB\xBF") p_ += 3;  // as parse_json
    skip_space();
    if (!object(1)) return std::nullopt;
    skip_space();
    if (p_ != end_) return std::nullopt;
    if (scan_.usage && !saw_total_) {
      scan_.usage->total_tokens = scan_.usage->prompt_tokens + scan_.usage->completion_tokens;
    }
    return scan_;
  }

 private:
  // Which top-level member a value belongs to, and which usage count a number fills.
  enum class Role { Other, Error, Usage, Count };

  // Wire JSON is mostly compact: one compare tells a token from whitespace.
  void skip_space() {
    while (p_ != end_ && static_cast<unsigned char>(*p_) <= ' ' &&
           (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }
  bool eat(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool value(int depth, Role role) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        if (role == Role::Error) scan_.has_error = true;
        return object(depth + 1, role == Role::Usage);
      case '[':
        if (role == Role::Error) scan_.has_error = true;
        return array(depth + 1);
      case '"':
        if (role == Role::Error) scan_.has_error = true;
        return string(nullptr);
      case 't':
        if (role == Role::Error) scan_.has_error = true;
        return literal("true");
      case 'f':
        if (role == Role::Error) scan_.has_error = true;
        return literal("false");
      case 'n': return literal("null");
      default:
        if (role == Role::Error) scan_.has_error = true;
        return number(role == Role::Count ? count_ : nullptr);
    }
  }

  // `depth` counts the containers open, this one included: the top-level object is depth 1.
  bool object(int depth, bool is_usage = false) {
    if (depth > max_depth_ || !eat('{')) return false;
    if (is_usage) scan_.usage = Usage{};
    skip_space();
    if (eat('}')) return true;
    std::string_view key;
    while (true) {
      const bool track = depth == 1 || is_usage;
      if (p_ == end_ || *p_ != '"' || !string(track ? &key : nullptr)) return false;
      const std::string_view name = raw_;
      const bool name_escaped = escaped_;
      skip_space();
      if (!eat(':')) return false;
      skip_space();
      Role role = Role::Other;
      if (depth == 1) {
        role = key == "error" ? Role::Error : key == "usage" ? Role::Usage : Role::Other;
      } else if (is_usage) {
        count_ = key == "prompt_tokens"       ? &scan_.usage->prompt_tokens
                 : key == "completion_tokens" ? &scan_.usage->completion_tokens
                 : key == "total_tokens"      ? &scan_.usage->total_tokens
                                              : nullptr;
        if (key == "total_tokens") saw_total_ = true;
        role = count_ != nullptr ? Role::Count : Role::Other;
      }
      if (!(listing(depth) ? listed_value(depth, role, name, name_escaped) : value(depth, role))) {
        return false;
      }
      skip_space();
      if (eat('}')) return true;
      if (!eat(',')) return false;
      skip_space();
    }
  }

  // Whether values this deep go into an outline.
  bool listing(int depth) const { return outline_ != nullptr && depth <= outline_depth_; }

  // A value, listed in the outline.
  bool listed_value(int depth, Role role, std::string_view name, bool name_escaped) {
    const std::size_t at = outline_->size();
    const char* begin = p_;
    outline_->push_back(OutlineEntry{depth, name, name_escaped, {}});
    if (!value(depth, role)) return false;
    (*outline_)[at].text = std::string_view(begin, static_cast<std::size_t>(p_ - begin));
    return true;
  }

  bool array(int depth) {
    if (depth > max_depth_ || !eat('[')) return false;
    skip_space();
    if (eat(']')) return true;
    while (true) {
      if (!(listing(depth) ? listed_value(depth, Role::Other, {}, false)
                           : value(depth, Role::Other))) {
        return false;
      }
      skip_space();
      if (eat(']')) return true;
      if (!eat(',')) return false;
      skip_space();
    }
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  bool hex4(unsigned& out) {
    if (end_ - p_ < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = hex(p_[i]);
      if (digit < 0) return false;
      out = out * 16 + static_cast<unsigned>(digit);
    }
    p_ += 4;
    return true;
  }

  // One UTF-8 sequence starting at a byte >= 0x80: well-formed, shortest form, no surrogates.
  bool utf8() {
    const std::size_t length = detail::utf8_sequence_length(
        reinterpret_cast<const unsigned char*>(p_), static_cast<std::size_t>(end_ - p_));
    p_ += length;
    return length != 0;
  }

  // A string; `out` gets its text when asked (a key we look at): the bytes between the quotes,
  // or, for a key spelled with escapes (rare), its decoding by nlohmann, valid until the next
  // key is decoded.
  bool string(std::string_view* out) {
    const char* begin = ++p_;
    bool escaped = false;
    while (true) {
      p_ = plain_run_end(p_, end_);
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') break;
      if (c < 0x20) return false;
      if (c == '\\') {
        escaped = true;
        if (++p_ == end_) return false;
        const char e = *p_++;
        if (e == 'u') {
          unsigned unit = 0;
          if (!hex4(unit)) return false;
          if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // a lone low surrogate
          if (unit >= 0xD800 && unit <= 0xDBFF) {
            unsigned second = 0;
            if (!literal("\\u") || !hex4(second) || second < 0xDC00 || second > 0xDFFF) {
              return false;
            }
          }
        } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                   e != 'r' && e != 't') {
          return false;
        }
        continue;
      }
      if (c >= 0x80) {
        if (!utf8()) return false;
        continue;
      }
      ++p_;
    }
    const std::string_view raw(begin, static_cast<std::size_t>(p_ - begin));
    raw_ = raw;
    escaped_ = escaped;
    ++p_;
    if (out != nullptr) {
      if (!escaped) {
        *out = raw;
      } else {
        std::string quoted;
        quoted.reserve(raw.size() + 2);
        quoted += '"';
        quoted += raw;
        quoted += '"';
        unescaped_ = Json::parse(quoted).get<std::string>();
        *out = unescaped_;
      }
    }
    return true;
  }

  bool number(int64_t* count) {
    const char* begin = p_;
    eat('-');
    if (p_ == end_) return false;
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    } else {
      return false;
    }
    bool integral = true;
    if (p_ != end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (count != nullptr) {
      if (integral) {
        int64_t n = 0;
        if (std::from_chars(begin, p_, n).ec == std::errc{}) *count = n;
      } else {
        *count = static_cast<int64_t>(std::strtod(std::string(begin, p_).c_str(), nullptr));
      }
    }
    return true;
  }

  const char* p_;
  const char* end_;
  const int max_depth_;
  const int outline_depth_;
  std::vector<OutlineEntry>* outline_;
  ObjectScan scan_;
  int64_t* count_ = nullptr;
  bool saw_total_ = false;
  std::string unescaped_;  // the last key that had escapes, decoded
  std::string_view raw_;   // the last string's text between its quotes
  bool escaped_ = false;   // whether it had escapes
};

}  // namespace

std::optional<ObjectScan> scan_json_object(std::string_view text, int max_depth) {
  return ObjectValidator(text, max_depth).run();
}

std::optional<ObjectScan> scan_json_object(std::string_view text, int max_depth,
                                           int outline_depth, std::vector<OutlineEntry>& outline) {
  return ObjectValidator(text, max_depth, outline_depth, &outline).run();
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

const Json& WireObject::json() const {
  if (!json_) json_ = parse_json(*text_).value_or(Json(Json::value_t::discarded));
  return *json_;
}

const std::string& WireObject::text() const {
  if (!text_) text_ = dump_json(*json_);
  return *text_;
}

std::optional<Usage> WireObject::usage() const {
  if (scan_) return scan_->usage;
  return usage_of(*json_);
}

}  // namespace hearth
