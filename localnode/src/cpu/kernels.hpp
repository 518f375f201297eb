#pragma once
// The CPU kernels behind the matrix products and attention, one table per instruction-set
// level (scalar, AVX2, AVX-512, AVX-512 VNNI, AMX), chosen at run time. Every SIMD kernel computes
// what its scalar reference in kernels_scalar.cpp computes, up to f32 summation order
// (tests/unit/localnode/kernels_test.cpp). Tables are immutable; kernels are thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>

#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode::cpu {

enum class Isa { Scalar, Avx2, Avx512, Avx512Vnni, Amx };

const char* isa_name(Isa isa);
bool isa_supported(Isa isa);
// The widest supported level.
Isa best_isa();

// Activations quantized to 8 bits for the integer dot products of one weight type, laid out
// as plain arrays one after another in one buffer (see the views below):
//   Q8x32  (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0): per block of 32, d = max|x| / 127 rounded to
//          f16 precision, q = round(x * 127 / max|x|), sum = Σq, s = f16(d · Σq)
//   Q8x256 (the K-quants): per block of 256, d = max / -127 where max is the element of
//          largest magnitude, q = min(127, round(x / d)), and the sums of each 16 q
// These are llama.cpp's Q8_0 / Q8_1 / Q8_K roundings, so both engines see the same integers.
enum class ActFormat { None, Q8x32, Q8x256 };

struct Q8x32Row {
  const int8_t* q;     // (n)
  const float* d;      // (n / 32)
  const int32_t* sum;  // (n / 32)
  const float* s;      // (n / 32)
};

struct Q8x256Row {
  const int8_t* q;      // (n)
  const float* d;       // (n / 256)
  const int16_t* bsum;  // (n / 16)
};

// Bytes of one quantized row of n elements (n a multiple of the block size).
inline size_t act_row_bytes(ActFormat f, size_t n) {
  switch (f) {
    case ActFormat::Q8x32:
      return n + n / 32 * 12;
    case ActFormat::Q8x256:
      return n + n / 256 * 4 + n / 16 * 2;
    case ActFormat::None:
      break;
  }
  return 0;
}

inline Q8x32Row q8x32_row(const uint8_t* p, size_t n) {
  const size_t nb = n / 32;
  return {reinterpret_cast<const int8_t*>(p), reinterpret_cast<const float*>(p + n),
          reinterpret_cast<const int32_t*>(p + n + nb * 4),
          reinterpret_cast<const float*>(p + n + nb * 8)};
}

inline Q8x256Row q8x256_row(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const int8_t*>(p), reinterpret_cast<const float*>(p + n),
          reinterpret_cast<const int16_t*>(p + n + n / 256 * 4)};
}

// Quantizes n floats (a multiple of the block size) into `out` (act_row_bytes bytes, 4-byte
// aligned).
using QuantizeFn = void (*)(const float* x, size_t n, uint8_t* out);

// y[r] = (row r of a matrix) · x for r < n_rows; row r starts at w + r * stride and holds n
// elements of the weight type. x is a quantized row (GemvQ8Fn) or n floats (GemvF32Fn).
using GemvQ8Fn = void (*)(const uint8_t* w, size_t stride, size_t n_rows, size_t n,
                          const uint8_t* x, float* y);
// The mat-vec of n_tok quantized rows (x_stride bytes apart) at once, y (n_tok, ldy): each
// token's result exactly as GemvQ8Fn gives it alone. scratch: kGemvMultiScratchPerElement * n
// + 64 bytes the kernel may use (for activations rearranged once per call). arranged: the same
// rows as the level's ArrangeQ8Fn laid them out once for every call on them, or nullptr (the
// kernel then arranges them itself, in scratch, where it needs to).
using GemvQ8MultiFn = void (*)(const uint8_t* w, size_t stride, size_t n_rows, size_t n,
                               const uint8_t* xq, size_t x_stride, size_t n_tok, float* y,
                               size_t ldy, uint8_t* scratch, const uint8_t* arranged);
inline constexpr size_t kGemvMultiScratchPerElement = 24;
// Writes quantized row t (n elements, Q8x32) of a multi-token product into the level's layout
// at `arranged` (4-byte aligned), which takes arranged_bytes(n, n_tok) bytes for n_tok rows.
using ArrangeQ8Fn = void (*)(const uint8_t* xq, size_t n, size_t t, uint8_t* arranged);
// Groups of 16 rows, 18 bytes per element each (AMX's tiles and scales).
inline size_t arranged_bytes(size_t n, size_t n_tok) {
  return (n_tok + 15) / 16 * (n / 32) * 576;
}
using GemvF32Fn = void (*)(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const float* x,
                           float* y);

// Dequantizes n elements of one row to f32.
using DequantFn = void (*)(const uint8_t* w, size_t n, float* y);

// Batched products run on weight panels: up to kGemmRows weight rows in f32, in a layout each
// level chooses for its GEMM tile (pack and GEMM of one KernelSet go together), taking
// kGemmRows * round_up(k, 16) floats.
inline constexpr size_t kGemmRows = 32;
inline size_t panel_floats(size_t k) {
  return kGemmRows * ((k + 15) / 16 * 16);
}

// bp = the panel of rows [0, n_rows) of the f32 matrix b (row stride ldb).
using PackF32Fn = void (*)(const float* b, size_t ldb, size_t n_rows, size_t k, float* bp);
// The same straight from quantized rows (row r at w + r * stride), dequantizing on the way.
using PackQuantFn = void (*)(const uint8_t* w, size_t stride, size_t n_rows, size_t k, float* bp);

