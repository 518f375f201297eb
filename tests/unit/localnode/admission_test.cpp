// The local node's admission decision, case by case.

#include "hearth/localnode/admission.hpp"

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
  load.prefill_backlog_tokens = 1500;
  load.ttft_underestimate = Duration(250);
  // 1.9 s of prefill, as above, but first tokens came 250 ms later than projected lately.
  const Admission a = decide_admission({400, 10}, load);
  EXPECT_EQ(a.verdict, AdmissionVerdict::OverLatency);
  EXPECT_EQ(a.prefill_projection, Duration(1900));
  EXPECT_EQ(a.projected_ttft, Duration(2150));
  load.ttft_underestimate = Duration(-300);  // earlier than projected: never below the projection
  EXPECT_EQ(decide_admission({400, 10}, load).projected_ttft, Duration(1900));
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
