#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "hearth/policies/audit_log.hpp"
#include "hearth/policies/audit_writer.hpp"
#include "hearth/policies/audit_verify.hpp"
#include "hearth/policies/digest.hpp"
#include "fakes/temp_dir.hpp"

namespace hearth::policies {
namespace {

using hearth::testing::read_file;
using hearth::testing::TempDir;
using hearth::testing::write_file;
using Json = nlohmann::json;

const std::string kKey = "0123456789abcdef-test-key";

// A clock the test moves by hand.
struct ManualClock {
  std::chrono::system_clock::time_point now = std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000));
  WallClock fn() {
    return [this] { return now; };
  }
};

WriteAheadRecord write_ahead(const std::string& id) {
  WriteAheadRecord r;
  r.request_id = id;
  r.app = "billing";
  r.team = "finance";
  r.rule_id = "default";
  r.policy_hash = sha256_hex("policy");
  r.upstream = "openai";
  r.host = "api.openai.com";
  r.model = "gpt-4o-mini";
  r.sent_sha256 = sha256_hex("body");
  r.sent_bytes = 4;
  r.redactions = {{"email", 2}};
  r.detected = {"email"};
  r.content = "body";
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Writes write-ahead, outcome, denial, write-ahead, outcome.
std::string write_sample(const std::string& path, ManualClock& clock) {
  auto log = AuditLog::open({path, kKey, false, 0, false, clock.fn()});
  EXPECT_TRUE(log.ok());
  EXPECT_TRUE((*log)->append(write_ahead("r1")).ok());
  EXPECT_TRUE((*log)->append(OutcomeRecord{"r1", "openai", 200, 10, 20, 350, 1234, false, "", "hash-1"}).ok());
  EXPECT_TRUE((*log)->append(DenialRecord{"r2", "intern", "eng", "no-tools", "h", "no", {}}).ok());
  EXPECT_TRUE((*log)->append(write_ahead("r3")).ok());
  EXPECT_TRUE((*log)->append(OutcomeRecord{"r3", "openai", 0, 0, 0, 12, 0, true, "connect failed", "hash-1"}).ok());
  EXPECT_EQ((*log)->records_written(), 5u);
  EXPECT_EQ((*log)->unhealthy_reason(), "");
  return read_file(path);
}

AuditVerifyReport verify(const std::string& text, const std::string& key = kKey) {
  return verify_audit_text(text, "a.jsonl", {key, ""});
}

TEST(AuditLog, RecordsCarryTheChainAndVerify) {
  TempDir dir;
  ManualClock clock;
  const std::string text = write_sample(dir.file("a.jsonl"), clock);
  const auto lines = lines_of(text);
  ASSERT_EQ(lines.size(), 5u);
  const Json first = Json::parse(lines[0]);
  EXPECT_EQ(first["kind"], "write_ahead");
  EXPECT_EQ(first["seq"], 0);
  EXPECT_EQ(first["prev"], kGenesisHash);
  EXPECT_EQ(first["time"], "2024-10-04T00:00:00.000Z");
  EXPECT_EQ(first["sent_sha256"], sha256_hex("body"));
  EXPECT_EQ(first["redactions"]["email"], 2);
  EXPECT_FALSE(first.contains("content"));  // include_content is off
  EXPECT_EQ(Json::parse(lines[1])["prev"], sha256_hex(lines[0]));
  EXPECT_EQ(Json::parse(lines[4])["failover"], true);

  const AuditVerifyReport report = verify(text);
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(report.records, 5u);
  EXPECT_TRUE(report.first_is_genesis);
  EXPECT_TRUE(report.hmac_checked);
}

TEST(AuditVerify, CatchesAnEditedLine) {
  TempDir dir;
  ManualClock clock;
  auto lines = lines_of(write_sample(dir.file("a.jsonl"), clock));
  lines[2].replace(lines[2].find("intern"), 6, "extern");
  AuditVerifyReport with_key = verify(join_lines(lines));
  EXPECT_FALSE(with_key.ok);
  EXPECT_EQ(with_key.line, 3u);
  EXPECT_EQ(with_key.reason, "hmac does not match (the line was edited, or the key differs)");
  // Without the key the chain still catches it, at the line after.
  AuditVerifyReport chain_only = verify(join_lines(lines), "");
  EXPECT_FALSE(chain_only.ok);
  EXPECT_EQ(chain_only.line, 4u);
}

TEST(AuditVerify, CatchesADeletedLine) {
  TempDir dir;
  ManualClock clock;
  auto lines = lines_of(write_sample(dir.file("a.jsonl"), clock));
  lines.erase(lines.begin() + 2);
  AuditVerifyReport report = verify(join_lines(lines));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.line, 3u);
  EXPECT_EQ(report.reason, "prev does not match the line before (a line was edited, deleted, inserted or reordered)");
}

