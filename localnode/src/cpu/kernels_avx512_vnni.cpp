// AVX-512 VNNI kernels: the integer mat-vecs of the 32-element quants with vpdpbusd (one
// instruction for maddubs + madd + add, and no int16 intermediate). The same code as the AVX2
// and AVX-512 files, with the dot-product step swapped.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "cpu/kernels.hpp"

// GCC 12's AVX-512 intrinsics build their pass-through operands from self-initialised
// "undefined" vectors, which -Wmaybe-uninitialized reports wherever they are inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")

#include "cpu/x86_common.hpp"

namespace hearth::localnode::cpu {
namespace {

using namespace x86;

static inline __m256i dot_us_vnni(__m256i u, __m256i s) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
}
static inline __m512i dot_us_vnni512(__m512i u, __m512i s) {
  return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s);
}

#define HEARTH_DOT_US dot_us_vnni
#include "cpu/gemv_q8x32_x86.inc"
#undef HEARTH_DOT_US

#define HEARTH_DOT_US512 dot_us_vnni512
#include "cpu/gemv_q8_0_avx512.inc"
#undef HEARTH_DOT_US512

// The same products for several tokens at once (with VNNI; without it, kernels_avx512.cpp
// widens to int16 instead): each weight pair is loaded and its signs and magnitudes taken once
// for up to four tokens. Every (row, token) sum runs through exactly the operations of
// gemv_q8_q8_0_512, in the same order, so a token's results do not depend on the tokens
// beside it.
template <int NT>
static void gemv_q8_q8_0_512_tokens(const uint8_t* w, size_t stride, size_t n_rows, size_t n,
                                    const Q8x32Row* x, float* y, size_t ldy) {
  const size_t nb = n / 32;
  __m512i pick[8];
  for (int j = 0; j < 8; ++j) {
    pick[j] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(2 * j)), _mm256_set1_epi32(2 * j + 1), 1);
  }
  for (size_t r = 0; r < n_rows; ++r) {
    const uint8_t* b = w + r * stride;
    __m512 acc0[NT], acc1[NT];
#pragma GCC unroll 4
    for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= nb; i += 16, b += 16 * 34) {
      prefetch_group(b);
      const __m512 wsc = weight_scales16(b);
      __m512 sc[NT];
#pragma GCC unroll 4
      for (int t = 0; t < NT; ++t) sc[t] = _mm512_mul_ps(wsc, _mm512_loadu_ps(x[t].d + i));
      // Unrolled, so that the accumulators live in registers.
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        const uint8_t* bj = b + 68 * j;
        const __m512i wv = _mm512_inserti64x4(_mm512_castsi256_si512(loadu256(bj + 2)), loadu256(bj + 36), 1);
        const __mmask64 neg = _mm512_movepi8_mask(wv);
        const __m512i mag = _mm512_abs_epi8(wv);
#pragma GCC unroll 4
        for (int t = 0; t < NT; ++t) {
          const __m512i xv = _mm512_loadu_si512(x[t].q + 32 * i + 64 * j);
          const __m512i s = _mm512_mask_sub_epi8(xv, neg, _mm512_setzero_si512(), xv);
          const __m512 p = _mm512_cvtepi32_ps(dot_us_vnni512(mag, s));
          if (j % 2 == 0) {
            acc0[t] = _mm512_fmadd_ps(p, _mm512_permutexvar_ps(pick[j], sc[t]), acc0[t]);
          } else {
            acc1[t] = _mm512_fmadd_ps(p, _mm512_permutexvar_ps(pick[j], sc[t]), acc1[t]);
          }
        }
      }
    }
    for (; i + 2 <= nb; i += 2, b += 68) {
#pragma GCC unroll 4
      for (int t = 0; t < NT; ++t) {
        acc0[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(q8_0_pair(b, x[t].q + 32 * i)), pair_scale(b, x[t].d + i), acc0[t]);
      }
    }
    for (int t = 0; t < NT; ++t) {
      const float tail = i < nb ? q8_0_odd_block(b, x[t].q + 32 * i, x[t].d[i]) : 0.0f;
      y[static_cast<size_t>(t) * ldy + r] = hsum512(_mm512_add_ps(acc0[t], acc1[t])) + tail;
    }
  }
}

void gemv_q8_q8_0_512_multi(const uint8_t* w, size_t stride, size_t n_rows, size_t n,
                            const uint8_t* xq, size_t x_stride, size_t n_tok, float* y, size_t ldy,
                            uint8_t* /*scratch*/, const uint8_t* /*arranged*/) {
  for (size_t t0 = 0; t0 < n_tok; t0 += 4) {
    Q8x32Row x[4];
    const size_t nt = std::min<size_t>(4, n_tok - t0);
    for (size_t t = 0; t < nt; ++t) x[t] = q8x32_row(xq + (t0 + t) * x_stride, n);
    float* yt = y + t0 * ldy;
    switch (nt) {
      case 4: gemv_q8_q8_0_512_tokens<4>(w, stride, n_rows, n, x, yt, ldy); break;
      case 3: gemv_q8_q8_0_512_tokens<3>(w, stride, n_rows, n, x, yt, ldy); break;
      case 2: gemv_q8_q8_0_512_tokens<2>(w, stride, n_rows, n, x, yt, ldy); break;
      default: gemv_q8_q8_0_512(w, stride, n_rows, n, xq + t0 * x_stride, yt); break;
    }
  }
}

}  // namespace
}  // namespace hearth::localnode::cpu

#pragma GCC pop_options
#pragma GCC diagnostic pop

namespace hearth::localnode::cpu {

void fill_avx512_vnni(KernelSet& ks) {
  ks.isa = Isa::Avx512Vnni;
  ks.types[type_index(TensorType::Q8_0)].gemv_q8 = gemv_q8_q8_0_512;
  ks.types[type_index(TensorType::Q8_0)].gemv_q8_multi = gemv_q8_q8_0_512_multi;
  ks.types[type_index(TensorType::Q4_0)].gemv_q8 = gemv_q8_q4_0;
  ks.types[type_index(TensorType::Q4_1)].gemv_q8 = gemv_q8_q4_1;
  ks.types[type_index(TensorType::Q5_0)].gemv_q8 = gemv_q8_q5_0;
  ks.types[type_index(TensorType::Q5_1)].gemv_q8 = gemv_q8_q5_1;
}

}  // namespace hearth::localnode::cpu
