#include "hearth/core/read_mostly_map.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace hearth {
namespace {

TEST(ReadMostlyMap, AddsOnAMissOnlyAndKeepsWhatItHandedOut) {
  ReadMostlyMap<std::string, int> map;
  int made = 0;
  const auto make = [&](std::string key, int value) {
    return [&made, key, value] {
      ++made;
      return std::pair<std::string, int>(key, value);
    };
  };
  const int& a = map.find_or_add(std::string_view("a"), make("a", 1));
  EXPECT_EQ(map.find_or_add(std::string_view("a"), make("a", 99)), 1);
  const int& b = map.find_or_add(std::string_view("b"), make("b", 2));
  EXPECT_EQ(made, 2);
  // Earlier references outlive later additions.
  for (int i = 0; i < 50; ++i) map.find_or_add(std::to_string(i), make(std::to_string(i), i));
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  EXPECT_EQ(map.find_or_add(std::string_view("b"), make("b", 0)), 2);
}

TEST(ReadMostlyMap, ThreadsAddingTheSameKeysGetOneValueEach) {
  ReadMostlyMap<int, const int*> map;
  std::vector<int> storage(16);
  std::atomic<int> made{0};
  std::vector<std::thread> threads;
  std::vector<std::vector<const int*>> seen(4, std::vector<const int*>(16));
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        for (int k = 0; k < 16; ++k) {
          seen[t][k] = map.find_or_add(k, [&, k] {
            ++made;
            return std::pair<int, const int*>(k, &storage[k]);
          });
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(made.load(), 16);
  for (int t = 0; t < 4; ++t) {
    for (int k = 0; k < 16; ++k) EXPECT_EQ(seen[t][k], &storage[k]);
  }
}

}  // namespace
}  // namespace hearth
