// Dequantization of every supported tensor type against hand-built blocks: explicit values
// for simple blocks, and for the K-quants a second formulation written as the format's
// nested loops over random blocks.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode {
namespace {

constexpr uint16_t kHalfOne = 0x3C00, kHalfTwo = 0x4000, kHalfHalf = 0x3800, kHalfMinusOne = 0xBC00;

void put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

std::vector<float> dequant(TensorType t, const std::vector<uint8_t>& block, size_t n) {
  std::vector<float> out(n);
  dequantize_row(t, block.data(), out.data(), n);
  return out;
}

std::vector<uint8_t> random_bytes(size_t n, std::mt19937& rng) {
  std::vector<uint8_t> b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

TEST(TensorType, TraitsAndNames) {
  EXPECT_EQ(type_traits(TensorType::Q4_0).type_size, 18u);
  EXPECT_EQ(type_traits(TensorType::Q4_1).type_size, 20u);
  EXPECT_EQ(type_traits(TensorType::Q5_0).type_size, 22u);
  EXPECT_EQ(type_traits(TensorType::Q5_1).type_size, 24u);
  EXPECT_EQ(type_traits(TensorType::Q8_0).type_size, 34u);
  EXPECT_EQ(type_traits(TensorType::Q2_K).type_size, 84u);
  EXPECT_EQ(type_traits(TensorType::Q3_K).type_size, 110u);
  EXPECT_EQ(type_traits(TensorType::Q4_K).type_size, 144u);
  EXPECT_EQ(type_traits(TensorType::Q5_K).type_size, 176u);
  EXPECT_EQ(type_traits(TensorType::Q6_K).type_size, 210u);
  EXPECT_EQ(type_traits(TensorType::BF16).block_size, 1u);
  EXPECT_FALSE(type_traits(16u).has_value());
  EXPECT_FALSE(type_traits(4u).has_value());
  EXPECT_EQ(type_name(16), "IQ2_XXS");
  EXPECT_EQ(type_name(12345), "unknown");
  EXPECT_EQ(row_bytes(TensorType::Q6_K, 512), 420u);
}

TEST(TensorType, HalfPrecisionConversions) {
  EXPECT_EQ(fp16_to_fp32(0x3C00), 1.0f);
  EXPECT_EQ(fp16_to_fp32(0xC000), -2.0f);
  EXPECT_EQ(fp16_to_fp32(0x3555), 0.333251953125f);
  EXPECT_EQ(fp16_to_fp32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(fp16_to_fp32(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(fp16_to_fp32(0x7BFF), 65504.0f);
  EXPECT_TRUE(std::isinf(fp16_to_fp32(0x7C00)));
  EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7E00)));
  EXPECT_TRUE(std::signbit(fp16_to_fp32(0x8000)));
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16_to_fp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(fp32_to_fp16(f), h) << h;
  }
  EXPECT_EQ(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie to even
  EXPECT_EQ(fp32_to_fp16(1e6f), 0x7C00);
  EXPECT_EQ(bf16_to_fp32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_fp32(0xC040), -3.0f);
}

TEST(TensorType, FloatRows) {
  const std::vector<float> f = {1.5f, -2.0f};
  std::vector<uint8_t> b(8);
  std::memcpy(b.data(), f.data(), 8);
  EXPECT_EQ(dequant(TensorType::F32, b, 2), f);
  std::vector<uint8_t> h(4);
  put16(h.data(), 0x3E00);  // 1.5
  put16(h.data() + 2, 0xC000);
  EXPECT_EQ(dequant(TensorType::F16, h, 2), f);
  put16(h.data(), 0x3FC0);  // bf16 1.5
  EXPECT_EQ(dequant(TensorType::BF16, h, 2), f);
}

TEST(TensorType, Q8_0) {
  std::vector<uint8_t> b(34);
  put16(b.data(), kHalfHalf);
  for (int j = 0; j < 32; ++j) b[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(j - 16));
  auto y = dequant(TensorType::Q8_0, b, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.5f * (j - 16)) << j;
}

TEST(TensorType, Q4_0) {
  std::vector<uint8_t> b(18);
  put16(b.data(), kHalfTwo);
  for (int j = 0; j < 16; ++j) b[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  auto y = dequant(TensorType::Q4_0, b, 32);
  EXPECT_EQ(y[0], -16.0f);
  EXPECT_EQ(y[15], 14.0f);
  EXPECT_EQ(y[16], 14.0f);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 2.0f * (j - 8));
    EXPECT_EQ(y[j + 16], 2.0f * (15 - j - 8));
  }
}

TEST(TensorType, Q4_1) {
  std::vector<uint8_t> b(20);
  put16(b.data(), kHalfHalf);
  put16(b.data() + 2, kHalfMinusOne);
  for (int j = 0; j < 16; ++j) b[4 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  auto y = dequant(TensorType::Q4_1, b, 32);
  EXPECT_EQ(y[0], -1.0f);
  EXPECT_EQ(y[16], 6.5f);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.5f * j - 1.0f);
    EXPECT_EQ(y[j + 16], 0.5f * (15 - j) - 1.0f);
  }
}

