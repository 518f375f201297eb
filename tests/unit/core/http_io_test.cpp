// http_io against a real loopback connection: what is buffered is parsed without reading,
// what is not yet sent is waited for, and a close or a full buffer reads as Beast's errors.

#include "hearth/core/http_io.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <tuple>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/beast/http/error.hpp>
#include <gtest/gtest.h>

namespace hearth::http_io {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// Keeps the body, for the tests to look at.
class BodyParser final : public HttpParser {
 public:
  explicit BodyParser(Kind kind) : HttpParser(kind) {}
  const std::string& body() const { return body_; }

 private:
  void on_field(std::string_view, std::string_view, error_code&) override {}
  std::size_t on_body(std::string_view piece, error_code&) override {
    body_.append(piece);
    return piece.size();
  }

  std::string body_;
};

class HttpIoTest : public ::testing::Test {
 protected:
  HttpIoTest() : ours_(io_), theirs_(io_) {
    tcp::acceptor acceptor(io_, {asio::ip::address_v4::loopback(), 0});
    ours_.connect(acceptor.local_endpoint());
    acceptor.accept(theirs_);
  }

  // Runs `task` to its end (or fails the test after 10 s) and returns its result.
  template <class T>
  T run(Task<T> task) {
    std::optional<T> result;
    asio::co_spawn(io_, std::move(task), [&](std::exception_ptr error, T value) {
      if (error) std::rethrow_exception(error);
      result = std::move(value);
    });
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!result && std::chrono::steady_clock::now() < give_up) {
      io_.run_one_for(std::chrono::milliseconds(50));
    }
    io_.restart();
    if (!result) ADD_FAILURE() << "the task did not finish";
    return result.value_or(T{});
  }

  void send(std::string_view bytes) { asio::write(theirs_, asio::buffer(bytes)); }

  asio::io_context io_;
  tcp::socket ours_;
  tcp::socket theirs_;
  boost::beast::flat_buffer buffer_;
};

constexpr std::string_view kRequest =
    "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";

TEST_F(HttpIoTest, AMessageAlreadyBufferedIsParsedWithoutReading) {
  // Nothing is ever sent: a read from the socket would wait until the test gives up.
  auto bytes = buffer_.prepare(kRequest.size());
  asio::buffer_copy(bytes, asio::buffer(kRequest));
  buffer_.commit(kRequest.size());
  BodyParser parser(HttpParser::Kind::Request);

  EXPECT_FALSE(run(read(ours_, buffer_, parser, Until::Header)));
  EXPECT_TRUE(parser.is_header_done());
  EXPECT_FALSE(parser.is_done());  // the head only
  EXPECT_FALSE(run(read(ours_, buffer_, parser, Until::Message)));
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(parser.body(), "hello");
  EXPECT_EQ(buffer_.size(), 0u);
}

TEST_F(HttpIoTest, ParseBufferedSaysWhetherTheBufferWasEnough) {
  const std::string_view head = kRequest.substr(0, kRequest.size() - 5);
  asio::buffer_copy(buffer_.prepare(head.size() + 3), asio::buffer(kRequest));
  buffer_.commit(head.size() + 3);  // the head and "hel"
  BodyParser parser(HttpParser::Kind::Request);
  boost::system::error_code ec;

  EXPECT_TRUE(parse_buffered(buffer_, parser, Until::Header, ec));
  EXPECT_FALSE(ec);
  EXPECT_TRUE(parser.is_header_done());
  EXPECT_FALSE(parse_buffered(buffer_, parser, Until::Message, ec));  // "lo" has not come
  EXPECT_FALSE(ec);
  EXPECT_FALSE(parser.is_done());

  // What is missing comes from the socket: read takes over where the buffer ended.
  send("lo");
  EXPECT_FALSE(run(read(ours_, buffer_, parser, Until::Message)));
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(parser.body(), "hello");
  EXPECT_TRUE(parse_buffered(buffer_, parser, Until::Message, ec));  // done already
}

TEST_F(HttpIoTest, ParseBufferedReturnsTheParsersError) {
  constexpr std::string_view kBad = "NOT HTTP\r\n\r\n";
  asio::buffer_copy(buffer_.prepare(kBad.size()), asio::buffer(kBad));
  buffer_.commit(kBad.size());
  BodyParser parser(HttpParser::Kind::Request);
  boost::system::error_code ec;
  EXPECT_TRUE(parse_buffered(buffer_, parser, Until::Header, ec));
  EXPECT_TRUE(ec);
}

TEST_F(HttpIoTest, AMessageSentInPiecesIsWaitedFor) {
  send("POST /v1/chat/completions HTTP/1.1\r\nHo");
  BodyParser parser(HttpParser::Kind::Request);
  auto reading = read(ours_, buffer_, parser, Until::Message);
  std::thread sender([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    send("st: h\r\nContent-Length: 5\r\n\r\nhel");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    send("lo");
  });
  EXPECT_FALSE(run(std::move(reading)));
  sender.join();
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(parser.body(), "hello");
}

