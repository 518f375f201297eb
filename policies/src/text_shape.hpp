#pragma once
// What Hyperscan is slow at, found by two cheap passes over a prompt's bytes:
// - digit windows: where the digit-shaped detectors (phone, card, SSN, IBAN, IPv4) can match,
//   near a cluster of at least 4 digits within 8 bytes, which every one of their matches
//   holds. A pure digit pattern has no literal for Hyperscan to look for, so running it over
//   every byte costs more than all the other patterns together;
// - key runs: runs of at least `min_run` key characters ([A-Za-z0-9+/_-], then up to two
//   '='), the candidates of the generic high-entropy key detector.

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::policies {

inline constexpr size_t kDigitsInCluster = 4;
inline constexpr size_t kClusterSpan = 8;

struct TextShape {
  // Sorted, non-overlapping [begin, end): each digit cluster widened by the margin on both
  // sides (at most the distance a match reaches beyond its digits), merged where they meet.
  std::vector<std::pair<size_t, size_t>> digit_windows;
  std::vector<std::pair<size_t, size_t>> key_runs;  // [begin, end), in order
};

TextShape text_shape(std::string_view text, size_t digit_margin, size_t min_run);

bool is_key_char(unsigned char c);

}  // namespace hearth::policies
