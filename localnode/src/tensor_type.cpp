#include "hearth/localnode/tensor_type.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>

namespace hearth::localnode {
namespace {

// Block layouts (byte offsets; every block is packed and read with memcpy, so no alignment
// is needed):
//   Q4_0  18 B / 32:  f16 d | u8 qs[16]                       x = d * (nibble - 8)
//   Q4_1  20 B / 32:  f16 d | f16 m | u8 qs[16]               x = d * nibble + m
//   Q5_0  22 B / 32:  f16 d | u32 qh | u8 qs[16]              x = d * (5-bit q - 16)
//   Q5_1  24 B / 32:  f16 d | f16 m | u32 qh | u8 qs[16]      x = d * 5-bit q + m
//   Q8_0  34 B / 32:  f16 d | i8 qs[32]                       x = d * q
//   Q2_K  84 B / 256: u8 scales[16] | u8 qs[64] | f16 d | f16 dmin
//   Q3_K 110 B / 256: u8 hmask[32] | u8 qs[64] | u8 scales[12] | f16 d
//   Q4_K 144 B / 256: f16 d | f16 dmin | u8 scales[12] | u8 qs[128]
//   Q5_K 176 B / 256: f16 d | f16 dmin | u8 scales[12] | u8 qh[32] | u8 qs[128]
//   Q6_K 210 B / 256: u8 ql[128] | u8 qh[64] | i8 scales[16] | f16 d
// In the 32-element quants, byte j holds element j in its low nibble and element j + 16 in
// its high nibble.

uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
float load_f16(const uint8_t* p) { return fp16_to_fp32(load_u16(p)); }

void dequant_q4_0(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const uint8_t* qs = b + 2;
  for (size_t j = 0; j < 16; ++j) {
    y[j] = d * (static_cast<int>(qs[j] & 0x0F) - 8);
    y[j + 16] = d * (static_cast<int>(qs[j] >> 4) - 8);
  }
}

void dequant_q4_1(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const float m = load_f16(b + 2);
  const uint8_t* qs = b + 4;
  for (size_t j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>(qs[j] & 0x0F) + m;
    y[j + 16] = d * static_cast<float>(qs[j] >> 4) + m;
  }
}

// Bit j of qh is the fifth bit of element j.
void dequant_q5_0(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const uint32_t qh = load_u32(b + 2);
  const uint8_t* qs = b + 6;
  for (size_t j = 0; j < 16; ++j) {
    const int h0 = static_cast<int>((qh >> j) & 1u) << 4;
    const int h1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
    y[j] = d * static_cast<float>(((qs[j] & 0x0F) | h0) - 16);
    y[j + 16] = d * static_cast<float>(((qs[j] >> 4) | h1) - 16);
  }
}

void dequant_q5_1(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const float m = load_f16(b + 2);
  const uint32_t qh = load_u32(b + 4);
  const uint8_t* qs = b + 8;
  for (size_t j = 0; j < 16; ++j) {
    const int h0 = static_cast<int>((qh >> j) & 1u) << 4;
    const int h1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
    y[j] = d * static_cast<float>((qs[j] & 0x0F) | h0) + m;
    y[j + 16] = d * static_cast<float>((qs[j] >> 4) | h1) + m;
  }
}

void dequant_q8_0(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  for (size_t j = 0; j < 32; ++j) y[j] = d * static_cast<float>(static_cast<int8_t>(b[2 + j]));
}

// Q2_K and Q3_K: element i = 128 * half + 32 * g + l (g = 2-bit group 0..3, l = 0..31) keeps
// its 2 low bits in bits 2g..2g+1 of qs[32 * half + l]; its scale is number i / 16.
void dequant_q2_k(const uint8_t* b, float* y) {
  const uint8_t* scales = b;
  const uint8_t* qs = b + 16;
  const float d = load_f16(b + 80);
  const float dmin = load_f16(b + 82);
  for (size_t i = 0; i < kQK_K; ++i) {
    const size_t half = i / 128, g = (i % 128) / 32, l = i % 32;
    const int q = (qs[32 * half + l] >> (2 * g)) & 3;
    const uint8_t sc = scales[i / 16];
    y[i] = d * static_cast<float>(sc & 0x0F) * static_cast<float>(q) -
           dmin * static_cast<float>(sc >> 4);
  }
}

// Q3_K's sixteen 6-bit scales: the low 4 bits of scale j are nibble (j % 8 < 4 ? low : high)
// of byte j % 8; its top 2 bits are bits 2 * (j / 4) of byte 8 + j % 4. Stored offset by 32.
std::array<int, 16> q3_k_scales(const uint8_t* s) {
  std::array<int, 16> out{};
  for (size_t j = 0; j < 16; ++j) {
    const int low = j < 8 ? (s[j] & 0x0F) : (s[j - 8] >> 4);
    const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    out[j] = (low | (high << 4)) - 32;
  }
  return out;
}

// The high bit of element i is bit (4 * half + g) of hmask[l]; a clear bit subtracts 4.
void dequant_q3_k(const uint8_t* b, float* y) {
  const uint8_t* hmask = b;
  const uint8_t* qs = b + 32;
  const std::array<int, 16> scales = q3_k_scales(b + 96);
  const float d = load_f16(b + 108);
  for (size_t i = 0; i < kQK_K; ++i) {
    const size_t half = i / 128, g = (i % 128) / 32, l = i % 32;
    int q = (qs[32 * half + l] >> (2 * g)) & 3;
    if (!((hmask[l] >> (4 * half + g)) & 1)) q -= 4;
    y[i] = d * static_cast<float>(scales[i / 16]) * static_cast<float>(q);
  }
}

// Q4_K and Q5_K: eight sub-blocks of 32, each with a 6-bit scale and 6-bit min packed in
// 12 bytes: for j < 4, scale = s[j] & 63 and min = s[j + 4] & 63; for j >= 4 the low 4 bits
// are the nibbles of s[j + 4] and the top 2 bits are the top bits of s[j - 4] / s[j].
void k4_scale_min(size_t j, const uint8_t* s, float* sc, float* mn) {
  if (j < 4) {
    *sc = static_cast<float>(s[j] & 63);
    *mn = static_cast<float>(s[j + 4] & 63);
  } else {
    *sc = static_cast<float>((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4));
    *mn = static_cast<float>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

// Sub-blocks 2k and 2k + 1 share qs[32k .. 32k + 31]: low nibbles, then high nibbles.
void dequant_q4_k(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const float dmin = load_f16(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qs = b + 16;
  for (size_t sub = 0; sub < 8; ++sub) {
    float sc, mn;
    k4_scale_min(sub, scales, &sc, &mn);
    const float dl = d * sc, ml = dmin * mn;
    const uint8_t* q = qs + 32 * (sub / 2);
    const int shift = (sub % 2) * 4;
    for (size_t l = 0; l < 32; ++l) {
      y[32 * sub + l] = dl * static_cast<float>((q[l] >> shift) & 0x0F) - ml;
    }
  }
}

// As Q4_K, plus a fifth bit: bit `sub` of qh[l].
void dequant_q5_k(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const float dmin = load_f16(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* qs = b + 48;
  for (size_t sub = 0; sub < 8; ++sub) {
    float sc, mn;
    k4_scale_min(sub, scales, &sc, &mn);
    const float dl = d * sc, ml = dmin * mn;
    const uint8_t* q = qs + 32 * (sub / 2);
    const int shift = (sub % 2) * 4;
    for (size_t l = 0; l < 32; ++l) {
      const int v = ((q[l] >> shift) & 0x0F) | (((qh[l] >> sub) & 1) << 4);
      y[32 * sub + l] = dl * static_cast<float>(v) - ml;
    }
  }
}

// Q6_K: element i = 128 * half + 32 * g + l; its low 4 bits are nibble (g / 2) of
// ql[64 * half + 32 * (g % 2) + l], its top 2 bits are bits 2g..2g+1 of qh[32 * half + l];
// stored offset by 32; scale number i / 16.
void dequant_q6_k(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const auto* scales = reinterpret_cast<const int8_t*>(b + 192);
  const float d = load_f16(b + 208);
  for (size_t i = 0; i < kQK_K; ++i) {
    const size_t half = i / 128, g = (i % 128) / 32, l = i % 32;
    const int low = (ql[64 * half + 32 * (g % 2) + l] >> (4 * (g / 2))) & 0x0F;
    const int high = (qh[32 * half + l] >> (2 * g)) & 3;
    const int q = (low | (high << 4)) - 32;
    y[i] = d * static_cast<float>(scales[i / 16]) * static_cast<float>(q);
  }
}

using BlockFn = void (*)(const uint8_t*, float*);

}  // namespace

float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while (!(mant & 0x400u));
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3FFu) << 13);
    }
  } else if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

uint16_t fp32_to_fp16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) {  // inf or nan
    return static_cast<uint16_t>(sign | 0x7C00u | (abs > 0x7F800000u ? 0x200u : 0u));
  }
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds to inf
  if (abs < 0x38800000u) {  // subnormal or zero in half precision
    const float a = std::bit_cast<float>(abs);
    // 2^-24 is the half subnormal step; adding 0.5 in float rounds to nearest even.
    const auto q = static_cast<uint32_t>(std::nearbyint(a * 16777216.0f));
    return static_cast<uint16_t>(sign | q);
  }
  uint32_t mant = abs & 0x7FFFFFu;
  uint32_t exp = (abs >> 23) - 127 + 15;
  uint32_t h = (exp << 10) | (mant >> 13);
  const uint32_t rest = mant & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // may carry into the exponent
  return static_cast<uint16_t>(sign | h);
}

