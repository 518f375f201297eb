// Each Vulkan kernel (shaders/*.comp), one dispatch at a time, against the CPU reference on
// random inputs: get_rows, matvec and matmul for every weight type against dequantize_row and
// double dot products; rms_norm, rope_kv, attention, swiglu and argmax against cpu/ops.hpp or
// a double-precision formula. Runs on whatever Vulkan device the machine has (Mesa's lavapipe
// in CI, hence the small shapes); no device is a failure, not a skip.

#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cpu/ops.hpp"
#include "hearth/localnode/tensor_type.hpp"
#include "unit/localnode/random_rows.hpp"
#include "vulkan/device.hpp"
#include "vulkan/matmul_split.hpp"
#include "vulkan/pipelines.hpp"
#include "vulkan/push_constants.hpp"

namespace hearth::localnode::vulkan {
namespace {

const TensorType kAllTypes[] = {
    TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q4_0, TensorType::Q4_1,
    TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0, TensorType::Q2_K, TensorType::Q3_K,
    TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K};

float round_f16(float x) {
  return fp16_to_fp32(fp32_to_fp16(x));
}

uint32_t div_up(size_t a, size_t b) {
  return static_cast<uint32_t>((a + b - 1) / b);
}

// The largest of many normalised errors and where it was, for one readable failure message.
struct Worst {
  double error = 0.0;
  size_t at = 0, element = 0;
  void add(double e, size_t a, size_t i) {
    if (!std::isnan(error) && !(e <= error)) *this = {e, a, i};  // a NaN sticks
  }
};

// One device for the suite; pipelines and buffers per test, because descriptor sets are
// cached by buffer handle and a freed buffer's handle may come back for a new one.
class VulkanKernels : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<std::unique_ptr<Device>> opened = Device::open(DeviceChoice::Any);
    if (opened) {
      device_ = std::move(*opened);
    } else {
      open_error_ = opened.error().message;
    }
  }
  static void TearDownTestSuite() { device_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(device_ != nullptr) << "no Vulkan device: " << open_error_;
    pipelines_ = std::make_unique<Pipelines>(*device_);
  }
  void TearDown() override {
    pipelines_.reset();
    buffers_.clear();
  }

  // A host-visible buffer (shaders use it in place) of `bytes` set to `fill`, kept until the
  // test ends.
  Buffer& buffer(size_t bytes, uint8_t fill = 0) {
    Result<Buffer> made = device_->buffer(bytes, Memory::Host);
    if (!made) throw std::runtime_error(made.error().message);
    std::memset(made->mapped(), fill, bytes);
    return buffers_.emplace_back(std::move(*made));
  }
  template <class T>
  Buffer& upload(const std::vector<T>& values) {
    Buffer& b = buffer(values.size() * sizeof(T));
    std::memcpy(b.mapped(), values.data(), values.size() * sizeof(T));
    return b;
  }
  template <class T = float>
  static T* data(const Buffer& b) {
    return static_cast<T*>(b.mapped());
  }
  static BufferRange whole(const Buffer& b) { return {b.handle(), 0, VK_WHOLE_SIZE}; }
  // Whether bytes [from, to) of `b` are all `fill` (nothing written there).
  static bool untouched(const Buffer& b, size_t from, size_t to, uint8_t fill) {
    for (size_t i = from; i < to; ++i) {
      if (data<uint8_t>(b)[i] != fill) return false;
    }
    return true;
  }

