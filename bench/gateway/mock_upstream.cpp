// A minimal OpenAI-compatible upstream for the gateway benchmark: answers every POST with a
// fixed chat.completion (or, when the body asks for "stream":true, an SSE stream) over
// keep-alive HTTP/1.1. Deliberately tiny so it is never the bottleneck. Its streams, made
// before it listens, take turns on each connection: each has its own id and time of creation,
// as OpenAI's streams do.
// Usage: mock_upstream PORT [THREADS]

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "stream_events.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

const std::string kJson =
    R"({"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"mock",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the mock upstream."},)"
    R"("finish_reason":"stop"}],"usage":{"prompt_tokens":200,"completion_tokens":6,"total_tokens":206}})";

constexpr int kStreams = 16;

std::string sse_body(int variant) {
  std::string body;
  for (const std::string& event : hearth::bench::mock_stream_events(variant)) {
    body += "data: " + event + "\n\n";
  }
  body += "data: [DONE]\n\n";
  return body;
}

std::string response(const std::string& type, const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: " + type + "\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: keep-alive\r\n\r\n" + body;
}

using Streams = std::vector<std::string>;

asio::awaitable<void> serve(tcp::socket socket, const std::string& json, const Streams& sse) {
  socket.set_option(tcp::no_delay(true));
  std::string buffer;
  std::size_t served = 0;
  try {
    for (;;) {
      size_t head_end = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer),
                                                        "\r\n\r\n", asio::use_awaitable);
      size_t length = 0;
      for (const char* name : {"Content-Length: ", "content-length: "}) {
        auto at = buffer.find(name);
        if (at != std::string::npos && at < head_end) length = std::strtoul(buffer.c_str() + at + 16, nullptr, 10);
      }
      if (buffer.size() < head_end + length) {
        co_await asio::async_read(socket, asio::dynamic_buffer(buffer),
                                  asio::transfer_exactly(head_end + length - buffer.size()),
                                  asio::use_awaitable);
      }
      bool stream = buffer.find("\"stream\":true", head_end) != std::string::npos ||
                    buffer.find("\"stream\": true", head_end) != std::string::npos;
      buffer.erase(0, head_end + length);
      const std::string& answer = stream ? sse[served++ % sse.size()] : json;
      co_await asio::async_write(socket, asio::buffer(answer), asio::use_awaitable);
    }
  } catch (const std::exception&) {
    // The client closed the connection.
  }
}

asio::awaitable<void> accept(tcp::acceptor& acceptor, const std::string& json, const Streams& sse) {
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), json, sse), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: mock_upstream PORT [THREADS]\n");
    return 2;
  }
  auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  const std::string json = response("application/json", kJson);
  Streams sse;
  for (int variant = 0; variant < kStreams; ++variant) {
    sse.push_back(response("text/event-stream", sse_body(variant)));
  }

  asio::io_context io(threads);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::co_spawn(io, accept(acceptor, json, sse), asio::detached);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
}
