#include <csignal>

#include <gtest/gtest.h>

#ifdef __SANITIZE_ADDRESS__
#include <dlfcn.h>
#endif

int main(int argc, char** argv) {
  // A peer that closes early must surface as an error, not kill the test binary.
  std::signal(SIGPIPE, SIG_IGN);
#ifdef __SANITIZE_ADDRESS__
  // Mesa's lavapipe (22.3.6-1+deb12u2) keeps a 128-byte block only in its own statics. The
  // Vulkan loader unloads the driver at the instance's end, before LeakSanitizer looks, and the
  // block then shows as a leak from "<unknown module>" in every Vulkan test. Kept loaded (a
  // reference that is never closed), the driver's statics still hold the block at exit.
  dlopen("libvulkan_lvp.so", RTLD_LAZY | RTLD_NODELETE);
#endif
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