  // Dispatches shader variant `name` once over `buffers` (bindings 0, 1, ...) and waits.
  template <class Push>
  ::testing::AssertionResult run(const std::string& name, const Push& push,
                                 std::initializer_list<BufferRange> buffers, uint32_t groups,
                                 uint32_t groups_y = 1, uint32_t groups_z = 1,
                                 std::optional<uint32_t> constant = std::nullopt) {
    Result<const Pipeline*> p =
        pipelines_->get(name, static_cast<uint32_t>(buffers.size()), sizeof(Push), constant);
    if (!p) return ::testing::AssertionFailure() << p.error().message;
    Result<VkDescriptorSet> set =
        pipelines_->bind(**p, std::span<const BufferRange>(buffers.begin(), buffers.size()));
    if (!set) return ::testing::AssertionFailure() << set.error().message;
    Status done = device_->run_once([&](VkCommandBuffer cb) {
      Recorder rec(cb);
      rec.dispatch(**p, *set, push, groups, groups_y, groups_z);
      rec.finish();
    });
    if (!done) return ::testing::AssertionFailure() << done.error().message;
    return ::testing::AssertionSuccess();
  }

  std::vector<float> normal(size_t n, float sigma = 1.0f) {
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng_);
    return v;
  }

  static inline std::unique_ptr<Device> device_;
  static inline std::string open_error_;
  std::unique_ptr<Pipelines> pipelines_;
  std::deque<Buffer> buffers_;  // a deque: references stay valid as it grows
  std::mt19937 rng_{1234};
};

// get_rows, matvec and matmul for one weight type.
class WeightKernel : public VulkanKernels, public ::testing::WithParamInterface<TensorType> {
 protected:
  struct Weights {
    BufferRange range;
    uint32_t row_bytes = 0;
    std::vector<float> values;  // dequantized, (n_rows, n)
  };

