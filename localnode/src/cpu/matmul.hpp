#pragma once
// CPU matrix products y = x · Wᵀ over weights in any supported type, straight from the mapped
// file (no dequantized copies kept). Two phases of work units (ThreadPool::Phases):
//   prepare    turns the activations into what the products need, once for every matrix
//              that reads them: 8-bit quantized rows (one unit per token; mat-vec with integer
//              dot products) or a k-major packing (units of k; batched GEMM over weight panels
//              dequantized a few rows at a time);
//   products   one unit per chunk of output rows.
// The caller picks per input: the f32 GEMM, or one mat-vec per token (with quantized
// activations when the precision is Int8). Each output element's arithmetic depends only on
// its own row and token, never on the other tokens of the batch.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cpu/kernels.hpp"
#include "hearth/localnode/model.hpp"

namespace hearth::localnode::cpu {

// How quantized weights meet the activations in a mat-vec: Int8 quantizes the activations
// (llama.cpp's arithmetic, fast), Float dequantizes the weights and multiplies in f32 (exact).
enum class Precision { Int8, Float };

// Below this many tokens a batch is cheaper as mat-vecs (InferenceContext's single-sequence
// eval).
inline constexpr size_t kGemmMinTokens = 8;

// What prepare() makes of one input for the matrices that read it.
struct InputPlan {
  size_t n_tokens = 0;
  size_t n = 0;  // elements per row
  bool gemm = false;
  bool q8x32 = false;
  bool q8x256 = false;
  size_t tp = 0;  // tokens per packed k (gemm), a multiple of 16
  size_t row_multiple = 4;  // rows per mat-vec unit are a multiple of this (KernelSet)
  size_t q_row0 = 0;        // where its quantized rows start in the scratch (a row index)
  bool arrange = false;     // lay the Q8x32 rows out for a reader's gemv_q8_multi too
};

// A GEMM plan (gemm) becomes an 8-bit one where the level multiplies several tokens' 8-bit
// rows faster than the f32 GEMM (KernelSet::int8_prompts), the precision is Int8, and every
// reader has that kernel. q_row0: see InputPlan.
InputPlan plan_input(const KernelSet& ks, Precision p, size_t n_tokens, size_t n,
                     std::span<const Weight* const> readers, bool gemm, size_t q_row0 = 0);

// Buffers for one input at a time, sized for the largest batch and row; per-thread panels.
class MatmulScratch {
 public:
  // n_max: the longest input row; n_tokens_max: the largest batch; with_arranged: room for
  // KernelSet::arrange_q8x32's layout (levels that have one).
  void reserve(size_t n_max, size_t n_tokens_max, int n_threads, bool with_arranged);

  std::vector<uint8_t> q8x32, q8x256;  // (n_tokens, act_row_bytes)
  std::vector<uint8_t> arranged;       // KernelSet::arrange_q8x32's layout of the Q8x32 rows
  std::vector<float> packed;           // (n, tp)
  std::vector<std::vector<float>>
      rows;  // per thread: a panel, then (kGemmRows, n) dequantized rows
};

// One product of a phase: y (n_tokens rows of w.n_out) = x · wᵀ.
struct MatmulOut {
  const Weight* w;
  float* y;
};

// The preparation of x (plan.n_tokens rows of plan.n floats): unit u quantizes token u's row
// (mat-vec plans) or packs a range of k (GEMM plans).
size_t prepare_units(const InputPlan& plan);
void prepare_unit(const KernelSet& ks, const InputPlan& plan, const float* x, MatmulScratch& s,
                  size_t u);

// The products, after the preparation: unit u computes one chunk of output rows of one of
// `outs`; ith is the executing thread (its panel scratch).
size_t matmul_units(const InputPlan& plan, std::span<const MatmulOut> outs);
void matmul_unit(const KernelSet& ks, Precision p, const InputPlan& plan,
                 std::span<const MatmulOut> outs, const float* x, MatmulScratch& s, int ith,
                 size_t u);

}  // namespace hearth::localnode::cpu
