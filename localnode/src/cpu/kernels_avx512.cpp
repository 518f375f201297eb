// AVX-512 (F, BW, VL, DQ) kernels: the Q8_0 integer mat-vec two blocks per register, f32
// mat-vec for F32 / F16 / BF16 / Q8_0 weights, Q8_0 and F16 dequantization, and the f32
// GEMM tile used by batched prefill. Everything else comes from the AVX2 table.

#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "cpu/kernels.hpp"

// GCC 12's AVX-512 intrinsics build their pass-through operands from self-initialised
// "undefined" vectors, which -Wmaybe-uninitialized reports wherever they are inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")

#include "cpu/x86_common.hpp"

namespace hearth::localnode::cpu {
namespace {

using namespace x86;

static inline __m512i dot_us512(__m512i u, __m512i s) {
  return _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1));
}

#define HEARTH_DOT_US512 dot_us512
#include "cpu/gemv_q8_0_avx512.inc"
#undef HEARTH_DOT_US512

// Several tokens at once without VNNI. gemv_q8_q8_0_512 transfers w's signs to x and
// multiplies bytes (vpmaddubsw, vpmaddwd), a masked subtraction per token and block pair
// before the multiply. Here the bytes of w and x are widened to int16 instead, x once per call
// and w once per pair of blocks for all tokens, and two vpmaddwd give each int32 lane the same
// four products as the byte path: even bytes (x[4d], x[4d+2]) in one, odd in the other. The
// lanes are equal integers, so scaling, accumulating and summing them in gemv_q8_q8_0_512's
// order gives its results bit for bit.
namespace int16_path {

// Per pair p and token t: 32 int16 of x's even bytes, 32 of its odd bytes, and the 16 lanes of
// its two block scales (each over its block's 8 lanes): 192 bytes per 64 elements.
struct PairAct {
  __m512i even, odd;
  __m512 scale;
};
static_assert(sizeof(PairAct) * 8 == kGemvMultiScratchPerElement * 64);

static inline __m512i even_bytes(__m512i v) { return _mm512_srai_epi16(_mm512_slli_epi16(v, 8), 8); }
static inline __m512i odd_bytes(__m512i v) { return _mm512_srai_epi16(v, 8); }

// Σ over 16 vectors' lanes, in hsum512's order for each: the result's lane i is hsum512(v[i]).
static inline __m512 hsum512_x16(const __m512* v) {
  __m512 a[8], b[4], c[2];
  for (int k = 0; k < 8; ++k) {  // lanes i + (i + 8): v[2k] in lanes 0-7, v[2k+1] in 8-15
    a[k] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * k], v[2 * k + 1], 0x44),
                         _mm512_shuffle_f32x4(v[2 * k], v[2 * k + 1], 0xEE));
  }
  for (int k = 0; k < 4; ++k) {  // + 4: 128-bit lane q holds v[4k + q]
    b[k] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], 0x88),
                         _mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], 0xDD));
  }
  for (int k = 0; k < 2; ++k) {  // + 2: lane q holds v[8k + q] twice, then v[8k + 4 + q]
    c[k] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * k], b[2 * k + 1], 0x44),
                         _mm512_shuffle_ps(b[2 * k], b[2 * k + 1], 0xEE));
  }
  // + 1: lane 4q + e holds v[4e + q].
  const __m512 d = _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], 0x88), _mm512_shuffle_ps(c[0], c[1], 0xDD));
  return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), d);
}

// One pair of blocks (weights at b) for NT tokens, scales wscale (lanes as PairAct::scale).
template <int NT>
static inline void pair(const uint8_t* b, __m512 wscale, const PairAct* xa, __m512* acc) {
  const __m512i wv = _mm512_inserti64x4(_mm512_castsi256_si512(loadu256(b + 2)), loadu256(b + 36), 1);
  const __m512i we = even_bytes(wv), wo = odd_bytes(wv);
#pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) {
    const __m512i sum = _mm512_add_epi32(_mm512_madd_epi16(we, xa[t].even), _mm512_madd_epi16(wo, xa[t].odd));
    acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(wscale, xa[t].scale), acc[t]);
  }
}