TEST_F(HttpIoTest, WhatFollowsTheMessageStaysInTheBufferForTheNextOne) {
  send(std::string(kRequest) + std::string(kRequest));
  BodyParser first(HttpParser::Kind::Request);
  EXPECT_FALSE(run(read(ours_, buffer_, first, Until::Message)));
  EXPECT_EQ(first.body(), "hello");
  BodyParser second(HttpParser::Kind::Request);
  EXPECT_FALSE(run(read(ours_, buffer_, second, Until::Message)));
  EXPECT_EQ(second.body(), "hello");
}

TEST_F(HttpIoTest, ACloseBeforeAnyByteIsTheEndOfTheStream) {
  theirs_.close();
  BodyParser parser(HttpParser::Kind::Request);
  EXPECT_EQ(run(read(ours_, buffer_, parser, Until::Header)), http::error::end_of_stream);
}

TEST_F(HttpIoTest, ACloseMidMessageIsAPartialMessage) {
  send("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel");
  theirs_.close();
  BodyParser parser(HttpParser::Kind::Request);
  EXPECT_EQ(run(read(ours_, buffer_, parser, Until::Message)), http::error::partial_message);
}

TEST_F(HttpIoTest, AResponseWithoutALengthEndsAtTheClose) {
  send("HTTP/1.1 200 OK\r\n\r\nall of it");
  theirs_.close();
  BodyParser parser(HttpParser::Kind::Response);
  EXPECT_FALSE(run(read(ours_, buffer_, parser, Until::Message)));
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(parser.body(), "all of it");
}

TEST_F(HttpIoTest, AFullBufferIsAnOverflow) {
  boost::beast::flat_buffer small(64);
  send("POST / HTTP/1.1\r\nX-Long: " + std::string(200, 'a') + "\r\n\r\n");
  BodyParser parser(HttpParser::Kind::Request);
  EXPECT_EQ(run(read(ours_, small, parser, Until::Header)), http::error::buffer_overflow);
}

TEST_F(HttpIoTest, ProgressReturnsAfterOnePieceOfTheBody) {
  send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234");
  BodyParser parser(HttpParser::Kind::Response);
  EXPECT_FALSE(run(read(ours_, buffer_, parser, Until::Header)));
  EXPECT_FALSE(run(read(ours_, buffer_, parser, Until::Progress)));
  EXPECT_EQ(parser.body(), "01234");
  EXPECT_FALSE(parser.is_done());
}

TEST_F(HttpIoTest, AWriteLargerThanTheSocketTakesAtOnceIsFinishedOnceThereIsRoom) {
  const std::string big(8 << 20, 'x');  // far past the loopback socket's buffers
  const auto buffers = asio::buffer(big);
  std::string received(big.size(), '\0');
  std::thread reader([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    asio::read(theirs_, asio::buffer(received));
  });
  auto [ec, written] = run(write(ours_, buffers));
  reader.join();
  EXPECT_FALSE(ec);
  EXPECT_EQ(written, big.size());
  EXPECT_EQ(received, big);
}

TEST_F(HttpIoTest, WriteNowTakesWhatTheSocketTakesAndWriteFinishesTheRest) {
  const std::string small = "a small response";
  boost::system::error_code ec;
  std::size_t taken = 0;
  EXPECT_TRUE(write_now(ours_, asio::buffer(small), taken, ec));
  EXPECT_EQ(taken, small.size());
  EXPECT_FALSE(ec);
  std::string got(small.size(), '\0');
  asio::read(theirs_, asio::buffer(got));
  EXPECT_EQ(got, small);

  const std::string big(8 << 20, 'y');  // far past the loopback socket's buffers
  const auto buffers = asio::buffer(big);
  std::size_t now = 0;
  EXPECT_FALSE(write_now(ours_, buffers, now, ec));  // the rest must wait
  EXPECT_FALSE(ec);  // a full socket is no failure
  EXPECT_GT(now, 0u);
  EXPECT_LT(now, big.size());
  std::string received(big.size(), '\0');
  std::thread reader([&] { asio::read(theirs_, asio::buffer(received)); });
  auto [rest_ec, written] = run(write(ours_, buffers, now));
  reader.join();
  EXPECT_FALSE(rest_ec);
  EXPECT_EQ(written, big.size());
  EXPECT_EQ(received, big);
}

TEST_F(HttpIoTest, AWriteToAClosedPeerFails) {
  theirs_.close();
  const std::string bytes(1 << 20, 'x');
  const auto buffers = asio::buffer(bytes);
  boost::system::error_code ec;
  // The first write may still be taken by the kernel; a reset follows.
  for (int i = 0; i < 10 && !ec; ++i) std::tie(ec, std::ignore) = run(write(ours_, buffers));
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace hearth::http_io
