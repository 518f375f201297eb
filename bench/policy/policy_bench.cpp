// Policy benchmarks: the decision (detectors + rules) for 1 KB, 32 KB and 1 MB prompts, the
// detector scan alone on text with and without findings, redaction of a request, and audit
// appends flushed to disk (fsync per record). Usage:
//   hearth_bench_policy [--benchmark_filter=...]   (audit files go to $HEARTH_BENCH_DIR or .)

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <thread>
#include <vector>
#include <string>

#include "hearth/policies/audit_log.hpp"
#include "hearth/policies/audit_writer.hpp"
#include "hearth/policies/digest.hpp"
#include "hearth/policies/policy_input.hpp"
#include "hearth/policies/policy_loader.hpp"
#include "hearth/policies/redaction.hpp"

namespace pol = hearth::policies;

namespace {

// DESIGN.md's policy plus the shipped example's extra rules.
const char* kPolicy = R"(version: 1
detectors:
  - {name: mrn, class: phi, regex: 'MRN[: ]?\d{6,10}'}
  - {name: codenames, class: confidential, words: [Bluebird, Nightjar, Project Kestrel], ignore_case: true}
rules:
  - id: phi-stays-local
    when: {any: [{classes: [phi, ssn]}, {header: {x-data-class: restricted}}]}
    then: {route: local_only, cache: app}
  - id: secrets-never-leave
    when: {classes: secret}
    then: {route: on_prem_only}
  - id: legal-redacted-cloud
    when: {team: legal}
    then: {route: prefer_local, upstreams: [claude], redact: [email, phone]}
  - id: long-prompts
    when: {prompt_tokens: {gt: 4000}}
    then: {route: cloud_allowed, upstreams: [openai], redact: [email, phone, credit_card, iban]}
  - id: default
    then: {route: prefer_local, upstreams: [openai, claude], redact: [email, phone]}
)";

// About 1 KB of ordinary support-ticket prose with an email and a phone number in it.
const char* kParagraph =
    "Hello team, following up on ticket 48213 from last Tuesday. The customer reports that the export job "
    "fails after about 20 minutes with a timeout, usually between 2:00 and 3:30 in the afternoon when the "
    "nightly reports also run. They tried version 4.2.1 and 4.3.0 of the client and both show the same "
    "behaviour; the logs mention a retry budget of 3 attempts and a 30s backoff. Could someone on the "
    "platform side check whether the worker pool is saturated at that time of day? The account manager is "
    "reachable at dana.whitfield@example.com or (555) 201-7733 if you need more context. For reference, the "
    "previous incident was closed as a configuration problem, but this one looks different: the error "
    "happens even with small exports of 200 rows. Please summarise the likely causes, list the next "
    "diagnostic steps in order, and draft a short reply we can send today. Thanks a lot for the help!\n";

const char* kPlain =
    "The quick brown fox jumps over the lazy dog while the committee reviews the quarterly plan and "
    "discusses how the new onboarding flow should read for first-time users of the product. ";

std::string repeat_to(const char* unit, size_t bytes) {
  std::string out;
  while (out.size() < bytes) out += unit;
  out.resize(bytes);
  return out;
}

const pol::Policy& policy() {
  static const std::shared_ptr<const pol::Policy> p = pol::parse_policy(kPolicy, "bench.yaml", {}).policy;
  return *p;
}

hearth::ChatRequest chat(const std::string& text) {
  hearth::ChatRequest r;
  r.model = "default";
  r.body = hearth::Json{{"model", "default"}, {"messages", {{{"role", "user"}, {"content", text}}}}};
  return r;
}

