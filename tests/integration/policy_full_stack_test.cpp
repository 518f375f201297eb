// Policies and the egress audit in the whole gateway, over real sockets: x-hearth-rule on
// every completion response, a denial as a 403, redaction on the wire to a fake cloud
// upstream and restore in the client's stream, the write-ahead record on disk before the
// upstream sees the request, fail closed on an unwritable log, reload that keeps the old
// policy when the new file is invalid.

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "fakes/fake_upstream.hpp"
#include "fakes/http_test_client.hpp"
#include "fakes/temp_dir.hpp"
#include "hearth/app/gateway_app.hpp"
#include "hearth/policies/digest.hpp"

namespace hearth::app {
namespace {

using testing::FakeBehavior;
using testing::FakeUpstream;

constexpr const char* kPolicy = R"(version: 1
rules:
  - id: secret-denied
    when: {header: {x-data-class: secret}}
    then: {route: deny, message: "Secret data is not served here."}
  - id: uncached
    when: {header: {x-cache-test: "off"}}
    then: {route: cloud_allowed, cache: off}
  - id: default
    then: {route: cloud_allowed, upstreams: [cloud], redact: [email]}
)";

using testing::read_json_lines;
using testing::write_file;

// The records once there are `count` of them (outcome and denial records are written after
// the response, off the request's path), or what there is after 5 s.
std::vector<Json> records_eventually(const std::string& path, size_t count) {
  std::vector<Json> records;
  for (int i = 0; i < 500; ++i) {
    records = read_json_lines(path);
    if (records.size() >= count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return records;
}

// The content of an SSE body's chunks, joined.
std::string streamed_text(const std::string& body) {
  std::string text;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("data: {", 0) != 0) continue;
    Json chunk = Json::parse(line.substr(6));
    if (chunk.contains("choices") && !chunk["choices"].empty()) {
      const Json& delta = chunk["choices"][0]["delta"];
      if (delta.contains("content") && delta["content"].is_string()) text += delta["content"].get<std::string>();
    }
  }
  return text;
}

class PolicyFullStackTest : public ::testing::Test {
 protected:
  PolicyFullStackTest() : policy_path_(dir_.file("policies.yaml")) { write_file(policy_path_, kPolicy); }

  void start(const std::string& audit_path) {
    const std::string text = "server: {listen: 127.0.0.1:0, workers: 1}\n"
                             "auth: {enabled: false}\n"
                             "upstreams:\n"
                             "  - {name: cloud, kind: openai, base_url: '" + cloud_.base_url() + "', zone: cloud}\n"
                             "models:\n"
                             "  - {name: chat, routes: [cloud:gpt]}\n"
                             "policies: " + policy_path_ + "\n"
                             "audit: {path: " + audit_path + "}\n";
    auto config = parse_config(text, "test.yaml", [](const std::string&) { return std::nullopt; });
    ASSERT_TRUE(config.ok()) << config.error().message;
    app_ = std::make_unique<GatewayApp>(std::move(*config), log_, access_log_);
    Status started = app_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }

  testing::HttpReply post(const std::string& body, std::map<std::string, std::string> headers = {}) {
    return testing::http_post_json(app_->port(), "/v1/chat/completions", body, std::move(headers));
  }
  Json readiness() { return Json::parse(testing::http_request(app_->port(), "GET", "/readyz").body); }

