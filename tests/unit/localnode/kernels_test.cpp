// Every CPU kernel of every supported instruction-set level against the scalar reference
// kernels on random data, and the scalar integer kernels against the plain dequantized
// product: activation quantization bit for bit, dequantization bit for bit, dot products and
// GEMM within f32 summation-order error of the reference.

#include "cpu/kernels.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "hearth/localnode/tensor_type.hpp"
#include "unit/localnode/random_rows.hpp"

namespace hearth::localnode::cpu {
namespace {

using testing::random_rows;

const TensorType kQuantTypes[] = {
    TensorType::Q4_0, TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0,
    TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K};
const TensorType kAllTypes[] = {
    TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q4_0, TensorType::Q4_1,
    TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0, TensorType::Q2_K, TensorType::Q3_K,
    TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K};

std::vector<Isa> simd_levels() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::Avx2, Isa::Avx512, Isa::Avx512Vnni, Isa::Amx}) {
    if (isa_supported(isa)) out.push_back(isa);
  }
  return out;
}

std::vector<float> random_acts(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  if (n >= 512) {
    for (size_t i = 256; i < 512; ++i) x[i] = 0.0f;
  }
  if (n >= 64) {
    x[3] = 4.5f;
    x[40] = -4.5f;
  }
  return x;
}

std::vector<uint8_t> quantize(const KernelSet& ks, ActFormat f, const std::vector<float>& x) {
  std::vector<uint8_t> out(act_row_bytes(f, x.size()) + 4);
  ks.quantize(f)(x.data(), x.size(), out.data());
  return out;
}

// The activations a quantized row stands for.
std::vector<double> dequantized_acts(ActFormat f, const std::vector<uint8_t>& q, size_t n) {
  std::vector<double> out(n);
  if (f == ActFormat::Q8x32) {
    const Q8x32Row r = q8x32_row(q.data(), n);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<double>(r.d[i / 32]) * r.q[i];
  } else {
    const Q8x256Row r = q8x256_row(q.data(), n);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<double>(r.d[i / 256]) * r.q[i];
  }
  return out;
}

struct Exact {
  double value = 0;  // Σ w x in double
  double mag = 0;    // Σ |w x|, the scale of rounding errors
};

Exact exact_dot(TensorType type, const uint8_t* row, const std::vector<double>& x) {
  std::vector<float> w(x.size());
  dequantize_row(type, row, w.data(), x.size());
  Exact e;
  for (size_t i = 0; i < x.size(); ++i) {
    e.value += w[i] * x[i];
    e.mag += std::fabs(w[i] * x[i]);
  }
  return e;
}

size_t block_of(TensorType t) {
  return type_traits(t).block_size == 1 ? 32 : type_traits(t).block_size;
}

TEST(Kernels, DetectsTheInstructionSet) {
  EXPECT_TRUE(isa_supported(Isa::Scalar));
  EXPECT_TRUE(isa_supported(best_isa()));
  EXPECT_EQ(kernel_set(best_isa()).isa, best_isa());
  RecordProperty("isa", isa_name(best_isa()));
  for (Isa isa : simd_levels()) {
    const KernelSet& ks = kernel_set(isa);
    for (TensorType t : kAllTypes) {
      EXPECT_NE(ks.of(t).gemv_f32, nullptr);
      EXPECT_NE(ks.of(t).dequant, nullptr);
    }
  }
}

TEST(Kernels, ActivationQuantizationMatchesTheReferenceBitForBit) {
  std::mt19937 rng(1);
  const KernelSet& ref = kernel_set(Isa::Scalar);
  for (ActFormat f : {ActFormat::Q8x32, ActFormat::Q8x256}) {
    for (size_t n : {256u, 512u, 1536u}) {
      const auto x = random_acts(n, rng);
      const auto want = quantize(ref, f, x);
      // The quantized values stand for x within half a step per block.
      const auto back = dequantized_acts(f, want, n);
      for (size_t i = 0; i < n; ++i) {
        const size_t bs = f == ActFormat::Q8x32 ? 32 : 256;
        float amax = 0;
        for (size_t j = i / bs * bs; j < i / bs * bs + bs; ++j)
          amax = std::max(amax, std::fabs(x[j]));
        ASSERT_NEAR(back[i], x[i], amax / 127.0 * 0.51 + amax * 1e-3) << i;
      }
      for (Isa isa : simd_levels()) {
        const auto got = quantize(kernel_set(isa), f, x);
        EXPECT_EQ(got, want) << isa_name(isa) << " format " << static_cast<int>(f) << " n " << n;
      }
    }
  }
}

