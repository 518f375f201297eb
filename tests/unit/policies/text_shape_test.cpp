#include "text_shape.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace hearth::policies {
namespace {

using Spans = std::vector<std::pair<size_t, size_t>>;

Spans windows(const std::string& text, size_t margin) { return text_shape(text, margin, 24).digit_windows; }

TEST(TextShape, ProseAndScatteredDigitsHaveNoDigitWindow) {
  EXPECT_EQ(windows(std::string(1000, 'a'), 24), Spans{});
  EXPECT_EQ(windows("version 4.2.1 at 3:30 on day 7 and 200 rows", 24), Spans{});
}

TEST(TextShape, AClusterIsWidenedByTheMargin) {
  // Digits at 70..73 (past the first 64-byte block, so the vector path finds them).
  const std::string text = std::string(70, ' ') + "1234" + std::string(70, ' ');
  EXPECT_EQ(windows(text, 10), (Spans{{60, 84}}));
  EXPECT_EQ(windows("12 34", 2), (Spans{{0, 5}}));  // clipped to the text
}

TEST(TextShape, NearbyClustersMerge) {
  const std::string text = std::string(20, ' ') + "1234" + std::string(10, ' ') + "5678" + std::string(60, ' ');
  EXPECT_EQ(windows(text, 8), (Spans{{12, 46}}));
  EXPECT_EQ(windows(text, 2), (Spans{{18, 26}, {32, 40}}));
}

TEST(TextShape, FourDigitsMustFallWithinEightBytes) {
  EXPECT_EQ(windows("1.2.3.4", 0), (Spans{{0, 7}}));
  EXPECT_EQ(windows("1..2..3..4", 0), Spans{});
}

TEST(TextShape, KeyRunsSpanBlocks) {
  const std::string text = std::string(50, ' ') + std::string(100, 'k') + "== tail";
  EXPECT_EQ(text_shape(text, 0, 24).key_runs, (Spans{{50, 152}}));
  EXPECT_EQ(text_shape(std::string(64, 'k'), 0, 24).key_runs, (Spans{{0, 64}}));
}

// Random texts over a small alphabet, so that digit clusters and long key runs both occur.
std::string random_text(std::mt19937& rng, size_t n) {
  static const char kAlphabet[] = "0123456789aZ+/_- .=\n";
  std::uniform_int_distribution<size_t> pick(0, sizeof kAlphabet - 2);
  std::string s(n, ' ');
  for (char& c : s) c = kAlphabet[pick(rng)];
  return s;
}

TEST(TextShape, EveryDigitClusterLiesInAWindow) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    const std::string text = random_text(rng, 1 + round * 3);
    const Spans spans = windows(text, 5);
    for (size_t p = 0; p < text.size(); ++p) {
      const size_t from = p + 1 >= kClusterSpan ? p + 1 - kClusterSpan : 0;
      size_t digits = 0;
      for (size_t i = from; i <= p; ++i) digits += std::isdigit(static_cast<unsigned char>(text[i])) ? 1 : 0;
      if (!std::isdigit(static_cast<unsigned char>(text[p])) || digits < kDigitsInCluster) continue;
      // The window holds the cluster's span and the margin around it.
      size_t first = p;
      for (size_t seen = 0, i = p + 1; i-- > from;) {
        if (std::isdigit(static_cast<unsigned char>(text[i])) && ++seen == kDigitsInCluster) first = i;
      }
      const bool covered = std::any_of(spans.begin(), spans.end(), [&](const auto& w) {
        return w.first <= (first > 5 ? first - 5 : 0) && std::min(text.size(), p + 6) <= w.second;
      });
      ASSERT_TRUE(covered) << "round " << round << " digit at " << p;
    }
  }
}

TEST(TextShape, KeyRunsMatchANaiveSearch) {
  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    const std::string text = random_text(rng, 1 + round * 2);
    Spans naive;
    for (size_t i = 0; i < text.size();) {
      if (!is_key_char(static_cast<unsigned char>(text[i]))) {
        ++i;
        continue;
      }
      size_t e = i;
      while (e < text.size() && is_key_char(static_cast<unsigned char>(text[e]))) ++e;
      if (e - i >= 6) {
        size_t end = e;
        for (int pad = 0; pad < 2 && end < text.size() && text[end] == '='; ++pad) ++end;
        naive.emplace_back(i, end);
        i = end;
      } else {
        i = e;
      }
    }
    ASSERT_EQ(text_shape(text, 0, 6).key_runs, naive) << "round " << round;
  }
}

}  // namespace
}  // namespace hearth::policies
