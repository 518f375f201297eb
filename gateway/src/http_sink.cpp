#include "http_sink.hpp"

#include <array>
#include <utility>

#include <boost/asio/buffer.hpp>

#include "hearth/core/http_io.hpp"
#include "hearth/gateway/openai_codec.hpp"
#include "hearth/gateway/sse.hpp"

namespace hearth::gateway::detail {
namespace asio = boost::asio;

namespace {

// A chunk's size line: the size in hex and CRLF.
void append_chunk_size(std::string& out, size_t size) {
  char digits[2 * sizeof(size_t)];
  char* first = digits + sizeof digits;
  do {
    *--first = "0123456789abcdef"[size & 0xf];
    size >>= 4;
  } while (size != 0);
  out.append(first, digits + sizeof digits);
  out += "\r\n";
}

}  // namespace

HttpSink::HttpSink(asio::ip::tcp::socket& socket, ResponseHead head, bool stream,
                   SinkBuffers& buffers)
    : socket_(socket),
      head_(std::move(head)),
      stream_(stream),
      head_text_(buffers.head_text),
      payload_(buffers.payload),
      held_(buffers.held) {
  head_text_.clear();
  payload_.clear();
  held_.clear();
}

HttpSink::~HttpSink() {
  for (std::string* buffer : {&head_text_, &payload_, &held_}) {
    if (buffer->capacity() > SinkBuffers::kKeptCapacity) std::string().swap(*buffer);
  }
}

void HttpSink::set_route(std::string_view route) {
  if (!committed_) route_.assign(route);
}

void HttpSink::set_cache_status(std::string_view status) {
  if (!committed_) cache_status_.assign(status);
}

void HttpSink::set_rule(std::string_view rule) {
  if (!committed_) rule_.assign(rule);
}

void HttpSink::commit(BodyFraming framing) {
  committed_ = true;
  framing_ = framing;
  first_byte_ = std::chrono::steady_clock::now();
  head_.status = 200;
  head_.route = route();
  head_.cache = cache_status_;
  head_.rule = rule();
  head_.content_type = framing == BodyFraming::ContentLength ? "application/json"
                                                             : "text/event-stream";
}

Task<Status> HttpSink::send_chunk(const CompletionChunk& chunk) {
  const std::span<const CompletionChunk> one(&chunk, 1);
  co_return co_await send_chunks(one);
}

std::optional<Status> HttpSink::send_chunks_now(std::span<const CompletionChunk> chunks) {
  if (!stream_) return make_error(ErrorCode::Internal, "a source streamed a non-streaming request");
  if (broken_) return make_error(ErrorCode::Cancelled, "the client connection is gone");
  if (chunks.empty()) return Status{};
  // The source's last chunks go straight to held_, with room for the end end_stream adds.
  std::string& events = hold_ ? held_ : payload_;
  if (!hold_) payload_.clear();
  size_t bytes = hold_ ? kSseDone.size() : 0;  // and each chunk's text, "data: " and "\n\n"
  for (const CompletionChunk& chunk : chunks) bytes += chunk.data.text().size() + 8;
  events.reserve(events.size() + bytes);
  for (const CompletionChunk& chunk : chunks) {
    if (auto usage = chunk.data.usage()) usage_ = usage;
    append_sse_data(events, chunk.data);
  }
  if (!committed_) {
    commit(head_.http10 ? BodyFraming::UntilClose : BodyFraming::Chunked);
    append_head(head_text_, head_, framing_);
  }
  if (hold_) return Status{};
  return write_piece_now(payload_, /*last=*/false);
}

Task<Status> HttpSink::send_chunks(std::span<const CompletionChunk> chunks) {
  if (!pending_) {
    if (std::optional<Status> now = send_chunks_now(chunks)) co_return std::move(*now);
  }
  co_return co_await write_rest();
}

std::optional<Status> HttpSink::send_completion_now(const Completion& completion) {
  if (stream_ || committed_) return std::nullopt;  // send_completion words the error
  if (auto usage = completion.body.usage()) usage_ = usage;
  const std::string_view body = completion.body.text();
  commit(BodyFraming::ContentLength);
  append_head(head_text_, head_, framing_, body.size());
  return write_piece_now(body, /*last=*/true);
}

Task<Status> HttpSink::send_completion(const Completion& completion) {
  if (stream_) {
    co_return make_error(ErrorCode::Internal, "a source sent a whole completion to a stream");
  }
  if (!pending_) {
    if (committed_) co_return make_error(ErrorCode::Internal, "the response was already sent");
    if (std::optional<Status> now = send_completion_now(completion)) co_return std::move(*now);
  }
  co_return co_await write_rest();
}

std::optional<Status> HttpSink::end_stream_now() {
  if (held_.empty()) return write_piece_now(kSseDone, /*last=*/true);
  held_ += kSseDone;
  return write_piece_now(held_, /*last=*/true);
}

Task<Status> HttpSink::end_stream() {
  if (!pending_) {
    if (std::optional<Status> now = end_stream_now()) co_return std::move(*now);
  }
  co_return co_await write_rest();
}

Task<Status> HttpSink::fail_stream(const Error& error) {
  payload_ = std::move(held_);
  append_sse_error(payload_, error);
  if (std::optional<Status> now = write_piece_now(payload_, /*last=*/true)) {
    co_return std::move(*now);
  }
  co_return co_await write_rest();
}

std::optional<Status> HttpSink::write_piece_now(std::string_view payload, bool last) {
  if (pending_) broken_ = true;  // a piece left half-written: the framing is lost
  if (broken_) return make_error(ErrorCode::Cancelled, "the client connection is gone");
  // The head (first write only) with the chunk's size line, the payload, and the chunk's end
  // (on the last write with the terminating chunk), in flat buffers: Beast's buffers_cat over
  // chunk_body cost ~1,700 instructions a write to walk. An empty chunk would end the body,
  // so an empty payload writes none. A body framed by its length or by the connection's
  // close is the payload alone.
  std::string_view end;
  if (framing_ == BodyFraming::Chunked) {
    end = last ? "\r\n0\r\n\r\n" : "\r\n";
    if (payload.empty()) {
      end.remove_prefix(2);
    } else {
      append_chunk_size(head_text_, payload.size());
    }
  }
  const std::array<asio::const_buffer, 3> buffers{asio::buffer(head_text_), asio::buffer(payload),
                                                  asio::buffer(end)};
  boost::system::error_code ec;
  size_t written = 0;
  if (!http_io::write_now(socket_, buffers, written, ec)) {
    pending_ = Piece{payload, end, written, last};
    return std::nullopt;
  }
  return piece_written(ec, last);
}

Task<Status> HttpSink::write_rest() {
  const Piece piece = *std::exchange(pending_, std::nullopt);
  // Named: GCC 12 may destroy temporaries inside co_await twice.
  const std::array<asio::const_buffer, 3> buffers{
      asio::buffer(head_text_), asio::buffer(piece.payload), asio::buffer(piece.end)};
  auto [ec, written] = co_await http_io::write(socket_, buffers, piece.written);
  co_return piece_written(ec, piece.last);
}

Status HttpSink::piece_written(const boost::system::error_code& ec, bool last) {
  head_text_.clear();
  if (ec) return failure(ec);
  if (last) finished_ = true;
  return Status{};
}

Status HttpSink::failure(const boost::system::error_code& ec) {
  broken_ = true;
  if (ec != asio::error::operation_aborted) client_gone_ = true;
  return make_error(ErrorCode::Cancelled, "the client connection is gone");
}

}  // namespace hearth::gateway::detail