TEST(AuditVerify, CatchesReorderedLines) {
  TempDir dir;
  ManualClock clock;
  auto lines = lines_of(write_sample(dir.file("a.jsonl"), clock));
  std::swap(lines[1], lines[2]);
  AuditVerifyReport report = verify(join_lines(lines));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.line, 2u);
}

TEST(AuditVerify, CatchesAWrongKeyAndAMissingHmac) {
  TempDir dir;
  ManualClock clock;
  const std::string text = write_sample(dir.file("a.jsonl"), clock);
  AuditVerifyReport report = verify(text, "another-key-of-16-bytes");
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.line, 1u);

  // A log written without a key verifies by its chain, but not against a key.
  const std::string path = dir.file("nokey.jsonl");
  auto log = AuditLog::open({path, "", false, 0, false, clock.fn()});
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->append(write_ahead("r1")).ok());
  EXPECT_TRUE(verify(read_file(path), "").ok);
  AuditVerifyReport keyed = verify(read_file(path));
  EXPECT_FALSE(keyed.ok);
  EXPECT_EQ(keyed.reason, "no hmac");
}

TEST(AuditVerify, CatchesAnIncompleteOrGarbledLine) {
  TempDir dir;
  ManualClock clock;
  const std::string text = write_sample(dir.file("a.jsonl"), clock);
  EXPECT_EQ(verify(text.substr(0, text.size() - 1)).line, 5u);
  EXPECT_EQ(verify("not json\n").reason, "not a JSON object");
}

TEST(AuditLog, ReopeningContinuesTheChainAndCutsAPartialLine) {
  TempDir dir;
  ManualClock clock;
  const std::string path = dir.file("a.jsonl");
  write_sample(path, clock);
  // A crash mid-append left half a line (never acknowledged).
  write_file(path, read_file(path) + "{\"kind\":\"write_ah");
  {
    auto log = AuditLog::open({path, kKey, false, 0, false, clock.fn()});
    ASSERT_TRUE(log.ok()) << log.error().message;
    ASSERT_TRUE((*log)->append(write_ahead("r4")).ok());
  }
  const auto lines = lines_of(read_file(path));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(Json::parse(lines[5])["seq"], 5);
  EXPECT_TRUE(verify(read_file(path)).ok);
}

TEST(AuditLog, IncludeContentWritesTheBytesSent) {
  TempDir dir;
  ManualClock clock;
  const std::string path = dir.file("a.jsonl");
  auto log = AuditLog::open({path, kKey, true, 0, false, clock.fn()});
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->append(write_ahead("r1")).ok());
  EXPECT_EQ(Json::parse(lines_of(read_file(path))[0])["content"], "body");
}

std::vector<std::string> audit_files(const std::string& dir_file) {
  std::vector<std::string> rotated;
  const auto dir = std::filesystem::path(dir_file).parent_path();
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("a.jsonl.", 0) == 0) rotated.push_back(e.path().string());
  }
  std::sort(rotated.begin(), rotated.end());
  rotated.push_back(dir_file);
  return rotated;
}

