#pragma once
// Random weight rows of any tensor type for kernel tests (CPU and Vulkan).

#include <bit>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode::testing {

inline void put_half(uint8_t* p, float v) {
  const uint16_t h = fp32_to_fp16(v);
  std::memcpy(p, &h, 2);
}

// Random blocks of `type` for `n_rows` rows of n elements: random bits everywhere, then sane
// scales (random bytes would make inf or NaN halves).
inline std::vector<uint8_t> random_rows(TensorType type, size_t n_rows, size_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> scale(0.001f, 0.05f);
  const size_t rb = row_bytes(type, n);
  std::vector<uint8_t> bytes(n_rows * rb);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  const TypeTraits t = type_traits(type);
  for (size_t r = 0; r < n_rows; ++r) {
    uint8_t* row = bytes.data() + r * rb;
    if (type == TensorType::F32) {
      for (size_t i = 0; i < n; ++i) {
        const float v = normal(rng);
        std::memcpy(row + 4 * i, &v, 4);
      }
      continue;
    }
    if (type == TensorType::F16 || type == TensorType::BF16) {
      for (size_t i = 0; i < n; ++i) {
        const float v = normal(rng);
        uint16_t h = type == TensorType::F16
                         ? fp32_to_fp16(v)
                         : static_cast<uint16_t>(std::bit_cast<uint32_t>(v) >> 16);
        std::memcpy(row + 2 * i, &h, 2);
      }
      continue;
    }
    for (size_t b = 0; b < n / t.block_size; ++b) {
      uint8_t* blk = row + b * t.type_size;
      switch (type) {
        case TensorType::Q4_0:
        case TensorType::Q5_0:
        case TensorType::Q8_0:
          put_half(blk, scale(rng));
          break;
        case TensorType::Q4_1:
        case TensorType::Q5_1:
          put_half(blk, scale(rng));
          put_half(blk + 2, -scale(rng) * 8);
          break;
        case TensorType::Q2_K:
          put_half(blk + 80, scale(rng));
          put_half(blk + 82, scale(rng));
          break;
        case TensorType::Q3_K:
          put_half(blk + 108, scale(rng));
          break;
        case TensorType::Q4_K:
        case TensorType::Q5_K:
          put_half(blk, scale(rng));
          put_half(blk + 2, scale(rng));
          break;
        case TensorType::Q6_K:
          put_half(blk + 208, scale(rng));
          break;
        default:
          break;
      }
    }
  }
  return bytes;
}

// Activations: normal values, one all-zero block of 256 when n allows, and repeated
// magnitudes (ties for the Q8x256 sign rule).

}  // namespace hearth::localnode::testing
