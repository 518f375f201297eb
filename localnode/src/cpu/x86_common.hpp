#pragma once
// Helpers shared by the x86 kernel files. Include it after <immintrin.h> and inside a
// `#pragma GCC target` region of at least "avx2,fma,f16c" (everything here is static inline,
// so each kernel file gets its own copy compiled for its own level).

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace hearth::localnode::cpu::x86 {

static inline uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

static inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// One half-precision value to f32 (F16C).
static inline float h2f(const uint8_t* p) {
  return _cvtsh_ss(load_u16(p));
}

static inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

static inline __m256i loadu256(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
static inline __m128i loadu128(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}

// 16 packed bytes (elements j in the low nibble and j + 16 in the high nibble of byte j) as
// 32 bytes 0..15 in element order.
static inline __m256i nibbles32(const uint8_t* p) {
  const __m128i q = loadu128(p);
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0F));
}

// The 32 bits of qh as 32 bytes: 0x10 where bit j is set, else 0.
static inline __m256i high_bits32(uint32_t qh) {
  const __m256i shuf = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2,
                                        2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(qh)), shuf);
  v = _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
  return _mm256_and_si256(v, _mm256_set1_epi8(0x10));
}

// Σ over pairs of u (unsigned bytes) · s (signed bytes), weighted by a 16-bit scale per
// 128-bit half: 8 int32. Every pair sum must fit in int16 (true for all uses here).
static inline __m256i dot_scaled(__m256i u, __m256i s, __m256i scales16) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), scales16);
}

static inline __m256i scale_pair(int lo, int hi) {
  return _mm256_set_m128i(_mm_set1_epi16(static_cast<short>(hi)),
                          _mm_set1_epi16(static_cast<short>(lo)));
}

// The scales of sub-blocks 2k and 2k + 1 out of sixteen signed byte scales, laid out as
// scale_pair lays them out, without a trip through general registers.
static inline __m256i scale_pair_of(__m128i scales8, int k) {
  const long long lo = 0x0101010101010101LL * (2 * k), hi = lo + 0x0101010101010101LL;
  return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales8, _mm_set_epi64x(hi, lo)));
}

// Σ scale·bsum over a K-quant super-block's sixteen sub-blocks, spread over eight int32 lanes.
static inline __m256i scaled_bsums(__m128i scales8, const int16_t* bsum) {
  return _mm256_madd_epi16(_mm256_cvtepi8_epi16(scales8), loadu256(bsum));
}

// y[0..31] = scale * q (32 signed bytes).
static inline void store_scaled32(__m256i q, float scale, float* y) {
  const __m256 d = _mm256_set1_ps(scale);
  const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
  _mm256_storeu_ps(y, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo))));
  _mm256_storeu_ps(
      y + 8, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)))));
  _mm256_storeu_ps(y + 16, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi))));
  _mm256_storeu_ps(
      y + 24, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)))));
}

// y[0..31] = scale * q + offset, rounded as the scalar `d * q + m` (no fused multiply-add).
static inline void store_affine32(__m256i q, float scale, float offset, float* y) {
  const __m256 d = _mm256_set1_ps(scale), m = _mm256_set1_ps(offset);
  const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
  const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
  for (int i = 0; i < 4; ++i) {
    const __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[i]));
    _mm256_storeu_ps(y + 8 * i, _mm256_add_ps(_mm256_mul_ps(d, v), m));
  }
}

}  // namespace hearth::localnode::cpu::x86
