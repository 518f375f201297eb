#pragma once
// Block layouts of the quantized types (see tensor_type.cpp for the byte maps) as integer
// unpacking helpers for the reference kernels: each block becomes its raw integer values in
// element order, and its scales.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode::cpu::blocks {

template <TensorType kType>
inline constexpr size_t kBlockBytes = 0;
template <>
inline constexpr size_t kBlockBytes<TensorType::Q4_0> = 18;
template <>
inline constexpr size_t kBlockBytes<TensorType::Q4_1> = 20;
template <>
inline constexpr size_t kBlockBytes<TensorType::Q5_0> = 22;
template <>
inline constexpr size_t kBlockBytes<TensorType::Q5_1> = 24;
template <>
inline constexpr size_t kBlockBytes<TensorType::Q8_0> = 34;
template <>
inline constexpr size_t kBlockBytes<TensorType::Q2_K> = 84;
template <>
inline constexpr size_t kBlockBytes<TensorType::Q3_K> = 110;
template <>
inline constexpr size_t kBlockBytes<TensorType::Q4_K> = 144;
template <>
inline constexpr size_t kBlockBytes<TensorType::Q5_K> = 176;
template <>
inline constexpr size_t kBlockBytes<TensorType::Q6_K> = 210;

inline uint16_t u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline float f16(const uint8_t* p) {
  return fp16_to_fp32(u16(p));
}

// 32-element blocks: Q4_0 / Q4_1 nibbles (0..15), Q5_0 / Q5_1 five-bit values (0..31), Q8_0
// signed bytes. Offsets (-8, -16) and minimums are applied by the caller.
template <TensorType kType>
inline void unpack_q32(const uint8_t* b, int8_t* q) {
  if constexpr (kType == TensorType::Q8_0) {
    std::memcpy(q, b + 2, 32);
  } else if constexpr (kType == TensorType::Q4_0 || kType == TensorType::Q4_1) {
    const uint8_t* qs = b + (kType == TensorType::Q4_0 ? 2 : 4);
    for (size_t j = 0; j < 16; ++j) {
      q[j] = static_cast<int8_t>(qs[j] & 0x0F);
      q[j + 16] = static_cast<int8_t>(qs[j] >> 4);
    }
  } else {
    const size_t at = kType == TensorType::Q5_0 ? 2 : 4;
    const uint32_t qh = u32(b + at);
    const uint8_t* qs = b + at + 4;
    for (size_t j = 0; j < 16; ++j) {
      q[j] = static_cast<int8_t>((qs[j] & 0x0F) | (((qh >> j) & 1u) << 4));
      q[j + 16] = static_cast<int8_t>((qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4));
    }
  }
}

// Q4_K / Q5_K: the 6-bit scale and minimum of sub-block j (0..7) from the 12 scale bytes.
inline void k4_scale_min(size_t j, const uint8_t* s, int* sc, int* mn) {
  if (j < 4) {
    *sc = s[j] & 63;
    *mn = s[j + 4] & 63;
  } else {
    *sc = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
    *mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// K-quant super-blocks of 256 as integers in element order: Q2_K 0..3, Q3_K -4..3, Q4_K
// 0..15, Q5_K 0..31, Q6_K -32..31.
template <TensorType kType>
inline void unpack_k(const uint8_t* b, int8_t* q) {
  for (size_t i = 0; i < 256; ++i) {
    const size_t half = i / 128, g = (i % 128) / 32, l = i % 32;
    int v = 0;
    if constexpr (kType == TensorType::Q2_K) {
      v = (b[16 + 32 * half + l] >> (2 * g)) & 3;
    } else if constexpr (kType == TensorType::Q3_K) {
      v = (b[32 + 32 * half + l] >> (2 * g)) & 3;
      if (!((b[l] >> (4 * half + g)) & 1)) v -= 4;
    } else if constexpr (kType == TensorType::Q4_K || kType == TensorType::Q5_K) {
      const size_t sub = i / 32;
      const uint8_t* qs = b + (kType == TensorType::Q4_K ? 16 : 48);
      v = (qs[32 * (sub / 2) + l] >> (4 * (sub % 2))) & 0x0F;
      if constexpr (kType == TensorType::Q5_K) v |= ((b[16 + l] >> sub) & 1) << 4;
    } else if constexpr (kType == TensorType::Q6_K) {
      const int low = (b[64 * half + 32 * (g % 2) + l] >> (4 * (g / 2))) & 0x0F;
      const int high = (b[128 + 32 * half + l] >> (2 * g)) & 3;
      v = (low | (high << 4)) - 32;
    }
    q[i] = static_cast<int8_t>(v);
  }
}

// Q3_K / Q6_K: the sixteen signed scales (one per 16 elements) and the super-block scale.
template <TensorType kType>
inline void k_scales16(const uint8_t* b, int* out) {
  if constexpr (kType == TensorType::Q6_K) {
    for (size_t j = 0; j < 16; ++j) out[j] = static_cast<int8_t>(b[192 + j]);
  } else {
    const uint8_t* s = b + 96;
    for (size_t j = 0; j < 16; ++j) {
      const int low = j < 8 ? (s[j] & 0x0F) : (s[j - 8] >> 4);
      const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
      out[j] = (low | (high << 4)) - 32;
    }
  }
}

template <TensorType kType>
inline float k_d(const uint8_t* b) {
  return f16(b + (kType == TensorType::Q6_K ? 208 : 108));
}

}  // namespace hearth::localnode::cpu::blocks
