#pragma once
// RedisAsioAdapter: drives one hiredis async context from an Asio executor, as hiredis' own
// adapters drive it from ae or libevent. hiredis says through its `ev` hooks when it wants to
// read or write; the adapter waits for the socket and calls redisAsyncHandleRead/Write.
// Writes on a connected socket are posted rather than waited for, so commands issued in the
// same turn of the event loop leave in one write (pipelining) without an extra poll. The
// adapter never owns the socket (hiredis closes it). It keeps itself alive while attached and
// until its last wait has run. Single-threaded: the executor's thread only.

#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <hiredis/async.h>

namespace hearth::cache::detail {

class RedisAsioAdapter : public std::enable_shared_from_this<RedisAsioAdapter> {
 public:
  // Sets `context`'s ev hooks. `on_freed` runs once, from inside hiredis, when it frees the
  // context; it must not call back into hiredis for that context.
  static void attach(const boost::asio::any_io_executor& executor, redisAsyncContext* context,
                     std::function<void()> on_freed);

  RedisAsioAdapter(const boost::asio::any_io_executor& executor, redisAsyncContext* context,
                   std::function<void()> on_freed);

 private:
  static void add_read(void* self);
  static void del_read(void* self);
  static void add_write(void* self);
  static void del_write(void* self);
  static void cleanup(void* self);

  void want_read();
  void want_write();
  void on_readable();
  void on_writable();
  void detach();

  boost::asio::posix::stream_descriptor socket_;
  redisAsyncContext* context_;  // null once hiredis has freed it
  std::function<void()> on_freed_;
  bool reading_ = false;        // hiredis wants reads
  bool writing_ = false;        // hiredis wants writes
  bool read_waiting_ = false;   // a read wait is outstanding
  bool write_waiting_ = false;  // a write wait or posted write is outstanding
  bool in_write_ = false;       // inside redisAsyncHandleWrite
  std::shared_ptr<RedisAsioAdapter> self_;  // hiredis holds a raw pointer: alive while attached
};

}  // namespace hearth::cache::detail