TEST(AuditLog, RotationBySizeKeepsTheChainAcrossFiles) {
  TempDir dir;
  ManualClock clock;
  const std::string path = dir.file("a.jsonl");
  auto log = AuditLog::open({path, kKey, false, 1000, false, clock.fn()});
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 8; ++i) {
    clock.now += std::chrono::seconds(1);
    ASSERT_TRUE((*log)->append(write_ahead("r" + std::to_string(i))).ok());
  }
  const std::vector<std::string> files = audit_files(path);
  ASSERT_GE(files.size(), 3u);
  for (const auto& f : files) EXPECT_LE(read_file(f).size(), 1000u) << f;

  auto all = verify_audit_files(files, {kKey, ""});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->ok) << all->file << ":" << all->line << ": " << all->reason;
  EXPECT_EQ(all->records, 8u);
  // The new file's first record chains to the old file's last.
  const auto old_lines = lines_of(read_file(files[files.size() - 2]));
  EXPECT_EQ(Json::parse(lines_of(read_file(path))[0])["prev"], sha256_hex(old_lines.back()));
  // A file on its own names its first record's chain; out of order, files do not verify.
  auto swapped = files;
  std::swap(swapped[0], swapped[1]);
  auto bad = verify_audit_files(swapped, {kKey, ""});
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(bad->ok);
}

TEST(AuditLog, RotationByDay) {
  TempDir dir;
  ManualClock clock;
  const std::string path = dir.file("a.jsonl");
  auto log = AuditLog::open({path, kKey, false, 0, true, clock.fn()});
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->append(write_ahead("r1")).ok());
  ASSERT_TRUE((*log)->append(write_ahead("r2")).ok());
  clock.now += std::chrono::hours(24);
  ASSERT_TRUE((*log)->append(write_ahead("r3")).ok());
  const std::vector<std::string> files = audit_files(path);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(lines_of(read_file(files[0])).size(), 2u);
  EXPECT_EQ(lines_of(read_file(path)).size(), 1u);
  auto all = verify_audit_files(files, {kKey, ""});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->ok);
  EXPECT_EQ(all->records, 3u);
}

TEST(AuditLog, UnwritablePathIsAnError) {
  TempDir dir;
  write_file(dir.file("plain"), "x");
  auto log = AuditLog::open({dir.file("plain") + "/a.jsonl", kKey, false, 0, false, {}});
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("cannot open audit log"), std::string::npos) << log.error().message;
}

TEST(AuditLog, AFailedWriteIsReturnedAndMakesTheLogUnhealthy) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  auto log = AuditLog::open({"/dev/full", kKey, false, 0, false, {}});
  ASSERT_TRUE(log.ok()) << log.error().message;
  auto r = (*log)->append(write_ahead("r1"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "audit log write failed: No space left on device");
  EXPECT_EQ((*log)->unhealthy_reason(), "audit log write failed: No space left on device");
  EXPECT_EQ((*log)->records_written(), 0u);
}

TEST(AuditLog, ConcurrentAppendsKeepOneChain) {
  TempDir dir;
  const std::string path = dir.file("a.jsonl");
  auto log = AuditLog::open({path, kKey, false, 0, false, {}});
  ASSERT_TRUE(log.ok());
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        if (!(*log)->append(write_ahead("t" + std::to_string(t) + "-" + std::to_string(i))).ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  const AuditVerifyReport report = verify(read_file(path));
  EXPECT_TRUE(report.ok) << report.line << ": " << report.reason;
  EXPECT_EQ(report.records, 60u);
}

TEST(AuditLog, ABatchIsOneFlushAndKeepsTheChain) {
  TempDir dir;
  const std::string path = dir.file("a.jsonl");
  auto log = AuditLog::open({path, kKey, false, 0, false, {}});
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->append(write_ahead("r0")).ok());
  std::vector<nlohmann::ordered_json> batch;
  for (const char* id : {"r1", "r2", "r3"}) batch.push_back(to_json(write_ahead(id), false));
  ASSERT_TRUE((*log)->append_all(std::move(batch)).ok());
  EXPECT_EQ((*log)->records_written(), 4u);
  EXPECT_EQ((*log)->flushes(), 2u);
  const AuditVerifyReport report = verify(read_file(path));
  EXPECT_TRUE(report.ok) << report.line << ": " << report.reason;
  EXPECT_EQ(report.records, 4u);
}

TEST(AuditLog, AFailedBatchAcknowledgesNothing) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  auto log = AuditLog::open({"/dev/full", kKey, false, 0, false, {}});
  ASSERT_TRUE(log.ok());
  std::vector<nlohmann::ordered_json> batch;
  for (const char* id : {"r1", "r2"}) batch.push_back(to_json(write_ahead(id), false));
  ASSERT_FALSE((*log)->append_all(std::move(batch)).ok());
  EXPECT_EQ((*log)->records_written(), 0u);
  EXPECT_EQ((*log)->last_hash(), kGenesisHash) << "the chain did not move";
}

