// AVX2 + FMA + F16C kernels (256-bit): integer dot products of every quantized type against
// 8-bit activations, SIMD dequantization, f32 mat-vec and GEMM, and the attention rows.

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "cpu/kernels.hpp"
#include "cpu/quant_blocks.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

#include "cpu/x86_common.hpp"

namespace hearth::localnode::cpu {
namespace {

using namespace x86;

// ---- activation quantization ------------------------------------------------------------

float round_f16(float x) {
  return _cvtsh_ss(_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT));
}

// 32 floats times `mul`, rounded to nearest even, as 32 signed bytes in element order.
__m256i round_to_i8(const float* x, __m256 mul) {
  const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x), mul));
  const __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8), mul));
  const __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 16), mul));
  const __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 24), mul));
  // packs interleave 128-bit lanes; the permute restores element order.
  const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
  return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

int32_t sum_i8(__m256i q) {
  const __m256i s16 =
      _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), q), _mm256_set1_epi16(1));
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(s16), _mm256_extracti128_si256(s16, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

__m256 abs_ps(__m256 v) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
}

float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

void quantize_q8x32(const float* x, size_t n, uint8_t* out) {
  const size_t nb = n / 32;
  auto* q = reinterpret_cast<int8_t*>(out);
  auto* d = reinterpret_cast<float*>(out + n);
  auto* sum = reinterpret_cast<int32_t*>(out + n + nb * 4);
  auto* s = reinterpret_cast<float*>(out + n + nb * 8);
  for (size_t b = 0; b < nb; ++b) {
    const float* xb = x + b * 32;
    __m256 m = _mm256_max_ps(abs_ps(_mm256_loadu_ps(xb)), abs_ps(_mm256_loadu_ps(xb + 8)));
    m = _mm256_max_ps(
        m, _mm256_max_ps(abs_ps(_mm256_loadu_ps(xb + 16)), abs_ps(_mm256_loadu_ps(xb + 24))));
    const float amax = hmax(m);
    const float db = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const __m256i qv = round_to_i8(xb, _mm256_set1_ps(id));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + b * 32), qv);
    const int32_t acc = sum_i8(qv);
    d[b] = round_f16(db);
    sum[b] = acc;
    s[b] = round_f16(db * static_cast<float>(acc));
  }
}

void quantize_q8x256(const float* x, size_t n, uint8_t* out) {
  const size_t nb = n / 256;
  auto* q = reinterpret_cast<int8_t*>(out);
  auto* d = reinterpret_cast<float*>(out + n);
  auto* bsum = reinterpret_cast<int16_t*>(out + n + nb * 4);
  for (size_t b = 0; b < nb; ++b) {
    const float* xb = x + b * 256;
    __m256 m = _mm256_setzero_ps();
    for (size_t j = 0; j < 256; j += 8) m = _mm256_max_ps(m, abs_ps(_mm256_loadu_ps(xb + j)));
    const float amax = hmax(m);
    if (amax == 0.0f) {
      d[b] = 0.0f;
      for (size_t j = 0; j < 256; j += 32)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + b * 256 + j), _mm256_setzero_si256());
      for (size_t g = 0; g < 16; ++g) bsum[b * 16 + g] = 0;
      continue;
    }
    // The first element of largest magnitude gives the sign, as in the reference.
    float max = 0.0f;
    for (size_t j = 0; j < 256; ++j) {
      if (xb[j] == amax || xb[j] == -amax) {
        max = xb[j];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m256 mul = _mm256_set1_ps(iscale);
    for (size_t j = 0; j < 256; j += 32) {
      // |iscale * x| <= 127 up to rounding; min(127) as the reference does.
      const __m256i qv = _mm256_min_epi8(round_to_i8(xb + j, mul), _mm256_set1_epi8(127));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + b * 256 + j), qv);
      // Sums of the two groups of 16.
      const __m256i s16 =
          _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), qv), _mm256_set1_epi16(1));
      __m128i lo = _mm256_castsi256_si128(s16), hi = _mm256_extracti128_si256(s16, 1);
      lo = _mm_hadd_epi32(lo, hi);  // (a0+a1, a2+a3, b0+b1, b2+b3)
      lo = _mm_hadd_epi32(lo, lo);
      bsum[b * 16 + j / 16] = static_cast<int16_t>(_mm_cvtsi128_si32(lo));
      bsum[b * 16 + j / 16 + 1] = static_cast<int16_t>(_mm_extract_epi32(lo, 1));
    }
    d[b] = 1.0f / iscale;
  }
}

// Software prefetch of the weights 1 KiB ahead of a block of `bytes` (the hardware
// prefetchers alone leave the mat-vecs ~20 % below the machine's streaming read rate).
static inline void prefetch_block(const uint8_t* blk, size_t bytes) {
  for (size_t l = 0; l < bytes; l += 64)
    _mm_prefetch(reinterpret_cast<const char*>(blk + 1024 + l), _MM_HINT_T0);
}