  testing::TempDir dir_;  // first: destroyed after the app that writes into it
  std::string policy_path_;
  FakeUpstream cloud_;
  Logger log_{nullptr};
  Logger access_log_{nullptr};
  std::unique_ptr<GatewayApp> app_;
};

TEST_F(PolicyFullStackTest, EveryCompletionResponseNamesItsRuleAndADenialIsA403) {
  start(dir_.file("audit.jsonl"));
  auto ok = post(R"({"model":"chat","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("x-hearth-rule"), "default");

  auto denied = post(R"({"model":"chat","messages":[{"role":"user","content":"hi"}]})", {{"X-Data-Class", "secret"}});
  ASSERT_EQ(denied.status, 403) << denied.body;
  EXPECT_EQ(denied.header("x-hearth-rule"), "secret-denied");
  Json error = Json::parse(denied.body)["error"];
  EXPECT_EQ(error["type"], "permission_error");
  EXPECT_EQ(error["message"], "Secret data is not served here.");
  EXPECT_EQ(cloud_.request_count(), 1u) << "the denied request went nowhere";

  auto records = records_eventually(dir_.file("audit.jsonl"), 3);
  ASSERT_EQ(records.size(), 3u);  // write-ahead, outcome, denial (the last two in either order)
  const auto denial = std::find_if(records.begin(), records.end(), [](const Json& r) { return r["kind"] == "denial"; });
  ASSERT_NE(denial, records.end());
  EXPECT_EQ((*denial)["rule"], "secret-denied");
}

TEST_F(PolicyFullStackTest, TheRulesCacheScopeDecidesWhetherTheCacheTakesPart) {
  start(dir_.file("audit.jsonl"));
  const std::string request = R"({"model":"chat","temperature":0,"messages":[{"role":"user","content":"hi"}]})";
  EXPECT_EQ(post(request, {{"x-cache-test", "off"}}).header("x-hearth-cache"), "bypass");
  auto second = post(request, {{"x-cache-test", "off"}});
  EXPECT_EQ(second.header("x-hearth-cache"), "bypass");
  EXPECT_EQ(second.header("x-hearth-rule"), "uncached");
  EXPECT_EQ(cloud_.request_count(), 2u);

  EXPECT_EQ(post(request).header("x-hearth-cache"), "stored");
  auto hit = post(request);
  EXPECT_EQ(hit.header("x-hearth-cache"), "hit");
  EXPECT_EQ(hit.header("x-hearth-rule"), "default") << "a hit names the rule too";
  EXPECT_EQ(cloud_.request_count(), 3u);
}

TEST_F(PolicyFullStackTest, StreamsAreRedactedOnTheWireAndRestoredForTheClient) {
  const std::string audit = dir_.file("audit.jsonl");
  std::mutex mutex;
  bool recorded_first = false;
  std::string seen_body;
  cloud_.set_on_request([&](const testing::RecordedRequest& request) {
    std::lock_guard lock(mutex);
    seen_body = request.body;
    for (const Json& record : read_json_lines(audit)) {
      if (record["kind"] == "write_ahead" && record["sent_sha256"] == policies::sha256_hex(request.body)) {
        recorded_first = true;
      }
    }
  });
  // The model answers with the placeholder, split over many small chunks.
  FakeBehavior answer = FakeBehavior::stream(12);
  answer.text = "I will write to [EMAIL_1] today.";
  cloud_.set_default(answer);
  start(audit);

  auto reply = post(R"({"model":"chat","stream":true,"messages":[{"role":"user","content":"mail ada@example.com"}]})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("x-hearth-rule"), "default");
  EXPECT_EQ(streamed_text(reply.body), "I will write to ada@example.com today.");
  EXPECT_NE(reply.body.find("[DONE]"), std::string::npos);
  {
    std::lock_guard lock(mutex);
    EXPECT_TRUE(recorded_first) << "the write-ahead record for these exact bytes was on disk first";
    EXPECT_EQ(seen_body.find("ada@example.com"), std::string::npos) << seen_body;
    EXPECT_NE(seen_body.find("[EMAIL_1]"), std::string::npos) << seen_body;
  }
  auto records = records_eventually(audit, 2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["kind"], "outcome");
  EXPECT_EQ(records[1]["status"], 200);
  EXPECT_GT(records[1]["tokens_out"].get<int>(), 0) << "usage was asked for the audit";
  EXPECT_EQ(reply.body.find("\"usage\""), std::string::npos) << "and hidden from a client that did not ask";
}

TEST_F(PolicyFullStackTest, AnUnwritableAuditLogBlocksEgressAndReadyzSaysWhy) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  start("/dev/full");
  auto reply = post(R"({"model":"chat","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(reply.status, 503) << reply.body;
  EXPECT_EQ(Json::parse(reply.body)["error"]["code"], "egress_blocked");
  EXPECT_EQ(cloud_.request_count(), 0u);
  Json ready = readiness();
  EXPECT_EQ(ready["audit"]["state"], "failing");
  EXPECT_NE(ready["audit"]["reason"].get<std::string>().find("No space left on device"), std::string::npos);
}

TEST_F(PolicyFullStackTest, ReloadKeepsTheOldPolicyWhenTheNewFileIsInvalid) {
  start(dir_.file("audit.jsonl"));
  const std::string first_hash = readiness()["policy"]["hash"];
  EXPECT_EQ(first_hash, policies::sha256_hex(kPolicy));

  write_file(policy_path_, "version: 1\nrules:\n  - id: broken\n    then: {route: sideways}\n");
  EXPECT_TRUE(app_->policy_file_changed());
  Status rejected = app_->reload_policies();
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.error().message.find(policy_path_ + ":4:"), std::string::npos) << rejected.error().message;
  EXPECT_FALSE(app_->policy_file_changed()) << "the invalid file is judged once, not every second";
  Json ready = readiness();
  EXPECT_EQ(ready["policy"]["hash"], first_hash);
  EXPECT_TRUE(ready["policy"].contains("last_reload_error"));
  EXPECT_EQ(post(R"({"model":"chat","messages":[{"role":"user","content":"hi"}]})").header("x-hearth-rule"), "default");

  const std::string next = "version: 1\nrules:\n  - id: everything-local\n    then: {route: local_only}\n";
  write_file(policy_path_, next);
  ASSERT_TRUE(app_->reload_policies().ok());
  EXPECT_EQ(readiness()["policy"]["hash"], policies::sha256_hex(next));
  auto reply = post(R"({"model":"chat","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(reply.status, 403) << "no local candidate for 'chat': " << reply.body;
  EXPECT_EQ(reply.header("x-hearth-rule"), "everything-local");
}

TEST_F(PolicyFullStackTest, AnInvalidPolicyFileStopsTheStart) {
  write_file(policy_path_, "version: 1\nrules: []\n");
  const std::string text = "server: {listen: 127.0.0.1:0, workers: 1}\npolicies: " + policy_path_ + "\n";
  auto config = parse_config(text, "test.yaml", [](const std::string&) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.error().message;
  GatewayApp app(std::move(*config), log_, access_log_);
  Status started = app.start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find(policy_path_ + ":"), std::string::npos) << started.error().message;
}

}  // namespace
}  // namespace hearth::app