TEST(AuditWriter, ConcurrentSubmitsAreAllWrittenInOneChainSharingFlushes) {
  TempDir dir;
  const std::string path = dir.file("a.jsonl");
  auto log = AuditLog::open({path, kKey, false, 0, false, {}});
  ASSERT_TRUE(log.ok());
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  {
    AuditWriter writer(**log);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          writer.submit(to_json(write_ahead("t" + std::to_string(t) + "-" + std::to_string(i)), false),
                        [&](Result<void> r) { ++(r.ok() ? ok : failed); });
        }
      });
    }
    for (auto& t : threads) t.join();
    writer.wait_idle();
    EXPECT_EQ(ok.load(), 200) << "every callback ran once the record was durable";
    writer.submit(to_json(write_ahead("last"), false), {});  // written before the writer goes
  }
  EXPECT_EQ(failed.load(), 0);
  const AuditVerifyReport report = verify(read_file(path));
  EXPECT_TRUE(report.ok) << report.line << ": " << report.reason;
  EXPECT_EQ(report.records, 201u);
  EXPECT_EQ((*log)->records_written(), 201u);
}

TEST(AuditWriter, AFailedAppendReachesEveryWaiter) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  auto log = AuditLog::open({"/dev/full", kKey, false, 0, false, {}});
  ASSERT_TRUE(log.ok());
  AuditWriter writer(**log);
  std::atomic<int> failed{0};
  for (int i = 0; i < 3; ++i) {
    writer.submit(to_json(write_ahead("r"), false), [&](Result<void> r) { failed += r.ok() ? 0 : 1; });
  }
  writer.wait_idle();
  EXPECT_EQ(failed.load(), 3);
  EXPECT_NE((*log)->unhealthy_reason(), "");
}

TEST(AuditRecord, WriteAheadDescribesTheExactBytesSent) {
  PolicyVerdict verdict;
  verdict.rule_id = "default";
  verdict.policy_hash = sha256_hex("policy");
  verdict.detected_classes = {"email", "ssn"};
  RedactionMap map;
  map.placeholder_for("email", "a@b.io", {});
  map.placeholder_for("email", "a@b.io", {});
  const std::string body = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"[EMAIL_1] [EMAIL_1]"}]})";
  const WriteAheadRecord r =
      make_write_ahead({"req-1", "billing", "finance", "openai", "api.openai.com", "gpt-4o-mini"}, verdict, map, body, true);
  EXPECT_EQ(r.sent_sha256, sha256_hex(body));
  EXPECT_EQ(r.sent_bytes, body.size());
  EXPECT_EQ(r.redactions, (std::map<std::string, int>{{"email", 2}}));
  EXPECT_EQ(r.detected, (std::vector<std::string>{"email", "ssn"}));
  EXPECT_EQ(r.rule_id, "default");
  EXPECT_EQ(r.host, "api.openai.com");
  EXPECT_EQ(to_json(r, false).dump().find("content"), std::string::npos);
  EXPECT_EQ(to_json(r, true)["content"], body);
  const WriteAheadRecord lean =
      make_write_ahead({"req-1", "billing", "finance", "openai", "api.openai.com", "gpt-4o-mini"}, verdict, map, body, false);
  EXPECT_FALSE(lean.content.has_value());
  EXPECT_EQ(lean.sent_sha256, r.sent_sha256);
}

TEST(AuditKey, FromAFileOrAnEnvVar) {
  TempDir dir;
  write_file(dir.file("key"), "a-key-that-is-long-enough\n");
  auto key = load_hmac_key("", dir.file("key"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, "a-key-that-is-long-enough");
  write_file(dir.file("short"), "short\n");
  EXPECT_FALSE(load_hmac_key("", dir.file("short")).ok());
  EXPECT_FALSE(load_hmac_key("HEARTH_TEST_SURELY_UNSET_VARIABLE", "").ok());
  EXPECT_EQ(load_hmac_key("", "").value(), "");
}

}  // namespace
}  // namespace hearth::policies
