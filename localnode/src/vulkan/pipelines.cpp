#include "vulkan/pipelines.hpp"

#include <algorithm>
#include <cassert>

#include "vulkan/spirv_table.hpp"

namespace hearth::localnode::vulkan {
namespace {

constexpr uint32_t kSetsPerPool = 1024;
constexpr uint32_t kMaxGroupsPerDimension = 65535;

}  // namespace

Pipelines::~Pipelines() {
  const VkDevice d = device_.handle();
  for (VkDescriptorPool pool : pools_) vkDestroyDescriptorPool(d, pool, nullptr);
  for (auto& [name, p] : pipelines_) {
    vkDestroyPipeline(d, p->pipeline, nullptr);
    vkDestroyPipelineLayout(d, p->layout, nullptr);
    vkDestroyDescriptorSetLayout(d, p->set_layout, nullptr);
  }
}

Result<const Pipeline*> Pipelines::get(std::string_view name, uint32_t n_buffers,
                                       uint32_t push_bytes, std::optional<uint32_t> constant) {
  std::string key(name);
  if (constant) key += "#" + std::to_string(*constant);
  if (auto it = pipelines_.find(key); it != pipelines_.end()) return it->second.get();
  const std::span<const uint32_t> spirv = find_spirv(name);
  if (spirv.empty()) {
    return make_error(ErrorCode::Internal, "vulkan: no shader named " + std::string(name));
  }
  const VkDevice d = device_.handle();
  auto p = std::make_unique<Pipeline>();
  p->n_buffers = n_buffers;
  p->push_bytes = push_bytes;

  std::vector<VkDescriptorSetLayoutBinding> bindings(n_buffers);
  for (uint32_t i = 0; i < n_buffers; ++i) {
    bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  }
  VkDescriptorSetLayoutCreateInfo sli{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  sli.bindingCount = n_buffers;
  sli.pBindings = bindings.data();
  if (VkResult r = vkCreateDescriptorSetLayout(d, &sli, nullptr, &p->set_layout); r != VK_SUCCESS) {
    return vulkan_error("vkCreateDescriptorSetLayout", r);
  }
  const VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes};
  VkPipelineLayoutCreateInfo pli{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  pli.setLayoutCount = 1;
  pli.pSetLayouts = &p->set_layout;
  pli.pushConstantRangeCount = push_bytes > 0 ? 1 : 0;
  pli.pPushConstantRanges = &range;
  if (VkResult r = vkCreatePipelineLayout(d, &pli, nullptr, &p->layout); r != VK_SUCCESS) {
    vkDestroyDescriptorSetLayout(d, p->set_layout, nullptr);
    return vulkan_error("vkCreatePipelineLayout", r);
  }
  VkShaderModuleCreateInfo smi{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  smi.codeSize = spirv.size() * sizeof(uint32_t);
  smi.pCode = spirv.data();
  VkShaderModule module = VK_NULL_HANDLE;
  if (VkResult r = vkCreateShaderModule(d, &smi, nullptr, &module); r != VK_SUCCESS) {
    vkDestroyPipelineLayout(d, p->layout, nullptr);
    vkDestroyDescriptorSetLayout(d, p->set_layout, nullptr);
    return vulkan_error("vkCreateShaderModule", r);
  }
  VkComputePipelineCreateInfo cpi{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  cpi.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  cpi.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  cpi.stage.module = module;
  cpi.stage.pName = "main";
  const VkSpecializationMapEntry entry{0, 0, sizeof(uint32_t)};
  const uint32_t value = constant.value_or(0);
  const VkSpecializationInfo spec{1, &entry, sizeof(value), &value};
  if (constant) cpi.stage.pSpecializationInfo = &spec;
  cpi.layout = p->layout;
  const VkResult created = vkCreateComputePipelines(d, VK_NULL_HANDLE, 1, &cpi, nullptr, &p->pipeline);
  vkDestroyShaderModule(d, module, nullptr);
  if (created != VK_SUCCESS) {
    vkDestroyPipelineLayout(d, p->layout, nullptr);
    vkDestroyDescriptorSetLayout(d, p->set_layout, nullptr);
    return vulkan_error("vkCreateComputePipelines", created);
  }
  const Pipeline* out = p.get();
  pipelines_.emplace(std::move(key), std::move(p));
  return out;
}

Status Pipelines::grow_pool() {
  // Every kernel binds at most 10 buffers.
  const VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * 10};
  VkDescriptorPoolCreateInfo pci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  pci.maxSets = kSetsPerPool;
  pci.poolSizeCount = 1;
  pci.pPoolSizes = &size;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  if (VkResult r = vkCreateDescriptorPool(device_.handle(), &pci, nullptr, &pool); r != VK_SUCCESS) {
    return vulkan_error("vkCreateDescriptorPool", r);
  }
  pools_.push_back(pool);
  left_in_pool_ = kSetsPerPool;
  return {};
}

Result<VkDescriptorSet> Pipelines::bind(const Pipeline& pipeline,
                                        std::span<const BufferRange> buffers) {
  assert(buffers.size() == pipeline.n_buffers);
  auto key = std::make_pair(&pipeline, std::vector<BufferRange>(buffers.begin(), buffers.end()));
  if (auto it = sets_.find(key); it != sets_.end()) return it->second;
  if (left_in_pool_ == 0) {
    if (Status grown = grow_pool(); !grown) return std::move(grown).error();
  }
  VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  ai.descriptorPool = pools_.back();
  ai.descriptorSetCount = 1;
  ai.pSetLayouts = &pipeline.set_layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  if (VkResult r = vkAllocateDescriptorSets(device_.handle(), &ai, &set); r != VK_SUCCESS) {
    return vulkan_error("vkAllocateDescriptorSets", r);
  }
  --left_in_pool_;
  std::vector<VkDescriptorBufferInfo> infos(buffers.size());
  std::vector<VkWriteDescriptorSet> writes(buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    infos[i] = {buffers[i].buffer, buffers[i].offset, buffers[i].size};
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = static_cast<uint32_t>(i);
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(device_.handle(), static_cast<uint32_t>(writes.size()), writes.data(), 0,
                         nullptr);
  sets_.emplace(std::move(key), set);
  return set;
}

void Pipelines::forget(VkBuffer buffer) {
  // The sets themselves stay allocated in their pool until it is destroyed: a backend forgets
  // a buffer only when one grows, a handful of times in its life.
  std::erase_if(sets_, [&](const auto& entry) {
    const std::vector<BufferRange>& bound = entry.first.second;
    return std::any_of(bound.begin(), bound.end(),
                       [&](const BufferRange& r) { return r.buffer == buffer; });
  });
}

void Recorder::record(const Pipeline& p, VkDescriptorSet set, const void* push, uint32_t push_bytes,
                      uint32_t groups, uint32_t groups_y, uint32_t groups_z) {
  assert(push_bytes == p.push_bytes);
  vkCmdBindPipeline(cb_, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
  vkCmdBindDescriptorSets(cb_, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, 1, &set, 0, nullptr);
  vkCmdPushConstants(cb_, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push);
  uint32_t x = groups, y = groups_y;
  if (groups_y == 1 && groups > kMaxGroupsPerDimension) {
    y = (groups + kMaxGroupsPerDimension - 1) / kMaxGroupsPerDimension;
    x = (groups + y - 1) / y;
  }
  vkCmdDispatch(cb_, x, y, groups_z);
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  vkCmdPipelineBarrier(cb_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       0, 1, &barrier, 0, nullptr, 0, nullptr);
}

void Recorder::finish() {
  // The host reads what the last dispatches wrote once the fence signals.
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(cb_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                       &barrier, 0, nullptr, 0, nullptr);
}

}  // namespace hearth::localnode::vulkan
