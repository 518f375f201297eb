#include "fakes/redis_server.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace hearth::testing {
namespace {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

std::string describe(const redisReply* reply) {
  switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::string(reply->str, reply->len);
    case REDIS_REPLY_ERROR:
      return "ERR: " + std::string(reply->str, reply->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(reply->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < reply->elements; ++i) {
        if (i > 0) out += '\n';
        out += describe(reply->element[i]);
      }
      return out;
    }
    default:
      return "?";
  }
}

}  // namespace

std::string RedisServer::binary() {
  const char* env = std::getenv("HEARTH_REDIS_SERVER");
  return env != nullptr && *env != '\0' ? env : "/usr/bin/redis-server";
}

bool RedisServer::available() { return ::access(binary().c_str(), X_OK) == 0; }

RedisServer::RedisServer(std::vector<std::string> extra) : extra_(std::move(extra)) {
  char pattern[] = "/tmp/hearth-redis-XXXXXX";
  if (::mkdtemp(pattern) != nullptr) dir_ = pattern;
  // A port can be taken between our probe and redis' bind: try a few.
  for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
    port_ = free_port();
    start();
  }
}

RedisServer::~RedisServer() {
  stop();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string RedisServer::url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

bool RedisServer::start() {
  if (pid_ > 0 || port_ == 0 || dir_.empty()) return pid_ > 0;
  std::vector<std::string> args = {binary(),           "--port",       std::to_string(port_),
                                   "--bind",           "127.0.0.1",    "--save",
                                   "",                 "--appendonly", "no",
                                   "--dir",            dir_,           "--daemonize",
                                   "no",               "--logfile",    dir_ + "/redis.log",
                                   "--enable-debug-command", "yes"};
  args.insert(args.end(), extra_.begin(), extra_.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (pid < 0) return false;
  pid_ = pid;

  // Up when it answers PING; gone when the process died (a taken port).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    const std::string pong = command({"PING"}, std::chrono::milliseconds(200));
    if (pong == "PONG" || pong.rfind("ERR: NOAUTH", 0) == 0) return true;  // up (maybe with a password)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill();
  return false;
}

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (std::chrono::steady_clock::now() < give_up) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill();
}

std::string RedisServer::command(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                                 const std::string& password) const {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (context == nullptr || context->err != 0) {
    if (context != nullptr) redisFree(context);
    return "NO CONNECTION";
  }
  redisSetTimeout(context, tv);
  auto run = [context](const std::vector<std::string>& words) -> std::string {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& word : words) {
      argv.push_back(word.data());
      lengths.push_back(word.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (reply == nullptr) return "NO REPLY";
    std::string text = describe(reply);
    freeReplyObject(reply);
    return text;
  };
  std::string text;
  if (!password.empty()) text = run({"AUTH", password});
  if (password.empty() || text == "OK") text = run(args);
  redisFree(context);
  return text;
}

}  // namespace hearth::testing
