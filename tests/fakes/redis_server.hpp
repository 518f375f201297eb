#pragma once
// RedisServer: a real redis-server for tests, as hiredis' own tests use one: started on a
// free port in a fresh temp dir with persistence off, stopped and its dir removed by the
// destructor. kill() and start() play a crash and a restart on the same port; command()
// talks to it directly. Tests skip when redis-server is not installed (available()).
// Use from one test thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace hearth::testing {

class RedisServer {
 public:
  // The redis-server binary: $HEARTH_REDIS_SERVER, else /usr/bin/redis-server.
  static std::string binary();
  static bool available();

  // `extra` is appended to the command line (e.g. {"--requirepass", "secret"}). Starts it.
  explicit RedisServer(std::vector<std::string> extra = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const;  // "redis://127.0.0.1:PORT/0"
  bool running() const { return pid_ > 0; }

  // Starts the server (again) on its port and waits until it answers PING. False on failure.
  bool start();
  // SIGKILL: a crash. The port stays reserved for start().
  void kill();
  // SIGTERM and wait.
  void stop();

  // One command on a fresh connection. The reply as text: bulk and status replies as they
  // are, "(nil)", integers in decimal, errors as "ERR: <text>", arrays joined by '\n';
  // "NO CONNECTION" / "NO REPLY" when it could not be sent or answered in `timeout`.
  std::string command(const std::vector<std::string>& args,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5),
                      const std::string& password = {}) const;

 private:
  std::vector<std::string> extra_;
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace hearth::testing