TEST(TensorType, Q5_0) {
  std::vector<uint8_t> b(22);
  put16(b.data(), kHalfOne);
  put32(b.data() + 2, 0xAAAA5555u);  // high bit set on even elements 0..15 and odd 16..31
  for (int j = 0; j < 16; ++j) b[6 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  auto y = dequant(TensorType::Q5_0, b, 32);
  EXPECT_EQ(y[0], 0.0f);    // (0 | 16) - 16
  EXPECT_EQ(y[1], -15.0f);  // 1 - 16
  EXPECT_EQ(y[16], -1.0f);  // 15 - 16
  EXPECT_EQ(y[17], 14.0f);  // (14 | 16) - 16
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], static_cast<float>(j + (j % 2 == 0 ? 16 : 0) - 16));
    EXPECT_EQ(y[j + 16], static_cast<float>(15 - j + (j % 2 == 1 ? 16 : 0) - 16));
  }
}

TEST(TensorType, Q5_1) {
  std::vector<uint8_t> b(24);
  put16(b.data(), kHalfTwo);
  put16(b.data() + 2, kHalfOne);
  put32(b.data() + 4, 0xFFFF0000u);  // high bit on elements 16..31
  for (int j = 0; j < 16; ++j) b[8 + j] = static_cast<uint8_t>(j | (j << 4));
  auto y = dequant(TensorType::Q5_1, b, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 2.0f * j + 1.0f);
    EXPECT_EQ(y[j + 16], 2.0f * (j + 16) + 1.0f);
  }
}

// The K-quants' reference formulations, written as the format's nested loops.
std::vector<float> ref_q2_k(const uint8_t* b) {
  std::vector<float> y;
  const float d = fp16_to_fp32(static_cast<uint16_t>(b[80] | (b[81] << 8)));
  const float dmin = fp16_to_fp32(static_cast<uint16_t>(b[82] | (b[83] << 8)));
  const uint8_t* q = b + 16;
  int is = 0;
  for (int n = 0; n < 256; n += 128) {
    for (int shift = 0; shift < 8; shift += 2) {
      for (int sub = 0; sub < 2; ++sub) {
        const uint8_t sc = b[is++];
        for (int l = 0; l < 16; ++l) {
          y.push_back(d * (sc & 0xF) * ((q[l + 16 * sub] >> shift) & 3) - dmin * (sc >> 4));
        }
      }
    }
    q += 32;
  }
  return y;
}

