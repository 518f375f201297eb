#pragma once
// The Vulkan backend: the forward pass as compute shaders (shaders/*.comp) on one device.
// Weights are uploaded once; activations and every sequence's KV cache live on the device;
// the command buffer of each pass shape (tokens, of which batched, logits rows) is recorded
// once and resubmitted, with only the per-row inputs (token ids, positions, sequences)
// rewritten between passes.

#include <memory>

#include "compute_backend.hpp"
#include "hearth/localnode/context.hpp"
#include "vulkan/device.hpp"

namespace hearth::localnode {

// Errors: no usable device (Unsupported, with each device's reason), a model or option the
// shaders do not support (Q8_0 KV cache, head_dim over 256, a tensor larger than one storage
// binding), out of device memory.
[[nodiscard]] Result<std::unique_ptr<ComputeBackend>> make_vulkan_backend(
    const Model& model, uint32_t n_ctx, const ContextOptions& options,
    vulkan::DeviceChoice choice);

}  // namespace hearth::localnode
