// The router under a policy and an audit log: denial, candidates filtered by route mode,
// redaction before cloud egress and restore in the reply, the write-ahead record before the
// bytes leave, fail closed on an unwritable log, the max_tokens cap.

#include <filesystem>
#include <functional>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "fakes/fake_clock.hpp"
#include "fakes/temp_dir.hpp"
#include "hearth/policies/digest.hpp"
#include "hearth/policies/policy_loader.hpp"
#include "hearth/router/router.hpp"

namespace hearth::router {
namespace {

constexpr const char* kPolicy = R"(version: 1
rules:
  - id: no-secret-class
    when: {header: {x-data-class: secret}}
    then: {route: deny, message: "Secret requests are not served."}
  - id: ssn-local
    when: {classes: [ssn]}
    then: {route: local_only}
  - id: short-answers
    when: {app: terse}
    then: {route: prefer_local, max_tokens: 5}
  - id: default
    then: {route: cloud_allowed, upstreams: [cloud], redact: [email]}
)";

// The answer an echoing upstream gives: the last message's content, as it arrived.
Completion echo_of(const Json& body) {
  std::string content;
  if (body.contains("messages") && !body["messages"].empty()) content = body["messages"].back().value("content", "");
  return Completion{Json{{"object", "chat.completion"},
                         {"choices", Json::array({Json{{"index", 0},
                                                       {"message", {{"role", "assistant"}, {"content", content}}},
                                                       {"finish_reason", "stop"}}})},
                         {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 2}, {"total_tokens", 5}}}}};
}

// Plays an upstream: hands its exact bytes to the egress guard first (as the real ones
// do), then echoes the last message back.
class EchoUpstream final : public CompletionSource {
 public:
  Task<Status> complete(const ChatRequest& request, const RequestContext& context, CompletionSink& sink) override {
    std::string body = request.body.wire_text().empty() ? dump_json(request.body.json()) : request.body.wire_text();
    if (context.egress_guard != nullptr) {
      const Egress egress{"https://api.example.com/v1/chat/completions",
                          target_model(request, context), body};
      Status allowed = co_await context.egress_guard->before_send(egress);
      if (!allowed) co_return allowed;
    }
    if (on_send) on_send(body);
    sent.push_back(body);
    max_tokens_seen = request.max_tokens;
    Completion answer = echo_of(Json::parse(body));
    Status delivered = co_await sink.send_completion(answer);
    co_return delivered;
  }

  std::function<void(const std::string&)> on_send;
  std::vector<std::string> sent;
  std::optional<int64_t> max_tokens_seen;
};

class PolicySink final : public CompletionSink {
 public:
  void set_route(std::string_view r) override { route = r; }
  void set_rule(std::string_view r) override { rule = r; }
  Task<Status> send_chunk(const CompletionChunk&) override { co_return Status{}; }
  Task<Status> send_completion(const Completion& c) override {
    completion = c.body.json();
    co_return Status{};
  }
  bool committed() const override { return completion.has_value(); }

  std::string route;
  std::string rule;
  std::optional<Json> completion;
};

class RouterPolicyTest : public ::testing::Test {
 protected:
  RouterPolicyTest()
      : table_({{"default", {{"cloud", "gpt"}, {"local", "tiny"}}}, {"cloud-only", {{"cloud", "gpt"}}}}),
        metrics_(registry_) {
    auto parsed = policies::parse_policy(kPolicy, "policy.yaml", {});
    EXPECT_TRUE(parsed.policy) << (parsed.problems.empty() ? "" : parsed.problems[0].to_string());
    store_ = std::make_unique<policies::PolicyStore>(parsed.policy, policies::PolicyLoadOptions{});
  }

  void open_audit(const std::string& path) {
    auto log = policies::AuditLog::open({path, "0123456789abcdef0123", false, 0, false, {}});
    ASSERT_TRUE(log.ok()) << log.error().message;
    audit_ = std::move(*log);
    writer_ = std::make_unique<policies::AuditWriter>(*audit_);
  }

  // The records on disk once everything submitted is written (outcomes are not awaited).
  std::vector<Json> records() {
    writer_->wait_idle();
    return testing::read_json_lines(audit_path());
  }

  Router make_router() {
    std::map<std::string, Target, std::less<>> targets;
    targets["cloud"] = {&cloud_, &cloud_breaker_, policies::Zone::Cloud};
    targets["local"] = {&local_, &local_breaker_, policies::Zone::Local};
    return Router(table_, std::move(targets), {.max_retries = 0}, clock_, metrics_, [] { return 0.0; }, nullptr,
                  Compliance{store_.get(), writer_.get(), false});
  }

  Status run(const std::string& model, const std::string& content, const std::string& app = "billing",
             std::map<std::string, std::string> headers = {}, std::optional<int64_t> max_tokens = {}) {
    Router router = make_router();
    ChatRequest request;
    request.model = model;
    request.max_tokens = max_tokens;
    Json body{{"model", model}, {"messages", Json::array({Json{{"role", "user"}, {"content", content}}})}};
    if (max_tokens) body["max_tokens"] = *max_tokens;
    request.body = RequestBody::from_checked_text(dump_json(body));
    RequestContext context;
    context.request_id = "req-1";
    context.app = app;
    context.team = "team";
    context.headers = std::move(headers);
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, router.complete(request, context, sink_), boost::asio::use_future);
    io.run();
    return future.get();
  }

  std::string audit_path() const { return dir_.file("audit.jsonl"); }

  testing::FakeClock clock_;
  RouteTable table_;
  MetricsRegistry registry_;
  RouterMetrics metrics_;
  CircuitBreaker cloud_breaker_{{.failure_threshold = 2, .open_for = Duration(1000)}, clock_};
  CircuitBreaker local_breaker_{{.failure_threshold = 2, .open_for = Duration(1000)}, clock_};
  std::unique_ptr<policies::PolicyStore> store_;
  std::unique_ptr<policies::AuditLog> audit_;
  std::unique_ptr<policies::AuditWriter> writer_;  // declared after audit_: goes first
  testing::TempDir dir_;
  EchoUpstream cloud_;
  EchoUpstream local_;
  PolicySink sink_;
};

