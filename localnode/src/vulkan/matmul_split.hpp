#pragma once
// How a prefill mat-mul is split over k (matmul.comp's z layers, added by split_sum.comp).
// Its workgroups each own one output tile and walk all of k, one step after another, each
// step waiting on memory. A product of few tiles (a small model's 576-row matrices, a short
// prompt) is then as slow as one long walk while most of the GPU idles; split over k, it runs
// as many short walks at once.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "vulkan/push_constants.hpp"

namespace hearth::localnode::vulkan {

// About four workgroups per multiprocessor of a large GPU (an H100 has 132): past that a
// product fills the device without a split, and slices would only add their outputs' traffic.
inline constexpr uint32_t kMatmulTargetGroups = 512;
// Each slice walks this many k steps at least.
inline constexpr uint32_t kMatmulMinSliceSteps = 4;

struct KSplit {
  uint32_t slices = 1;
  uint32_t k_len = 0;  // a multiple of kMatmulKStep, or n_in when slices == 1
};

// The split of a product with `tiles` output tiles, n_in long, `outputs` = n_tokens * n_out,
// whose slices' outputs must fit `scratch_floats`.
constexpr KSplit matmul_k_split(uint32_t tiles, uint32_t n_in, size_t outputs,
                                size_t scratch_floats) {
  const uint32_t steps = (n_in + kMatmulKStep - 1) / kMatmulKStep;
  size_t want = (kMatmulTargetGroups + tiles - 1) / std::max<uint32_t>(tiles, 1);
  want = std::min<size_t>(want, steps / kMatmulMinSliceSteps);
  want = std::min<size_t>(want, outputs == 0 ? 1 : scratch_floats / outputs);
  if (want <= 1) return {1, n_in};
  const uint32_t k_len = static_cast<uint32_t>((steps + want - 1) / want) * kMatmulKStep;
  return {(n_in + k_len - 1) / k_len, k_len};
}

}  // namespace hearth::localnode::vulkan