TEST(Kernels, DequantizationMatchesTheReferenceBitForBit) {
  std::mt19937 rng(2);
  for (TensorType type : kAllTypes) {
    const size_t n = 3 * 256 + (block_of(type) == 32 ? 64 : 0);
    const auto w = random_rows(type, 1, n, rng);
    std::vector<float> want(n);
    dequantize_row(type, w.data(), want.data(), n);
    for (Isa isa : simd_levels()) {
      std::vector<float> got(n);
      kernel_set(isa).of(type).dequant(w.data(), n, got.data());
      EXPECT_EQ(0, std::memcmp(got.data(), want.data(), n * sizeof(float)))
          << type_traits(type).name << " " << isa_name(isa);
    }
  }
}

// The integer mat-vec: the scalar reference against the dequantized product, and every SIMD
// level against the scalar reference, for 1 to 5 rows with a padded stride and block counts
// that exercise the kernels' tails.
TEST(Kernels, IntegerMatVecMatchesTheReference) {
  std::mt19937 rng(3);
  const KernelSet& ref = kernel_set(Isa::Scalar);
  for (TensorType type : kQuantTypes) {
    const ActFormat f = ref.of(type).act;
    ASSERT_NE(f, ActFormat::None);
    const size_t bs = block_of(type);
    for (size_t nb : {1u, 2u, 3u, 5u, 8u, 18u}) {
      const size_t n = nb * bs;
      const size_t n_rows = 1 + nb % 5;
      const size_t stride = row_bytes(type, n) + 7;
      std::vector<uint8_t> w(n_rows * stride);
      const auto packed = random_rows(type, n_rows, n, rng);
      for (size_t r = 0; r < n_rows; ++r) {
        std::memcpy(w.data() + r * stride, packed.data() + r * row_bytes(type, n),
                    row_bytes(type, n));
      }
      const auto x = random_acts(n, rng);
      const auto xq = quantize(ref, f, x);
      const auto xd = dequantized_acts(f, xq, n);
      std::vector<float> want(n_rows);
      ref.of(type).gemv_q8(w.data(), stride, n_rows, n, xq.data(), want.data());
      for (size_t r = 0; r < n_rows; ++r) {
        const Exact e = exact_dot(type, w.data() + r * stride, xd);
        // Q4_1 / Q5_1 use the activation sums rounded to f16 (as llama.cpp does).
        const double tol =
            (f == ActFormat::Q8x32 && (type == TensorType::Q4_1 || type == TensorType::Q5_1))
                ? 2e-3 * e.mag
                : 1e-5 * e.mag + 1e-6;
        EXPECT_NEAR(want[r], e.value, tol)
            << type_traits(type).name << " nb " << nb << " row " << r;
      }
      for (Isa isa : simd_levels()) {
        std::vector<float> got(n_rows, -1.0f);
        kernel_set(isa).of(type).gemv_q8(w.data(), stride, n_rows, n, xq.data(), got.data());
        for (size_t r = 0; r < n_rows; ++r) {
          const Exact e = exact_dot(type, w.data() + r * stride, xd);
          EXPECT_NEAR(got[r], want[r], 1e-5 * e.mag + 1e-6)
              << type_traits(type).name << " " << isa_name(isa) << " nb " << nb << " row " << r;
        }
      }
    }
  }
}