template <int NT>
void tokens(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const Q8x32Row* x, float* y,
            size_t ldy, PairAct* xa /* pairs * NT */) {
  const size_t nb = n / 32, pairs = nb / 2, main_pairs = nb / 16 * 8;
  for (size_t p = 0; p < pairs; ++p) {
    for (int t = 0; t < NT; ++t) {
      const __m512i xv = _mm512_loadu_si512(x[t].q + 64 * p);
      xa[p * NT + t] = {even_bytes(xv), odd_bytes(xv),
                        _mm512_insertf32x8(_mm512_set1_ps(x[t].d[2 * p]), _mm256_set1_ps(x[t].d[2 * p + 1]), 1)};
    }
  }
  __m512 sums[NT][16];
  alignas(64) float tails[NT][16] = {};
  for (size_t r0 = 0; r0 < n_rows; r0 += 16) {
    const size_t nr = std::min<size_t>(16, n_rows - r0);
    for (size_t rr = 0; rr < 16; ++rr) {
      __m512 acc0[NT], acc1[NT];
#pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = _mm512_setzero_ps();
      if (rr >= nr) {
        for (int t = 0; t < NT; ++t) sums[t][rr] = acc0[t];
        continue;
      }
      const uint8_t* b = w + (r0 + rr) * stride;
      size_t p = 0;
      // gemv_q8_q8_0_512's main loop: sixteen blocks, their pairs alternating accumulators.
      for (; p < main_pairs; p += 8, b += 16 * 34) {
        prefetch_group(b);
        const __m512 wsc = weight_scales16(b);
#pragma GCC unroll 8
        for (int j = 0; j < 8; ++j) {
          const __m512i pick = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(2 * j)),
                                                  _mm256_set1_epi32(2 * j + 1), 1);
          pair<NT>(b + 68 * j, _mm512_permutexvar_ps(pick, wsc), xa + (p + j) * NT, j % 2 == 0 ? acc0 : acc1);
        }
      }
      // Its pair loop: all into acc0.
      for (; p < pairs; ++p, b += 68) {
        pair<NT>(b, _mm512_insertf32x8(_mm512_set1_ps(h2f(b)), _mm256_set1_ps(h2f(b + 34)), 1), xa + p * NT, acc0);
      }
#pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) sums[t][rr] = _mm512_add_ps(acc0[t], acc1[t]);
      if (nb % 2 == 1) {  // its last odd block, the same way
        for (int t = 0; t < NT; ++t) tails[t][rr] = q8_0_odd_block(b, x[t].q + 32 * (nb - 1), x[t].d[nb - 1]);
      }
    }
    const auto keep = static_cast<__mmask16>((1u << nr) - 1);
    for (int t = 0; t < NT; ++t) {
      _mm512_mask_storeu_ps(y + t * ldy + r0, keep, _mm512_add_ps(hsum512_x16(sums[t]), _mm512_load_ps(tails[t])));
    }
  }
}

}  // namespace int16_path

void gemv_q8_q8_0_512_multi_int16(const uint8_t* w, size_t stride, size_t n_rows, size_t n,
                                  const uint8_t* xq, size_t x_stride, size_t n_tok, float* y,
                                  size_t ldy, uint8_t* scratch, const uint8_t* /*arranged*/) {
  auto* xa = reinterpret_cast<int16_path::PairAct*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~uintptr_t{63});
  // Eight tokens share a pass over the weights while their rearranged activations (3 bytes per
  // element and token) fit in about 20 KiB of L1 beside the streaming weights, four otherwise
  // (rows of 1536: eight tokens' would take 36 KiB, more than the whole L1).
  const size_t most = 8 * 3 * n <= 20 * 1024 ? 8 : 4;
  for (size_t t0 = 0; t0 < n_tok;) {
    const size_t left = n_tok - t0, nt = left >= most ? most : left >= 4 ? 4 : left >= 2 ? 2 : 1;
    Q8x32Row x[8];
    for (size_t t = 0; t < nt; ++t) x[t] = q8x32_row(xq + (t0 + t) * x_stride, n);
    float* yt = y + t0 * ldy;
    switch (nt) {
      case 8: int16_path::tokens<8>(w, stride, n_rows, n, x, yt, ldy, xa); break;
      case 4: int16_path::tokens<4>(w, stride, n_rows, n, x, yt, ldy, xa); break;
      case 2: int16_path::tokens<2>(w, stride, n_rows, n, x, yt, ldy, xa); break;
      default: int16_path::tokens<1>(w, stride, n_rows, n, x, yt, ldy, xa); break;
    }
    t0 += nt;
  }
}

