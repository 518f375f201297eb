#pragma once
// Reading HTTP messages into hearth's parser, and writing to sockets, without a trip through the
// scheduler when nothing has to be waited for.
//
// Beast's async_read family posts its completion whenever the buffer already held what was
// asked for (so that no handler runs inside its own initiation), and Asio posts every socket
// operation that completes at once. A coroutine needs neither; it can simply go on. On a
// proxied request that was four scheduler rounds, each with a non-blocking epoll_wait of its
// own: the request body after its head, the upstream response body after its head, and the
// two writes. Here the buffer is parsed first, and a socket is read or written at once where
// it can be; only what must wait goes through the scheduler.

#include <cstddef>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "hearth/core/completion_source.hpp"
#include "hearth/core/http_parser.hpp"

namespace hearth::http_io {

// How much of the message a read waits for, as Beast's async_read_header, async_read and
// async_read_some do.
enum class Until {
  Header,    // the head
  Message,   // the whole message
  Progress,  // whatever one parse of new bytes yields (a body piece, or need_buffer)
};

// Parses what `buffer` holds, without reading the socket. Returns true when that was enough:
// `until` is satisfied, or the parse failed (the error in `ec`; for Progress, need_buffer too).
// Returns false when the parser needs bytes that have not come yet: then call read. Callers try
// this first so that a message already buffered costs no coroutine frame.
bool parse_buffered(boost::beast::flat_buffer& buffer, HttpParser& parser, Until until,
                    boost::system::error_code& ec);

// Parses what `buffer` holds, reading more from `socket` only when the parser needs it.
// Errors are Beast's: end_of_stream when the peer closed before any byte, partial_message
// when it closed mid-message, buffer_overflow when the buffer is full, the parser's own.
Task<boost::system::error_code> read(boost::asio::ip::tcp::socket& socket,
                                     boost::beast::flat_buffer& buffer, HttpParser& parser,
                                     Until until);

// Writes what the socket takes now, without waiting, and sets `written` to the bytes it took.
// Returns true when that was all of `buffers` or the write failed (the error in `ec`; a full
// socket is no failure); false when the rest must wait for room: then call write with
// `written`. Callers try this first, so that a write the socket takes at once costs no
// coroutine frame.
template <class ConstBuffers>
bool write_now(boost::asio::ip::tcp::socket& socket, const ConstBuffers& buffers,
               std::size_t& written, boost::system::error_code& ec) {
  namespace asio = boost::asio;
  ec = {};
  // A socket not in non-blocking mode would make write_some wait for room.
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  written = ec ? 0 : socket.write_some(buffers, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
  return ec || written == asio::buffer_size(buffers);
}

// Writes all of `buffers` past the first `written` bytes (what write_now took), waiting for
// room; with `written` 0 it first tries at once, as write_now. The buffers must outlive the
// call (name them: GCC 12 may destroy temporaries inside co_await twice). Returns the error,
// if any, and the bytes written in all.
template <class ConstBuffers>
Task<std::tuple<boost::system::error_code, std::size_t>> write(boost::asio::ip::tcp::socket& socket,
                                                               const ConstBuffers& buffers,
                                                               std::size_t written = 0) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  if (written == 0 && write_now(socket, buffers, written, ec)) co_return std::tuple{ec, written};
  boost::beast::buffers_suffix<ConstBuffers> rest(buffers);
  rest.consume(written);
  auto [wait_ec, more] =
      co_await asio::async_write(socket, rest, asio::as_tuple(asio::use_awaitable));
  co_return std::tuple{wait_ec, written + more};
}

}  // namespace hearth::http_io
