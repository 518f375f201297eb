#include "hearth/router/router.hpp"

#include <deque>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "fakes/fake_clock.hpp"

namespace hearth::router {
namespace {

// Built outside the coroutine: g++ 12 rejects brace-initialised literals in coroutines.
CompletionChunk one_chunk() { return CompletionChunk{Json::object({{"n", 1}})}; }
Completion ok_completion() { return Completion{Json::object({{"ok", true}})}; }

// A source that answers from a script: each call pops one step; a step may send a chunk
// (committing the response) before it returns its status.
class StepSource final : public CompletionSource {
 public:
  struct Step {
    bool send_chunk_first = false;
    std::optional<Error> error;
  };
  StepSource() = default;
  StepSource(std::initializer_list<Step> steps) : steps_(steps) {}

  Task<Status> complete(const ChatRequest& request, const RequestContext& context,
                        CompletionSink& sink) override {
    seen_models.emplace_back(target_model(request, context));
    Step step = steps_.empty() ? StepSource::Step{} : steps_.front();
    if (!steps_.empty()) steps_.pop_front();
    // Named locals: g++ 12 may destroy a temporary in a co_await expression twice.
    if (step.send_chunk_first) {
      CompletionChunk chunk = one_chunk();
      (void)co_await sink.send_chunk(chunk);
    }
    if (step.error) co_return *step.error;
    Completion completion = ok_completion();
    (void)co_await sink.send_completion(completion);
    co_return Status{};
  }

  std::vector<std::string> seen_models;

 private:
  std::deque<Step> steps_;
};

class TestSink final : public CompletionSink {
 public:
  void set_route(std::string_view route) override { routes.emplace_back(route); }
  Task<Status> send_chunk(const CompletionChunk&) override {
    committed_ = true;
    co_return Status{};
  }
  Task<Status> send_completion(const Completion&) override {
    committed_ = true;
    ++completions;
    co_return Status{};
  }
  bool committed() const override { return committed_; }

  std::vector<std::string> routes;
  int completions = 0;

 private:
  bool committed_ = false;
};

Error failure(ErrorCode code, int status = 0) {
  Error error = make_error(code, "boom");
  error.upstream_status = status;
  return error;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : table_({{"default", {{"primary", "model-a"}, {"backup", "model-b"}}},
                {"only-local", {{"local", "tiny"}}}}),
        metrics_(registry_) {}

  Router make_router(StepSource* primary, StepSource* backup) {
    std::map<std::string, Target, std::less<>> targets;
    targets["primary"] = {primary, &primary_breaker_};
    targets["backup"] = {backup, &backup_breaker_};
    return Router(table_, std::move(targets),
                  {.max_retries = 1, .base_delay = Duration(1), .max_delay = Duration(2)}, clock_,
                  metrics_, [] { return 0.0; });
  }

  Status run(Router& router, const std::string& model) {
    ChatRequest request;
    request.model = model;
    request.body = Json{{"model", model}, {"messages", Json::array()}};
    RequestContext context;  // must outlive the coroutine, which runs in io.run()
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, router.complete(request, context, sink_),
                                        boost::asio::use_future);
    io.run();
    return future.get();
  }

  testing::FakeClock clock_;
  RouteTable table_;
  MetricsRegistry registry_;
  RouterMetrics metrics_;
  CircuitBreaker primary_breaker_{{.failure_threshold = 2, .open_for = Duration(1000)}, clock_};
  CircuitBreaker backup_breaker_{{.failure_threshold = 2, .open_for = Duration(1000)}, clock_};
  TestSink sink_;
};

TEST_F(RouterTest, RewritesTheModelForTheFirstCandidate) {
  StepSource primary{StepSource::Step{}};
  StepSource backup;
  Router router = make_router(&primary, &backup);
  ASSERT_TRUE(run(router, "default").ok());
  EXPECT_EQ(primary.seen_models, std::vector<std::string>{"model-a"});
  EXPECT_TRUE(backup.seen_models.empty());
  EXPECT_EQ(sink_.routes, std::vector<std::string>{"upstream:primary"});
}

TEST_F(RouterTest, UnknownModelIsModelNotFound) {
  StepSource primary;
  Router router = make_router(&primary, nullptr);
  Status status = run(router, "gpt-17");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::ModelNotFound);
  EXPECT_EQ(status.error().param, "model");
}