// The batched mat-vec gives every token exactly what the one-token mat-vec gives it: leftover
// pairs and odd blocks after the 16-block groups, row counts around the kernels' 16-row
// groups, token counts around their groups of 8, 4 and 2.
TEST(Kernels, MultiTokenMatVecEqualsEachTokenAlone) {
  std::mt19937 rng(11);
  for (Isa isa : simd_levels()) {
    const KernelSet& ks = kernel_set(isa);
    for (TensorType type : kQuantTypes) {
      const TypeKernels& tk = ks.of(type);
      if (tk.gemv_q8_multi == nullptr) continue;
      for (size_t nb : {1u, 2u, 3u, 16u, 17u, 18u, 35u, 48u}) {
        const size_t n = nb * block_of(type);
        const size_t rb = act_row_bytes(tk.act, n);
        const size_t stride = row_bytes(type, n) + 5;
        for (size_t n_rows : {1u, 5u, 16u, 28u}) {
          std::vector<uint8_t> w(n_rows * stride);
          const auto packed = random_rows(type, n_rows, n, rng);
          for (size_t r = 0; r < n_rows; ++r) {
            std::memcpy(w.data() + r * stride, packed.data() + r * row_bytes(type, n), row_bytes(type, n));
          }
          for (size_t n_tok : {2u, 3u, 4u, 5u, 7u, 8u, 13u, 17u, 20u}) {
            std::vector<uint8_t> xq(n_tok * rb);
            for (size_t t = 0; t < n_tok; ++t) {
              const auto q = quantize(ks, tk.act, random_acts(n, rng));
              std::memcpy(xq.data() + t * rb, q.data(), rb);
            }
            const size_t ldy = n_rows + 3;
            std::vector<float> got(n_tok * ldy, -1.0f), want(n_rows);
            std::vector<uint8_t> scratch(kGemvMultiScratchPerElement * n + 64 + 1);
            tk.gemv_q8_multi(w.data(), stride, n_rows, n, xq.data(), rb, n_tok, got.data(), ldy,
                             scratch.data() + 1, nullptr);
            // The same rows laid out beforehand, where the level does that once per input.
            std::vector<float> got_arranged(n_tok * ldy, -1.0f);
            if (ks.arrange_q8x32 != nullptr) {
              std::vector<uint8_t> arranged(arranged_bytes(n, n_tok) + 4);
              for (size_t t = 0; t < n_tok; ++t)
                ks.arrange_q8x32(xq.data() + t * rb, n, t, arranged.data() + 4);
              tk.gemv_q8_multi(w.data(), stride, n_rows, n, xq.data(), rb, n_tok,
                               got_arranged.data(), ldy, scratch.data() + 1, arranged.data() + 4);
              EXPECT_EQ(got_arranged, got)
                  << isa_name(isa) << " arranged beforehand, tokens " << n_tok;
            }
            for (size_t t = 0; t < n_tok; ++t) {
              tk.gemv_q8(w.data(), stride, n_rows, n, xq.data() + t * rb, want.data());
              for (size_t r = 0; r < n_rows; ++r) {
                ASSERT_EQ(got[t * ldy + r], want[r])
                    << isa_name(isa) << " " << type_traits(type).name << " nb " << nb << " rows "
                    << n_rows << " tokens " << n_tok << " token " << t << " row " << r;
              }
              EXPECT_EQ(got[t * ldy + n_rows], -1.0f) << "wrote past its rows";
            }
          }
        }
      }
    }
  }
}

TEST(Kernels, FloatMatVecMatchesTheExactProduct) {
  std::mt19937 rng(4);
  for (TensorType type : kAllTypes) {
    const size_t bs = block_of(type);
    for (size_t nb : {1u, 3u, 9u, 18u}) {
      // F32 / F16 / BF16 also take lengths that are not a multiple of 32.
      const size_t n = nb * bs + (bs == 32 && type_traits(type).block_size == 1 ? 5 : 0);
      const size_t n_rows = 3;
      const size_t stride = row_bytes(type, n) + (type == TensorType::F32 ? 4 : 6);
      std::vector<uint8_t> w(n_rows * stride + 8);
      const auto packed = random_rows(type, n_rows, n, rng);
      for (size_t r = 0; r < n_rows; ++r) {
        std::memcpy(w.data() + r * stride, packed.data() + r * row_bytes(type, n),
                    row_bytes(type, n));
      }
      const auto x = random_acts(n, rng);
      const std::vector<double> xd(x.begin(), x.end());
      for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Avx512Vnni, Isa::Amx}) {
        if (!isa_supported(isa)) continue;
        std::vector<float> got(n_rows);
        kernel_set(isa).of(type).gemv_f32(w.data(), stride, n_rows, n, x.data(), got.data());
        for (size_t r = 0; r < n_rows; ++r) {
          const Exact e = exact_dot(type, w.data() + r * stride, xd);
          EXPECT_NEAR(got[r], e.value, 1e-5 * e.mag + 1e-6)
              << type_traits(type).name << " " << isa_name(isa) << " n " << n << " row " << r;
        }
      }
    }
  }
}

