#pragma once
// One Vulkan compute device: the instance, the chosen physical device, a compute queue, and
// the buffers allocated on it. Vulkan's C API is used directly (no exceptions cross this
// edge); every failure becomes an error naming the call.

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "hearth/core/result.hpp"
#include "vulkan/device_choice.hpp"

namespace hearth::localnode::vulkan {

enum class Memory {
  Device,  // device-local: weights, activations, the KV cache
  Host,    // host-visible and mapped: per-pass inputs, logits, staging
};

class Buffer {
 public:
  Buffer() = default;
  Buffer(Buffer&& other) noexcept { *this = std::move(other); }
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { release(); }

  VkBuffer handle() const { return buffer_; }
  size_t size() const { return size_; }
  void* mapped() const { return mapped_; }  // null for Memory::Device

 private:
  friend class Device;
  void release();

  VkDevice device_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  size_t size_ = 0;
  void* mapped_ = nullptr;
};

struct DeviceLimits {
  uint64_t max_storage_range = 0;       // bytes one storage-buffer binding may span
  uint64_t storage_offset_alignment = 0;
  uint64_t max_allocation = 0;
};

class Device {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Device>> open(DeviceChoice choice);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const std::string& name() const { return name_; }
  bool is_cpu() const { return is_cpu_; }
  const DeviceLimits& limits() const { return limits_; }
  VkDevice handle() const { return device_; }
  // Device memory allocated so far, in bytes (what a memory budget counts).
  uint64_t allocated_bytes() const { return allocated_; }

  [[nodiscard]] Result<Buffer> buffer(size_t bytes, Memory memory);
  [[nodiscard]] Result<VkCommandBuffer> command_buffer();
  void free_command_buffer(VkCommandBuffer cb);
  // Submits `cb` and waits for it to finish.
  [[nodiscard]] Status submit_and_wait(VkCommandBuffer cb);
  // Records commands with `record` into a one-time command buffer, runs it and waits.
  [[nodiscard]] Status run_once(const std::function<void(VkCommandBuffer)>& record);

 private:
  Device() = default;
  [[nodiscard]] Status init(DeviceChoice choice);
  std::optional<uint32_t> memory_type(uint32_t allowed, Memory memory) const;

  VkInstance instance_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  VkPhysicalDeviceMemoryProperties memory_{};
  DeviceLimits limits_;
  std::string name_;
  bool is_cpu_ = false;
  uint64_t allocated_ = 0;
};

// "vkCreateBuffer failed: VK_ERROR_OUT_OF_DEVICE_MEMORY" and the like.
[[nodiscard]] Error vulkan_error(const char* call, VkResult result);

}  // namespace hearth::localnode::vulkan