// ---- integer dot products of the 32-element quants ----------------------------------------

// Σ u·s of 32 byte pairs (u unsigned, s signed) as 8 int32.
static inline __m256i dot_us(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

#define HEARTH_DOT_US dot_us
#include "cpu/gemv_q8x32_x86.inc"
#undef HEARTH_DOT_US

// ---- integer dot products of the K-quants -------------------------------------------------

// Q4_K / Q5_K: eight sub-blocks of 32 with 6-bit scales and minimums.
template <bool kFive>
void gemv_q8_q45_k(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const uint8_t* xq,
                   float* y) {
  const Q8x256Row x = q8x256_row(xq, n);
  const size_t nb = n / 256;
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  for (size_t r = 0; r < n_rows; ++r) {
    const uint8_t* blk = w + r * stride;
    __m256 acc = _mm256_setzero_ps();
    float acc_min = 0.0f;
    for (size_t b = 0; b < nb; ++b, blk += kFive ? 176 : 144) {
      prefetch_block(blk, kFive ? 176 : 144);
      const int8_t* qx = x.q + b * 256;
      const int16_t* bs = x.bsum + b * 16;
      int sc[8], mn[8];
      for (size_t j = 0; j < 8; ++j) blocks::k4_scale_min(j, blk + 4, &sc[j], &mn[j]);
      int32_t msum = 0;
      for (size_t j = 0; j < 8; ++j) msum += mn[j] * (bs[2 * j] + bs[2 * j + 1]);
      const uint8_t* qs = blk + (kFive ? 48 : 16);
      __m256i qh = kFive ? loadu256(blk + 16) : _mm256_setzero_si256();
      __m256i isum = _mm256_setzero_si256();
      for (size_t k = 0; k < 4; ++k) {
        const __m256i q = loadu256(qs + 32 * k);
        __m256i lo = _mm256_and_si256(q, low4);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
        if (kFive) {
          const __m256i one = _mm256_set1_epi8(1);
          lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(qh, one), 4));
          hi = _mm256_or_si256(
              hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 1), one), 4));
          qh = _mm256_srli_epi16(qh, 2);
        }
        isum = _mm256_add_epi32(isum, dot_scaled(lo, loadu256(qx + 64 * k),
                                                 _mm256_set1_epi16(static_cast<short>(sc[2 * k]))));
        isum = _mm256_add_epi32(isum,
                                dot_scaled(hi, loadu256(qx + 64 * k + 32),
                                           _mm256_set1_epi16(static_cast<short>(sc[2 * k + 1]))));
      }
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(h2f(blk) * x.d[b]), acc);
      acc_min += h2f(blk + 2) * x.d[b] * static_cast<float>(msum);
    }
    y[r] = hsum(acc) - acc_min;
  }
}

void gemv_q8_q6_k(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const uint8_t* xq,
                  float* y) {
  const Q8x256Row x = q8x256_row(xq, n);
  const size_t nb = n / 256;
  const __m256i low4 = _mm256_set1_epi8(0x0F), bits45 = _mm256_set1_epi8(0x30);
  for (size_t r = 0; r < n_rows; ++r) {
    const uint8_t* blk = w + r * stride;
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; ++b, blk += 210) {
      prefetch_block(blk, 210);
      const int8_t* qx = x.q + b * 256;
      const int16_t* bs = x.bsum + b * 16;
      const __m128i sc = loadu128(blk + 192);
      // Stored values are u - 32: Σ(u - 32)x = Σux - 32Σx.
      __m256i isum =
          _mm256_slli_epi32(_mm256_sub_epi32(_mm256_setzero_si256(), scaled_bsums(sc, bs)), 5);
      for (size_t h = 0; h < 2; ++h) {
        const __m256i ql0 = loadu256(blk + 64 * h), ql1 = loadu256(blk + 64 * h + 32);
        const __m256i qh = loadu256(blk + 128 + 32 * h);
        const __m256i u[4] = {_mm256_or_si256(_mm256_and_si256(ql0, low4),
                                              _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45)),
                              _mm256_or_si256(_mm256_and_si256(ql1, low4),
                                              _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45)),
                              _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                                              _mm256_and_si256(qh, bits45)),
                              _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                              _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45))};
        for (size_t g = 0; g < 4; ++g) {
          const size_t s = 8 * h + 2 * g;
          isum = _mm256_add_epi32(isum, dot_scaled(u[g], loadu256(qx + 128 * h + 32 * g),
                                                   scale_pair_of(sc, static_cast<int>(s / 2))));
        }
      }
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(h2f(blk + 208) * x.d[b]), acc);
    }
    y[r] = hsum(acc);
  }
}

