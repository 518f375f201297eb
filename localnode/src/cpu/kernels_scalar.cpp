// The portable reference kernels: plain loops that define what every SIMD kernel computes.
// Integer dot products unpack each block to its integer values and sum exactly; the scales
// are applied per block in f32, in the order llama.cpp's reference code uses.

#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu/kernels.hpp"
#include "cpu/ops.hpp"
#include "cpu/quant_blocks.hpp"

namespace hearth::localnode::cpu {
namespace {

float round_f16(float x) {
  return fp16_to_fp32(fp32_to_fp16(x));
}

void quantize_q8x32(const float* x, size_t n, uint8_t* out) {
  const size_t nb = n / 32;
  auto* q = reinterpret_cast<int8_t*>(out);
  auto* d = reinterpret_cast<float*>(out + n);
  auto* sum = reinterpret_cast<int32_t*>(out + n + nb * 4);
  auto* s = reinterpret_cast<float*>(out + n + nb * 8);
  for (size_t b = 0; b < nb; ++b) {
    const float* xb = x + b * 32;
    float amax = 0.0f;
    for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float db = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int32_t acc = 0;
    for (size_t j = 0; j < 32; ++j) {
      const auto v = static_cast<int32_t>(std::lrintf(xb[j] * id));
      q[b * 32 + j] = static_cast<int8_t>(v);
      acc += v;
    }
    d[b] = round_f16(db);
    sum[b] = acc;
    s[b] = round_f16(db * static_cast<float>(acc));
  }
}

void quantize_q8x256(const float* x, size_t n, uint8_t* out) {
  const size_t nb = n / 256;
  auto* q = reinterpret_cast<int8_t*>(out);
  auto* d = reinterpret_cast<float*>(out + n);
  auto* bsum = reinterpret_cast<int16_t*>(out + n + nb * 4);
  for (size_t b = 0; b < nb; ++b) {
    const float* xb = x + b * 256;
    float amax = 0.0f, max = 0.0f;
    for (size_t j = 0; j < 256; ++j) {
      if (std::fabs(xb[j]) > amax) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    }
    if (amax == 0.0f) {
      d[b] = 0.0f;
      std::memset(q + b * 256, 0, 256);
      std::fill(bsum + b * 16, bsum + b * 16 + 16, int16_t{0});
      continue;
    }
    const float iscale = -127.0f / max;
    for (size_t j = 0; j < 256; ++j) {
      q[b * 256 + j] = static_cast<int8_t>(std::min<long>(127, std::lrintf(iscale * xb[j])));
    }
    for (size_t g = 0; g < 16; ++g) {
      int acc = 0;
      for (size_t j = 0; j < 16; ++j) acc += q[b * 256 + g * 16 + j];
      bsum[b * 16 + g] = static_cast<int16_t>(acc);
    }
    d[b] = 1.0f / iscale;
  }
}

int32_t dot_i8(const int8_t* a, const int8_t* b, size_t n) {
  int32_t acc = 0;
  for (size_t j = 0; j < n; ++j) acc += static_cast<int32_t>(a[j]) * b[j];
  return acc;
}

// The 32-element quants: isum = Σ q_w q_x over the block's raw integers (offsets applied via
// the activation sums), then y += d_w d_x isum (+ m_w s_x for the types with a minimum).
template <TensorType kType>
float vec_dot_q8x32(const uint8_t* w, size_t n, const Q8x32Row& x) {
  constexpr size_t kBytes = blocks::kBlockBytes<kType>;
  float acc = 0.0f;
  int8_t qw[32];
  for (size_t b = 0; b < n / 32; ++b, w += kBytes) {
    blocks::unpack_q32<kType>(w, qw);
    int32_t isum = dot_i8(qw, x.q + b * 32, 32);
    const float dw = blocks::f16(w);
    if constexpr (kType == TensorType::Q4_0) isum -= 8 * x.sum[b];
    if constexpr (kType == TensorType::Q5_0) isum -= 16 * x.sum[b];
    if constexpr (kType == TensorType::Q4_1 || kType == TensorType::Q5_1) {
      acc += dw * x.d[b] * static_cast<float>(isum) + blocks::f16(w + 2) * x.s[b];
    } else {
      acc += dw * x.d[b] * static_cast<float>(isum);
    }
  }
  return acc;
}

template <TensorType kType>
float vec_dot_q8x256(const uint8_t* w, size_t n, const Q8x256Row& x) {
  constexpr size_t kBytes = blocks::kBlockBytes<kType>;
  float acc = 0.0f;
  int8_t qw[256];
  for (size_t b = 0; b < n / 256; ++b, w += kBytes) {
    const int8_t* qx = x.q + b * 256;
    const int16_t* bs = x.bsum + b * 16;
    blocks::unpack_k<kType>(w, qw);
    if constexpr (kType == TensorType::Q4_K || kType == TensorType::Q5_K) {
      // Eight sub-blocks of 32: scale and minimum each.
      int32_t isum = 0, msum = 0;
      for (size_t j = 0; j < 8; ++j) {
        int sc, mn;
        blocks::k4_scale_min(j, w + 4, &sc, &mn);
        isum += sc * dot_i8(qw + 32 * j, qx + 32 * j, 32);
        msum += mn * (bs[2 * j] + bs[2 * j + 1]);
      }
      acc += blocks::f16(w) * x.d[b] * static_cast<float>(isum) -
             blocks::f16(w + 2) * x.d[b] * static_cast<float>(msum);
    } else if constexpr (kType == TensorType::Q2_K) {
      int32_t isum = 0, msum = 0;
      for (size_t g = 0; g < 16; ++g) {
        isum += (w[g] & 0x0F) * dot_i8(qw + 16 * g, qx + 16 * g, 16);
        msum += (w[g] >> 4) * bs[g];
      }
      acc += blocks::f16(w + 80) * x.d[b] * static_cast<float>(isum) -
             blocks::f16(w + 82) * x.d[b] * static_cast<float>(msum);
    } else {
      // Q3_K and Q6_K: signed values, sixteen signed scales.
      int scales[16];
      blocks::k_scales16<kType>(w, scales);
      int32_t isum = 0;
      for (size_t g = 0; g < 16; ++g) isum += scales[g] * dot_i8(qw + 16 * g, qx + 16 * g, 16);
      acc += blocks::k_d<kType>(w) * x.d[b] * static_cast<float>(isum);
    }
  }
  return acc;
}

template <TensorType kType>
void gemv_q8(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const uint8_t* x, float* y) {
  for (size_t r = 0; r < n_rows; ++r) {
    if constexpr (kType == TensorType::Q2_K || kType == TensorType::Q3_K ||
                  kType == TensorType::Q4_K || kType == TensorType::Q5_K ||
                  kType == TensorType::Q6_K) {
      y[r] = vec_dot_q8x256<kType>(w + r * stride, n, q8x256_row(x, n));
    } else {
      y[r] = vec_dot_q8x32<kType>(w + r * stride, n, q8x32_row(x, n));
    }
  }
}

// f32 activations: each row dequantized in chunks of 256 and multiplied in f32.
template <TensorType kType>
void gemv_f32(const uint8_t* w, size_t stride, size_t n_rows, size_t n, const float* x, float* y) {
  float buf[256];
  for (size_t r = 0; r < n_rows; ++r) {
    const uint8_t* row = w + r * stride;
    float acc = 0.0f;
    for (size_t i = 0; i < n; i += 256) {
      const size_t m = std::min<size_t>(256, n - i);
      dequantize_row(kType, row + row_bytes(kType, i), buf, m);
      for (size_t j = 0; j < m; ++j) acc += buf[j] * x[i + j];
    }
    y[r] = acc;
  }
}

template <TensorType kType>
void dequant(const uint8_t* w, size_t n, float* y) {
  dequantize_row(kType, w, y, n);
}

void pack_f32(const float* b, size_t ldb, size_t n_rows, size_t k, float* bp) {
  for (size_t i = 0; i < k; ++i) {
    for (size_t r = 0; r < kGemmRows; ++r)
      bp[i * kGemmRows + r] = r < n_rows ? b[r * ldb + i] : 0.0f;
  }
}

void gemm_f32(const float* bp, size_t n_rows, const float* ap, size_t /*tp*/, size_t n_tok, size_t k,
              float* c, size_t ldc, const uint8_t* /*next*/,
              size_t /*next_bytes*/) {
  for (size_t t = 0; t < n_tok; ++t) {
    for (size_t r = 0; r < n_rows; ++r) {
      float acc = 0.0f;
      for (size_t i = 0; i < k; ++i) acc += bp[i * kGemmRows + r] * ap[packed_act_index(t, i, k)];
      c[t * ldc + r] = acc;
    }
  }
}

// Row element j of a KV row as f32, by cache type.
template <TensorType kType>
float kv_at(const uint8_t* row, size_t j) {
  if constexpr (kType == TensorType::F16) return blocks::f16(row + 2 * j);
  if constexpr (kType == TensorType::Q8_0) {
    const uint8_t* blk = row + j / 32 * 34;
    return blocks::f16(blk) * static_cast<float>(static_cast<int8_t>(blk[2 + j % 32]));
  }
  float v;
  std::memcpy(&v, row + 4 * j, 4);
  return v;
}

// The F16 sums (see kernels.hpp): scores in f64, values in 16 position lanes.
void attn_scores_f16(const float* q, const uint8_t* k, size_t stride, size_t n_pos, size_t head_dim,
                     float scale, float* scores) {
  for (size_t p = 0; p < n_pos; ++p) {
    double acc = 0.0;
    for (size_t j = 0; j < head_dim; ++j)
      acc += static_cast<double>(q[j] * kv_at<TensorType::F16>(k + p * stride, j));
    scores[p] = static_cast<float>(acc) * scale;
  }
}

float reduce16(const float* lane) {
  float a[8], b[4];
  for (int i = 0; i < 8; ++i) a[i] = lane[8 + i] + lane[i];
  for (int i = 0; i < 4; ++i) b[i] = a[4 + i] + a[i];
  return (b[0] + b[2]) + (b[1] + b[3]);
}

void attn_values_f16(const float* w, const uint8_t* v, size_t stride, size_t n_pos, size_t head_dim,
                     float* out) {
  for (size_t j = 0; j < head_dim; ++j) {
    float lane[16] = {};
    for (size_t p = 0; p < n_pos; ++p)
      lane[p % 16] = std::fma(w[p], kv_at<TensorType::F16>(v + p * stride, j), lane[p % 16]);
    out[j] = reduce16(lane);
  }
}

template <TensorType kType>
void attn_scores(const float* q, const uint8_t* k, size_t stride, size_t n_pos, size_t head_dim,
                 float scale, float* scores) {
  for (size_t p = 0; p < n_pos; ++p) {
    float acc = 0.0f;
    for (size_t j = 0; j < head_dim; ++j) acc += q[j] * kv_at<kType>(k + p * stride, j);
    scores[p] = acc * scale;
  }
}

template <TensorType kType>
void attn_values(const float* w, const uint8_t* v, size_t stride, size_t n_pos, size_t head_dim,
                 float* out) {
  for (size_t j = 0; j < head_dim; ++j) out[j] = 0.0f;
  for (size_t p = 0; p < n_pos; ++p) {
    for (size_t j = 0; j < head_dim; ++j) out[j] += w[p] * kv_at<kType>(v + p * stride, j);
  }
}

void round_f16_ref(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = round_f16(x[i]);
}

void to_f16(const float* x, uint16_t* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void swiglu(float* gate, const float* up, size_t n) {
  for (size_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

template <TensorType kType>
void set_type(KernelSet& ks, ActFormat act) {
  TypeKernels& t = ks.types[type_index(kType)];
  t.act = act;
  if constexpr (kType != TensorType::F32 && kType != TensorType::F16 && kType != TensorType::BF16) {
    t.gemv_q8 = gemv_q8<kType>;
  }
  t.gemv_f32 = gemv_f32<kType>;
  t.dequant = dequant<kType>;
}

}  // namespace

void fill_scalar(KernelSet& ks) {
  ks.isa = Isa::Scalar;
  set_type<TensorType::F32>(ks, ActFormat::None);
  set_type<TensorType::F16>(ks, ActFormat::None);
  set_type<TensorType::BF16>(ks, ActFormat::None);
  set_type<TensorType::Q4_0>(ks, ActFormat::Q8x32);
  set_type<TensorType::Q4_1>(ks, ActFormat::Q8x32);
  set_type<TensorType::Q5_0>(ks, ActFormat::Q8x32);
  set_type<TensorType::Q5_1>(ks, ActFormat::Q8x32);
  set_type<TensorType::Q8_0>(ks, ActFormat::Q8x32);
  set_type<TensorType::Q2_K>(ks, ActFormat::Q8x256);
  set_type<TensorType::Q3_K>(ks, ActFormat::Q8x256);
  set_type<TensorType::Q4_K>(ks, ActFormat::Q8x256);
  set_type<TensorType::Q5_K>(ks, ActFormat::Q8x256);
  set_type<TensorType::Q6_K>(ks, ActFormat::Q8x256);
  ks.quantize_q8x32 = quantize_q8x32;
  ks.quantize_q8x256 = quantize_q8x256;
  ks.pack_f32 = pack_f32;
  ks.gemm_f32 = gemm_f32;
  ks.attn_f32 = {attn_scores<TensorType::F32>, attn_values<TensorType::F32>};
  ks.attn_f16 = {attn_scores_f16, attn_values_f16};
  ks.attn_q8_0 = {attn_scores<TensorType::Q8_0>, attn_values<TensorType::Q8_0>};
  ks.round_f16 = round_f16_ref;
  ks.to_f16 = to_f16;
  ks.swiglu = swiglu;
  ks.softmax = cpu::softmax;
}

}  // namespace hearth::localnode::cpu
