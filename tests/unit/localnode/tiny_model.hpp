#pragma once
// A tiny random-weight model for engine tests: its weights as plain floats, a GGUF file of
// it (F32 or with quantized matrices), and a plain double-precision reference forward pass
// that shares no code with the engine.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gguf_writer.hpp"
#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode::testing {

struct TinyConfig {
  std::string arch = "llama";
  uint32_t n_vocab = 48;
  uint32_t n_embd = 64;
  uint32_t n_layer = 2;
  uint32_t n_head = 4;
  uint32_t n_head_kv = 2;
  uint32_t n_ff = 96;
  uint32_t n_rot = 16;  // head_dim 16
  uint32_t n_ctx = 64;
  float rms_eps = 1e-5f;
  float rope_base = 10000.0f;
  bool tied = false;
  bool biases = false;      // qwen2
  bool rope_freqs = false;  // llama 3 style per-frequency factors
  TensorType matrix_type = TensorType::F32;
  bool with_vocab = false;  // an SPM vocabulary of n_vocab tokens
};

using Mat = std::vector<float>;  // row-major (rows, cols)

struct TinyWeights {
  Mat embd, out_norm, output, rope_freqs;
  struct Layer {
    Mat attn_norm, wq, wk, wv, bq, bk, bv, wo, ffn_norm, wg, wu, wd;
  };
  std::vector<Layer> layers;
};

// Rounds a (rows, cols) matrix through `type` (cols a multiple of 32): random Q8_0 / Q4_0
// blocks are built directly, then the weights become their dequantized values.
inline std::vector<uint8_t> encode_matrix(Mat& m, size_t cols, TensorType type, std::mt19937& rng) {
  std::vector<uint8_t> bytes;
  if (type == TensorType::F32) {
    bytes.resize(m.size() * 4);
    std::memcpy(bytes.data(), m.data(), bytes.size());
    return bytes;
  }
  if (type == TensorType::F16) {
    for (float& x : m) {
      const uint16_t h = fp32_to_fp16(x);
      bytes.push_back(static_cast<uint8_t>(h & 0xFF));
      bytes.push_back(static_cast<uint8_t>(h >> 8));
      x = fp16_to_fp32(h);
    }
    return bytes;
  }
  // Q8_0: per block of 32, d = max|x| / 127, q = round(x / d).
  for (size_t b = 0; b < m.size() / 32; ++b) {
    float amax = 0;
    for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(m[b * 32 + j]));
    const uint16_t dh = fp32_to_fp16(amax / 127.0f);
    const float d = fp16_to_fp32(dh);
    bytes.push_back(static_cast<uint8_t>(dh & 0xFF));
    bytes.push_back(static_cast<uint8_t>(dh >> 8));
    for (size_t j = 0; j < 32; ++j) {
      const int q = d == 0 ? 0 : std::clamp(static_cast<int>(std::lround(m[b * 32 + j] / d)), -127, 127);
      bytes.push_back(static_cast<uint8_t>(static_cast<int8_t>(q)));
      m[b * 32 + j] = d * static_cast<float>(q);
    }
  }
  (void)cols;
  (void)rng;
  return bytes;
}

inline std::vector<std::string> tiny_vocab(uint32_t n) {
  std::vector<std::string> v = {"<unk>", "<s>", "</s>"};
  const char* pieces[] = {"▁", "a", "b", "c", "▁a", "▁b", "ab", "▁ab", "abc", "▁abc", "ba", "▁ba", "▁c"};
  for (const char* p : pieces) v.push_back(p);
  for (uint32_t i = static_cast<uint32_t>(v.size()); i < n; ++i) v.push_back("<extra" + std::to_string(i) + ">");
  return v;
}