// Q3_K's sixteen 6-bit scales (12 bytes: the low nibbles of all sixteen, then their top two
// bits four to a byte) as signed bytes, the stored offset of 32 removed.
__m128i q3_k_scales(const uint8_t* s) {
  const uint32_t lo0 = load_u32(s), lo1 = load_u32(s + 4), top = load_u32(s + 8);
  const uint32_t nib = 0x0F0F0F0Fu, two = 0x03030303u;
  const __m128i v =
      _mm_setr_epi32(static_cast<int>((lo0 & nib) | ((top & two) << 4)),
                     static_cast<int>((lo1 & nib) | (((top >> 2) & two) << 4)),
                     static_cast<int>(((lo0 >> 4) & nib) | (((top >> 4) & two) << 4)),
                     static_cast<int>(((lo1 >> 4) & nib) | (((top >> 6) & two) << 4)));
  return _mm_sub_epi8(v, _mm_set1_epi8(32));
}

void gemv_q8_q3_k(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const uint8_t* xq,
                  float* y) {
  const Q8x256Row x = q8x256_row(xq, n);
  const size_t nb = n / 256;
  const __m256i three = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
  for (size_t r = 0; r < n_rows; ++r) {
    const uint8_t* blk = w + r * stride;
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; ++b, blk += 110) {
      prefetch_block(blk, 110);
      const int8_t* qx = x.q + b * 256;
      const int16_t* bs = x.bsum + b * 16;
      const __m128i sc = q3_k_scales(blk + 96);
      // Stored values are u - 4 with u = low2 | high << 2: Σ(u - 4)x = Σux - 4Σx.
      __m256i isum =
          _mm256_slli_epi32(_mm256_sub_epi32(_mm256_setzero_si256(), scaled_bsums(sc, bs)), 2);
      __m256i hm = loadu256(blk);
      for (size_t h = 0; h < 2; ++h) {
        __m256i q = loadu256(blk + 32 + 32 * h);
        for (size_t g = 0; g < 4; ++g) {
          const __m256i u = _mm256_or_si256(_mm256_and_si256(q, three),
                                            _mm256_slli_epi16(_mm256_and_si256(hm, one), 2));
          q = _mm256_srli_epi16(q, 2);
          hm = _mm256_srli_epi16(hm, 1);
          const size_t s = 8 * h + 2 * g;
          isum = _mm256_add_epi32(isum, dot_scaled(u, loadu256(qx + 128 * h + 32 * g),
                                                   scale_pair_of(sc, static_cast<int>(s / 2))));
        }
      }
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(h2f(blk + 108) * x.d[b]), acc);
    }
    y[r] = hsum(acc);
  }
}

void gemv_q8_q2_k(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const uint8_t* xq,
                  float* y) {
  const Q8x256Row x = q8x256_row(xq, n);
  const size_t nb = n / 256;
  const __m256i three = _mm256_set1_epi8(3);
  for (size_t r = 0; r < n_rows; ++r) {
    const uint8_t* blk = w + r * stride;
    __m256 acc = _mm256_setzero_ps();
    float acc_min = 0.0f;
    for (size_t b = 0; b < nb; ++b, blk += 84) {
      prefetch_block(blk, 84);
      const int8_t* qx = x.q + b * 256;
      const int16_t* bs = x.bsum + b * 16;
      int32_t msum = 0;
      for (size_t g = 0; g < 16; ++g) msum += (blk[g] >> 4) * bs[g];
      __m256i isum = _mm256_setzero_si256();
      for (size_t h = 0; h < 2; ++h) {
        __m256i q = loadu256(blk + 16 + 32 * h);
        for (size_t g = 0; g < 4; ++g) {
          const __m256i u = _mm256_and_si256(q, three);
          q = _mm256_srli_epi16(q, 2);
          const size_t s = 8 * h + 2 * g;
          isum = _mm256_add_epi32(isum, dot_scaled(u, loadu256(qx + 128 * h + 32 * g),
                                                   scale_pair(blk[s] & 0x0F, blk[s + 1] & 0x0F)));
        }
      }
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(h2f(blk + 80) * x.d[b]), acc);
      acc_min += h2f(blk + 82) * x.d[b] * static_cast<float>(msum);
    }
    y[r] = hsum(acc) - acc_min;
  }
}

// ---- dequantization -----------------------------------------------------------------------

void dequant_f16(const uint8_t* w, size_t n, float* y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(loadu128(w + 2 * i)));
  for (; i < n; ++i) y[i] = h2f(w + 2 * i);
}

void dequant_bf16(const uint8_t* w, size_t n, float* y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i v = _mm256_slli_epi32(_mm256_cvtepu16_epi32(loadu128(w + 2 * i)), 16);
    _mm256_storeu_ps(y + i, _mm256_castsi256_ps(v));
  }
  for (; i < n; ++i) y[i] = bf16_to_fp32(load_u16(w + 2 * i));
}