  // "matvec_q4_k" for ("matvec", Q4_K).
  std::string variant(const std::string& kernel) const {
    std::string name = kernel + '_';
    for (char ch : type_traits(GetParam()).name) {
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    return name;
  }

  // A row length of whole blocks; long rows have more matvec work units than the workgroup
  // has threads, so each thread loops.
  uint32_t row_len(bool long_rows) const {
    const size_t block = type_traits(GetParam()).block_size;
    if (block == kQK_K) return long_rows ? 1280 : 512;
    if (block == kQK) return long_rows ? 416 : 160;
    return long_rows ? 260 : 100;  // f32 / f16 / bf16: the shaders' 4-element blocks
  }

  // Random rows bound at an aligned offset inside a larger buffer of other bytes, as the
  // backend binds weights inside its chunks (get_rows bounds tokens by the bound range).
  Weights weights(size_t n_rows, size_t n) {
    const std::vector<uint8_t> bytes = localnode::testing::random_rows(GetParam(), n_rows, n, rng_);
    const size_t offset = std::max<size_t>(256, device_->limits().storage_offset_alignment);
    Buffer& b = buffer(offset + bytes.size() + 256, 0xAB);
    std::memcpy(data<uint8_t>(b) + offset, bytes.data(), bytes.size());
    Weights w{{b.handle(), offset, bytes.size()},
              static_cast<uint32_t>(row_bytes(GetParam(), n)),
              std::vector<float>(n_rows * n)};
    for (size_t r = 0; r < n_rows; ++r) {
      dequantize_row(GetParam(), bytes.data() + r * w.row_bytes, &w.values[r * n], n);
    }
    return w;
  }

  // y (n_tokens, n_out) = x (n_tokens, n_in) · W^T by `kernel`, each output's error relative to
  // sum |w * x| (the scale of its rounding), and nothing written outside y's rows. With k_len
  // (a mat-mul split over k) the slices go to a buffer of their own and split_sum adds them
  // into y.
  void check_product(const std::string& kernel, uint32_t n_in, uint32_t n_out, uint32_t n_tokens,
                     uint32_t x_offset, uint32_t y_offset, uint32_t groups, uint32_t groups_y,
                     uint32_t k_len = 0) {
    SCOPED_TRACE(::testing::Message()
                 << kernel << ": " << n_tokens << " tokens, n_in " << n_in << ", x_offset "
                 << x_offset << ", y_offset " << y_offset << ", k_len " << k_len);
    const Weights w = weights(n_out, n_in);
    const std::vector<float> x = normal(x_offset + n_tokens * n_in);
    const Buffer& xb = upload(x);
    const size_t y_end = y_offset + n_tokens * n_out;
    const Buffer& y = buffer((y_end + 4) * sizeof(float), 0xFF);
    if (k_len == 0) {
      const MatmulPush push{n_in, n_out, w.row_bytes, n_tokens, x_offset, y_offset, n_in};
      ASSERT_TRUE(run(variant(kernel), push, {w.range, whole(xb), whole(y)}, groups, groups_y));
    } else {
      ASSERT_EQ(y_offset, 0u) << "split_sum writes from the start of its output";
      const uint32_t slices = div_up(n_in, k_len), n = n_tokens * n_out;
      const Buffer& parts = buffer((size_t{slices} * n + 4) * sizeof(float), 0xFF);
      const MatmulPush push{n_in, n_out, w.row_bytes, n_tokens, x_offset, 0, k_len};
      ASSERT_TRUE(
          run(variant(kernel), push, {w.range, whole(xb), whole(parts)}, groups, groups_y, slices));
      EXPECT_TRUE(untouched(parts, size_t{slices} * n * sizeof(float), parts.size(), 0xFF))
          << "wrote past the last slice";
      ASSERT_TRUE(
          run("split_sum", SplitSumPush{n, slices}, {whole(parts), whole(y)}, div_up(n, 256)));
    }
    Worst worst;
    for (size_t t = 0; t < n_tokens; ++t) {
      for (size_t r = 0; r < n_out; ++r) {
        double dot = 0.0, scale = 0.0;
        for (size_t i = 0; i < n_in; ++i) {
          const double p = static_cast<double>(w.values[r * n_in + i]) * x[x_offset + t * n_in + i];
          dot += p;
          scale += std::fabs(p);
        }
        worst.add(std::fabs(data(y)[y_offset + t * n_out + r] - dot) / scale, t, r);
      }
    }
    EXPECT_LE(worst.error, 1e-5) << "token " << worst.at << ", row " << worst.element;
    EXPECT_TRUE(untouched(y, 0, y_offset * sizeof(float), 0xFF)) << "wrote before y_offset";
    EXPECT_TRUE(untouched(y, y_end * sizeof(float), y.size(), 0xFF)) << "wrote past y";
  }
};

TEST_P(WeightKernel, GetRows) {
  const uint32_t n_embd = row_len(false), n_vocab = 37;
  const Weights w = weights(n_vocab, n_embd);
  // tokens_offset skips the first three; 37 (one past the bound rows) and -1 get zero rows.
  const std::vector<int32_t> tokens = {-9, -9, -9, 0, 36, 5, 5, 17, 37, -1, 2};
  const uint32_t tokens_offset = 3, n_rows = 8, out_offset = 5;
  const Buffer& tok = upload(tokens);
  const size_t out_end = out_offset + n_rows * n_embd;
  const Buffer& out = buffer((out_end + 4) * sizeof(float), 0xFF);
  const GetRowsPush push{n_embd, w.row_bytes, n_rows, tokens_offset, out_offset};
  ASSERT_TRUE(run(variant("get_rows"), push, {w.range, whole(tok), whole(out)}, n_rows));
  // Dequantization is a few f32 operations per element: within rounding of the row's scale.
  Worst worst;
  for (size_t t = 0; t < n_rows; ++t) {
    const size_t token = static_cast<uint32_t>(tokens[tokens_offset + t]);
    const bool valid = token < n_vocab;  // -1 wraps past it
    double row_max = 1e-30;
    for (size_t i = 0; valid && i < n_embd; ++i) {
      row_max = std::max(row_max, std::fabs(static_cast<double>(w.values[token * n_embd + i])));
    }
    for (size_t i = 0; i < n_embd; ++i) {
      const double ref = valid ? w.values[token * n_embd + i] : 0.0;
      worst.add(std::fabs(data(out)[out_offset + t * n_embd + i] - ref) / row_max, t, i);
    }
  }
  EXPECT_LE(worst.error, 1e-6) << "row " << worst.at << ", element " << worst.element;
  EXPECT_TRUE(untouched(out, 0, out_offset * sizeof(float), 0xFF)) << "wrote before out_offset";
  EXPECT_TRUE(untouched(out, out_end * sizeof(float), out.size(), 0xFF)) << "wrote past out";
}

// 1, 3 and 8 tokens over 37 rows (the last group has one row); x at an unaligned offset once
// (the shader's scalar loads); long rows and a 2D grid with spare groups (as the Recorder
// splits a large vocabulary) once.
TEST_P(WeightKernel, Matvec) {
  const uint32_t n_out = 37;
  const uint32_t groups = div_up(n_out, kMatvecRowsPerGroup);
  check_product("matvec", row_len(false), n_out, 1, 0, 0, groups, 1);
  check_product("matvec", row_len(false), n_out, 3, 1, 3, groups, 1);
  check_product("matvec", row_len(true), n_out, kMatvecMaxTokens, 0, 0, 7, div_up(groups, 7) + 1);
}

// One partial token tile, then two tiles with x unaligned; row counts leave the last 64-row
// tile partial, and f32 / f16 / bf16 rows of 100 end inside a 32-wide k step. Then split
// over k as the backend splits it (matmul_split.hpp): 2 to 10 slices by type, the last
// shorter than the others for all but the 256-element blocks.
TEST_P(WeightKernel, Matmul) {
  for (auto [n_tokens, n_out, x_offset, y_offset] :
       {std::array<uint32_t, 4>{8, 100, 0, 3}, std::array<uint32_t, 4>{70, 130, 2, 0}}) {
    check_product("matmul", row_len(false), n_out, n_tokens, x_offset, y_offset,
                  div_up(n_out, kMatmulTileRows), div_up(n_tokens, kMatmulTileTokens));
  }
  const uint32_t n_in = row_len(true), n_out = 70, n_tokens = 40;
  const KSplit split = matmul_k_split(4, n_in, n_tokens * n_out, size_t{1} << 20);
  ASSERT_GE(split.slices, 2u);
  check_product("matmul", n_in, n_out, n_tokens, 1, 0, div_up(n_out, kMatmulTileRows),
                div_up(n_tokens, kMatmulTileTokens), split.k_len);
}

INSTANTIATE_TEST_SUITE_P(VulkanKernels, WeightKernel, ::testing::ValuesIn(kAllTypes),
                         [](const ::testing::TestParamInfo<TensorType>& p) {
                           return std::string(type_traits(p.param).name);
                         });

// rms_norm over rows of n = 300 (threads loop past the workgroup's 256) of a 5-row x, as the
// backend runs it: plain (the first layer); with x += addend in place first, addend and out one
// buffer (between layers); and with the rows picked through the rows buffer (the logits rows).
TEST_F(VulkanKernels, RmsNorm) {
  for (auto [add, gather] : {std::pair{false, false}, {true, false}, {true, true}}) {
    SCOPED_TRACE(::testing::Message() << "add " << add << ", gather " << gather);
    const uint32_t n = 300, n_rows = gather ? 3 : 4;
    const size_t n_x = 5;
    const float eps = 1e-5f;
    const std::vector<int32_t> rows = {-1, -1, 4, 1, 3};  // gathered from index_offset 2
    const std::vector<float> x0 = normal(n_x * n), addend0 = normal(n_x * n), w = normal(n);
    const Buffer& x = upload(x0);
    const Buffer& addend = upload(addend0);
    const Buffer& out = add && !gather ? addend : buffer(n_rows * sizeof(float) * n);
    const RmsNormPush push{n, n_rows, add ? 1u : 0u, gather ? 1u : 0u, 2, eps};
    ASSERT_TRUE(run("rms_norm", push,
                    {whole(x), whole(addend), whole(upload(w)), whole(out), whole(upload(rows))},
                    n_rows));
    std::vector<float> x_ref = x0, ref(n);
    Worst worst;
    for (size_t t = 0; t < n_rows; ++t) {
      const size_t s = gather ? rows[2 + t] : t;
      for (size_t i = 0; add && i < n; ++i) x_ref[s * n + i] += addend0[s * n + i];
      cpu::rms_norm(&x_ref[s * n], w.data(), eps, n, ref.data());
      for (size_t i = 0; i < n; ++i) {
        worst.add(std::fabs(data(out)[t * n + i] - ref[i]) / (1.0 + std::fabs(ref[i])), t, i);
      }
    }
    EXPECT_LE(worst.error, 1e-5) << "row " << worst.at << ", element " << worst.element;
    // x holds x + addend in the rows normalised, and is unchanged in the others.
    size_t x_diff = 0;
    while (x_diff < x_ref.size() && data(x)[x_diff] == x_ref[x_diff]) ++x_diff;
    EXPECT_EQ(x_diff, x_ref.size())
        << "x differs first at row " << x_diff / n << ", element " << x_diff % n;
  }
}

// The KV-cache kernels for an f16 (true) or f32 cache.
class KvKernel : public VulkanKernels, public ::testing::WithParamInterface<bool> {
 protected:
  bool f16() const { return GetParam(); }
  std::string variant(const std::string& kernel) const {
    return kernel + (f16() ? "_f16" : "_f32");
  }
  size_t element() const { return f16() ? 2 : 4; }
  float cache_at(const Buffer& b, size_t i) const {
    return f16() ? fp16_to_fp32(data<uint16_t>(b)[i]) : data(b)[i];
  }
  // A cache (as the backend lays it out) holding `values`, rounded to halves for f16.
  const Buffer& cache(std::vector<float>& values) {
    Buffer& b = buffer(values.size() * element());
    for (size_t i = 0; i < values.size(); ++i) {
      if (f16()) {
        data<uint16_t>(b)[i] = fp32_to_fp16(values[i]);
        values[i] = fp16_to_fp32(data<uint16_t>(b)[i]);
      } else {
        data(b)[i] = values[i];
      }
    }
    return b;
  }

