// The Vulkan device preference as a table: discrete before integrated before virtual and
// other GPUs before CPU implementations, the first of equals, `auto` (GpuOnly) never on a
// CPU device, and every device's reason when none qualifies.

#include "vulkan/device_choice.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace hearth::localnode::vulkan {
namespace {

DeviceReport usable(const char* name, DeviceKind kind) {
  return {name, kind, true, true, true};
}

struct Case {
  const char* what;
  std::vector<DeviceReport> devices;
  DeviceChoice choice;
  int want;  // the chosen index, or -1: an error
};

TEST(VulkanDeviceChoice, PrefersRealGpusAndNamesWhyNoneFits) {
  const DeviceReport lavapipe = usable("llvmpipe", DeviceKind::Cpu);
  const DeviceReport igpu = usable("Intel UHD", DeviceKind::Integrated);
  const DeviceReport dgpu = usable("NVIDIA H100", DeviceKind::Discrete);
  const DeviceReport old_gpu{"Old GPU", DeviceKind::Discrete, false, true, true};
  const DeviceReport no_features{"Bare GPU", DeviceKind::Discrete, true, true, false};
  const Case cases[] = {
      {"discrete before integrated and CPU", {lavapipe, igpu, dgpu}, DeviceChoice::Any, 2},
      {"integrated before CPU", {lavapipe, igpu}, DeviceChoice::Any, 1},
      {"the first of equals", {dgpu, usable("second", DeviceKind::Discrete)}, DeviceChoice::Any, 0},
      {"virtual before other", {usable("o", DeviceKind::Other), usable("v", DeviceKind::Virtual)}, DeviceChoice::Any, 1},
      {"a CPU device when asked for any", {lavapipe}, DeviceChoice::Any, 0},
      {"never a CPU device for auto", {lavapipe}, DeviceChoice::GpuOnly, -1},
      {"auto takes the GPU beside it", {lavapipe, igpu}, DeviceChoice::GpuOnly, 1},
      {"a device too old or lacking features is skipped", {old_gpu, no_features, lavapipe}, DeviceChoice::Any, 2},
      {"nothing at all", {}, DeviceChoice::Any, -1},
  };
  for (const Case& c : cases) {
    const Result<size_t> got = choose_device(c.devices, c.choice);
    if (c.want < 0) {
      ASSERT_FALSE(got.ok()) << c.what;
      EXPECT_EQ(got.error().code, ErrorCode::Unsupported) << c.what;
    } else {
      ASSERT_TRUE(got.ok()) << c.what << ": " << got.error().message;
      EXPECT_EQ(*got, static_cast<size_t>(c.want)) << c.what;
    }
  }
  const Result<size_t> none = choose_device(std::vector<DeviceReport>{old_gpu, no_features, lavapipe}, DeviceChoice::GpuOnly);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message,
            "no usable Vulkan device: Old GPU (Vulkan 1.1 or older); Bare GPU (lacks 16-bit storage, 16-bit "
            "floats, subgroup arithmetic or workgroups of 256 threads and 32 KiB); llvmpipe (a CPU "
            "implementation)");
}

}  // namespace
}  // namespace hearth::localnode::vulkan
