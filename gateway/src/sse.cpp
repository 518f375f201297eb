#include "hearth/gateway/sse.hpp"

#include <cstring>

#include "hearth/gateway/error_response.hpp"
#include "hearth/gateway/openai_codec.hpp"

namespace hearth::gateway {

void append_sse_data(std::string& out, std::string_view text) {
  // Each line of the text becomes its own data: line; the client joins them with "\n" again.
  // (memchr, not find_first_of: that one calls memchr once per byte.)
  while (true) {
    const void* lf = std::memchr(text.data(), '\n', text.size());
    const void* cr = std::memchr(text.data(), '\r', text.size());
    const char* first = static_cast<const char*>(lf && (!cr || lf < cr) ? lf : cr);
    const auto end = first ? static_cast<std::size_t>(first - text.data()) : std::string_view::npos;
    out += "data: ";
    out += text.substr(0, end);
    out += '\n';
    if (end == std::string_view::npos) break;
    const bool crlf = text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n';
    text.remove_prefix(end + (crlf ? 2 : 1));
  }
  out += '\n';
}

void append_sse_error(std::string& out, const Error& error) {
  out += "event: error\ndata: ";
  out += dump_json(to_error_response(error).body);
  out += "\n\n";
}

}  // namespace hearth::gateway