// Writes the model to GGUF bytes; `w` receives the (possibly rounded) weights.
inline std::vector<uint8_t> make_tiny_model(const TinyConfig& c, TinyWeights& w, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto randn = [&](size_t n, float scale, float offset = 0.0f) {
    Mat m(n);
    for (float& x : m) x = offset + scale * normal(rng);
    return m;
  };
  const size_t hd = c.n_embd / c.n_head, q_dim = c.n_head * hd, kv_dim = c.n_head_kv * hd;
  GgufWriter g;
  const std::string a = c.arch;
  g.add_string("general.architecture", a);
  g.add_string("general.name", "tiny");
  g.add_u32(a + ".context_length", c.n_ctx);
  g.add_u32(a + ".embedding_length", c.n_embd);
  g.add_u32(a + ".block_count", c.n_layer);
  g.add_u32(a + ".feed_forward_length", c.n_ff);
  g.add_u32(a + ".attention.head_count", c.n_head);
  g.add_u32(a + ".attention.head_count_kv", c.n_head_kv);
  g.add_u32(a + ".rope.dimension_count", c.n_rot);
  g.add_f32(a + ".rope.freq_base", c.rope_base);
  g.add_f32(a + ".attention.layer_norm_rms_epsilon", c.rms_eps);
  if (c.with_vocab) {
    auto vocab = tiny_vocab(c.n_vocab);
    std::vector<float> scores;
    std::vector<int32_t> types;
    for (size_t i = 0; i < vocab.size(); ++i) {
      scores.push_back(-static_cast<float>(i));
      types.push_back(i < 3 ? (i == 0 ? 2 : 3) : 1);
    }
    g.add_string("tokenizer.ggml.model", "llama");
    g.add_strings("tokenizer.ggml.tokens", vocab);
    g.add_f32s("tokenizer.ggml.scores", scores);
    g.add_i32s("tokenizer.ggml.token_type", types);
    g.add_u32("tokenizer.ggml.bos_token_id", 1);
    g.add_u32("tokenizer.ggml.eos_token_id", 2);
  }

  auto matrix = [&](const std::string& name, Mat& m, size_t rows, size_t cols, TensorType type) {
    auto bytes = encode_matrix(m, cols, type, rng);
    g.add_tensor(name, static_cast<uint32_t>(type), {cols, rows}, std::move(bytes));
  };
  w.embd = randn(static_cast<size_t>(c.n_vocab) * c.n_embd, 1.0f);
  matrix("token_embd.weight", w.embd, c.n_vocab, c.n_embd, c.matrix_type);
  w.out_norm = randn(c.n_embd, 0.1f, 1.0f);
  g.add_f32_tensor("output_norm.weight", {c.n_embd}, w.out_norm);
  if (c.tied) {
    w.output = w.embd;
  } else {
    w.output = randn(static_cast<size_t>(c.n_vocab) * c.n_embd, 0.5f);
    matrix("output.weight", w.output, c.n_vocab, c.n_embd, c.matrix_type);
  }
  if (c.rope_freqs) {
    w.rope_freqs = randn(c.n_rot / 2, 0.0f, 1.0f);
    for (size_t i = 0; i < w.rope_freqs.size(); ++i) w.rope_freqs[i] = 1.0f + static_cast<float>(i % 3);
    g.add_f32_tensor("rope_freqs.weight", {c.n_rot / 2}, w.rope_freqs);
  }
  w.layers.resize(c.n_layer);
  for (uint32_t il = 0; il < c.n_layer; ++il) {
    auto& L = w.layers[il];
    const std::string b = "blk." + std::to_string(il) + ".";
    L.attn_norm = randn(c.n_embd, 0.1f, 1.0f);
    g.add_f32_tensor(b + "attn_norm.weight", {c.n_embd}, L.attn_norm);
    L.wq = randn(q_dim * c.n_embd, 0.15f);
    matrix(b + "attn_q.weight", L.wq, q_dim, c.n_embd, c.matrix_type);
    L.wk = randn(kv_dim * c.n_embd, 0.15f);
    matrix(b + "attn_k.weight", L.wk, kv_dim, c.n_embd, c.matrix_type);
    L.wv = randn(kv_dim * c.n_embd, 0.125f);
    matrix(b + "attn_v.weight", L.wv, kv_dim, c.n_embd, c.matrix_type);
    if (c.biases) {
      L.bq = randn(q_dim, 0.2f);
      L.bk = randn(kv_dim, 0.2f);
      L.bv = randn(kv_dim, 0.2f);
      g.add_f32_tensor(b + "attn_q.bias", {q_dim}, L.bq);
      g.add_f32_tensor(b + "attn_k.bias", {kv_dim}, L.bk);
      g.add_f32_tensor(b + "attn_v.bias", {kv_dim}, L.bv);
    }
    L.wo = randn(c.n_embd * q_dim, 0.125f);
    matrix(b + "attn_output.weight", L.wo, c.n_embd, q_dim, c.matrix_type);
    L.ffn_norm = randn(c.n_embd, 0.1f, 1.0f);
    g.add_f32_tensor(b + "ffn_norm.weight", {c.n_embd}, L.ffn_norm);
    L.wg = randn(static_cast<size_t>(c.n_ff) * c.n_embd, 0.125f);
    matrix(b + "ffn_gate.weight", L.wg, c.n_ff, c.n_embd, c.matrix_type);
    L.wu = randn(static_cast<size_t>(c.n_ff) * c.n_embd, 0.125f);
    matrix(b + "ffn_up.weight", L.wu, c.n_ff, c.n_embd, c.matrix_type);
    L.wd = randn(static_cast<size_t>(c.n_embd) * c.n_ff, 0.1f);
    matrix(b + "ffn_down.weight", L.wd, c.n_embd, c.n_ff, c.matrix_type);
  }
  return g.build();
}

