#pragma once
// hearth's HTTP/1.1 message parser (RFC 9112), for the requests clients send and the responses
// upstreams send back.
//
// Why not Beast's basic_parser: on the proxy path it took about 3,450 instructions a message
// (a field-name hash per field, a byte-at-a-time state machine), this one about 2,800 with its
// callbacks. It finds the head's end first, then walks its lines once; it allocates nothing.
//
// It is strict where laxness lets two parsers disagree about a message's bounds (request
// smuggling): CRLF line ends only, no whitespace before a field's colon, no obs-fold, one
// Content-Length value (repeats must agree), no Content-Length together with
// Transfer-Encoding, and in a request no transfer coding but chunked. Errors are Beast's
// http::error codes, so their messages read as before.
//
// Use: a subclass takes the pieces (the start line, each field, the body); the caller feeds
// bytes with put() until is_header_done() or is_done(), and put_eof() when the peer closes.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include <boost/beast/http/error.hpp>
#include <boost/system/error_code.hpp>

namespace hearth {

class HttpParser {
 public:
  using error_code = boost::system::error_code;
  enum class Kind { Request, Response };

  HttpParser(const HttpParser&) = delete;
  HttpParser& operator=(const HttpParser&) = delete;

  // The head, from the first byte to its blank line, may be at most this long; so may a
  // chunked body's trailer section.
  void header_limit(std::size_t bytes) { header_limit_ = bytes; }
  // The body (decoded, for chunked) may be at most this long.
  void body_limit(std::uint64_t bytes) { body_limit_ = bytes; }

  // Parses from the front of `bytes` and returns how many it took. One call parses the whole
  // head, or as much of the body as `bytes` holds (the body goes to on_body). `ec` is
  // need_more when nothing could be taken for want of bytes (a head not yet whole, say),
  // need_buffer when on_body asked to stop, or the parse error.
  std::size_t put(std::string_view bytes, error_code& ec);
  // The peer closed: a body that runs to the close ends here; anything else unfinished is
  // partial_message.
  void put_eof(error_code& ec);

  bool got_some() const { return got_some_; }
  bool is_header_done() const { return state_ > State::Head; }
  bool is_done() const { return state_ == State::Done; }
  // Whether the connection may carry another message after this one (HTTP/1.1 unless
  // "Connection: close", HTTP/1.0 only with "Connection: keep-alive", never when the body ran to
  // the close). Known once the head is done.
  bool keep_alive() const;
  // The Content-Length, when the head gave one.
  std::optional<std::uint64_t> content_length() const { return content_length_; }

  // Whether a field name this parser handed on is `lower` (lower-case letters, digits and '-')
  // but for letter case. Cheaper than a general comparison: the name is known to be a token.
  static bool name_is(std::string_view name, std::string_view lower);

 protected:
  explicit HttpParser(Kind kind) : kind_(kind) {}
  ~HttpParser() = default;

  // The request line (Kind::Request); `version` is 10 or 11.
  virtual void on_request(std::string_view /*method*/, std::string_view /*target*/,
                          int /*version*/, error_code&) {}
  // The status line (Kind::Response).
  virtual void on_response(int /*status*/, std::string_view /*reason*/, int /*version*/,
                           error_code&) {}
  // Each header field, in order, the framing ones included; the value without surrounding
  // whitespace.
  virtual void on_field(std::string_view name, std::string_view value, error_code& ec) = 0;
  // The head is done and its framing known.
  virtual void on_header(error_code&) {}
  // A piece of the body (decoded, for chunked). Returns how much of it was taken; with
  // need_buffer in `ec`, the parse stops there until the next put.
  virtual std::size_t on_body(std::string_view piece, error_code& ec) = 0;

 private:
  enum class State {
    Head,
    Length,      // a body of a known length
    ToClose,     // a body that runs to the close
    ChunkSize,   // a chunk's size line
    ChunkData,   // a chunk's data
    ChunkEnd,    // the CRLF after a chunk's data
    Trailer,     // the trailer section after the last chunk
    Done,
  };

  // The parse's own errors travel as the enum (a value-initialized one is none); `ec` is the
  // subclass's, from its callbacks. `all` is the bytes given to put, which a line lies within.
  using error = boost::beast::http::error;
  std::size_t parse_head(std::string_view bytes, error& fail, error_code& ec);
  error parse_start_line(std::string_view all, std::string_view line, error_code& ec);
  error parse_field(std::string_view all, std::string_view line, error_code& ec);
  error frame();
  std::size_t parse_body(std::string_view bytes, error& fail, error_code& ec);
  std::size_t parse_chunk_size(std::string_view bytes, error& fail);
  std::size_t parse_trailer(std::string_view bytes, error& fail);
  std::size_t deliver(std::string_view piece, error_code& ec);

  const Kind kind_;
  State state_ = State::Head;
  std::size_t header_limit_ = 8192;
  std::uint64_t body_limit_ = std::numeric_limits<std::uint64_t>::max();
  std::size_t scanned_ = 0;  // bytes of an unfinished head or trailer already searched
  bool got_some_ = false;

  // From the head.
  int version_ = 11;
  int status_ = 0;
  bool close_ = false;       // Connection: close
  bool keep_alive_ = false;  // Connection: keep-alive
  bool chunked_ = false;     // Transfer-Encoding ends in chunked
  bool transfer_encoding_ = false;
  std::optional<std::uint64_t> content_length_;
  bool to_close_ = false;  // the body runs to the close

  std::uint64_t remaining_ = 0;  // of the body (Length) or of the chunk (ChunkData)
  std::uint64_t body_size_ = 0;  // decoded so far
};

}  // namespace hearth
