#pragma once
// The CPU backend: the forward pass on the SIMD kernels of cpu/, threaded by a pool, with KV
// caches in host memory.

#include <memory>

#include "compute_backend.hpp"
#include "hearth/localnode/context.hpp"

namespace hearth::localnode {

// Errors: kernels the CPU lacks.
[[nodiscard]] Result<std::unique_ptr<ComputeBackend>> make_cpu_backend(
    const Model& model, uint32_t n_ctx, const ContextOptions& options);

}  // namespace hearth::localnode
