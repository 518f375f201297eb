#pragma once
// The SPIR-V of every shader variant compiled at build time (cmake/HearthShaders.cmake), by
// the name its hearth_shader() line gives it, e.g. "matvec_q4_k".

#include <cstdint>
#include <span>
#include <string_view>

namespace hearth::localnode::vulkan {

// The variant's words, or an empty span for a name that was not built.
std::span<const uint32_t> find_spirv(std::string_view name);

}  // namespace hearth::localnode::vulkan