float bf16_to_fp32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

std::optional<TypeTraits> type_traits(uint32_t type_id) {
  switch (static_cast<TensorType>(type_id)) {
    case TensorType::F32: return TypeTraits{"F32", 1, 4};
    case TensorType::F16: return TypeTraits{"F16", 1, 2};
    case TensorType::BF16: return TypeTraits{"BF16", 1, 2};
    case TensorType::Q4_0: return TypeTraits{"Q4_0", kQK, 18};
    case TensorType::Q4_1: return TypeTraits{"Q4_1", kQK, 20};
    case TensorType::Q5_0: return TypeTraits{"Q5_0", kQK, 22};
    case TensorType::Q5_1: return TypeTraits{"Q5_1", kQK, 24};
    case TensorType::Q8_0: return TypeTraits{"Q8_0", kQK, 34};
    case TensorType::Q2_K: return TypeTraits{"Q2_K", kQK_K, 84};
    case TensorType::Q3_K: return TypeTraits{"Q3_K", kQK_K, 110};
    case TensorType::Q4_K: return TypeTraits{"Q4_K", kQK_K, 144};
    case TensorType::Q5_K: return TypeTraits{"Q5_K", kQK_K, 176};
    case TensorType::Q6_K: return TypeTraits{"Q6_K", kQK_K, 210};
  }
  return std::nullopt;
}

