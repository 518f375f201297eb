#include "hearth/core/http_io.hpp"

#include <algorithm>

#include <boost/beast/http/error.hpp>

namespace hearth::http_io {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// Beast's read size: the buffer's free capacity, at least 512 bytes, at most 64 KiB, and
// never past its maximum size. Zero: the buffer is full.
std::size_t read_size(const boost::beast::flat_buffer& buffer) {
  const std::size_t limit = buffer.max_size() - buffer.size();
  const std::size_t room = std::max<std::size_t>(512, buffer.capacity() - buffer.size());
  return std::min(room, std::min<std::size_t>(65536, limit));
}

}  // namespace

bool parse_buffered(boost::beast::flat_buffer& buffer, HttpParser& parser, Until until,
                    boost::system::error_code& ec) {
  ec = {};
  auto satisfied = [&] {
    return until == Until::Header ? parser.is_header_done() : parser.is_done();
  };
  if (until != Until::Progress && satisfied()) return true;
  while (buffer.size() > 0) {
    const auto bytes = buffer.data();
    const std::size_t used =
        parser.put(std::string_view(static_cast<const char*>(bytes.data()), bytes.size()), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) break;
    if (ec || until == Until::Progress || satisfied()) return true;
    if (used == 0) break;
    // A piece parsed (the head, say): parse on from the buffer.
  }
  ec = {};
  return false;
}

Task<boost::system::error_code> read(asio::ip::tcp::socket& socket,
                                     boost::beast::flat_buffer& buffer, HttpParser& parser,
                                     Until until) {
  boost::system::error_code ec;
  for (;;) {
    if (parse_buffered(buffer, parser, until, ec)) co_return ec;
    const std::size_t size = read_size(buffer);
    if (size == 0) co_return http::error::buffer_overflow;
    auto [read_ec, n] =
        co_await socket.async_read_some(buffer.prepare(size), asio::as_tuple(asio::use_awaitable));
    buffer.commit(n);
    if (read_ec == asio::error::eof) {
      if (!parser.got_some()) co_return http::error::end_of_stream;
      parser.put_eof(ec);  // a message that ends at the close, or partial_message
      co_return ec;
    }
    if (read_ec) co_return read_ec;
  }
}

}  // namespace hearth::http_io
