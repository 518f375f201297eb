#include <csignal>

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  // A peer that closes early must surface as an error, not kill the test binary.
  std::signal(SIGPIPE, SIG_IGN);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
