#pragma once
// Which Vulkan device to run on, decided from what each one reports: a pure function, so the
// preference order is tested without the devices.

#include <cstddef>
#include <span>
#include <string>

#include "hearth/core/result.hpp"

namespace hearth::localnode::vulkan {

// Which devices may be chosen: any (a CPU implementation such as Mesa's lavapipe included),
// or real GPUs only (backend `auto`: a CPU device would be slower than the CPU backend).
enum class DeviceChoice { Any, GpuOnly };

enum class DeviceKind { Discrete, Integrated, Virtual, Cpu, Other };

struct DeviceReport {
  std::string name;
  DeviceKind kind = DeviceKind::Other;
  bool vulkan_1_2 = false;    // apiVersion >= 1.2
  bool compute_queue = false;
  bool features = false;      // what the shaders need (see device.cpp)
};

// The index of the device to use: discrete GPUs first, then integrated, virtual and other
// ones, then CPU implementations (unless GpuOnly); the first of equals. Error (Unsupported):
// none qualifies, with each device's reason.
[[nodiscard]] Result<size_t> choose_device(std::span<const DeviceReport> devices, DeviceChoice choice);

}  // namespace hearth::localnode::vulkan