void dequant_f32(const uint8_t* w, size_t n, float* y) {
  std::memcpy(y, w, n * sizeof(float));
}

template <TensorType kType>
void dequant_q32(const uint8_t* w, size_t n, float* y) {
  constexpr size_t kBytes = blocks::kBlockBytes<kType>;
  for (size_t b = 0; b < n / 32; ++b, w += kBytes, y += 32) {
    const float d = h2f(w);
    if constexpr (kType == TensorType::Q8_0) {
      store_scaled32(loadu256(w + 2), d, y);
    } else if constexpr (kType == TensorType::Q4_0) {
      store_scaled32(_mm256_sub_epi8(nibbles32(w + 2), _mm256_set1_epi8(8)), d, y);
    } else if constexpr (kType == TensorType::Q4_1) {
      store_affine32(nibbles32(w + 4), d, h2f(w + 2), y);
    } else if constexpr (kType == TensorType::Q5_0) {
      const __m256i v = _mm256_or_si256(nibbles32(w + 6), high_bits32(load_u32(w + 2)));
      store_scaled32(_mm256_sub_epi8(v, _mm256_set1_epi8(16)), d, y);
    } else {
      store_affine32(_mm256_or_si256(nibbles32(w + 8), high_bits32(load_u32(w + 4))), d, h2f(w + 2),
                     y);
    }
  }
}

void dequant_q45_k(const uint8_t* blk, float* y, bool five) {
  const float d = h2f(blk), dmin = h2f(blk + 2);
  const uint8_t* qs = blk + (five ? 48 : 16);
  const __m256i low4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
  __m256i qh = five ? loadu256(blk + 16) : _mm256_setzero_si256();
  for (size_t k = 0; k < 4; ++k) {
    const __m256i q = loadu256(qs + 32 * k);
    __m256i lo = _mm256_and_si256(q, low4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
    if (five) {
      lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(qh, one), 4));
      hi = _mm256_or_si256(hi,
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 1), one), 4));
      qh = _mm256_srli_epi16(qh, 2);
    }
    int sc, mn;
    blocks::k4_scale_min(2 * k, blk + 4, &sc, &mn);
    store_affine32(lo, d * static_cast<float>(sc), -(dmin * static_cast<float>(mn)), y + 64 * k);
    blocks::k4_scale_min(2 * k + 1, blk + 4, &sc, &mn);
    store_affine32(hi, d * static_cast<float>(sc), -(dmin * static_cast<float>(mn)),
                   y + 64 * k + 32);
  }
}

// 32 bytes holding two groups of 16 with their own scales.
void store_scaled_pair(__m256i q, float s0, float s1, float* y) {
  const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
  const __m256 d0 = _mm256_set1_ps(s0), d1 = _mm256_set1_ps(s1);
  _mm256_storeu_ps(y, _mm256_mul_ps(d0, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo))));
  _mm256_storeu_ps(
      y + 8, _mm256_mul_ps(d0, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)))));
  _mm256_storeu_ps(y + 16, _mm256_mul_ps(d1, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi))));
  _mm256_storeu_ps(
      y + 24, _mm256_mul_ps(d1, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)))));
}

void dequant_q6_k_block(const uint8_t* blk, float* y) {
  const float d = h2f(blk + 208);
  const auto* sc = reinterpret_cast<const int8_t*>(blk + 192);
  const __m256i low4 = _mm256_set1_epi8(0x0F), bits45 = _mm256_set1_epi8(0x30),
                k32 = _mm256_set1_epi8(32);
  for (size_t h = 0; h < 2; ++h) {
    const __m256i ql0 = loadu256(blk + 64 * h), ql1 = loadu256(blk + 64 * h + 32);
    const __m256i qh = loadu256(blk + 128 + 32 * h);
    const __m256i u[4] = {_mm256_or_si256(_mm256_and_si256(ql0, low4),
                                          _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45)),
                          _mm256_or_si256(_mm256_and_si256(ql1, low4),
                                          _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45)),
                          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                                          _mm256_and_si256(qh, bits45)),
                          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                          _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45))};
    for (size_t g = 0; g < 4; ++g) {
      const size_t s = 8 * h + 2 * g;
      store_scaled_pair(_mm256_sub_epi8(u[g], k32), d * static_cast<float>(sc[s]),
                        d * static_cast<float>(sc[s + 1]), y + 128 * h + 32 * g);
    }
  }
}