// The whole decision (input, every detector, the rules) on `unit` repeated to range(0) bytes.
void BM_Decide(benchmark::State& state, const char* unit) {
  const hearth::ChatRequest request = chat(repeat_to(unit, static_cast<size_t>(state.range(0))));
  const pol::Policy& p = policy();
  for (auto _ : state) {
    const pol::PolicyInput input = pol::make_policy_input(request, "billing", "finance", {});
    auto verdict = pol::decide(p, input);
    benchmark::DoNotOptimize(verdict);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK_CAPTURE(BM_Decide, ticket_text, kParagraph)->Arg(1 << 10)->Arg(32 << 10)->Arg(1 << 20)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decide, plain_prose, kPlain)->Arg(1 << 10)->Arg(32 << 10)->Arg(1 << 20)->Unit(benchmark::kMicrosecond);

// The detectors alone on plain prose: the policy's set, or the built-ins only (no custom
// regex or word list).
void BM_ScanPlainProse(benchmark::State& state, bool builtins_only) {
  const std::string text = repeat_to(kPlain, static_cast<size_t>(state.range(0)));
  static const std::shared_ptr<const pol::DetectorSet> builtins = pol::DetectorSet::build({}).value();
  const pol::DetectorSet& d = builtins_only ? *builtins : policy().detectors();
  for (auto _ : state) {
    auto findings = d.scan(text);
    benchmark::DoNotOptimize(findings);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK_CAPTURE(BM_ScanPlainProse, policy, false)->Arg(1 << 10)->Arg(1 << 20)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ScanPlainProse, builtins, true)->Arg(1 << 20)->Unit(benchmark::kMicrosecond);

void BM_RedactRequest(benchmark::State& state) {
  const hearth::ChatRequest request = chat(repeat_to(kParagraph, static_cast<size_t>(state.range(0))));
  const pol::DetectorSet& d = policy().detectors();
  for (auto _ : state) {
    auto redacted = pol::redact_request(request, d, {"email", "phone"});
    benchmark::DoNotOptimize(redacted);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_RedactRequest)->Arg(1 << 10)->Arg(32 << 10)->Unit(benchmark::kMicrosecond);

void BM_PolicyLoad(benchmark::State& state) {
  for (auto _ : state) {
    auto parsed = pol::parse_policy(kPolicy, "bench.yaml", {});
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_PolicyLoad)->Iterations(3)->Unit(benchmark::kMillisecond);

// A write-ahead record of the size the gateway writes (~600 bytes).
pol::WriteAheadRecord bench_record() {
  pol::WriteAheadRecord record;
  record.request_id = "req-0123456789";
  record.app = "billing";
  record.team = "finance";
  record.rule_id = "default";
  record.policy_hash = pol::sha256_hex(kPolicy);
  record.upstream = "openai";
  record.host = "api.openai.com";
  record.model = "gpt-4o-mini";
  record.sent_sha256 = pol::sha256_hex("body");
  record.sent_bytes = 1024;
  record.redactions = {{"email", 1}, {"phone", 1}};
  record.detected = {"email", "phone"};
  return record;
}

// An audit log in a fresh folder under $HEARTH_BENCH_DIR (default: the current directory).
struct BenchLog {
  BenchLog() {
    const char* dir_env = std::getenv("HEARTH_BENCH_DIR");
    dir = std::filesystem::path(dir_env != nullptr ? dir_env : ".") / "hearth-bench-audit";
    std::filesystem::remove_all(dir);
    pol::AuditOptions options;
    options.path = (dir / "egress.jsonl").string();
    options.hmac_key = "bench-key-0123456789";
    auto opened = pol::AuditLog::open(options);
    if (opened) log = std::move(*opened);
    else error = opened.error().message;
  }
  ~BenchLog() {
    log.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  std::unique_ptr<pol::AuditLog> log;
  std::string error;
};

// One appender, each record flushed on its own (what a single request waits for).
void BM_AuditAppendFsync(benchmark::State& state) {
  BenchLog bench;
  if (!bench.log) {
    state.SkipWithError(bench.error.c_str());
    return;
  }
  const pol::WriteAheadRecord record = bench_record();
  for (auto _ : state) {
    auto r = bench.log->append(record);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// range(0) requests at once, each submitting its write-ahead record through the gateway's
// AuditWriter and waiting until it is durable before the next: the writer flushes whatever
// queued up during the last flush together (group commit).
void BM_AuditWriterConcurrent(benchmark::State& state) {
  BenchLog bench;
  if (!bench.log) {
    state.SkipWithError(bench.error.c_str());
    return;
  }
  const int waiters = static_cast<int>(state.range(0));
  constexpr int kPerWaiter = 200;
  const nlohmann::ordered_json record = pol::to_json(bench_record(), false);
  pol::AuditWriter writer(*bench.log);
  const uint64_t flushes_before = bench.log->flushes();
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (int t = 0; t < waiters; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kPerWaiter; ++i) {
          std::promise<bool> durable;
          writer.submit(record, [&](hearth::Result<void> r) { durable.set_value(r.ok()); });
          if (!durable.get_future().get()) std::abort();
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const int64_t records = static_cast<int64_t>(state.iterations()) * waiters * kPerWaiter;
  state.SetItemsProcessed(records);
  state.counters["records_per_flush"] =
      static_cast<double>(records) / static_cast<double>(bench.log->flushes() - flushes_before);
}

BENCHMARK(BM_AuditAppendFsync)->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_AuditWriterConcurrent)->Arg(1)->Arg(8)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
