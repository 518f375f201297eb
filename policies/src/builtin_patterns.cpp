#include "builtin_patterns.hpp"

#include "validators.hpp"

#include <array>
#include <vector>

namespace hearth::policies {
namespace {

bool word_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool digit(char c) { return c >= '0' && c <= '9'; }

// Neither neighbour of [begin, end) continues a word.
bool bounded(std::string_view text, size_t begin, size_t end) {
  if (begin > 0 && word_char(text[begin - 1])) return false;
  return end >= text.size() || !word_char(text[end]);
}

// "1.2.3.4.5" and "v1.2.3.4" are not addresses: no digit, dot-digit or letter around.
bool ipv4_bounded(std::string_view text, size_t begin, size_t end) {
  if (!bounded(text, begin, end)) return false;
  if (begin >= 2 && text[begin - 1] == '.' && digit(text[begin - 2])) return false;
  return !(end + 1 < text.size() && text[end] == '.' && digit(text[end + 1]));
}

bool ipv6_bounded(std::string_view text, size_t begin, size_t end) {
  if (!bounded(text, begin, end)) return false;
  if (begin > 0 && (text[begin - 1] == ':' || text[begin - 1] == '.')) return false;
  return end >= text.size() || (text[end] != ':' && text[end] != '.');
}

using Span = std::optional<std::pair<size_t, size_t>>;

Span span_if(bool ok, size_t begin, size_t end) {
  if (!ok) return std::nullopt;
  return std::make_pair(begin, end);
}

bool base64url_char(char c) { return word_char(c) || c == '-'; }
bool alnum_char(char c) { return word_char(c) && c != '_'; }
bool slack_char(char c) { return alnum_char(c) || c == '-'; }
bool bearer_char(char c) {
  return word_char(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '-';
}
bool assigned_value_char(char c) {
  return c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '"' && c != '\'' && c != ',' && c != ';';
}

// Where the run of `is_char` characters starting at `from` ends.
size_t run_end(std::string_view text, size_t from, bool (*is_char)(char)) {
  while (from < text.size() && is_char(text[from])) ++from;
  return from;
}

bool iban_char(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); }

// An IBAN starting at `begin`: upper-case letters and digits, single spaces between groups,
// up to 34 of them; the longest prefix ending at a word boundary that passes mod-97 wins.
Span extend_iban(std::string_view text, size_t begin) {
  if (begin > 0 && word_char(text[begin - 1])) return std::nullopt;
  std::vector<size_t> ends;  // candidate ends, shortest first
  size_t count = 0;
  size_t i = begin;
  while (i < text.size() && count < 34) {
    if (iban_char(text[i])) {
      ++count;
      ++i;
      if (count >= 15 && (i >= text.size() || !word_char(text[i]))) ends.push_back(i);
    } else if (text[i] == ' ' && i + 1 < text.size() && iban_char(text[i + 1])) {
      ++i;
    } else {
      break;
    }
  }
  for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
    if (validators::iban_ok(text.substr(begin, *it - begin))) return std::make_pair(begin, *it);
  }
  return std::nullopt;
}

}  // namespace

const std::vector<PatternDef>& builtin_patterns() {
  static const std::vector<PatternDef> patterns = {
      {"email", "email", R"(@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24})", false, Check::Email, Ends::All,
       Engine::HyperscanNoSom},
      {"phone", "phone", R"((\+?1[ .\-]?)?(\(\d{3}\)|\d{3})[ .\-]?\d{3}[ .\-]?\d{4})", false, Check::Phone, Ends::All,
       Engine::Hyperscan, true},
      {"phone_international", "phone", R"(\+\d{1,3}([ .\-]?\d{2,4}){2,5})", false, Check::Phone, Ends::All,
       Engine::Hyperscan, true},
      {"ssn", "ssn", R"(\d{3}-\d{2}-\d{4})", false, Check::Ssn, Ends::All, Engine::Hyperscan, true},
      {"credit_card", "credit_card",
       R"(\d{13,19}|\d{4}[ \-]\d{4}[ \-]\d{4}[ \-]\d{1,7}|\d{4}[ \-]\d{6}[ \-]\d{4,5})", false, Check::Card,
       Ends::All, Engine::Hyperscan, true},
      // Only the start; check_candidate() reads the rest (a long repeat is slow in Hyperscan).
      {"iban", "iban", R"([A-Z]{2}\d{2} ?[A-Z0-9]{4})", false, Check::Iban, Ends::Longest, Engine::Hyperscan, true},
      {"ipv4", "ip_address",
       R"((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})", false, Check::Ipv4,
       Ends::All, Engine::Hyperscan, true},
      {"ipv6", "ip_address", R"([0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7})", false, Check::Ipv6, Ends::All},
      {"aws_access_key", "secret", R"((AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[0-9A-Z]{16})", false,
       Check::Boundary, Ends::Longest},
      {"private_key", "secret", R"(-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----)", false, Check::PrivateKey,
       Ends::Longest},
      {"jwt", "secret", R"(eyJ[A-Za-z0-9_\-]{8})", false, Check::Jwt, Ends::Longest},
      {"bearer_token", "secret", R"([Bb]earer +[A-Za-z0-9._~+/\-])", false, Check::Bearer, Ends::Longest},
      {"api_key", "secret", R"(sk-|gh[pousr]_|xox[baprs]-|AIza)", false, Check::ApiKey, Ends::Longest},
      {"assigned_secret", "secret",
       R"((password|passwd|pwd|secret|api[_\-]?key|access[_\-]?token|client[_\-]?secret)["']?\s*[:=])", true,
       Check::Assigned, Ends::Longest, Engine::HyperscanNoSom},
      {"high_entropy_key", "secret", "", false, Check::Entropy, Ends::Longest, Engine::TokenRun},
  };
  return patterns;
}