void dequant_q3_k_block(const uint8_t* blk, float* y) {
  const float d = h2f(blk + 108);
  int sc[16];
  blocks::k_scales16<TensorType::Q3_K>(blk, sc);
  const __m256i three = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1), four = _mm256_set1_epi8(4);
  __m256i hm = loadu256(blk);
  for (size_t h = 0; h < 2; ++h) {
    __m256i q = loadu256(blk + 32 + 32 * h);
    for (size_t g = 0; g < 4; ++g) {
      const __m256i u = _mm256_or_si256(_mm256_and_si256(q, three),
                                        _mm256_slli_epi16(_mm256_and_si256(hm, one), 2));
      q = _mm256_srli_epi16(q, 2);
      hm = _mm256_srli_epi16(hm, 1);
      const size_t s = 8 * h + 2 * g;
      store_scaled_pair(_mm256_sub_epi8(u, four), d * static_cast<float>(sc[s]),
                        d * static_cast<float>(sc[s + 1]), y + 128 * h + 32 * g);
    }
  }
}

void dequant_q2_k_block(const uint8_t* blk, float* y) {
  const float d = h2f(blk + 80), dmin = h2f(blk + 82);
  const __m256i three = _mm256_set1_epi8(3);
  for (size_t h = 0; h < 2; ++h) {
    __m256i q = loadu256(blk + 16 + 32 * h);
    for (size_t g = 0; g < 4; ++g) {
      const __m256i u = _mm256_and_si256(q, three);
      q = _mm256_srli_epi16(q, 2);
      const size_t s = 8 * h + 2 * g;
      // Two groups of 16, each d * sc * q - dmin * m.
      float tmp[32];
      store_affine32(u, 1.0f, 0.0f, tmp);
      for (size_t half = 0; half < 2; ++half) {
        const uint8_t scb = blk[s + half];
        const __m256 dl = _mm256_set1_ps(d * static_cast<float>(scb & 0x0F));
        const __m256 ml = _mm256_set1_ps(dmin * static_cast<float>(scb >> 4));
        float* out = y + 128 * h + 32 * g + 16 * half;
        _mm256_storeu_ps(out,
                         _mm256_sub_ps(_mm256_mul_ps(dl, _mm256_loadu_ps(tmp + 16 * half)), ml));
        _mm256_storeu_ps(
            out + 8, _mm256_sub_ps(_mm256_mul_ps(dl, _mm256_loadu_ps(tmp + 16 * half + 8)), ml));
      }
    }
  }
}

template <TensorType kType>
void dequant_k(const uint8_t* w, size_t n, float* y) {
  constexpr size_t kBytes = blocks::kBlockBytes<kType>;
  for (size_t b = 0; b < n / 256; ++b, w += kBytes, y += 256) {
    if constexpr (kType == TensorType::Q4_K) dequant_q45_k(w, y, false);
    if constexpr (kType == TensorType::Q5_K) dequant_q45_k(w, y, true);
    if constexpr (kType == TensorType::Q6_K) dequant_q6_k_block(w, y);
    if constexpr (kType == TensorType::Q3_K) dequant_q3_k_block(w, y);
    if constexpr (kType == TensorType::Q2_K) dequant_q2_k_block(w, y);
  }
}

// ---- f32 activations ----------------------------------------------------------------------

float dot_f32(const float* a, const float* b, size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// Rows dequantized 256 elements at a time into a small buffer, then multiplied in f32.
template <DequantFn kDequant, TensorType kType>
void gemv_f32(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const float* x, float* y) {
  alignas(32) float buf[256];
  for (size_t r = 0; r < n_rows; ++r) {
    const uint8_t* row = w + r * stride;
    float acc = 0.0f;
    for (size_t i = 0; i < n; i += 256) {
      const size_t m = std::min<size_t>(256, n - i);
      kDequant(row + row_bytes(kType, i), m, buf);
      acc += dot_f32(buf, x + i, m);
    }
    y[r] = acc;
  }
}

void gemv_f32_f32(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const float* x,
                  float* y) {
  for (size_t r = 0; r < n_rows; ++r)
    y[r] = dot_f32(reinterpret_cast<const float*>(w + r * stride), x, n);
}

void gemv_f32_q8_0(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const float* x,
                   float* y) {
  for (size_t r = 0; r < n_rows; ++r) {
    const uint8_t* b = w + r * stride;
    __m256 acc = _mm256_setzero_ps();
    for (size_t i = 0; i < n; i += 32, b += 34) {
      _mm_prefetch(reinterpret_cast<const char*>(b + 1024), _MM_HINT_T0);
      const __m128i lo = loadu128(b + 2), hi = loadu128(b + 18);
      __m256 s =
          _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), _mm256_loadu_ps(x + i));
      s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))),
                          _mm256_loadu_ps(x + i + 8), s);
      s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), _mm256_loadu_ps(x + i + 16),
                          s);
      s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))),
                          _mm256_loadu_ps(x + i + 24), s);
      acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(b)), s, acc);
    }
    y[r] = hsum(acc);
  }
}

// ---- GEMM ---------------------------------------------------------------------------------

