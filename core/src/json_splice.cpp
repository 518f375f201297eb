#include "hearth/core/json_splice.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "hearth/core/find_either.hpp"
#include "hearth/core/wire_object.hpp"

namespace hearth {
namespace {

constexpr std::size_t kNone = std::string_view::npos;

std::size_t skip_space(std::string_view text, std::size_t pos) {
  while (pos < text.size() &&
         (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r')) {
    ++pos;
  }
  return pos;
}

// `pos` is at an opening quote; returns the position after the closing one. Jumps from one
// quote or backslash to the next: strings (message contents) are most of a body's bytes.
std::size_t skip_string(std::string_view text, std::size_t pos) {
  for (pos = find_either(text, '"', '\\', pos + 1); pos != kNone;
       pos = find_either(text, '"', '\\', pos + 2)) {
    if (text[pos] == '"') return pos + 1;
  }
  return kNone;
}

// `pos` is at the start of a value; returns the position after it. Valid JSON is assumed,
// so brackets only need counting outside strings.
std::size_t skip_value(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return kNone;
  if (text[pos] == '"') return skip_string(text, pos);
  if (text[pos] == '{' || text[pos] == '[') {
    int depth = 0;
    while (pos < text.size()) {
      const char c = text[pos];
      if (c == '"') {
        pos = skip_string(text, pos);
        if (pos == kNone) return kNone;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return pos + 1;
      }
      ++pos;
    }
    return kNone;
  }
  // A number, true, false or null: up to the next delimiter.
  while (pos < text.size() && text[pos] != ',' && text[pos] != '}' && text[pos] != ']' &&
         text[pos] != ' ' && text[pos] != '\t' && text[pos] != '\n' && text[pos] != '\r') {
    ++pos;
  }
  return pos;
}

struct Span {
  std::size_t begin;
  std::size_t end;
};

// The two-character escape JSON has for a control character, if any.
const char* short_escape(char c) {
  switch (c) {
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return nullptr;
  }
}

// Appends `text` as a JSON string. Names are ASCII as a rule: those are escaped here, as
// nlohmann would, without building a JSON value to dump (most of a splice's cost when it was
// one), and their plain runs copied whole. Anything else goes to nlohmann, which also replaces
// invalid UTF-8.
void append_quoted_json(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto non_ascii = [](char c) { return static_cast<unsigned char>(c) >= 0x80; };
  if (std::any_of(text.begin(), text.end(), non_ascii)) {
    out += dump_json(Json(std::string(text)));
    return;
  }
  out += '"';
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain_from, i - plain_from));
    plain_from = i + 1;
    if (byte >= 0x20) {
      out += '\\';
      out += c;
    } else if (const char* short_form = short_escape(c)) {
      out += short_form;
    } else {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  out.append(text.substr(plain_from));
  out += '"';
}

std::string quoted_json(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  append_quoted_json(out, text);
  return out;
}

}  // namespace

std::optional<std::string> with_string_member(std::string_view object_text, std::string_view key,
                                              std::string_view value) {
  std::size_t pos = skip_space(object_text, 0);
  if (pos >= object_text.size() || object_text[pos] != '{') return std::nullopt;
  const std::size_t open = pos;
  ++pos;

  std::vector<Span> values;  // of the members named `key`
  std::size_t members = 0;
  pos = skip_space(object_text, pos);
  if (pos < object_text.size() && object_text[pos] == '}') {
    ++pos;
  } else {
    while (true) {
      if (pos >= object_text.size() || object_text[pos] != '"') return std::nullopt;
      const std::size_t key_end = skip_string(object_text, pos);
      if (key_end == kNone) return std::nullopt;
      const std::string_view name = object_text.substr(pos + 1, key_end - pos - 2);
      if (name.find('\\') != std::string_view::npos) return std::nullopt;
      pos = skip_space(object_text, key_end);
      if (pos >= object_text.size() || object_text[pos] != ':') return std::nullopt;
      pos = skip_space(object_text, pos + 1);
      const std::size_t value_end = skip_value(object_text, pos);
      if (value_end == kNone) return std::nullopt;
      if (name == key) values.push_back({pos, value_end});
      ++members;
      pos = skip_space(object_text, value_end);
      if (pos >= object_text.size()) return std::nullopt;
      if (object_text[pos] == '}') {
        ++pos;
        break;
      }
      if (object_text[pos] != ',') return std::nullopt;
      pos = skip_space(object_text, pos + 1);
    }
  }
  if (skip_space(object_text, pos) != object_text.size()) return std::nullopt;

  const std::string quoted = quoted_json(value);
  std::string out;
  out.reserve(object_text.size() + quoted.size() + key.size() + 4);
  if (values.empty()) {
    out.append(object_text.substr(0, open + 1));
    out += quoted_json(key);
    out += ':';
    out += quoted;
    if (members > 0) out += ',';
    out.append(object_text.substr(open + 1));
    return out;
  }
  std::size_t copied = 0;
  for (const Span& span : values) {
    out.append(object_text.substr(copied, span.begin - copied));
    out += quoted;
    copied = span.end;
  }
  out.append(object_text.substr(copied));
  return out;
}

std::string with_string_at(std::string_view text, std::size_t begin, std::size_t end,
                           std::string_view value) {
  std::string out;
  out.reserve(text.size() - (end - begin) + value.size() + 2);
  out.append(text.substr(0, begin));
  append_quoted_json(out, value);
  out.append(text.substr(end));
  return out;
}

}  // namespace hearth