// Batched products: weight rows of every type packed into a panel (from f32 rows, or by the
// fused dequantize-and-pack kernels, which must give the same panel bit for bit), times
// packed activations, against the exact product; tiles of 1 to 32 rows and 1 to 64 tokens.
TEST(Kernels, PanelGemmMatchesTheExactProduct) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (TensorType type : kAllTypes) {
    const size_t bs = block_of(type);
    for (size_t n_rows : {1u, 8u, 13u, 32u}) {
      for (size_t n_tok : {1u, 16u, 17u, 40u, 64u}) {
        const size_t k = bs == 256                           ? 512
                         : type_traits(type).block_size == 1 ? 32 * n_rows + 5
                                                             : 96 + 32 * (n_tok % 3);
        const size_t stride = row_bytes(type, k) + 2;
        std::vector<uint8_t> w(n_rows * stride);
        const auto packed = random_rows(type, n_rows, k, rng);
        for (size_t r = 0; r < n_rows; ++r) {
          std::memcpy(w.data() + r * stride, packed.data() + r * row_bytes(type, k),
                      row_bytes(type, k));
        }
        std::vector<float> rows(n_rows * k);
        for (size_t r = 0; r < n_rows; ++r)
          dequantize_row(type, w.data() + r * stride, rows.data() + r * k, k);
        const size_t tp = (n_tok + 15) / 16 * 16, ldc = n_rows + 3;
        std::vector<float> ap(k * tp, 0.0f);
        for (size_t i = 0; i < k; ++i) {
          for (size_t t = 0; t < n_tok; ++t) ap[packed_act_index(t, i, k)] = normal(rng);
        }
        for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Avx512Vnni, Isa::Amx}) {
          if (!isa_supported(isa)) continue;
          const KernelSet& ks = kernel_set(isa);
          const std::string what = std::string(type_traits(type).name) + " " + isa_name(isa) +
                                   " rows " + std::to_string(n_rows) + " tokens " +
                                   std::to_string(n_tok);
          std::vector<float> panel(panel_floats(k), -1.0f);
          ks.pack_f32(rows.data(), k, n_rows, k, panel.data());
          if (ks.of(type).pack != nullptr) {
            std::vector<float> fused(panel_floats(k), -2.0f);
            ks.of(type).pack(w.data(), stride, n_rows, k, fused.data());
            EXPECT_EQ(fused, panel) << what;
          }
          std::vector<float> c(n_tok * ldc, -7.0f);
          ks.gemm_f32(panel.data(), n_rows, ap.data(), tp, n_tok, k, c.data(), ldc, w.data(), w.size());
          for (size_t t = 0; t < n_tok; ++t) {
            for (size_t r = 0; r < ldc; ++r) {
              if (r >= n_rows) {
                ASSERT_EQ(c[t * ldc + r], -7.0f) << "wrote outside the tile: " << what;
                continue;
              }
              double want = 0, mag = 0;
              for (size_t i = 0; i < k; ++i) {
                const double a = ap[packed_act_index(t, i, k)];
                want += static_cast<double>(rows[r * k + i]) * a;
                mag += std::fabs(static_cast<double>(rows[r * k + i]) * a);
              }
              ASSERT_NEAR(c[t * ldc + r], want, 1e-5 * mag) << what << " r " << r << " t " << t;
            }
          }
        }
      }
    }
  }
}

