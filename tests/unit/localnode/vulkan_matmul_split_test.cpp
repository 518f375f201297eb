// How prefill mat-muls are split over k (matmul_split.hpp), on a 135M model's shapes and at
// the limits: the target, the shortest slice and the scratch buffer.

#include "vulkan/matmul_split.hpp"

#include <gtest/gtest.h>

namespace hearth::localnode::vulkan {
namespace {

constexpr size_t kScratch = size_t{4} << 20;

// Every slice starts on a k step, the slices cover n_in exactly and none is empty.
void expect_covers(KSplit s, uint32_t n_in) {
  EXPECT_EQ(s.k_len % kMatmulKStep, 0u);
  EXPECT_GE(s.k_len * s.slices, n_in);
  EXPECT_LT(s.k_len * (s.slices - 1), n_in);
}

TEST(MatmulKSplit, AProductOfFewTilesIsSplitIntoSlicesOfAFewStepsEach) {
  // A 135M model's 576 x 576 product over 8 tokens: 9 tiles, 18 k steps.
  const KSplit s = matmul_k_split(9, 576, 8 * 576, kScratch);
  EXPECT_EQ(s.slices, 4u);  // at most 18 / kMatmulMinSliceSteps
  EXPECT_EQ(s.k_len, 160u);
  expect_covers(s, 576);
  // Its 1536-long down projection: 48 steps, so twelve slices of four.
  const KSplit down = matmul_k_split(9, 1536, 8 * 576, kScratch);
  EXPECT_EQ(down.slices, 12u);
  expect_covers(down, 1536);
}

TEST(MatmulKSplit, SplitsOnlyUntilTheTilesFillTheTarget) {
  // 144 tiles (576 rows, 512 tokens): four slices bring them to the target.
  const KSplit s = matmul_k_split(144, 1536, 512 * 576, kScratch);
  EXPECT_EQ(s.slices, 4u);
  expect_covers(s, 1536);
  // Enough tiles already: no split.
  const KSplit whole = matmul_k_split(kMatmulTargetGroups, 4096, 512 * 4096, kScratch);
  EXPECT_EQ(whole.slices, 1u);
  EXPECT_EQ(whole.k_len, 4096u);
}

TEST(MatmulKSplit, NeverSplitsAShortProductOrPastTheScratchBuffer) {
  EXPECT_EQ(matmul_k_split(1, 64, 64, kScratch).slices, 1u);  // two steps
  const KSplit s = matmul_k_split(1, 4096, kScratch / 3, kScratch);
  EXPECT_EQ(s.slices, 3u);
  expect_covers(s, 4096);
  EXPECT_EQ(matmul_k_split(1, 4096, kScratch, kScratch).slices, 1u);
}

}  // namespace
}  // namespace hearth::localnode::vulkan
