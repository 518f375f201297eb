#pragma once
// The end of a JSON string's plain run: the bytes a string takes as they are (printable ASCII
// other than a quote or a backslash). Both JSON readers (parse_json and scan_json_object)
// scan message contents and stream chunks through it, sixteen bytes a step where SSE2 is
// there: strings are most of their bytes.

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace hearth {

[[gnu::always_inline]] inline const char* plain_run_end(const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  const __m128i below_space = _mm_set1_epi8(0x20);
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Signed compares: bytes >= 0x80 are negative, so "less than 0x20" catches them too.
    const __m128i stop =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                     _mm_cmplt_epi8(v, below_space));
    if (const int mask = _mm_movemask_epi8(stop); mask != 0) {
      return p + __builtin_ctz(static_cast<unsigned>(mask));
    }
  }
#endif
  for (; p != end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
  }
  return p;
}

}  // namespace hearth
