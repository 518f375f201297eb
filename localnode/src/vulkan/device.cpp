#include "vulkan/device.hpp"

#ifdef __SANITIZE_ADDRESS__
#include <dlfcn.h>
#endif

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "vulkan/push_constants.hpp"

namespace hearth::localnode::vulkan {
namespace {

DeviceKind kind_of(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return DeviceKind::Discrete;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return DeviceKind::Integrated;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return DeviceKind::Virtual;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return DeviceKind::Cpu;
    default:
      return DeviceKind::Other;
  }
}

std::optional<uint32_t> compute_queue_family(VkPhysicalDevice device) {
  uint32_t n = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &n, nullptr);
  std::vector<VkQueueFamilyProperties> families(n);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &n, families.data());
  for (uint32_t i = 0; i < n; ++i) {
    if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) != 0) return i;
  }
  return std::nullopt;
}

// The features the shaders use: 16-bit storage (quantized weights' scales, an F16 KV cache),
// 16-bit floats (the F16 KV cache's conversions), subgroup sums in compute shaders (the
// mat-vec's and attention's reductions), and workgroups as large as the largest shaders'
// (Vulkan guarantees only 128 threads and 16 KiB).
bool has_required_features(VkPhysicalDevice device) {
  VkPhysicalDeviceSubgroupProperties subgroup{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(device, &props);
  if ((subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) == 0 ||
      (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) == 0) {
    return false;
  }
  const VkPhysicalDeviceLimits& limits = props.properties.limits;
  if (limits.maxComputeWorkGroupInvocations < kMaxWorkgroupThreads ||
      limits.maxComputeWorkGroupSize[0] < kMaxWorkgroupThreads ||
      limits.maxComputeSharedMemorySize < kMaxSharedBytes) {
    return false;
  }
  VkPhysicalDeviceVulkan12Features v12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDeviceVulkan11Features v11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  v11.pNext = &v12;
  VkPhysicalDeviceFeatures2 f{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  f.pNext = &v11;
  vkGetPhysicalDeviceFeatures2(device, &f);
  return v11.storageBuffer16BitAccess && v12.shaderFloat16;
}

}  // namespace

Error vulkan_error(const char* call, VkResult result) {
  const char* name = "an unknown VkResult";
  switch (result) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
      name = "VK_ERROR_OUT_OF_HOST_MEMORY";
      break;
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      name = "VK_ERROR_OUT_OF_DEVICE_MEMORY";
      break;
    case VK_ERROR_INITIALIZATION_FAILED:
      name = "VK_ERROR_INITIALIZATION_FAILED";
      break;
    case VK_ERROR_DEVICE_LOST:
      name = "VK_ERROR_DEVICE_LOST";
      break;
    case VK_ERROR_INCOMPATIBLE_DRIVER:
      name = "VK_ERROR_INCOMPATIBLE_DRIVER (no Vulkan driver installed)";
      break;
    case VK_ERROR_FEATURE_NOT_PRESENT:
      name = "VK_ERROR_FEATURE_NOT_PRESENT";
      break;
    case VK_TIMEOUT:
      name = "VK_TIMEOUT";
      break;
    default:
      break;
  }
  return make_error(ErrorCode::Internal, std::string("vulkan: ") + call + " failed: " + name +
                                             " (" + std::to_string(static_cast<int>(result)) + ")");
}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    release();
    device_ = std::exchange(other.device_, VK_NULL_HANDLE);
    buffer_ = std::exchange(other.buffer_, VK_NULL_HANDLE);
    memory_ = std::exchange(other.memory_, VK_NULL_HANDLE);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, nullptr);
  }
  return *this;
}

void Buffer::release() {
  if (device_ == VK_NULL_HANDLE) return;
  if (buffer_ != VK_NULL_HANDLE) vkDestroyBuffer(device_, buffer_, nullptr);
  if (memory_ != VK_NULL_HANDLE) vkFreeMemory(device_, memory_, nullptr);  // unmaps too
  device_ = VK_NULL_HANDLE;
  buffer_ = VK_NULL_HANDLE;
  memory_ = VK_NULL_HANDLE;
  mapped_ = nullptr;
}

