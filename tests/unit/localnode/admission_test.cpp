// The local node's admission decision, case by case.

#include "hearth/localnode/admission.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace hearth::localnode {
namespace {

NodeLoad idle() {
  NodeLoad load;
  load.n_ctx = 1024;
  load.free_slots = 4;
  load.kv_bytes_per_token = 1000;
  load.kv_budget_bytes = 4'000'000;
  load.prefill_tokens_per_s = 1000;
  load.ttft_budget = Duration(2000);
  return load;
}

TEST(Admission, AdmitsAndReservesPromptPlusMaxTokens) {
  const Admission a = decide_admission({100, 50}, idle());
  EXPECT_TRUE(a.admitted());
  EXPECT_EQ(a.kv_positions, 150u);
  EXPECT_EQ(a.kv_bytes, 150'000u);
  EXPECT_EQ(a.projected_ttft, Duration(100));  // 100 tokens at 1000/s
}

TEST(Admission, WithoutMaxTokensReservesTheWholeContext) {
  EXPECT_EQ(decide_admission({100, 0}, idle()).kv_positions, 1024u);
  EXPECT_EQ(decide_admission({100, 5000}, idle()).kv_positions, 1024u);  // capped
}

TEST(Admission, RefusesPromptsTheContextCannotHold) {
  for (uint32_t prompt : {1024u, 5000u, 0u}) {
    const Admission a = decide_admission({prompt, 10}, idle());
    EXPECT_EQ(a.verdict, AdmissionVerdict::ContextExceeded) << prompt;
  }
  EXPECT_NE(decide_admission({1024, 10}, idle()).reason.find("1024 tokens"), std::string::npos);
  EXPECT_TRUE(decide_admission({1023, 10}, idle()).admitted());
}

TEST(Admission, RefusesWhenNoSlotIsFree) {
  NodeLoad load = idle();
  load.free_slots = 0;
  EXPECT_EQ(decide_admission({10, 10}, load).verdict, AdmissionVerdict::NoSlot);
}

TEST(Admission, RefusesWhatTheMemoryLeftCannotHold) {
  NodeLoad load = idle();
  load.kv_reserved_bytes = 3'900'000;  // 100 positions left
  EXPECT_TRUE(decide_admission({50, 50}, load).admitted());
  const Admission a = decide_admission({50, 51}, load);
  EXPECT_EQ(a.verdict, AdmissionVerdict::OverMemory);
  EXPECT_NE(a.reason.find("101 positions"), std::string::npos) << a.reason;
  load.kv_reserved_bytes = 5'000'000;  // over-reserved never underflows
  EXPECT_EQ(decide_admission({1, 1}, load).verdict, AdmissionVerdict::OverMemory);
}

TEST(Admission, ProjectsTimeToFirstTokenFromTheBacklog) {
  NodeLoad load = idle();
  load.prefill_backlog_tokens = 1500;
  // (1500 + 400) / 1000 = 1.9 s: within 2 s.
  EXPECT_TRUE(decide_admission({400, 10}, load).admitted());
  // (1500 + 600) / 1000 = 2.1 s: over.
  const Admission a = decide_admission({600, 10}, load);
  EXPECT_EQ(a.verdict, AdmissionVerdict::OverLatency);
  EXPECT_EQ(a.projected_ttft, Duration(2100));
  EXPECT_EQ(a.retry_after, Duration(1000));  // at least a second
  EXPECT_NE(a.reason.find("2100 ms"), std::string::npos) << a.reason;
}

TEST(Admission, AStepThatDoesNotEndCountsAsWaiting) {
  NodeLoad load = idle();
  load.in_step = Duration(1950);  // a starved engine: its step has run for almost 2 s
  EXPECT_TRUE(decide_admission({10, 10}, load).admitted());  // 1950 + 10 ms
  const Admission a = decide_admission({100, 10}, load);     // 1950 + 100 ms
  EXPECT_EQ(a.verdict, AdmissionVerdict::OverLatency);
  EXPECT_EQ(a.projected_ttft, Duration(2050));
}

TEST(Admission, FirstTokensLaterThanProjectedCountAgainstTheBudget) {
  NodeLoad load = idle();
  load.prefill_backlog_tokens = 900;
  load.ttft_factor = 1.6;
  // 1.3 s of prefill, but first tokens took 1.6 times their projections lately.
  const Admission a = decide_admission({400, 10}, load);
  EXPECT_EQ(a.verdict, AdmissionVerdict::OverLatency);
  EXPECT_EQ(a.prefill_projection, Duration(1300));
  EXPECT_EQ(a.projected_ttft, Duration(2080));
  load.ttft_factor = 0.7;  // earlier than projected: never below the projection
  EXPECT_EQ(decide_admission({400, 10}, load).projected_ttft, Duration(1300));
}

TEST(Admission, UntilFourFirstTokensAreTimedABusyEnginesProjectionCountsTwice) {
  NodeLoad load = idle();
  load.ttft_factor.reset();
  // Idle: 0.9 s of prefill, as projected.
  EXPECT_EQ(decide_admission({900, 10}, load).projected_ttft, Duration(900));
  load.prefill_backlog_tokens = 100;  // busy: 1.05 s twice over
  const Admission queued = decide_admission({950, 10}, load);
  EXPECT_EQ(queued.verdict, AdmissionVerdict::OverLatency);
  EXPECT_EQ(queued.projected_ttft, Duration(2100));
  load.prefill_backlog_tokens = 0;
  load.in_step = Duration(5);  // decoding: busy too
  EXPECT_EQ(decide_admission({995, 10}, load).projected_ttft, Duration(2000));
  EXPECT_TRUE(decide_admission({995, 10}, load).admitted());
}

TEST(LatenessWindow, TheFactorCoversNinetyNinePercentOfTheRecentFirstTokens) {
  LatenessWindow window;
  const TimePoint t0{};
  // Factors 1.2, 1.0, 1.4 and 1.2: too few to tell the spread until the fourth.
  window.record(t0, Duration(600), Duration(500));
  window.record(t0, Duration(500), Duration(500));
  window.record(t0, Duration(700), Duration(500));
  EXPECT_FALSE(window.factor(t0).has_value());
  window.record(t0, Duration(600), Duration(500));
  // Mean 1.2, sample standard deviation sqrt(0.08 / 3).
  EXPECT_NEAR(*window.factor(t0), 1.2 + 2.326 * std::sqrt(0.08 / 3), 1e-9);
  // A short projection counts as 100 ms: 60 ms for a 20 ms projection is a factor of 0.6.
  window.record(t0, Duration(60), Duration(20));
  EXPECT_LT(*window.factor(t0), 2.0);
  // The largest counts when it is more than the spread gives: sixteen newer samples push the
  // others out, one of 1.5 among fifteen of 1.1 (mean 1.125, sd 0.1: 1.36 < 1.5).
  for (int i = 0; i < 16; ++i) window.record(t0 + Duration(i), Duration(i == 3 ? 750 : 550), Duration(500));
  EXPECT_NEAR(*window.factor(t0 + Duration(16)), 1.5, 1e-9);
  // And the spread when it gives more: eight of 1.0 and eight of 1.4 (mean 1.2, sd 0.2066).
  for (int i = 0; i < 16; ++i) window.record(t0 + Duration(20 + i), Duration(i % 2 ? 700 : 500), Duration(500));
  EXPECT_NEAR(*window.factor(t0 + Duration(40)), 1.2 + 2.326 * std::sqrt(16 * 0.04 / 15), 1e-9);
  // Samples older than 30 s no longer count; with too few left, the factor is unknown again.
  for (int i = 0; i < 4; ++i) window.record(t0 + Duration(20'000), Duration(650), Duration(500));
  EXPECT_NEAR(*window.factor(t0 + Duration(31'000)), 1.3, 1e-9);
  EXPECT_FALSE(window.factor(t0 + Duration(50'001)).has_value());
}

TEST(Admission, NoLatencyBudgetOrNoRateYetAdmits) {
  NodeLoad load = idle();
  load.prefill_backlog_tokens = 1'000'000;
  load.ttft_budget = Duration(0);
  EXPECT_TRUE(decide_admission({100, 10}, load).admitted());
  load.ttft_budget = Duration(2000);
  load.prefill_tokens_per_s = 0;
  EXPECT_TRUE(decide_admission({100, 10}, load).admitted());
}

}  // namespace
}  // namespace hearth::localnode
