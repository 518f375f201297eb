#pragma once
// ggml tensor types as stored in GGUF files: ids, block layouts, and scalar dequantization
// to f32. Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hearth::localnode {

// The ids are the file format's (ggml_type); only the types listed here are supported.
enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  BF16 = 30,
};

struct TypeTraits {
  std::string_view name;
  size_t block_size;  // elements per block
  size_t type_size;   // bytes per block
};

// The traits of a supported type id, or nullopt for any other id (unknown or unsupported).
std::optional<TypeTraits> type_traits(uint32_t type_id);
TypeTraits type_traits(TensorType type);
// A printable name for any type id, including ggml types this engine does not support.
std::string_view type_name(uint32_t type_id);

// Bytes taken by `n` elements of `type` (n must be a multiple of the block size).
inline size_t row_bytes(TensorType type, size_t n) {
  auto t = type_traits(type);
  return n / t.block_size * t.type_size;
}

// Dequantizes `n` elements (a multiple of the type's block size) from `src` to `dst`.
// `src` needs no alignment.
void dequantize_row(TensorType type, const void* src, float* dst, size_t n);

float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);  // round to nearest even
float bf16_to_fp32(uint16_t h);

// K-quant super-block size and block sizes of the classic quants.
inline constexpr size_t kQK = 32;
inline constexpr size_t kQK_K = 256;

}  // namespace hearth::localnode