Result<std::unique_ptr<Device>> Device::open(DeviceChoice choice) {
  std::unique_ptr<Device> device(new Device());
  if (Status s = device->init(choice); !s) return std::move(s).error();
  return device;
}

Status Device::init(DeviceChoice choice) {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "hearth";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo ici{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  ici.pApplicationInfo = &app;
  if (VkResult r = vkCreateInstance(&ici, nullptr, &instance_); r != VK_SUCCESS) {
    instance_ = VK_NULL_HANDLE;
    return vulkan_error("vkCreateInstance", r);
  }
#ifdef __SANITIZE_ADDRESS__
  // Sanitizer builds only. Mesa's lavapipe (22.3.6-1+deb12u2) keeps a 128-byte block only in
  // its own statics; the loader unloads the driver with the instance, before LeakSanitizer
  // looks at exit, and the block then shows as a leak from "<unknown module>". The driver, if
  // the loader loaded it, is kept loaded to the end (RTLD_NOLOAD: nothing new is loaded).
  dlopen("libvulkan_lvp.so", RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
#endif

  uint32_t n = 0;
  vkEnumeratePhysicalDevices(instance_, &n, nullptr);
  std::vector<VkPhysicalDevice> devices(n);
  vkEnumeratePhysicalDevices(instance_, &n, devices.data());
  std::vector<DeviceReport> reports;
  for (VkPhysicalDevice d : devices) {
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(d, &props);
    reports.push_back({props.deviceName, kind_of(props.deviceType),
                       props.apiVersion >= VK_API_VERSION_1_2, compute_queue_family(d).has_value(),
                       has_required_features(d)});
  }
  Result<size_t> chosen = choose_device(reports, choice);
  if (!chosen) return std::move(chosen).error();
  physical_ = devices[*chosen];

  VkPhysicalDeviceProperties props;
  vkGetPhysicalDeviceProperties(physical_, &props);
  name_ = props.deviceName;
  is_cpu_ = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
  VkPhysicalDeviceMaintenance3Properties m3{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
  VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  p2.pNext = &m3;
  vkGetPhysicalDeviceProperties2(physical_, &p2);
  limits_.max_storage_range = props.limits.maxStorageBufferRange;
  limits_.storage_offset_alignment = props.limits.minStorageBufferOffsetAlignment;
  limits_.max_allocation = m3.maxMemoryAllocationSize;
  vkGetPhysicalDeviceMemoryProperties(physical_, &memory_);
  queue_family_ = *compute_queue_family(physical_);

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  qci.queueFamilyIndex = queue_family_;
  qci.queueCount = 1;
  qci.pQueuePriorities = &priority;
  VkPhysicalDeviceVulkan12Features v12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  v12.shaderFloat16 = VK_TRUE;
  VkPhysicalDeviceVulkan11Features v11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  v11.storageBuffer16BitAccess = VK_TRUE;
  v11.pNext = &v12;
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.pNext = &v11;
  VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  dci.pNext = &features;
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  if (VkResult r = vkCreateDevice(physical_, &dci, nullptr, &device_); r != VK_SUCCESS) {
    device_ = VK_NULL_HANDLE;
    return vulkan_error("vkCreateDevice", r);
  }
  vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

  VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pci.queueFamilyIndex = queue_family_;
  if (VkResult r = vkCreateCommandPool(device_, &pci, nullptr, &pool_); r != VK_SUCCESS) {
    pool_ = VK_NULL_HANDLE;
    return vulkan_error("vkCreateCommandPool", r);
  }
  VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  if (VkResult r = vkCreateFence(device_, &fci, nullptr, &fence_); r != VK_SUCCESS) {
    fence_ = VK_NULL_HANDLE;
    return vulkan_error("vkCreateFence", r);
  }
  return {};
}

Device::~Device() {
  if (device_ != VK_NULL_HANDLE) {
    vkDeviceWaitIdle(device_);
    if (fence_ != VK_NULL_HANDLE) vkDestroyFence(device_, fence_, nullptr);
    if (pool_ != VK_NULL_HANDLE) vkDestroyCommandPool(device_, pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
  }
  if (instance_ != VK_NULL_HANDLE) vkDestroyInstance(instance_, nullptr);
}

std::optional<uint32_t> Device::memory_type(uint32_t allowed, Memory memory) const {
  // Host buffers are read back (logits): cached memory where offered, else any coherent.
  const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                     VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  const std::vector<VkMemoryPropertyFlags> wanted =
      memory == Memory::Device
          ? std::vector<VkMemoryPropertyFlags>{VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0}
          : std::vector<VkMemoryPropertyFlags>{host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, host};
  for (VkMemoryPropertyFlags flags : wanted) {
    for (uint32_t i = 0; i < memory_.memoryTypeCount; ++i) {
      if ((allowed & (1u << i)) != 0 && (memory_.memoryTypes[i].propertyFlags & flags) == flags) {
        return i;
      }
    }
  }
  return std::nullopt;
}

Result<Buffer> Device::buffer(size_t bytes, Memory memory) {
  Buffer b;
  b.device_ = device_;
  b.size_ = bytes;
  VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bci.size = std::max<size_t>(bytes, 4);
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
              VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  if (VkResult r = vkCreateBuffer(device_, &bci, nullptr, &b.buffer_); r != VK_SUCCESS) {
    b.buffer_ = VK_NULL_HANDLE;
    return vulkan_error("vkCreateBuffer", r);
  }
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(device_, b.buffer_, &req);
  const std::optional<uint32_t> type = memory_type(req.memoryTypeBits, memory);
  if (!type) return make_error(ErrorCode::Internal, "vulkan: no suitable memory type for a buffer");
  VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  mai.allocationSize = req.size;
  mai.memoryTypeIndex = *type;
  if (VkResult r = vkAllocateMemory(device_, &mai, nullptr, &b.memory_); r != VK_SUCCESS) {
    b.memory_ = VK_NULL_HANDLE;
    return vulkan_error("vkAllocateMemory", r);
  }
  if (VkResult r = vkBindBufferMemory(device_, b.buffer_, b.memory_, 0); r != VK_SUCCESS) {
    return vulkan_error("vkBindBufferMemory", r);
  }
  if (memory == Memory::Host) {
    if (VkResult r = vkMapMemory(device_, b.memory_, 0, VK_WHOLE_SIZE, 0, &b.mapped_); r != VK_SUCCESS) {
      return vulkan_error("vkMapMemory", r);
    }
  }
  allocated_ += req.size;
  return b;
}

Result<VkCommandBuffer> Device::command_buffer() {
  VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  ai.commandPool = pool_;
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  VkCommandBuffer cb = VK_NULL_HANDLE;
  if (VkResult r = vkAllocateCommandBuffers(device_, &ai, &cb); r != VK_SUCCESS) {
    return vulkan_error("vkAllocateCommandBuffers", r);
  }
  return cb;
}

void Device::free_command_buffer(VkCommandBuffer cb) {
  vkFreeCommandBuffers(device_, pool_, 1, &cb);
}

Status Device::submit_and_wait(VkCommandBuffer cb) {
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cb;
  if (VkResult r = vkQueueSubmit(queue_, 1, &si, fence_); r != VK_SUCCESS) {
    return vulkan_error("vkQueueSubmit", r);
  }
  const VkResult waited = vkWaitForFences(device_, 1, &fence_, VK_TRUE, UINT64_MAX);
  vkResetFences(device_, 1, &fence_);
  if (waited != VK_SUCCESS) return vulkan_error("vkWaitForFences", waited);
  return {};
}

Status Device::run_once(const std::function<void(VkCommandBuffer)>& record) {
  Result<VkCommandBuffer> cb = command_buffer();
  if (!cb) return std::move(cb).error();
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vkBeginCommandBuffer(*cb, &bi);
  record(*cb);
  Status done;
  if (VkResult r = vkEndCommandBuffer(*cb); r != VK_SUCCESS) {
    done = vulkan_error("vkEndCommandBuffer", r);
  } else {
    done = submit_and_wait(*cb);
  }
  free_command_buffer(*cb);
  return done;
}

}  // namespace hearth::localnode::vulkan
