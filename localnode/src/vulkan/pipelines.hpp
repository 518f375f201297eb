#pragma once
// Compute pipelines by shader variant name, created on first use and kept, and the descriptor
// sets that bind buffers to them, cached by what they bind (a forward pass binds the same
// buffers at every step, so each set is written once). Recorder records dispatches into a
// command buffer, each followed by a barrier so the next reads what it wrote.

#include <vulkan/vulkan.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/result.hpp"
#include "vulkan/device.hpp"

namespace hearth::localnode::vulkan {

// A range of a buffer bound to one binding.
struct BufferRange {
  VkBuffer buffer = VK_NULL_HANDLE;
  uint64_t offset = 0;
  uint64_t size = VK_WHOLE_SIZE;

  auto operator<=>(const BufferRange&) const = default;
};

struct Pipeline {
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkPipeline pipeline = VK_NULL_HANDLE;
  uint32_t n_buffers = 0;
  uint32_t push_bytes = 0;
};

class Pipelines {
 public:
  explicit Pipelines(Device& device) : device_(device) {}
  ~Pipelines();
  Pipelines(const Pipelines&) = delete;
  Pipelines& operator=(const Pipelines&) = delete;

  // The pipeline of shader variant `name` (the hearth_shader() lines of the CMakeLists) with
  // `n_buffers` storage-buffer bindings, `push_bytes` of push constants and, if given, the
  // value of its specialization constant 0.
  [[nodiscard]] Result<const Pipeline*> get(std::string_view name, uint32_t n_buffers,
                                            uint32_t push_bytes,
                                            std::optional<uint32_t> constant = std::nullopt);
  // A descriptor set binding `buffers` (in binding order) for `pipeline`.
  [[nodiscard]] Result<VkDescriptorSet> bind(const Pipeline& pipeline,
                                             std::span<const BufferRange> buffers);
  // Drops the cached sets that bind `buffer`; call it before the buffer is destroyed, since
  // the driver may give its handle to the next buffer created.
  void forget(VkBuffer buffer);

 private:
  [[nodiscard]] Status grow_pool();

  Device& device_;
  std::map<std::string, std::unique_ptr<Pipeline>, std::less<>> pipelines_;
  std::map<std::pair<const Pipeline*, std::vector<BufferRange>>, VkDescriptorSet> sets_;
  std::vector<VkDescriptorPool> pools_;
  uint32_t left_in_pool_ = 0;
};

// Records dispatches into `cb`.
class Recorder {
 public:
  explicit Recorder(VkCommandBuffer cb) : cb_(cb) {}

  // Dispatches `groups` workgroups (split into 2D past the 65,535 limit of one dimension:
  // such shaders compute their group index as x + y * gl_NumWorkGroups.x), or
  // (groups, y, z).
  template <class Push>
  void dispatch(const Pipeline& p, VkDescriptorSet set, const Push& push, uint32_t groups,
                uint32_t groups_y = 1, uint32_t groups_z = 1) {
    static_assert(sizeof(Push) % 4 == 0);
    record(p, set, &push, sizeof(Push), groups, groups_y, groups_z);
  }
  // Makes the results visible to the host; the last command.
  void finish();

 private:
  void record(const Pipeline& p, VkDescriptorSet set, const void* push, uint32_t push_bytes,
              uint32_t groups, uint32_t groups_y, uint32_t groups_z);

  VkCommandBuffer cb_;
};

}  // namespace hearth::localnode::vulkan