// Attention over cached rows of every cache type (rows padded apart, as heads of a wider
// cache row are), and the half-precision roundings bit for bit.
TEST(Kernels, AttentionMatchesTheReference) {
  std::mt19937 rng(6);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const KernelSet& ref = kernel_set(Isa::Scalar);
  for (TensorType kv : {TensorType::F32, TensorType::F16, TensorType::Q8_0}) {
    for (size_t hd : {32u, 40u, 64u, 96u, 128u}) {
      for (size_t n_pos : {1u, 7u, 33u, 70u}) {
        const size_t stride = row_bytes(kv, hd) + row_bytes(kv, 32);
        const auto rows = random_rows(kv, n_pos * 2, hd + 32, rng);  // enough bytes for every row
        std::vector<uint8_t> k(n_pos * stride), v(n_pos * stride);
        std::memcpy(k.data(), rows.data(), k.size());
        std::memcpy(v.data(), rows.data() + k.size(), v.size());
        std::vector<float> q(hd), w(n_pos);
        for (float& x : q) x = normal(rng);
        for (float& x : w) x = std::fabs(normal(rng));
        std::vector<float> want_s(n_pos), want_o(hd);
        ref.attn(kv).scores(q.data(), k.data(), stride, n_pos, hd, 0.125f, want_s.data());
        ref.attn(kv).values(w.data(), v.data(), stride, n_pos, hd, want_o.data());
        // Magnitudes for the tolerance.
        std::vector<float> kd(hd), vd(hd);
        double mag_o = 0;
        for (size_t p = 0; p < n_pos; ++p) {
          dequantize_row(kv, v.data() + p * stride, vd.data(), hd);
          for (size_t j = 0; j < hd; ++j) mag_o += std::fabs(w[p] * vd[j]);
        }
        std::vector<float> first_s, first_o;
        for (Isa isa : simd_levels()) {
          const KernelSet& ks = kernel_set(isa);
          const std::string what = std::string(type_traits(kv).name) + " " + isa_name(isa) +
                                   " hd " + std::to_string(hd) + " n_pos " + std::to_string(n_pos);
          std::vector<float> got_s(n_pos), got_o(hd, -1.0f);
          ks.attn(kv).scores(q.data(), k.data(), stride, n_pos, hd, 0.125f, got_s.data());
          ks.attn(kv).values(w.data(), v.data(), stride, n_pos, hd, got_o.data());
          if (kv == TensorType::F16) {  // every SIMD level sums F16 rows in one order
            if (first_s.empty()) first_s = got_s, first_o = got_o;
            EXPECT_EQ(got_s, first_s) << what;
            EXPECT_EQ(got_o, first_o) << what;
          }
          for (size_t p = 0; p < n_pos; ++p) {
            dequantize_row(kv, k.data() + p * stride, kd.data(), hd);
            double mag = 0;
            for (size_t j = 0; j < hd; ++j) mag += std::fabs(q[j] * kd[j]);
            EXPECT_NEAR(got_s[p], want_s[p], 1e-5 * 0.125 * mag) << what << " p " << p;
          }
          for (size_t j = 0; j < hd; ++j)
            EXPECT_NEAR(got_o[j], want_o[j], 1e-5 * mag_o / static_cast<double>(hd)) << what;
        }
      }
    }
  }
  std::vector<float> x(1000);
  for (float& v : x) v = normal(rng) * 100.0f;
  x[0] = 65519.0f;  // rounds up to infinity's neighbour
  x[1] = 1e-6f;     // a subnormal half
  std::vector<float> want = x;
  std::vector<uint16_t> want_h(x.size());
  ref.round_f16(want.data(), want.size());
  ref.to_f16(x.data(), want_h.data(), x.size());
  for (Isa isa : simd_levels()) {
    std::vector<float> got = x;
    std::vector<uint16_t> got_h(x.size());
    kernel_set(isa).round_f16(got.data(), got.size());
    kernel_set(isa).to_f16(x.data(), got_h.data(), x.size());
    EXPECT_EQ(got, want) << isa_name(isa);
    EXPECT_EQ(got_h, want_h) << isa_name(isa);
  }
}

TEST(Kernels, SwigluMatchesTheReference) {
  std::mt19937 rng(8);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> g(203), u(203);
  for (size_t i = 0; i < g.size(); ++i) {
    g[i] = normal(rng);
    u[i] = normal(rng);
  }
  g[0] = -100.0f;
  g[1] = 100.0f;
  g[2] = 0.0f;
  std::vector<float> want = g;
  kernel_set(Isa::Scalar).swiglu(want.data(), u.data(), want.size());
  for (Isa isa : simd_levels()) {
    std::vector<float> got = g;
    kernel_set(isa).swiglu(got.data(), u.data(), got.size());
    for (size_t i = 0; i < g.size(); ++i) {
      EXPECT_NEAR(got[i], want[i], 4e-7 * (std::fabs(g[i] * u[i]) + 1e-30))
          << isa_name(isa) << " g " << g[i];
    }
  }
}

TEST(Kernels, SoftmaxMatchesTheReference) {
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  for (size_t n : {1, 7, 8, 61, 200}) {
    std::vector<float> x(n);
    for (float& v : x) v = normal(rng);
    x[0] = -90.0f;  // underflows to 0 after the max is taken off
    std::vector<float> want = x;
    kernel_set(Isa::Scalar).softmax(want.data(), n);
    for (Isa isa : simd_levels()) {
      std::vector<float> got = x;
      kernel_set(isa).softmax(got.data(), n);
      double total = 0.0;
      for (size_t i = 0; i < n; ++i) {
        EXPECT_NEAR(got[i], want[i], 1e-6 * want[i] + 1e-30) << isa_name(isa) << " n " << n;
        total += got[i];
      }
      EXPECT_NEAR(total, 1.0, 1e-6) << isa_name(isa) << " n " << n;
    }
  }
}

}  // namespace
}  // namespace hearth::localnode::cpu