TEST_F(RouterTest, RetriesThenFailsOverBeforeCommit) {
  StepSource primary({{false, failure(ErrorCode::UpstreamError, 500)},
                      {false, failure(ErrorCode::UpstreamError, 503)}});
  StepSource backup{StepSource::Step{}};
  Router router = make_router(&primary, &backup);
  ASSERT_TRUE(run(router, "default").ok());
  EXPECT_EQ(primary.seen_models.size(), 2u) << "one retry, then failover";
  EXPECT_EQ(backup.seen_models, std::vector<std::string>{"model-b"});
  EXPECT_EQ(sink_.routes.back(), "upstream:backup");
  EXPECT_EQ(registry_.value("hearth_upstream_retries_total", {{"upstream", "primary"}}), 1);
  EXPECT_EQ(registry_.value("hearth_failovers_total", {{"model", "default"}}), 1);
}

TEST_F(RouterTest, NeverFailsOverAfterCommit) {
  StepSource primary({{true, failure(ErrorCode::UpstreamError)}});
  StepSource backup{StepSource::Step{}};
  Router router = make_router(&primary, &backup);
  Status status = run(router, "default");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_TRUE(backup.seen_models.empty());
}

TEST_F(RouterTest, UpstreamRejectionIsPassedOnWithoutFailover) {
  StepSource primary({{false, failure(ErrorCode::UpstreamRejected, 400)}});
  StepSource backup{StepSource::Step{}};
  Router router = make_router(&primary, &backup);
  Status status = run(router, "default");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().upstream_status, 400);
  EXPECT_TRUE(backup.seen_models.empty());
  EXPECT_EQ(primary_breaker_.state(), CircuitBreaker::State::Closed);
}

TEST_F(RouterTest, UnavailableTargetIsSkipped) {
  StepSource backup{StepSource::Step{}};
  Router router = make_router(nullptr, &backup);
  ASSERT_TRUE(run(router, "default").ok());
  EXPECT_EQ(sink_.routes, std::vector<std::string>{"upstream:backup"});
  EXPECT_EQ(registry_.value("hearth_failovers_total", {{"model", "default"}}), 0)
      << "skipping an unavailable target is not a failover";
}

TEST_F(RouterTest, OpenBreakerCostsNoAttemptAndAllOpenIsNoHealthyRoute) {
  StepSource primary;
  StepSource backup;
  Router router = make_router(&primary, &backup);
  for (int i = 0; i < 2; ++i) {
    primary_breaker_.record_failure();
    backup_breaker_.record_failure();
  }
  Status status = run(router, "default");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::NoHealthyRoute);
  ASSERT_TRUE(status.error().retry_after.has_value());
  EXPECT_EQ(*status.error().retry_after, Duration(1000));
  EXPECT_TRUE(primary.seen_models.empty());
  EXPECT_TRUE(backup.seen_models.empty());
}

TEST_F(RouterTest, BreakerOpensAfterRepeatedFailuresAndRecovers) {
  StepSource primary({{false, failure(ErrorCode::UpstreamError)},
                      {false, failure(ErrorCode::UpstreamError)}, {}});
  StepSource backup{StepSource::Step{}, StepSource::Step{}};
  Router router = make_router(&primary, &backup);
  ASSERT_TRUE(run(router, "default").ok());
  EXPECT_EQ(primary_breaker_.state(), CircuitBreaker::State::Open);
  EXPECT_EQ(registry_.value("hearth_circuit_breaker_state", {{"upstream", "primary"}}), 2);

  ASSERT_TRUE(run(router, "default").ok());
  EXPECT_EQ(primary.seen_models.size(), 2u) << "open breaker: primary not tried";

  clock_.advance(Duration(1000));
  ASSERT_TRUE(run(router, "default").ok());
  EXPECT_EQ(primary.seen_models.size(), 3u) << "half-open probe went through";
  EXPECT_EQ(primary_breaker_.state(), CircuitBreaker::State::Closed);
}

TEST_F(RouterTest, NoCandidateLeftIsNoHealthyRouteWithRetryAfter) {
  StepSource primary;
  Router router = make_router(&primary, nullptr);
  Status status = run(router, "only-local");  // no local node in this build
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::NoHealthyRoute);
  EXPECT_TRUE(status.error().retry_after.has_value());
}

TEST_F(RouterTest, LastErrorIsReportedWhenEveryCandidateFailed) {
  StepSource primary({{false, failure(ErrorCode::UpstreamTimeout)}});
  StepSource backup({{false, failure(ErrorCode::UpstreamTimeout)}});
  Router router = make_router(&primary, &backup);
  Status status = run(router, "default");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamTimeout);
  EXPECT_EQ(registry_.value("hearth_failovers_total", {{"model", "default"}}), 1)
      << "one move, from primary to backup";
}

}  // namespace
}  // namespace hearth::router