TypeTraits type_traits(TensorType type) { return *type_traits(static_cast<uint32_t>(type)); }

std::string_view type_name(uint32_t type_id) {
  if (auto t = type_traits(type_id)) return t->name;
  static constexpr std::array<std::string_view, 40> kNames = {
      "F32",     "F16",    "Q4_0",   "Q4_1",  "Q4_2",  "Q4_3",   "Q5_0",   "Q5_1",
      "Q8_0",    "Q8_1",   "Q2_K",   "Q3_K",  "Q4_K",  "Q5_K",   "Q6_K",   "Q8_K",
      "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S",  "IQ4_XS",
      "I8",      "I16",    "I32",    "I64",   "F64",   "IQ1_M",  "BF16",   "Q4_0_4_4",
      "Q4_0_4_8", "Q4_0_8_8", "TQ1_0", "TQ2_0", "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4"};
  return type_id < kNames.size() ? kNames[type_id] : std::string_view("unknown");
}

void dequantize_row(TensorType type, const void* src, float* dst, size_t n) {
  const auto* s = static_cast<const uint8_t*>(src);
  switch (type) {
    case TensorType::F32:
      std::memcpy(dst, s, n * sizeof(float));
      return;
    case TensorType::F16:
      for (size_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(load_u16(s + 2 * i));
      return;
    case TensorType::BF16:
      for (size_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(load_u16(s + 2 * i));
      return;
    default:
      break;
  }
  BlockFn fn = nullptr;
  switch (type) {
    case TensorType::Q4_0: fn = dequant_q4_0; break;
    case TensorType::Q4_1: fn = dequant_q4_1; break;
    case TensorType::Q5_0: fn = dequant_q5_0; break;
    case TensorType::Q5_1: fn = dequant_q5_1; break;
    case TensorType::Q8_0: fn = dequant_q8_0; break;
    case TensorType::Q2_K: fn = dequant_q2_k; break;
    case TensorType::Q3_K: fn = dequant_q3_k; break;
    case TensorType::Q4_K: fn = dequant_q4_k; break;
    case TensorType::Q5_K: fn = dequant_q5_k; break;
    case TensorType::Q6_K: fn = dequant_q6_k; break;
    default: return;
  }
  const TypeTraits t = type_traits(type);
  for (size_t b = 0; b < n / t.block_size; ++b) fn(s + b * t.type_size, dst + b * t.block_size);
}

}  // namespace hearth::localnode
