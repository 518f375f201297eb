#pragma once
// HttpClient::Driver: owns the curl multi handle and bridges its socket and timer callbacks
// to Asio, so one io_context thread drives every transfer. CurlTransfer is one easy handle
// plus what its callbacks delivered, waiting for the coroutine in HttpClient::send.
// Single-threaded: everything runs on the driver's executor.

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <curl/curl.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "hearth/upstream/http_client.hpp"

namespace hearth::upstream {

struct CurlTransfer {
  explicit CurlTransfer(const boost::asio::any_io_executor& executor) : wake_timer(executor) {}
  ~CurlTransfer();
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;

  // Wakes the coroutine if it waits on wake_timer (a no-op otherwise: it looks at the state
  // before it waits again).
  void wake() { wake_timer.cancel(); }

  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  std::string request_body;  // curl reads it in place
  char error_buffer[CURL_ERROR_SIZE] = {};
  std::size_t max_buffered = 0;

  // Filled by the callbacks, drained by the coroutine.
  HttpResponseHead head;
  bool head_ready = false;
  std::string body;
  bool paused = false;
  TimePoint last_data{};
  bool done = false;
  CURLcode result = CURLE_OK;

  bool in_multi = false;
  boost::asio::steady_timer wake_timer;  // doubles as the timeout timer of the coroutine
};

class HttpClient::Driver {
 public:
  Driver(boost::asio::any_io_executor executor, HttpClientOptions options);
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // Starts the transfer; curl calls back through the executor from now on.
  Status add(CurlTransfer& transfer);
  // Stops the transfer if it still runs (closing its connection when mid-response).
  void remove(CurlTransfer& transfer);

  const boost::asio::any_io_executor& executor() const { return executor_; }
  const HttpClientOptions& options() const { return options_; }

 private:
  struct SocketWatch {
    explicit SocketWatch(const boost::asio::any_io_executor& executor) : descriptor(executor) {}
    boost::asio::posix::stream_descriptor descriptor;  // never closes: curl owns the fd
    curl_socket_t fd = CURL_SOCKET_BAD;
    int what = CURL_POLL_NONE;
    bool reading = false;
    bool writing = false;
    bool closed = false;
  };
  using WatchPtr = std::shared_ptr<SocketWatch>;

  static int socket_callback(CURL* easy, curl_socket_t fd, int what, void* userp, void* socketp);
  static int timer_callback(CURLM* multi, long timeout_ms, void* userp);

  void watch(curl_socket_t fd, int what);
  void unwatch(curl_socket_t fd);
  void arm(const WatchPtr& watch);
  void on_socket_ready(const WatchPtr& watch, int select_bits);
  void on_timer();
  void collect_finished();

  boost::asio::any_io_executor executor_;
  HttpClientOptions options_;
  CURLM* multi_ = nullptr;
  boost::asio::steady_timer timer_;
  std::unordered_map<curl_socket_t, WatchPtr> sockets_;
  std::unordered_set<CurlTransfer*> transfers_;
};

}  // namespace hearth::upstream
