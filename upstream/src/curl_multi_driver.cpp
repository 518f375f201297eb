#include "curl_multi_driver.hpp"

#include <poll.h>

#include <boost/asio/post.hpp>

namespace hearth::upstream {

CurlTransfer::~CurlTransfer() {
  if (easy != nullptr) curl_easy_cleanup(easy);
  if (header_list != nullptr) curl_slist_free_all(header_list);
}

namespace {

// curl_global_init is thread-safe in the libcurl we build against (7.84+), and running it
// once keeps curl_easy_init from doing it lazily on some arbitrary thread.
void init_curl_once() {
  static const CURLcode kInit = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)kInit;
}

// Whether the fd is ready now. Asio's epoll reactor is edge-triggered and its async_wait is
// never speculative, while curl expects level-triggered readiness: data curl left unread
// (paused, or capped per call) would otherwise never wake us again.
bool ready_now(curl_socket_t fd, short events) {
  pollfd entry{fd, events, 0};
  return ::poll(&entry, 1, 0) > 0 && entry.revents != 0;
}

}  // namespace

HttpClient::Driver::Driver(boost::asio::any_io_executor executor, HttpClientOptions options)
    : executor_(std::move(executor)), options_(std::move(options)), timer_(executor_) {
  init_curl_once();
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Driver::socket_callback);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Driver::timer_callback);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_host_connections);
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, options_.max_cached_connections);
}

HttpClient::Driver::~Driver() {
  // Detach transfers whose coroutines outlive the client; they see an aborted result.
  for (CurlTransfer* transfer : transfers_) {
    curl_multi_remove_handle(multi_, transfer->easy);
    transfer->in_multi = false;
    transfer->done = true;
    transfer->result = CURLE_ABORTED_BY_CALLBACK;
    transfer->wake();
  }
  transfers_.clear();
  // Let go of the fds before curl closes them.
  for (auto& [fd, watch] : sockets_) {
    watch->closed = true;
    watch->descriptor.release();
  }
  sockets_.clear();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, nullptr);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, nullptr);
  curl_multi_cleanup(multi_);
}

Status HttpClient::Driver::add(CurlTransfer& transfer) {
  CURLMcode code = curl_multi_add_handle(multi_, transfer.easy);
  if (code != CURLM_OK) {
    return make_error(ErrorCode::Internal,
                      std::string("cannot start upstream transfer: ") + curl_multi_strerror(code));
  }
  transfer.in_multi = true;
  transfers_.insert(&transfer);
  return {};
}

void HttpClient::Driver::remove(CurlTransfer& transfer) {
  if (!transfer.in_multi) return;
  transfer.in_multi = false;
  transfers_.erase(&transfer);
  curl_multi_remove_handle(multi_, transfer.easy);
}

int HttpClient::Driver::socket_callback(CURL*, curl_socket_t fd, int what, void* userp, void*) {
  auto* self = static_cast<Driver*>(userp);
  if (what == CURL_POLL_REMOVE) {
    self->unwatch(fd);
  } else {
    self->watch(fd, what);
  }
  return 0;
}

int HttpClient::Driver::timer_callback(CURLM*, long timeout_ms, void* userp) {
  auto* self = static_cast<Driver*>(userp);
  if (timeout_ms < 0) {
    self->timer_.cancel();
    return 0;
  }
  // Even a 0 ms timeout goes through the executor: curl forbids calling
  // curl_multi_socket_action from inside its own callbacks.
  self->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  self->timer_.async_wait([self](const boost::system::error_code& ec) {
    if (!ec) self->on_timer();
  });
  return 0;
}

void HttpClient::Driver::watch(curl_socket_t fd, int what) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) {
    auto watch = std::make_shared<SocketWatch>(executor_);
    boost::system::error_code ec;
    watch->descriptor.assign(fd, ec);
    if (ec) return;  // curl's own timeouts end the transfer
    watch->fd = fd;
    it = sockets_.emplace(fd, std::move(watch)).first;
  }
  it->second->what = what;
  arm(it->second);
}

void HttpClient::Driver::unwatch(curl_socket_t fd) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) return;
  WatchPtr watch = std::move(it->second);
  sockets_.erase(it);
  watch->closed = true;
  watch->descriptor.release();  // cancels pending waits; curl closes the fd itself
}

void HttpClient::Driver::arm(const WatchPtr& watch) {
  if (watch->closed) return;
  // Handlers hold the watch, and look at `closed` before touching the driver: a destroyed
  // driver releases every watch first.
  if ((watch->what & CURL_POLL_IN) != 0 && !watch->reading) {
    watch->reading = true;
    auto on_ready = [this, watch](const boost::system::error_code& ec) {
      watch->reading = false;
      if (ec || watch->closed || (watch->what & CURL_POLL_IN) == 0) return;
      on_socket_ready(watch, CURL_CSELECT_IN);
    };
    if (ready_now(watch->fd, POLLIN)) {
      boost::asio::post(executor_, [on_ready] { on_ready({}); });
    } else {
      watch->descriptor.async_wait(boost::asio::posix::descriptor_base::wait_read, on_ready);
    }
  }
  if ((watch->what & CURL_POLL_OUT) != 0 && !watch->writing) {
    watch->writing = true;
    auto on_ready = [this, watch](const boost::system::error_code& ec) {
      watch->writing = false;
      if (ec || watch->closed || (watch->what & CURL_POLL_OUT) == 0) return;
      on_socket_ready(watch, CURL_CSELECT_OUT);
    };
    if (ready_now(watch->fd, POLLOUT)) {
      boost::asio::post(executor_, [on_ready] { on_ready({}); });
    } else {
      watch->descriptor.async_wait(boost::asio::posix::descriptor_base::wait_write, on_ready);
    }
  }
}

void HttpClient::Driver::on_socket_ready(const WatchPtr& watch, int select_bits) {
  int running = 0;
  curl_multi_socket_action(multi_, watch->fd, select_bits, &running);
  collect_finished();
  arm(watch);  // no-op when curl removed the socket meanwhile
}

void HttpClient::Driver::on_timer() {
  int running = 0;
  curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
  collect_finished();
}

void HttpClient::Driver::collect_finished() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    CurlTransfer* transfer = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
    CURLcode result = message->data.result;  // `message` dies with remove_handle
    if (transfer == nullptr) continue;
    remove(*transfer);  // returns the connection to the pool now
    transfer->done = true;
    transfer->result = result;
    transfer->wake();
  }
}

}  // namespace hearth::upstream