float dot_f32_512(const float* a, const float* b, size_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  if (i + 16 <= n) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    i += 16;
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc1);
  }
  return hsum512(_mm512_add_ps(acc0, acc1));
}

void gemv_f32_f32(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const float* x,
                  float* y) {
  for (size_t r = 0; r < n_rows; ++r)
    y[r] = dot_f32_512(reinterpret_cast<const float*>(w + r * stride), x, n);
}

// Half-precision rows: 32 elements per step, converted with vcvtph2ps.
template <bool kBf16>
static inline __m512 load16(const uint8_t* p) {
  const __m256i h = loadu256(p);
  if constexpr (kBf16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  return _mm512_cvtph_ps(h);
}

template <bool kBf16>
void gemv_f32_half(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const float* x,
                   float* y) {
  for (size_t r = 0; r < n_rows; ++r) {
    const uint8_t* row = w + r * stride;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
      acc0 = _mm512_fmadd_ps(load16<kBf16>(row + 2 * i), _mm512_loadu_ps(x + i), acc0);
      acc1 = _mm512_fmadd_ps(load16<kBf16>(row + 2 * i + 32), _mm512_loadu_ps(x + i + 16), acc1);
    }
    float s = hsum512(_mm512_add_ps(acc0, acc1));
    for (; i < n; ++i) s += (kBf16 ? bf16_to_fp32(load_u16(row + 2 * i)) : h2f(row + 2 * i)) * x[i];
    y[r] = s;
  }
}

void gemv_f32_q8_0(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const float* x,
                   float* y) {
  for (size_t r = 0; r < n_rows; ++r) {
    const uint8_t* b = w + r * stride;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= n; i += 64, b += 68) {
      _mm_prefetch(reinterpret_cast<const char*>(b + 1024), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b + 1024 + 64), _MM_HINT_T0);
      __m512 s0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(loadu128(b + 2))),
                                _mm512_loadu_ps(x + i));
      s0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(loadu128(b + 18))),
                           _mm512_loadu_ps(x + i + 16), s0);
      __m512 s1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(loadu128(b + 36))),
                                _mm512_loadu_ps(x + i + 32));
      s1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(loadu128(b + 52))),
                           _mm512_loadu_ps(x + i + 48), s1);
      acc0 = _mm512_fmadd_ps(_mm512_set1_ps(h2f(b)), s0, acc0);
      acc1 = _mm512_fmadd_ps(_mm512_set1_ps(h2f(b + 34)), s1, acc1);
    }
    if (i < n) {
      __m512 s0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(loadu128(b + 2))),
                                _mm512_loadu_ps(x + i));
      s0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(loadu128(b + 18))),
                           _mm512_loadu_ps(x + i + 16), s0);
      acc0 = _mm512_fmadd_ps(_mm512_set1_ps(h2f(b)), s0, acc0);
    }
    y[r] = hsum512(_mm512_add_ps(acc0, acc1));
  }
}

void dequant_q8_0(const uint8_t* w, size_t n, float* y) {
  for (size_t b = 0; b < n / 32; ++b, w += 34, y += 32) {
    const __m512 d = _mm512_set1_ps(h2f(w));
    _mm512_storeu_ps(y,
                     _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(loadu128(w + 2)))));
    _mm512_storeu_ps(y + 16,
                     _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(loadu128(w + 18)))));
  }
}

void dequant_f16(const uint8_t* w, size_t n, float* y) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_cvtph_ps(loadu256(w + 2 * i)));
  for (; i < n; ++i) y[i] = h2f(w + 2 * i);
}