std::vector<float> ref_q3_k(const uint8_t* b) {
  // Unpack the 12 scale bytes into 16 six-bit values with 32-bit masks.
  uint32_t aux[4];
  std::memcpy(aux, b + 96, 12);
  const uint32_t tmp = aux[2];
  aux[2] = ((aux[0] >> 4) & 0x0f0f0f0f) | (((tmp >> 4) & 0x03030303) << 4);
  aux[3] = ((aux[1] >> 4) & 0x0f0f0f0f) | (((tmp >> 6) & 0x03030303) << 4);
  aux[0] = (aux[0] & 0x0f0f0f0f) | (((tmp >> 0) & 0x03030303) << 4);
  aux[1] = (aux[1] & 0x0f0f0f0f) | (((tmp >> 2) & 0x03030303) << 4);
  int8_t scales[16];
  std::memcpy(scales, aux, 16);
  const float d = fp16_to_fp32(static_cast<uint16_t>(b[108] | (b[109] << 8)));
  std::vector<float> y;
  const uint8_t* q = b + 32;
  const uint8_t* hm = b;
  uint8_t m = 1;
  int is = 0;
  for (int n = 0; n < 256; n += 128) {
    for (int shift = 0; shift < 8; shift += 2) {
      for (int sub = 0; sub < 2; ++sub) {
        const float dl = d * (scales[is++] - 32);
        for (int l = 16 * sub; l < 16 * sub + 16; ++l) {
          y.push_back(dl * (((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4)));
        }
      }
      m = static_cast<uint8_t>(m << 1);
    }
    q += 32;
  }
  return y;
}

void ref_scale_min(int j, const uint8_t* q, int* d, int* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
  }
}

std::vector<float> ref_q4_q5_k(const uint8_t* b, bool five) {
  const float d = fp16_to_fp32(static_cast<uint16_t>(b[0] | (b[1] << 8)));
  const float dmin = fp16_to_fp32(static_cast<uint16_t>(b[2] | (b[3] << 8)));
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* q = b + (five ? 48 : 16);
  std::vector<float> y;
  int is = 0;
  uint8_t u1 = 1, u2 = 2;
  for (int j = 0; j < 256; j += 64) {
    int sc, m;
    ref_scale_min(is, scales, &sc, &m);
    const float d1 = d * sc, m1 = dmin * m;
    ref_scale_min(is + 1, scales, &sc, &m);
    const float d2 = d * sc, m2 = dmin * m;
    for (int l = 0; l < 32; ++l) y.push_back(d1 * ((q[l] & 0xF) + (five && (qh[l] & u1) ? 16 : 0)) - m1);
    for (int l = 0; l < 32; ++l) y.push_back(d2 * ((q[l] >> 4) + (five && (qh[l] & u2) ? 16 : 0)) - m2);
    q += 32;
    is += 2;
    u1 = static_cast<uint8_t>(u1 << 2);
    u2 = static_cast<uint8_t>(u2 << 2);
  }
  return y;
}

std::vector<float> ref_q6_k(const uint8_t* b) {
  const float d = fp16_to_fp32(static_cast<uint16_t>(b[208] | (b[209] << 8)));
  std::vector<float> y(256);
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
  for (int n = 0; n < 256; n += 128) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[n + l] = d * sc[is] * q1;
      y[n + l + 32] = d * sc[is + 2] * q2;
      y[n + l + 64] = d * sc[is + 4] * q3;
      y[n + l + 96] = d * sc[is + 6] * q4;
    }
    ql += 64;
    qh += 32;
    sc += 8;
  }
  return y;
}

// Random K-quant blocks with finite scales (d, dmin in [-2, 2]), two blocks per row.
void check_k_quant(TensorType type, size_t d_pos, size_t dmin_pos, std::vector<float> (*ref)(const uint8_t*)) {
  std::mt19937 rng(42);
  const size_t bs = type_traits(type).type_size;
  for (int iter = 0; iter < 50; ++iter) {
    auto b = random_bytes(2 * bs, rng);
    for (size_t blk = 0; blk < 2; ++blk) {
      put16(b.data() + blk * bs + d_pos, fp32_to_fp16(static_cast<float>(static_cast<int>(rng() % 4001) - 2000) / 1000));
      if (dmin_pos != SIZE_MAX) {
        put16(b.data() + blk * bs + dmin_pos, fp32_to_fp16(static_cast<float>(static_cast<int>(rng() % 4001) - 2000) / 1000));
      }
    }
    auto y = dequant(type, b, 512);
    for (size_t blk = 0; blk < 2; ++blk) {
      auto want = ref(b.data() + blk * bs);
      for (size_t i = 0; i < 256; ++i) ASSERT_FLOAT_EQ(y[blk * 256 + i], want[i]) << "element " << i;
    }
  }
}