// Where activation (token t, element i of k) lies in a GEMM's packed activations: in blocks of
// 16 tokens, each k-major (16 floats per element), zero-padded to a multiple of 16 tokens. A
// tile of tokens then streams its activations contiguously; k-major rows of all the tokens
// would take a stride of a whole row (1 KiB at 256 tokens) per element, crossing a page every
// few elements: at 256 tokens a matmul unit ran at about 60 % of the speed
// (`hearth_bench_gemm`, bench/engine/README.md).
inline size_t packed_act_index(size_t t, size_t i, size_t k) {
  return t / 16 * 16 * k + i * 16 + t % 16;
}

// c[t * ldc + r] = Σ_i w[r][i] · ap[packed_act_index(t, i, k)] for r < n_rows (<= 32),
// t < n_tok: a weight panel times packed activations, tp (a multiple of 16, >= n_tok) tokens
// of them. While it computes, a level may prefetch [next, next + next_bytes) (the next panel's
// weights) into cache, so that streaming the weights from memory overlaps the arithmetic.
using GemmF32Fn = void (*)(const float* bp, size_t n_rows, const float* ap, size_t tp, size_t n_tok,
                           size_t k, float* c, size_t ldc, const uint8_t* next, size_t next_bytes);

// Attention of one query head over n_pos cached rows of its KV head, row p at k + p * stride
// (bytes; head_dim elements of the cache type):
//   scores[p] = (q · k_p) * scale               (AttnScoresFn)
//   out = Σ_p w[p] · v_p, out overwritten       (AttnValuesFn)
// An F16 cache's callers round q and w to half precision first (RoundF16Fn), and the sums
// follow llama.cpp's CPU backend (AVX-512 build) so that both engines agree closely: each
// score is the exactly rounded sum (f64) of the exact products; each output is the sum of 16
// lanes, lane l an FMA chain over the positions p = l mod 16, added pairwise 8+8, 4+4, 2+2,
// 1+1 (_mm512_reduce_add_ps's order).
using AttnScoresFn = void (*)(const float* q, const uint8_t* k, size_t stride, size_t n_pos,
                              size_t head_dim, float scale, float* scores);
using AttnValuesFn = void (*)(const float* w, const uint8_t* v, size_t stride, size_t n_pos,
                              size_t head_dim, float* out);
struct AttnKernels {
  AttnScoresFn scores = nullptr;
  AttnValuesFn values = nullptr;
};

// x[i] = x[i] rounded to the nearest half-precision value (ties to even), in place.
using RoundF16Fn = void (*)(float* x, size_t n);
// y[i] = the half-precision bits of x[i] (round to nearest even).
using ToF16Fn = void (*)(const float* x, uint16_t* y, size_t n);

// gate[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i].
using SwigluFn = void (*)(float* gate, const float* up, size_t n);
// In place: x = softmax(x) over n elements (the sum in f64).
using SoftmaxFn = void (*)(float* x, size_t n);

struct TypeKernels {
  ActFormat act = ActFormat::None;  // None: the type has no integer path (F32, F16, BF16)
  GemvQ8Fn gemv_q8 = nullptr;
  GemvQ8MultiFn gemv_q8_multi = nullptr;  // optional: several tokens per pass over the weights
  GemvF32Fn gemv_f32 = nullptr;
  DequantFn dequant = nullptr;
  PackQuantFn pack = nullptr;  // fused dequantize-and-pack, where a level has one
};

inline constexpr size_t kNumTypes = 13;

// Dense index of a supported tensor type (0 .. kNumTypes - 1).
size_t type_index(TensorType t);

struct KernelSet {
  Isa isa = Isa::Scalar;
  std::array<TypeKernels, kNumTypes> types{};
  QuantizeFn quantize_q8x32 = nullptr;
  QuantizeFn quantize_q8x256 = nullptr;
  PackF32Fn pack_f32 = nullptr;
  GemmF32Fn gemm_f32 = nullptr;
  AttnKernels attn_f32, attn_f16, attn_q8_0;
  RoundF16Fn round_f16 = nullptr;
  ToF16Fn to_f16 = nullptr;
  SwigluFn swiglu = nullptr;
  SoftmaxFn softmax = nullptr;
  // The rows a mat-vec call should get a multiple of: kernels that take rows in groups (AMX's
  // 16) waste the lanes of a short group.
  size_t gemv_row_multiple = 4;
  // Prompts (GEMM rows) multiply like generated tokens, with 8-bit activations, wherever a
  // matrix's type has gemv_q8_multi: where that is faster than the f32 GEMM (AMX).
  bool int8_prompts = false;
  // Optional: lays out Q8x32 rows for the Q8x32 types' gemv_q8_multi once per input.
  ArrangeQ8Fn arrange_q8x32 = nullptr;

  const TypeKernels& of(TensorType t) const { return types[type_index(t)]; }
  QuantizeFn quantize(ActFormat f) const {
    return f == ActFormat::Q8x32 ? quantize_q8x32 : quantize_q8x256;
  }
  const AttnKernels& attn(TensorType kv) const {
    return kv == TensorType::F16 ? attn_f16 : kv == TensorType::Q8_0 ? attn_q8_0 : attn_f32;
  }
};

// The table for `isa` (which must be supported); levels fall back to the scalar kernels
// for whatever they do not specialise.
const KernelSet& kernel_set(Isa isa);

// Per-level tables, filled on top of a copy of the level below (kernels_<level>.cpp).
void fill_scalar(KernelSet& ks);
void fill_avx2(KernelSet& ks);
void fill_avx512(KernelSet& ks);
void fill_avx512_vnni(KernelSet& ks);
void fill_amx(KernelSet& ks);

// Whether the CPU has AMX's int8 tiles and the OS lets this process use them (it asks).
bool amx_usable();

}  // namespace hearth::localnode::cpu