  struct RopeCase {
    uint32_t neox, head_dim, n_rot, has_bias;  // neox and has_bias: 0 or 1, as pushed
  };
  void check_rope_kv(const RopeCase& c);
  void check_attention(const std::vector<int32_t>& rows, uint32_t rows_per_group);
};

// Rows at different (seq, pos), positions up to 300; GQA (4 query heads, 2 KV heads). q and k
// get their biases and are rotated in place by the host's angles (cpu::rope_angles) as
// cpu::rope does; k and v land in the caches at (seq * n_ctx + pos) * kv_dim + head *
// head_dim, and nothing else of the caches is written.
void KvKernel::check_rope_kv(const RopeCase& c) {
  const uint32_t n_rows = 5, n_head = 4, n_head_kv = 2, hd = c.head_dim, n_ctx = 320, n_seq = 3;
  const size_t q_dim = size_t{n_head} * hd, kv_dim = size_t{n_head_kv} * hd;
  // The rows buffer: one unused entry, then positions, then sequences.
  const std::vector<int32_t> rows = {-1, 0, 7, 300, 1, 255, 0, 0, 1, 2, 1};
  const uint32_t pos_at = 1, seq_at = 1 + n_rows;
  const std::vector<float> q0 = normal(n_rows * q_dim), k0 = normal(n_rows * kv_dim),
                           v0 = normal(n_rows * kv_dim), bq = normal(q_dim, 0.5f),
                           bk = normal(kv_dim, 0.5f), bv = normal(kv_dim, 0.5f);
  std::vector<float> angles(size_t{n_rows} * c.n_rot);  // (n_rows, n_rot): cos, sin per pair
  for (size_t t = 0; t < n_rows; ++t) {
    cpu::rope_angles(static_cast<float>(rows[pos_at + t]), c.n_rot, 10000.0f, 1.0f, nullptr,
                     &angles[t * c.n_rot]);
  }
  const Buffer& q = upload(q0);
  const Buffer& k = upload(k0);
  const size_t cache_elems = static_cast<size_t>(n_seq) * n_ctx * kv_dim;
  const uint8_t fill = 0x5A;
  const Buffer& k_cache = buffer(cache_elems * element(), fill);
  const Buffer& v_cache = buffer(cache_elems * element(), fill);
  const BufferRange unused = whole(buffer(16));
  const RopeKvPush push{n_rows, n_head, n_head_kv,  hd,     c.n_rot,
                        c.neox, n_ctx,  c.has_bias, pos_at, seq_at};
  ASSERT_TRUE(run(
      variant("rope_kv"), push,
      {whole(q), whole(k), whole(upload(v0)), whole(upload(rows)), whole(k_cache), whole(v_cache),
       c.has_bias ? whole(upload(bq)) : unused, c.has_bias ? whole(upload(bk)) : unused,
       c.has_bias ? whole(upload(bv)) : unused, whole(upload(angles))},
      n_head + n_head_kv, n_rows));

  // The same angles: only the rotation's rounding (fused or not) differs. An f16 cache adds
  // its rounding (up to one half ulp, 2^-10 relative, either way).
  auto error = [](double got, double ref, bool half) {
    const double rounding = half ? std::fabs(ref) * 0x1p-10 : 0.0;
    return std::max(0.0, std::fabs(got - ref) - rounding) / (1.0 + std::fabs(ref));
  };
  std::vector<bool> written(cache_elems);
  std::vector<float> head(hd);
  Worst worst;  // at: row * 8 + head (k heads after q heads), element: dimension
  for (size_t t = 0; t < n_rows; ++t) {
    const int32_t pos = rows[pos_at + t], seq = rows[seq_at + t];
    for (size_t h = 0; h < n_head + n_head_kv; ++h) {
      const bool is_q = h < n_head;
      const size_t kh = h - n_head, base = is_q ? t * q_dim + h * hd : t * kv_dim + kh * hd;
      const size_t bias_at = is_q ? h * hd : kh * hd;
      for (size_t d = 0; d < hd; ++d) {
        head[d] = (is_q ? q0 : k0)[base + d] + (c.has_bias ? (is_q ? bq : bk)[bias_at + d] : 0.0f);
      }
      cpu::rope(head.data(), c.n_rot, &angles[t * c.n_rot], c.neox);
      const size_t cache_row = (static_cast<size_t>(seq) * n_ctx + pos) * kv_dim + kh * hd;
      for (size_t d = 0; d < hd; ++d) {
        worst.add(error(data(is_q ? q : k)[base + d], head[d], false), t * 8 + h, d);
        if (is_q) continue;
        const float v_ref = v0[base + d] + (c.has_bias ? bv[bias_at + d] : 0.0f);
        worst.add(error(cache_at(k_cache, cache_row + d), head[d], f16()), t * 8 + h, d);
        worst.add(error(cache_at(v_cache, cache_row + d), v_ref, f16()), t * 8 + h, d);
        written[cache_row + d] = true;
      }
    }
  }
  EXPECT_LE(worst.error, 2e-6) << "row " << worst.at / 8 << ", head " << worst.at % 8
                               << ", dimension " << worst.element;
  size_t stray = 0;
  for (size_t i = 0; i < cache_elems; ++i) {
    if (written[i]) continue;
    stray += !untouched(k_cache, i * element(), (i + 1) * element(), fill);
    stray += !untouched(v_cache, i * element(), (i + 1) * element(), fill);
  }
  EXPECT_EQ(stray, 0u) << "cache elements written outside the rows' (seq, pos)";
}

// Neox halves with biases; adjacent pairs with head_dim 160 (threads own more than one pair)
// of which 96 dimensions are rotated and the rest only copied.
TEST_P(KvKernel, RopeKv) {
  for (const RopeCase& c : {RopeCase{1, 64, 64, 1}, RopeCase{0, 160, 96, 0}}) {
    SCOPED_TRACE(::testing::Message() << "neox " << c.neox << ", head_dim " << c.head_dim);
    check_rope_kv(c);
  }
}

// softmax(q · k * scale) · v over positions 0 .. pos of the row's sequence: 1 position, one
// whole chunk of 256, one past it, and 262; GQA (4 query heads on 2 KV heads), head_dim 80
// (20 quads, not a multiple of the four a thread reads at once; three groups of threads sum
// the weighted values, 16 threads idle). The rows in two sequences, then all in one, each
// with 1, 3 (a partial last workgroup) and kAttentionPrefillRows rows per workgroup: rows of
// several sequences go one after another, one sequence's share their reads.
// The reference is double precision, with q rounded to the cache's precision as the shader does.
TEST_P(KvKernel, Attention) {
  for (const int32_t mixed : {1, 0}) {
    for (const uint32_t rows_per_group : {1u, 3u, kAttentionPrefillRows}) {
      SCOPED_TRACE(::testing::Message() << (mixed != 0 ? "two sequences, " : "one sequence, ")
                                        << rows_per_group << " rows per workgroup");
      check_attention({-1, -1, -1, -1, 0, 255, 256, 261, 1, mixed == 0, 1, mixed == 0},
                      rows_per_group);
    }
  }
}

void KvKernel::check_attention(const std::vector<int32_t>& rows, uint32_t rows_per_group) {
  constexpr double kTieWindow = 1e-5;
  const uint32_t n_rows = 4, n_head = 4, n_head_kv = 2, hd = 80, n_ctx = 300, n_seq = 2;
  const size_t q_dim = size_t{n_head} * hd, kv_dim = size_t{n_head_kv} * hd;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  // `rows` is the rows buffer as the backend fills it: token ids, positions, sequences.
  const std::vector<float> q = normal(n_rows * q_dim, 2.0f);  // sharp enough to matter
  std::vector<float> k = normal(kv_dim * n_seq * n_ctx), v = normal(kv_dim * n_seq * n_ctx);
  const Buffer& k_cache = cache(k);
  const Buffer& v_cache = cache(v);
  const Buffer& out = buffer((n_rows * q_dim + 4) * sizeof(float), 0xFF);
  const uint32_t pos_at = n_rows, seq_at = 2 * n_rows;
  const AttentionPush push{n_rows, n_head, n_head_kv, hd, n_ctx, pos_at, seq_at, scale};
  ASSERT_TRUE(
      run(variant("attention"), push,
          {whole(upload(q)), whole(k_cache), whole(v_cache), whole(upload(rows)), whole(out)},
          n_head, div_up(n_rows, rows_per_group), 1, rows_per_group));

  Worst worst;  // at: row * n_head + head, element: dimension
  for (size_t t = 0; t < n_rows; ++t) {
    const size_t n_pos = rows[pos_at + t] + 1, seq = rows[seq_at + t];
    for (size_t h = 0; h < n_head; ++h) {
      const size_t kv_base = seq * n_ctx * kv_dim + h / (n_head / n_head_kv) * hd;
      std::vector<double> w(n_pos), tie(n_pos);
      double max = -std::numeric_limits<double>::infinity(), sum = 0.0;
      for (size_t j = 0; j < n_pos; ++j) {
        for (size_t d = 0; d < hd; ++d) {
          const float qd = q[t * q_dim + h * hd + d];
          w[j] += (f16() ? round_f16(qd) : qd) * static_cast<double>(k[kv_base + j * kv_dim + d]);
        }
        max = std::max(max, w[j] *= scale);
      }
      for (double& x : w) sum += x = std::exp(x - max);
      for (double& x : w) x /= sum;
      // An f16 cache gets f16 weights, as the CPU rounds them; one within the f32 error of a
      // half-way point may round the other way, so it may differ by its ulp (`tie`).
      for (size_t j = 0; j < n_pos && f16(); ++j) {
        tie[j] = round_f16(static_cast<float>(w[j] * (1 + kTieWindow))) -
                 round_f16(static_cast<float>(w[j] * (1 - kTieWindow)));
        w[j] = round_f16(static_cast<float>(w[j]));
      }
      for (size_t d = 0; d < hd; ++d) {
        double ref = 0.0, slack = 0.0;
        for (size_t j = 0; j < n_pos; ++j) {
          ref += w[j] * v[kv_base + j * kv_dim + d];
          slack += tie[j] * std::fabs(v[kv_base + j * kv_dim + d]);
        }
        const double e = std::fabs(data(out)[t * q_dim + h * hd + d] - ref) - slack;
        worst.add(std::max(e, 0.0) / (1.0 + std::fabs(ref)), t * n_head + h, d);
      }
    }
  }
  EXPECT_LE(worst.error, 2e-5) << "row " << worst.at / n_head << ", head " << worst.at % n_head
                               << ", dimension " << worst.element;
  EXPECT_TRUE(untouched(out, n_rows * q_dim * sizeof(float), out.size(), 0xFF)) << "wrote past out";
}

INSTANTIATE_TEST_SUITE_P(VulkanKernels, KvKernel, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "F16" : "F32";
                         });