// In-register transpose of an 8 x 8 block: v[i] lane j becomes v[j] lane i.
__attribute__((always_inline)) static inline void transpose8(__m256 v[8]) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
  }
  __m256 u[8];
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    v[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

void pack_f32(const float* b, size_t ldb, size_t n_rows, size_t k, float* bp) {
  size_t kk = 0;
  for (; kk + 8 <= k; kk += 8) {
    for (size_t g = 0; g < kGemmRows / 8; ++g) {
      __m256 v[8];
      for (size_t i = 0; i < 8; ++i) {
        const size_t r = 8 * g + i;
        v[i] = r < n_rows ? _mm256_loadu_ps(b + r * ldb + kk) : _mm256_setzero_ps();
      }
      transpose8(v);
      for (size_t j = 0; j < 8; ++j) _mm256_storeu_ps(bp + (kk + j) * kGemmRows + 8 * g, v[j]);
    }
  }
  for (; kk < k; ++kk) {
    for (size_t r = 0; r < kGemmRows; ++r)
      bp[kk * kGemmRows + r] = r < n_rows ? b[r * ldb + kk] : 0.0f;
  }
}

// TT tokens x 16 rows (half a panel): two registers of 8 rows per token; token t's element i
// at ap[i * tp + t].
template <int TT>
void gemm_tile(const float* bp, const float* ap, size_t tp, size_t k, float* out /* TT x 16 */) {
  __m256 acc[TT][2];
#pragma GCC unroll 6
  for (int t = 0; t < TT; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
  for (size_t i = 0; i < k; ++i) {
    const __m256 b0 = _mm256_loadu_ps(bp + kGemmRows * i),
                 b1 = _mm256_loadu_ps(bp + kGemmRows * i + 8);
    const float* a = ap + i * tp;
#pragma GCC unroll 6
    for (int t = 0; t < TT; ++t) {
      const __m256 av = _mm256_broadcast_ss(a + t);
      acc[t][0] = _mm256_fmadd_ps(av, b0, acc[t][0]);
      acc[t][1] = _mm256_fmadd_ps(av, b1, acc[t][1]);
    }
  }
#pragma GCC unroll 6
  for (int t = 0; t < TT; ++t) {
    _mm256_storeu_ps(out + 16 * t, acc[t][0]);
    _mm256_storeu_ps(out + 16 * t + 8, acc[t][1]);
  }
}

using TileFn = void (*)(const float*, const float*, size_t, size_t, float*);
constexpr TileFn kTiles[7] = {nullptr,      gemm_tile<1>, gemm_tile<2>, gemm_tile<3>,
                              gemm_tile<4>, gemm_tile<5>, gemm_tile<6>};

void gemm_f32(const float* bp, size_t n_rows, const float* ap, size_t /*tp*/, size_t n_tok, size_t k,
              float* c, size_t ldc, const uint8_t* /*next*/,
              size_t /*next_bytes*/) {
  alignas(32) float out[6 * 16];
  for (size_t h = 0; h * 16 < n_rows; ++h) {
    const size_t nr = std::min<size_t>(16, n_rows - 16 * h);
    // 6 + 6 + 4 tokens per block of 16 packed tokens (packed_act_index).
    for (size_t t0 = 0; t0 < n_tok; t0 += t0 % 16 == 12 ? 4 : 6) {
      const size_t tt = std::min<size_t>(t0 % 16 == 12 ? 4 : 6, n_tok - t0);
      kTiles[tt](bp + 16 * h, ap + packed_act_index(t0, 0, k), 16, k, out);
      for (size_t t = 0; t < tt; ++t)
        std::memcpy(c + (t0 + t) * ldc + 16 * h, out + 16 * t, nr * sizeof(float));
    }
  }
}

// ---- attention rows -----------------------------------------------------------------------

// 8 elements of a KV row at element j (j a multiple of 8) as f32.
template <TensorType kType>
static inline __m256 kv8(const uint8_t* row, size_t j) {
  if constexpr (kType == TensorType::F16) return _mm256_cvtph_ps(loadu128(row + 2 * j));
  if constexpr (kType == TensorType::Q8_0) {
    const uint8_t* blk = row + j / 32 * 34;
    const __m256 q = _mm256_cvtepi32_ps(
        _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(blk + 2 + j % 32))));
    return _mm256_mul_ps(_mm256_set1_ps(h2f(blk)), q);
  }
  return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + j);
}

template <TensorType kType>
float kv_at(const uint8_t* row, size_t j) {
  if constexpr (kType == TensorType::F16) return h2f(row + 2 * j);
  if constexpr (kType == TensorType::Q8_0) {
    const uint8_t* blk = row + j / 32 * 34;
    return h2f(blk) * static_cast<float>(static_cast<int8_t>(blk[2 + j % 32]));
  }
  float v;
  std::memcpy(&v, row + 4 * j, 4);
  return v;
}