// F16 attention rows, in the AVX2 kernels' order of operations (see kernels.hpp) and so with
// their results bit for bit, but with 32 registers: four positions' scores at once (four
// independent f64 chains instead of one), and for the values each of the 16 position lanes of
// 16 outputs kept in a register rather than on the stack.
void attn_scores_f16(const float* q, const uint8_t* k, size_t stride, size_t n_pos, size_t head_dim,
                     float scale, float* scores) {
  const size_t body = head_dim / 8 * 8;
  const auto score = [&](const __m512d acc, const uint8_t* row) {
    // acc's lanes 0-3 and 4-7 are the AVX2 kernel's two accumulators.
    const __m256d a = _mm256_add_pd(_mm512_castpd512_pd256(acc), _mm512_extractf64x4_pd(acc, 1));
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    double s = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
    for (size_t j = body; j < head_dim; ++j) s += static_cast<double>(q[j] * h2f(row + 2 * j));
    return static_cast<float>(s) * scale;
  };
  const auto products = [&](const uint8_t* row, size_t j) {  // exact in f32, then in f64
    return _mm512_cvtps_pd(_mm256_mul_ps(_mm256_loadu_ps(q + j), _mm256_cvtph_ps(loadu128(row + 2 * j))));
  };
  size_t p = 0;
  for (; p + 4 <= n_pos; p += 4) {
    const uint8_t* r = k + p * stride;
    __m512d acc[4] = {_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd()};
    for (size_t j = 0; j < body; j += 8) {
#pragma GCC unroll 4
      for (int u = 0; u < 4; ++u) acc[u] = _mm512_add_pd(acc[u], products(r + u * stride, j));
    }
    for (int u = 0; u < 4; ++u) scores[p + u] = score(acc[u], r + u * stride);
  }
  for (; p < n_pos; ++p) {
    __m512d acc = _mm512_setzero_pd();
    for (size_t j = 0; j < body; j += 8) acc = _mm512_add_pd(acc, products(k + p * stride, j));
    scores[p] = score(acc, k + p * stride);
  }
}

void attn_values_f16(const float* w, const uint8_t* v, size_t stride, size_t n_pos, size_t head_dim,
                     float* out) {
  for (size_t j = 0; j < head_dim; j += 16) {
    const auto m = static_cast<__mmask16>(head_dim - j >= 16 ? 0xFFFF : (1u << (head_dim - j)) - 1);
    __m512 lane[16];
#pragma GCC unroll 16
    for (int l = 0; l < 16; ++l) lane[l] = _mm512_setzero_ps();
    for (size_t p0 = 0; p0 < n_pos; p0 += 16) {
      const uint8_t* r = v + p0 * stride + 2 * j;
#pragma GCC unroll 16
      for (int l = 0; l < 16; ++l) {
        if (p0 + static_cast<size_t>(l) < n_pos) {
          const __m512 x = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, r + static_cast<size_t>(l) * stride));
          lane[l] = _mm512_fmadd_ps(_mm512_set1_ps(w[p0 + static_cast<size_t>(l)]), x, lane[l]);
        }
      }
    }
    __m512 a[8], b[4];
    for (int i = 0; i < 8; ++i) a[i] = _mm512_add_ps(lane[8 + i], lane[i]);
    for (int i = 0; i < 4; ++i) b[i] = _mm512_add_ps(a[4 + i], a[i]);
    _mm512_mask_storeu_ps(out + j, m, _mm512_add_ps(_mm512_add_ps(b[0], b[2]), _mm512_add_ps(b[1], b[3])));
  }
}

// Panels, AVX-512 layout: k in chunks of 16, each chunk holding the 32 rows' 16 values one
// row after another, bp[(c * 32 + r) * 16 + i] = row r, k = 16c + i (zero past the matrix's
// rows and past k). Packing copies 16 values at a time (no transposition); the GEMM tile
// broadcasts each weight from one base pointer at a constant offset.
constexpr size_t kChunk = 16;

void pack_f32(const float* b, size_t ldb, size_t n_rows, size_t k, float* bp) {
  for (size_t c = 0; c * kChunk < k; ++c) {
    const size_t n = std::min(kChunk, k - c * kChunk);
    const auto m = static_cast<__mmask16>((1u << n) - 1);
    for (size_t r = 0; r < 32; ++r) {
      const __m512 v =
          r < n_rows ? _mm512_maskz_loadu_ps(m, b + r * ldb + c * kChunk) : _mm512_setzero_ps();
      _mm512_storeu_ps(bp + (c * 32 + r) * kChunk, v);
    }
  }
}

// Q8_0 rows dequantized straight into the panel, a block (two chunks) of every row at a time,
// so that the panel is written sequentially.
void pack_q8_0(const uint8_t* w, size_t stride, size_t n_rows, size_t k, float* bp) {
  for (size_t blk = 0; blk < k / 32; ++blk) {
    float* c0 = bp + 2 * blk * 32 * kChunk;
    float* c1 = c0 + 32 * kChunk;
    for (size_t r = 0; r < 32; ++r) {
      if (r >= n_rows) {
        _mm512_storeu_ps(c0 + r * kChunk, _mm512_setzero_ps());
        _mm512_storeu_ps(c1 + r * kChunk, _mm512_setzero_ps());
        continue;
      }
      const uint8_t* b = w + r * stride + blk * 34;
      const __m512 d = _mm512_set1_ps(h2f(b));
      _mm512_storeu_ps(c0 + r * kChunk, _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(loadu128(b + 2)))));
      _mm512_storeu_ps(c1 + r * kChunk,
                       _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(loadu128(b + 18)))));
    }
  }
}

