#pragma once
// How many bytes two texts share at their start: what EventScanner compares an event with an
// object it keeps by, sixteen bytes a step where SSE2 is there. Where fewer than sixteen bytes
// are left, the last step compares the sixteen that end there, some of them again.

#include <cstddef>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace hearth {

#ifdef __SSE2__
namespace detail {
// A bit for each of the sixteen bytes at a and b that differ.
inline unsigned differing_bytes(const char* a, const char* b) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a));
  const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
  return static_cast<unsigned>(~_mm_movemask_epi8(_mm_cmpeq_epi8(x, y))) & 0xFFFFu;
}
}  // namespace detail
#endif

// The length of the longest common prefix of a[0, n) and b[0, n).
inline std::size_t common_prefix_length(const char* a, const char* b, std::size_t n) {
  std::size_t i = 0;
#ifdef __SSE2__
  if (n >= 16) {
    for (; n - i >= 16; i += 16) {
      if (const unsigned differ = detail::differing_bytes(a + i, b + i); differ != 0) {
        return i + static_cast<std::size_t>(__builtin_ctz(differ));
      }
    }
    if (i == n) return n;
    const std::size_t last = n - 16;  // its bytes before i are equal
    const unsigned differ = detail::differing_bytes(a + last, b + last);
    return differ != 0 ? last + static_cast<std::size_t>(__builtin_ctz(differ)) : n;
  }
#endif
  while (i != n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace hearth
