#include "vulkan/device_choice.hpp"

#include <optional>

namespace hearth::localnode::vulkan {
namespace {

int rank(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::Discrete:
      return 0;
    case DeviceKind::Integrated:
      return 1;
    case DeviceKind::Virtual:
      return 2;
    case DeviceKind::Other:
      return 3;
    case DeviceKind::Cpu:
      return 4;
  }
  return 4;
}

}  // namespace

Result<size_t> choose_device(std::span<const DeviceReport> devices, DeviceChoice choice) {
  std::optional<size_t> best;
  std::string skipped;
  auto skip = [&](const DeviceReport& d, const char* why) {
    skipped += (skipped.empty() ? ": " : "; ") + d.name + " (" + why + ")";
  };
  for (size_t i = 0; i < devices.size(); ++i) {
    const DeviceReport& d = devices[i];
    if (!d.vulkan_1_2) {
      skip(d, "Vulkan 1.1 or older");
    } else if (choice == DeviceChoice::GpuOnly && d.kind == DeviceKind::Cpu) {
      skip(d, "a CPU implementation");
    } else if (!d.compute_queue) {
      skip(d, "no compute queue");
    } else if (!d.features) {
      skip(d, "lacks 16-bit storage, 16-bit floats, subgroup arithmetic or workgroups of 256 "
              "threads and 32 KiB");
    } else if (!best || rank(d.kind) < rank(devices[*best].kind)) {
      best = i;
    }
  }
  if (!best) return make_error(ErrorCode::Unsupported, "no usable Vulkan device" + skipped);
  return *best;
}

}  // namespace hearth::localnode::vulkan
