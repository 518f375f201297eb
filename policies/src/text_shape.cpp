#include "text_shape.hpp"

#include <algorithm>
#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hearth::policies {
namespace {

constexpr auto kKeyChars = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<size_t>(c)] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                c == '+' || c == '/' || c == '_' || c == '-';
  }
  return t;
}();

bool key(char c) { return kKeyChars[static_cast<unsigned char>(c)]; }

void find_digit_windows(std::string_view text, size_t margin, std::vector<std::pair<size_t, size_t>>& out) {
  const size_t n = text.size();
  std::array<size_t, kDigitsInCluster> recent{};  // positions of the last digits, a ring
  size_t seen = 0;
  auto on_digit = [&](size_t p) {
    recent[seen % kDigitsInCluster] = p;
    ++seen;
    if (seen < kDigitsInCluster) return;
    const size_t first = recent[seen % kDigitsInCluster];  // the oldest of the last four
    if (p - first >= kClusterSpan) return;
    const size_t lo = first > margin ? first - margin : 0;
    const size_t hi = std::min(n, p + 1 + margin);
    if (!out.empty() && lo <= out.back().second) {
      out.back().second = std::max(out.back().second, hi);
    } else {
      out.emplace_back(lo, hi);
    }
  };

  size_t i = 0;
#if defined(__SSE2__)
  // Sixteen bytes at a time: most blocks of prose hold no digit at all.
  const __m128i below = _mm_set1_epi8('0' - 1);
  const __m128i above = _mm_set1_epi8('9' + 1);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    auto mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above))));
    while (mask != 0) {
      on_digit(i + static_cast<size_t>(__builtin_ctz(mask)));
      mask &= mask - 1;
    }
  }
#endif
  for (; i < n; ++i) {
    if (text[i] >= '0' && text[i] <= '9') on_digit(i);
  }
}

void find_key_runs(std::string_view text, size_t min_run, std::vector<std::pair<size_t, size_t>>& out) {
  // Skip ahead by the run length: a run that long covering [i, i + min_run) needs the byte
  // at i + min_run - 1, so a non-key byte there rules out every start up to it. (Measured
  // against a vectorised classification of every byte: this touches a fifth of the bytes
  // of prose and was no slower.)
  const size_t n = text.size();
  size_t i = 0;
  while (min_run > 0 && i + min_run <= n) {
    const size_t probe = i + min_run - 1;
    if (!key(text[probe])) {
      i = probe + 1;
      continue;
    }
    size_t j = probe;
    while (j > i && key(text[j - 1])) --j;
    if (j > i) {
      i = j;  // a non-key byte at j - 1: the run can start no earlier than j
      continue;
    }
    size_t end = probe + 1;
    while (end < n && key(text[end])) ++end;
    for (int pad = 0; pad < 2 && end < n && text[end] == '='; ++pad) ++end;
    out.emplace_back(i, end);
    i = end;
  }
}

}  // namespace

bool is_key_char(unsigned char c) { return kKeyChars[c]; }

TextShape text_shape(std::string_view text, size_t digit_margin, size_t min_run) {
  TextShape out;
  find_digit_windows(text, digit_margin, out.digit_windows);
  find_key_runs(text, min_run, out.key_runs);
  return out;
}

}  // namespace hearth::policies
