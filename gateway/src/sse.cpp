#include "hearth/gateway/sse.hpp"

#include "hearth/core/find_either.hpp"
#include "hearth/gateway/error_response.hpp"
#include "hearth/gateway/openai_codec.hpp"

namespace hearth::gateway {

void append_sse_data(std::string& out, std::string_view text) {
  // Each line of the text becomes its own data: line; the client joins them with "\n" again.
  while (true) {
    const std::size_t end = find_either(text, '\n', '\r');
    out += "data: ";
    out += text.substr(0, end);
    out += '\n';
    if (end == std::string_view::npos) break;
    const bool crlf = text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n';
    text.remove_prefix(end + (crlf ? 2 : 1));
  }
  out += '\n';
}

void append_sse_data(std::string& out, const WireObject& data) {
  if (!data.single_line()) return append_sse_data(out, data.text());
  out += "data: ";
  out += data.text();
  out += "\n\n";
}

void append_sse_error(std::string& out, const Error& error) {
  out += "event: error\ndata: ";
  out += dump_json(to_error_response(error).body);
  out += "\n\n";
}

}  // namespace hearth::gateway
