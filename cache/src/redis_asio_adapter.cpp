#include "redis_asio_adapter.hpp"

#include <boost/asio/post.hpp>

namespace hearth::cache::detail {
namespace asio = boost::asio;

void RedisAsioAdapter::attach(const asio::any_io_executor& executor, redisAsyncContext* context,
                              std::function<void()> on_freed) {
  auto adapter = std::make_shared<RedisAsioAdapter>(executor, context, std::move(on_freed));
  adapter->self_ = adapter;
  context->ev.data = adapter.get();
  context->ev.addRead = &RedisAsioAdapter::add_read;
  context->ev.delRead = &RedisAsioAdapter::del_read;
  context->ev.addWrite = &RedisAsioAdapter::add_write;
  context->ev.delWrite = &RedisAsioAdapter::del_write;
  context->ev.cleanup = &RedisAsioAdapter::cleanup;
}

RedisAsioAdapter::RedisAsioAdapter(const asio::any_io_executor& executor, redisAsyncContext* context,
                                   std::function<void()> on_freed)
    : socket_(executor), context_(context), on_freed_(std::move(on_freed)) {
  boost::system::error_code ec;
  socket_.assign(context->c.fd, ec);  // an error surfaces as hiredis' own when it does I/O
}

void RedisAsioAdapter::add_read(void* self) { static_cast<RedisAsioAdapter*>(self)->want_read(); }
void RedisAsioAdapter::del_read(void* self) { static_cast<RedisAsioAdapter*>(self)->reading_ = false; }
void RedisAsioAdapter::add_write(void* self) { static_cast<RedisAsioAdapter*>(self)->want_write(); }
void RedisAsioAdapter::del_write(void* self) { static_cast<RedisAsioAdapter*>(self)->writing_ = false; }
void RedisAsioAdapter::cleanup(void* self) { static_cast<RedisAsioAdapter*>(self)->detach(); }

void RedisAsioAdapter::want_read() {
  reading_ = true;
  if (read_waiting_ || context_ == nullptr) return;
  read_waiting_ = true;
  socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](const boost::system::error_code&) {
                       self->on_readable();
                     });
}

void RedisAsioAdapter::want_write() {
  writing_ = true;
  if (write_waiting_ || context_ == nullptr) return;
  write_waiting_ = true;
  // Connected and not just refused by a full socket buffer: write on the next turn.
  // Otherwise wait until the socket takes more (or, while connecting, until it is connected).
  const bool connected = (context_->c.flags & REDIS_CONNECTED) != 0;
  if (connected && !in_write_) {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_writable(); });
  } else {
    socket_.async_wait(asio::posix::stream_descriptor::wait_write,
                       [self = shared_from_this()](const boost::system::error_code&) {
                         self->on_writable();
                       });
  }
}

void RedisAsioAdapter::on_readable() {
  read_waiting_ = false;
  if (context_ == nullptr || !reading_) return;  // freed, or no longer wanted
  // hiredis reads, runs the reply callbacks, asks to read again (a new wait), or frees the
  // context on an error (detach() runs inside).
  redisAsyncHandleRead(context_);
}

void RedisAsioAdapter::on_writable() {
  write_waiting_ = false;
  if (context_ == nullptr || !writing_) return;
  in_write_ = true;
  redisAsyncHandleWrite(context_);  // may ask to write again, or free the context
  in_write_ = false;
}

void RedisAsioAdapter::detach() {
  context_ = nullptr;
  reading_ = writing_ = false;
  socket_.release();  // outstanding waits complete as aborted; hiredis closes the socket
  auto on_freed = std::move(on_freed_);
  auto keep = std::move(self_);  // alive until this returns, and while waits are outstanding
  if (on_freed) on_freed();
}

}  // namespace hearth::cache::detail