size_t locate_start(Check check, std::string_view text, size_t end) {
  constexpr size_t npos = std::string_view::npos;
  if (check == Check::Email) {
    // Back over the domain to the '@', then over the local part.
    size_t at = end;
    while (at > 0 && text[at - 1] != '@') --at;
    if (at == 0) return npos;
    size_t start = at - 1;
    auto local = [](char c) {
      return word_char(c) || c == '.' || c == '%' || c == '+' || c == '-';
    };
    while (start > 0 && local(text[start - 1])) --start;
    return start + 1 < at ? start : npos;
  }
  // The value follows the ':' or '=' the match ends with; check_candidate() reads it.
  if (check == Check::Assigned) return end;
  return npos;
}

std::optional<std::pair<size_t, size_t>> check_candidate(Check check, std::string_view text, size_t begin,
                                                         size_t end) {
  const std::string_view s = text.substr(begin, end - begin);
  switch (check) {
    case Check::None:
      return std::make_pair(begin, end);
    case Check::Word:
    case Check::Boundary:
    case Check::Email:
      return span_if(bounded(text, begin, end), begin, end);
    case Check::Phone:
      return span_if(bounded(text, begin, end) && validators::phone_ok(s), begin, end);
    case Check::Ssn:
      return span_if(bounded(text, begin, end) && validators::ssn_ok(s), begin, end);
    case Check::Card:
      return span_if(bounded(text, begin, end) && validators::luhn_ok(s), begin, end);
    case Check::Iban:
      return extend_iban(text, begin);
    case Check::Ipv4:
      return span_if(ipv4_bounded(text, begin, end), begin, end);
    case Check::Ipv6:
      return span_if(ipv6_bounded(text, begin, end) && validators::ipv6_ok(s), begin, end);
    case Check::Entropy:
      return span_if(bounded(text, begin, end) && validators::high_entropy_key(s), begin, end);
    case Check::Bearer: {
      // The match ends with the token's first character.
      const size_t token = end - 1;
      const size_t stop = run_end(text, token, bearer_char);
      size_t last = stop;
      while (last < text.size() && last - stop < 2 && text[last] == '=') ++last;
      return span_if(stop - token >= 16 && bounded(text, begin, last), token, last);
    }
    case Check::Jwt: {
      // eyJ… . eyJ… . signature
      const size_t first = run_end(text, begin, base64url_char);
      if (first - begin < 11 || first >= text.size() || text[first] != '.') return std::nullopt;
      if (text.substr(first + 1, 3) != "eyJ") return std::nullopt;
      const size_t second = run_end(text, first + 1, base64url_char);
      if (second - first - 1 < 11 || second >= text.size() || text[second] != '.') return std::nullopt;
      const size_t third = run_end(text, second + 1, base64url_char);
      return span_if(third - second - 1 >= 16 && bounded(text, begin, third), begin, third);
    }
    case Check::ApiKey: {
      // Each provider's prefix, the characters its keys use, and their least length after it.
      struct Shape {
        std::string_view prefix;
        bool (*chars)(char);
        size_t min_length;
      };
      static constexpr Shape kShapes[] = {{"sk-", base64url_char, 20}, {"gh", alnum_char, 36},
                                          {"xox", slack_char, 10}, {"AIza", base64url_char, 35}};
      for (const Shape& shape : kShapes) {
        if (text.substr(begin, shape.prefix.size()) != shape.prefix) continue;
        const size_t stop = run_end(text, end, shape.chars);
        return span_if(stop - end >= shape.min_length && bounded(text, begin, stop), begin, stop);
      }
      return std::nullopt;
    }
    case Check::PrivateKey: {
      // The key material follows the BEGIN line; with no END line, everything after it goes.
      const size_t end_marker = text.find("-----END ", end);
      if (end_marker == std::string_view::npos) return std::make_pair(begin, text.size());
      const size_t close = text.find("-----", end_marker + 9);
      if (close == std::string_view::npos) return std::make_pair(begin, text.size());
      return std::make_pair(begin, close + 5);
    }
    case Check::Assigned: {
      // Spaces and an opening quote, then the value up to a space, quote, comma or semicolon.
      size_t value = end;
      while (value < text.size() && (text[value] == ' ' || text[value] == '\t')) ++value;
      if (value < text.size() && (text[value] == '"' || text[value] == '\'')) ++value;
      const size_t stop = run_end(text, value, assigned_value_char);
      return span_if(stop - value >= 6, value, stop);
    }
  }
  return std::nullopt;
}

}  // namespace hearth::policies