TEST_F(RouterPolicyTest, ADeniedRequestGoesNowhereAndIsAudited) {
  open_audit(audit_path());
  Status status = run("default", "hello", "billing", {{"x-data-class", "secret"}});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::PermissionDenied);
  EXPECT_EQ(status.error().message, "Secret requests are not served.");
  EXPECT_EQ(sink_.rule, "no-secret-class");
  EXPECT_TRUE(cloud_.sent.empty());
  EXPECT_TRUE(local_.sent.empty());
  auto records = this->records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["kind"], "denial");
  EXPECT_EQ(records[0]["rule"], "no-secret-class");
  EXPECT_EQ(records[0]["policy_hash"], store_->current()->hash());
}

TEST_F(RouterPolicyTest, LocalOnlyNeverTriesTheCloud) {
  open_audit(audit_path());
  ASSERT_TRUE(run("default", "my ssn is 123-45-6789").ok());
  EXPECT_EQ(sink_.rule, "ssn-local");
  EXPECT_TRUE(cloud_.sent.empty());
  ASSERT_EQ(local_.sent.size(), 1u);
  EXPECT_NE(local_.sent[0].find("123-45-6789"), std::string::npos) << "local candidates get the text as written";
  EXPECT_TRUE(records().empty()) << "nothing left the network";
}

TEST_F(RouterPolicyTest, ARuleThatAllowsNoCandidateOfTheModelIs403WithTheReason) {
  Status status = run("cloud-only", "my ssn is 123-45-6789");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::PermissionDenied);
  EXPECT_NE(status.error().message.find("'ssn-local' (route local_only) allows none of the routes of model 'cloud-only'"),
            std::string::npos)
      << status.error().message;
}

TEST_F(RouterPolicyTest, CloudEgressIsRedactedWrittenAheadThenRestoredForTheClient) {
  open_audit(audit_path());
  std::vector<Json> seen_at_send;
  cloud_.on_send = [&](const std::string&) { seen_at_send = testing::read_json_lines(audit_path()); };
  ASSERT_TRUE(run("default", "mail ada@example.com today").ok());

  // The upstream saw a placeholder, never the address.
  ASSERT_EQ(cloud_.sent.size(), 1u);
  EXPECT_EQ(cloud_.sent[0].find("ada@example.com"), std::string::npos) << cloud_.sent[0];
  EXPECT_NE(cloud_.sent[0].find("[EMAIL_1]"), std::string::npos) << cloud_.sent[0];

  // The write-ahead record was on disk before the upstream had the bytes, and names them.
  ASSERT_EQ(seen_at_send.size(), 1u);
  const Json& ahead = seen_at_send[0];
  EXPECT_EQ(ahead["kind"], "write_ahead");
  EXPECT_EQ(ahead["request_id"], "req-1");
  EXPECT_EQ(ahead["rule"], "default");
  EXPECT_EQ(ahead["upstream"], "cloud");
  EXPECT_EQ(ahead["host"], "api.example.com");
  EXPECT_EQ(ahead["sent_sha256"], policies::sha256_hex(cloud_.sent[0]));
  EXPECT_EQ(ahead["sent_bytes"], cloud_.sent[0].size());
  EXPECT_EQ(ahead["redactions"]["email"], 1);
  EXPECT_FALSE(ahead.contains("content")) << "prompt text only with include_content";

  // The outcome follows; the client reads the original back.
  auto records = this->records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["kind"], "outcome");
  EXPECT_EQ(records[1]["status"], 200);
  EXPECT_EQ(records[1]["tokens_in"], 3);
  EXPECT_EQ(records[1]["tokens_out"], 2);
  EXPECT_EQ(records[1]["policy_hash"], store_->current()->hash());
  ASSERT_TRUE(sink_.completion);
  EXPECT_EQ((*sink_.completion)["choices"][0]["message"]["content"], "mail ada@example.com today");
  EXPECT_EQ(sink_.route, "upstream:cloud");
}

TEST_F(RouterPolicyTest, AnUnwritableAuditLogBlocksCloudEgress) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  open_audit("/dev/full");
  // With a local candidate behind it, the request falls to it.
  ASSERT_TRUE(run("default", "hello").ok());
  EXPECT_TRUE(cloud_.sent.empty());
  EXPECT_EQ(local_.sent.size(), 1u);
  EXPECT_EQ(sink_.route, "local:tiny");
  // Without one, it is refused with the reason.
  sink_ = PolicySink{};
  Status status = run("cloud-only", "hello");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::EgressBlocked);
  EXPECT_NE(status.error().message.find("No space left on device"), std::string::npos) << status.error().message;
  EXPECT_TRUE(cloud_.sent.empty());
  EXPECT_EQ(cloud_breaker_.state(), CircuitBreaker::State::Closed) << "the upstream did nothing wrong";
}

TEST_F(RouterPolicyTest, TheRulesMaxTokensCapsTheRequest) {
  ASSERT_TRUE(run("default", "hello", "terse", {}, 100).ok());
  EXPECT_EQ(sink_.rule, "short-answers");
  ASSERT_EQ(local_.sent.size(), 1u) << "prefer_local takes the local candidate first";
  EXPECT_EQ(local_.max_tokens_seen, 5);
  EXPECT_EQ(Json::parse(local_.sent[0])["max_tokens"], 5);
}

}  // namespace
}  // namespace hearth::router