TEST(TensorType, Q2_K) {
  std::vector<uint8_t> b(84, 0);
  b[0] = 0x23;  // first 16 elements: scale 3, min 2
  b[16] = 0b11100100;  // element 0: 0, element 32: 1, element 64: 2, element 96: 3 (scale 0 covers 0..15 only)
  put16(b.data() + 80, kHalfTwo);
  put16(b.data() + 82, kHalfHalf);
  auto y = dequant(TensorType::Q2_K, b, 256);
  EXPECT_EQ(y[0], -1.0f);  // 2 * 3 * 0 - 0.5 * 2
  EXPECT_EQ(y[1], -1.0f);
  EXPECT_EQ(y[32], 0.0f);  // scale byte 2 is 0
  check_k_quant(TensorType::Q2_K, 80, 82, ref_q2_k);
}

TEST(TensorType, Q3_K) {
  std::vector<uint8_t> b(110, 0);
  b[0] = 1;        // hmask: element 0 has its high bit (no -4)
  b[32] = 0b11;    // element 0: low bits 3
  b[96] = 0x01;    // scale 0: low nibble 1; top bits (byte 104) 2 -> 33 - 32 = 1
  b[104] = 0x02;
  put16(b.data() + 108, kHalfTwo);
  auto y = dequant(TensorType::Q3_K, b, 256);
  EXPECT_EQ(y[0], 2.0f * 1 * 3);
  EXPECT_EQ(y[1], 2.0f * 1 * (0 - 4));
  check_k_quant(TensorType::Q3_K, 108, SIZE_MAX, ref_q3_k);
}

TEST(TensorType, Q4_K) {
  std::vector<uint8_t> b(144, 0);
  put16(b.data(), kHalfOne);
  put16(b.data() + 2, kHalfHalf);
  b[4] = 2;     // sub-block 0 scale 2
  b[8] = 4;     // sub-block 0 min 4
  b[16] = 0x75; // element 0: 5; element 32: 7 (sub-block 1: scale 0, min 0)
  auto y = dequant(TensorType::Q4_K, b, 256);
  EXPECT_EQ(y[0], 1.0f * 2 * 5 - 0.5f * 4);
  EXPECT_EQ(y[1], -2.0f);
  EXPECT_EQ(y[32], 0.0f);
  check_k_quant(TensorType::Q4_K, 0, 2, [](const uint8_t* p) { return ref_q4_q5_k(p, false); });
}

TEST(TensorType, Q5_K) {
  std::vector<uint8_t> b(176, 0);
  put16(b.data(), kHalfOne);
  b[4] = 1;      // sub-block 0 scale 1, min 0
  b[16] = 0x01;  // qh[0] bit 0: element 0 gets +16
  b[48] = 0x03;  // element 0 low bits 3
  auto y = dequant(TensorType::Q5_K, b, 256);
  EXPECT_EQ(y[0], 19.0f);
  EXPECT_EQ(y[1], 0.0f);
  check_k_quant(TensorType::Q5_K, 0, 2, [](const uint8_t* p) { return ref_q4_q5_k(p, true); });
}

TEST(TensorType, Q6_K) {
  std::vector<uint8_t> b(210, 0);
  b[0] = 0x21;   // element 0 low 1, element 64 low 2
  b[128] = 0x31; // element 0 high 1 (bits 0-1), element 64 high 3 (bits 4-5)
  b[192] = 2;    // scale 0
  b[196] = static_cast<uint8_t>(-1);  // scale 4 (elements 64..79)
  put16(b.data() + 208, kHalfHalf);
  auto y = dequant(TensorType::Q6_K, b, 256);
  EXPECT_EQ(y[0], 0.5f * 2 * ((1 | (1 << 4)) - 32));
  EXPECT_EQ(y[64], 0.5f * -1 * ((2 | (3 << 4)) - 32));
  check_k_quant(TensorType::Q6_K, 208, SIZE_MAX, ref_q6_k);
}

}  // namespace
}  // namespace hearth::localnode