// The logits after each of `tokens`, computed position by position in double precision.
inline std::vector<std::vector<double>> reference_forward(const TinyConfig& c, const TinyWeights& w,
                                                          const std::vector<int32_t>& tokens) {
  const size_t E = c.n_embd, hd = c.n_embd / c.n_head, Q = c.n_head * hd, KV = c.n_head_kv * hd, F = c.n_ff;
  auto matvec = [](const Mat& m, const std::vector<double>& x, size_t rows) {
    std::vector<double> y(rows, 0.0);
    const size_t cols = x.size();
    for (size_t r = 0; r < rows; ++r) {
      for (size_t k = 0; k < cols; ++k) y[r] += static_cast<double>(m[r * cols + k]) * x[k];
    }
    return y;
  };
  auto rmsnorm = [&](const std::vector<double>& x, const Mat& g) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double s = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + c.rms_eps);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * s * g[i];
    return y;
  };
  auto rotate = [&](double* v, size_t pos) {
    for (size_t i = 0; i < c.n_rot / 2; ++i) {
      double theta = static_cast<double>(pos) * std::pow(static_cast<double>(c.rope_base), -2.0 * static_cast<double>(i) / c.n_rot);
      if (!w.rope_freqs.empty()) theta /= w.rope_freqs[i];
      const size_t a = c.biases ? i : 2 * i;                  // qwen2 rotates halves
      const size_t b = c.biases ? i + c.n_rot / 2 : 2 * i + 1;
      const double x0 = v[a], x1 = v[b];
      v[a] = x0 * std::cos(theta) - x1 * std::sin(theta);
      v[b] = x0 * std::sin(theta) + x1 * std::cos(theta);
    }
  };
  std::vector<std::vector<std::vector<double>>> kcache(c.n_layer), vcache(c.n_layer);
  std::vector<std::vector<double>> out;
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    std::vector<double> x(E);
    for (size_t i = 0; i < E; ++i) x[i] = w.embd[static_cast<size_t>(tokens[pos]) * E + i];
    for (uint32_t il = 0; il < c.n_layer; ++il) {
      const auto& L = w.layers[il];
      auto xn = rmsnorm(x, L.attn_norm);
      auto q = matvec(L.wq, xn, Q), k = matvec(L.wk, xn, KV), v = matvec(L.wv, xn, KV);
      if (c.biases) {
        for (size_t i = 0; i < Q; ++i) q[i] += L.bq[i];
        for (size_t i = 0; i < KV; ++i) k[i] += L.bk[i], v[i] += L.bv[i];
      }
      for (size_t h = 0; h < c.n_head; ++h) rotate(&q[h * hd], pos);
      for (size_t h = 0; h < c.n_head_kv; ++h) rotate(&k[h * hd], pos);
      kcache[il].push_back(k);
      vcache[il].push_back(v);
      std::vector<double> att(Q, 0.0);
      for (size_t h = 0; h < c.n_head; ++h) {
        const size_t kvh = h / (c.n_head / c.n_head_kv);
        std::vector<double> s(pos + 1);
        double mx = -1e300;
        for (size_t p = 0; p <= pos; ++p) {
          double d = 0;
          for (size_t i = 0; i < hd; ++i) d += q[h * hd + i] * kcache[il][p][kvh * hd + i];
          s[p] = d / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, s[p]);
        }
        double sum = 0;
        for (double& e : s) sum += (e = std::exp(e - mx));
        for (size_t p = 0; p <= pos; ++p) {
          for (size_t i = 0; i < hd; ++i) att[h * hd + i] += s[p] / sum * vcache[il][p][kvh * hd + i];
        }
      }
      auto o = matvec(L.wo, att, E);
      for (size_t i = 0; i < E; ++i) x[i] += o[i];
      xn = rmsnorm(x, L.ffn_norm);
      auto gt = matvec(L.wg, xn, F), up = matvec(L.wu, xn, F);
      for (size_t i = 0; i < F; ++i) gt[i] = gt[i] / (1.0 + std::exp(-gt[i])) * up[i];
      auto dn = matvec(L.wd, gt, E);
      for (size_t i = 0; i < E; ++i) x[i] += dn[i];
    }
    out.push_back(matvec(w.output, rmsnorm(x, w.out_norm), c.n_vocab));
  }
  return out;
}

}  // namespace hearth::localnode::testing