template <TensorType kType>
void attn_scores(const float* q, const uint8_t* k, size_t stride, size_t n_pos, size_t head_dim,
                 float scale, float* scores) {
  for (size_t p = 0; p < n_pos; ++p) {
    const uint8_t* row = k + p * stride;
    __m256 acc = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 8 <= head_dim; j += 8)
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), kv8<kType>(row, j), acc);
    float s = hsum(acc);
    for (; j < head_dim; ++j) s += q[j] * kv_at<kType>(row, j);
    scores[p] = s * scale;
  }
}

template <TensorType kType>
void attn_values(const float* w, const uint8_t* v, size_t stride, size_t n_pos, size_t head_dim,
                 float* out) {
  size_t j = 0;
  // Up to 64 outputs stay in registers while every position adds to them.
  for (; j + 32 <= head_dim; j += 32) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                     _mm256_setzero_ps()};
    for (size_t p = 0; p < n_pos; ++p) {
      const __m256 a = _mm256_set1_ps(w[p]);
      const uint8_t* row = v + p * stride;
      for (int u = 0; u < 4; ++u)
        acc[u] = _mm256_fmadd_ps(a, kv8<kType>(row, j + 8 * static_cast<size_t>(u)), acc[u]);
    }
    for (int u = 0; u < 4; ++u) _mm256_storeu_ps(out + j + 8 * u, acc[u]);
  }
  for (; j + 8 <= head_dim; j += 8) {
    __m256 acc = _mm256_setzero_ps();
    for (size_t p = 0; p < n_pos; ++p)
      acc = _mm256_fmadd_ps(_mm256_set1_ps(w[p]), kv8<kType>(v + p * stride, j), acc);
    _mm256_storeu_ps(out + j, acc);
  }
  for (; j < head_dim; ++j) {
    float acc = 0.0f;
    for (size_t p = 0; p < n_pos; ++p) acc += w[p] * kv_at<kType>(v + p * stride, j);
    out[j] = acc;
  }
}

// The F16 sums (see kernels.hpp): scores in f64, values in 16 position lanes.
void attn_scores_f16(const float* q, const uint8_t* k, size_t stride, size_t n_pos, size_t head_dim,
                     float scale, float* scores) {
  for (size_t p = 0; p < n_pos; ++p) {
    const uint8_t* row = k + p * stride;
    __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
    size_t j = 0;
    for (; j + 8 <= head_dim; j += 8) {
      const __m256 prod =
          _mm256_mul_ps(_mm256_loadu_ps(q + j), _mm256_cvtph_ps(loadu128(row + 2 * j)));  // exact
      acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(prod)));
      acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(prod, 1)));
    }
    const __m256d a = _mm256_add_pd(acc0, acc1);
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    double s = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
    for (; j < head_dim; ++j) s += static_cast<double>(q[j] * h2f(row + 2 * j));
    scores[p] = static_cast<float>(s) * scale;
  }
}

void attn_values_f16(const float* w, const uint8_t* v, size_t stride, size_t n_pos, size_t head_dim,
                     float* out) {
  size_t j = 0;
  for (; j + 8 <= head_dim; j += 8) {
    __m256 lane[16];
    for (auto& l : lane) l = _mm256_setzero_ps();
    for (size_t p = 0; p < n_pos; ++p) {
      lane[p % 16] = _mm256_fmadd_ps(
          _mm256_set1_ps(w[p]), _mm256_cvtph_ps(loadu128(v + p * stride + 2 * j)), lane[p % 16]);
    }
    __m256 a[8], b[4];
    for (int i = 0; i < 8; ++i) a[i] = _mm256_add_ps(lane[8 + i], lane[i]);
    for (int i = 0; i < 4; ++i) b[i] = _mm256_add_ps(a[4 + i], a[i]);
    _mm256_storeu_ps(out + j, _mm256_add_ps(_mm256_add_ps(b[0], b[2]), _mm256_add_ps(b[1], b[3])));
  }
  for (; j < head_dim; ++j) {
    float lane[16] = {};
    for (size_t p = 0; p < n_pos; ++p)
      lane[p % 16] = std::fma(w[p], h2f(v + p * stride + 2 * j), lane[p % 16]);
    float a[8], b[4];
    for (int i = 0; i < 8; ++i) a[i] = lane[8 + i] + lane[i];
    for (int i = 0; i < 4; ++i) b[i] = a[4 + i] + a[i];
    out[j] = (b[0] + b[2]) + (b[1] + b[3]);
  }
}

void round_f16_vec(float* x, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(
        x + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT)));
  }
  for (; i < n; ++i) x[i] = round_f16(x[i]);
}

void to_f16(const float* x, uint16_t* y, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) y[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
}

// ---- element-wise -------------------------------------------------------------------------

// exp(x) to about 2 ulp: x = k ln2 + r with |r| <= ln2 / 2, exp(r) by its degree-6 Taylor
// polynomial, times 2^k through the exponent bits. Inputs are clamped to ±88 (exp(88) is
// near FLT_MAX), which keeps 2^k a normal number.
__m256 exp_ps(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-88.0f));
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