// gate = silu(gate) * up over n = 1000, with gates whose exp() overflows f32 (silu(-100) is 0,
// not NaN), dispatched as a 3 x 2 grid of which the last groups fall past n.
TEST_F(VulkanKernels, Swiglu) {
  const uint32_t n = 1000;
  std::vector<float> g0 = normal(n, 3.0f);
  g0[0] = -100.0f, g0[1] = 100.0f, g0[2] = 0.0f, g0[3] = -30.0f;
  g0.resize(n + 4, 7.0f);  // past n: must stay
  const std::vector<float> up = normal(n);
  const Buffer& gate = upload(g0);
  ASSERT_TRUE(run("swiglu", SwigluPush{n}, {whole(gate), whole(upload(up))}, 3, 2));
  Worst worst;
  for (size_t i = 0; i < n; ++i) {
    const double g = g0[i], ref = g / (1.0 + std::exp(-g)) * up[i];
    worst.add(std::fabs(data(gate)[i] - ref) / (1.0 + std::fabs(ref)), 0, i);
  }
  EXPECT_LE(worst.error, 1e-5) << "element " << worst.element;
  for (size_t i = n; i < n + 4; ++i) EXPECT_EQ(data(gate)[i], 7.0f) << "wrote past n at " << i;
}

// The index of each row's largest value, the lowest on ties (as the CPU sampler): ties within
// one thread's strided elements and across threads, an all-equal row, and a row of -inf (masked
// logits) but for one finite value at the end. n = 1000 spans 4 strides of 256 threads.
TEST_F(VulkanKernels, Argmax) {
  const uint32_t n = 1000, n_rows = 6;
  std::vector<float> v = normal(size_t{n_rows} * n);
  v[777] = 10.0f;
  // Rows 4 and 5: NaN never wins (as the CPU sampler); a row of NaN gives 0.
  std::fill(v.begin() + 4000, v.end(), std::numeric_limits<float>::quiet_NaN());
  v[4000 + 300] = -5.0f;
  for (size_t i : {900, 517, 263, 261, 511}) v[n + i] = 10.0f;  // 261 and 517: thread 5
  std::fill(v.begin() + 2000, v.begin() + 3000, -1.5f);
  std::fill(v.begin() + 3000, v.begin() + 4000, -std::numeric_limits<float>::infinity());
  v[3999] = -1e30f;
  const Buffer& out = upload(std::vector<int32_t>(n_rows + 1, -7));
  ASSERT_TRUE(run("argmax", ArgmaxPush{n, n_rows}, {whole(upload(v)), whole(out)}, n_rows));
  const int32_t* got = data<int32_t>(out);
  EXPECT_EQ(got[0], 777);
  EXPECT_EQ(got[1], 261);
  EXPECT_EQ(got[2], 0);
  EXPECT_EQ(got[3], 999);
  EXPECT_EQ(got[4], 300);
  EXPECT_EQ(got[5], 0);
  EXPECT_EQ(got[6], -7) << "wrote past n_rows";
}

}  // namespace
}  // namespace hearth::localnode::vulkan
