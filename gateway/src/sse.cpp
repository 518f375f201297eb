#include "hearth/gateway/sse.hpp"

#include "hearth/gateway/error_response.hpp"
#include "hearth/gateway/openai_codec.hpp"

namespace hearth::gateway {

void append_sse_data(std::string& out, const Json& data) {
  out += "data: ";
  out += dump_json(data);
  out += "\n\n";
}

void append_sse_error(std::string& out, const Error& error) {
  out += "event: error\ndata: ";
  out += dump_json(to_error_response(error).body);
  out += "\n\n";
}

}  // namespace hearth::gateway