void swiglu(float* gate, const float* up, size_t n) {
  size_t i = 0;
  const __m256 one = _mm256_set1_ps(1.0f);
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), g));
    _mm256_storeu_ps(
        gate + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void softmax(float* x, size_t n) {
  if (n == 0) return;
  size_t i = 0;
  __m256 vmax = _mm256_set1_ps(x[0]);
  for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  float max = _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
  for (; i < n; ++i) max = std::max(max, x[i]);
  const __m256 vm = _mm256_set1_ps(max);
  __m256d sum0 = _mm256_setzero_pd(), sum1 = _mm256_setzero_pd();
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    _mm256_storeu_ps(x + i, e);
    sum0 = _mm256_add_pd(sum0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    sum1 = _mm256_add_pd(sum1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  }
  const __m256d s = _mm256_add_pd(sum0, sum1);
  const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  double sum = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const __m256 inv = _mm256_set1_ps(static_cast<float>(1.0 / sum));
  for (i = 0; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
  }
  for (; i < n; ++i) x[i] *= _mm256_cvtss_f32(inv);
}

}  // namespace
}  // namespace hearth::localnode::cpu

#pragma GCC pop_options

namespace hearth::localnode::cpu {

void fill_avx2(KernelSet& ks) {
  ks.isa = Isa::Avx2;
  ks.quantize_q8x32 = quantize_q8x32;
  ks.quantize_q8x256 = quantize_q8x256;
  auto set = [&](TensorType t, GemvQ8Fn q8, GemvF32Fn f32, DequantFn dq) {
    TypeKernels& k = ks.types[type_index(t)];
    if (q8 != nullptr) k.gemv_q8 = q8;
    k.gemv_f32 = f32;
    k.dequant = dq;
  };
  set(TensorType::F32, nullptr, gemv_f32_f32, dequant_f32);
  set(TensorType::F16, nullptr, gemv_f32<dequant_f16, TensorType::F16>, dequant_f16);
  set(TensorType::BF16, nullptr, gemv_f32<dequant_bf16, TensorType::BF16>, dequant_bf16);
  set(TensorType::Q8_0, gemv_q8_q8_0, gemv_f32_q8_0, dequant_q32<TensorType::Q8_0>);
  set(TensorType::Q4_0, gemv_q8_q4_0, gemv_f32<dequant_q32<TensorType::Q4_0>, TensorType::Q4_0>,
      dequant_q32<TensorType::Q4_0>);
  set(TensorType::Q4_1, gemv_q8_q4_1, gemv_f32<dequant_q32<TensorType::Q4_1>, TensorType::Q4_1>,
      dequant_q32<TensorType::Q4_1>);
  set(TensorType::Q5_0, gemv_q8_q5_0, gemv_f32<dequant_q32<TensorType::Q5_0>, TensorType::Q5_0>,
      dequant_q32<TensorType::Q5_0>);
  set(TensorType::Q5_1, gemv_q8_q5_1, gemv_f32<dequant_q32<TensorType::Q5_1>, TensorType::Q5_1>,
      dequant_q32<TensorType::Q5_1>);
  set(TensorType::Q2_K, gemv_q8_q2_k, gemv_f32<dequant_k<TensorType::Q2_K>, TensorType::Q2_K>,
      dequant_k<TensorType::Q2_K>);
  set(TensorType::Q3_K, gemv_q8_q3_k, gemv_f32<dequant_k<TensorType::Q3_K>, TensorType::Q3_K>,
      dequant_k<TensorType::Q3_K>);
  set(TensorType::Q4_K, gemv_q8_q45_k<false>,
      gemv_f32<dequant_k<TensorType::Q4_K>, TensorType::Q4_K>, dequant_k<TensorType::Q4_K>);
  set(TensorType::Q5_K, gemv_q8_q45_k<true>,
      gemv_f32<dequant_k<TensorType::Q5_K>, TensorType::Q5_K>, dequant_k<TensorType::Q5_K>);
  set(TensorType::Q6_K, gemv_q8_q6_k, gemv_f32<dequant_k<TensorType::Q6_K>, TensorType::Q6_K>,
      dequant_k<TensorType::Q6_K>);
  ks.pack_f32 = pack_f32;
  ks.gemm_f32 = gemm_f32;
  ks.attn_f32 = {attn_scores<TensorType::F32>, attn_values<TensorType::F32>};
  ks.attn_f16 = {attn_scores_f16, attn_values_f16};
  ks.attn_q8_0 = {attn_scores<TensorType::Q8_0>, attn_values<TensorType::Q8_0>};
  ks.round_f16 = round_f16_vec;
  ks.to_f16 = to_f16;
  ks.swiglu = swiglu;
  ks.softmax = softmax;
}

}  // namespace hearth::localnode::cpu