// 8 rows x 16V tokens: acc[r][v] (16 tokens each) += bp[row r, k] · ap[k][tokens]. Per k, V
// activation loads and 8 broadcasts feed 8V FMAs.
template <int V>
void gemm_tile(const float* bp, const float* ap, size_t k, float* out /* 8 x 16V */,
               const uint8_t*& pf, const uint8_t* pf_end) {
  __m512 acc[8][V];
#pragma GCC unroll 8
  for (int r = 0; r < 8; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  for (size_t c = 0; c * kChunk < k; ++c) {
    const float* b = bp + c * 32 * kChunk;
    const size_t n = std::min(kChunk, k - c * kChunk);
    const float* a = ap + c * kChunk * 16;
    for (size_t i = 0; i < n; ++i, a += 16) {
      if (pf < pf_end) {
        _mm_prefetch(reinterpret_cast<const char*>(pf), _MM_HINT_T1);
        pf += 64;
      }
      __m512 av[V];
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) av[v] = _mm512_loadu_ps(a + 16 * k * v);
#pragma GCC unroll 8
      for (int r = 0; r < 8; ++r) {
        const __m512 bb = _mm512_set1_ps(b[r * kChunk + i]);
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(bb, av[v], acc[r][v]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < 8; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) _mm512_storeu_ps(out + (16 * V) * r + 16 * v, acc[r][v]);
  }
}

void gemm_f32(const float* bp, size_t n_rows, const float* ap, size_t tp, size_t n_tok, size_t k,
              float* c, size_t ldc, const uint8_t* next, size_t next_bytes) {
  // One prefetch per k step pulls the next panel's weights into L2 (one line per 16 FMAs).
  const uint8_t* pf = next;
  const uint8_t* pf_end = next == nullptr ? nullptr : next + next_bytes;
  alignas(64) float out[8 * 32];
  for (size_t r0 = 0; r0 < n_rows; r0 += 8) {
    const size_t nr = std::min<size_t>(8, n_rows - r0);
    for (size_t t0 = 0; t0 < n_tok;) {
      const size_t width = n_tok - t0 > 16 && t0 + 32 <= tp ? 32 : 16;
      if (width == 32) {
        gemm_tile<2>(bp + r0 * kChunk, ap + packed_act_index(t0, 0, k), k, out, pf, pf_end);
      } else {
        gemm_tile<1>(bp + r0 * kChunk, ap + packed_act_index(t0, 0, k), k, out, pf, pf_end);
      }
      const size_t nt = std::min(width, n_tok - t0);
      for (size_t t = 0; t < nt; ++t) {
        for (size_t r = 0; r < nr; ++r) c[(t0 + t) * ldc + r0 + r] = out[width * r + t];
      }
      t0 += width;
    }
  }
}

}  // namespace
}  // namespace hearth::localnode::cpu

#pragma GCC pop_options
#pragma GCC diagnostic pop

namespace hearth::localnode::cpu {

void fill_avx512(KernelSet& ks) {
  ks.isa = Isa::Avx512;
  TypeKernels& q8 = ks.types[type_index(TensorType::Q8_0)];
  q8.gemv_q8 = gemv_q8_q8_0_512;
  q8.gemv_q8_multi = gemv_q8_q8_0_512_multi_int16;
  q8.gemv_f32 = gemv_f32_q8_0;
  q8.dequant = dequant_q8_0;
  ks.types[type_index(TensorType::F32)].gemv_f32 = gemv_f32_f32;
  ks.types[type_index(TensorType::F16)].gemv_f32 = gemv_f32_half<false>;
  ks.types[type_index(TensorType::F16)].dequant = dequant_f16;
  ks.types[type_index(TensorType::BF16)].gemv_f32 = gemv_f32_half<true>;
  q8.pack = pack_q8_0;
  ks.pack_f32 = pack_f32;
  ks.gemm_f32 = gemm_f32;
  ks.attn_f16 = {attn_scores_f16, attn_values_f16};
}

}  // namespace hearth::localnode::cpu
