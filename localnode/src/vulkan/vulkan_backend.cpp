#include "vulkan/vulkan_backend.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "cpu/ops.hpp"
#include "vulkan/matmul_split.hpp"
#include "vulkan/pipelines.hpp"
#include "vulkan/push_constants.hpp"

namespace hearth::localnode {
namespace {

using vulkan::Buffer;
using vulkan::BufferRange;
using vulkan::Device;
using vulkan::Memory;
using vulkan::Pipeline;
using vulkan::Pipelines;
using vulkan::Recorder;

constexpr uint32_t kMaxHeadDim = 256;       // attention.comp's MAX_HEAD_DIM
constexpr size_t kStagingBytes = 64 << 20;  // weights go up in pieces of this size
constexpr size_t kMaxCachedShapes = 64;     // recorded command buffers kept
constexpr size_t kSplitScratchBytes = 16 << 20;  // a split mat-mul's slices (matmul_split.hpp)

uint32_t div_up(size_t a, size_t b) {
  return static_cast<uint32_t>((a + b - 1) / b);
}

size_t align_up(size_t n, size_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

// "matvec_q4_k" for ("matvec", Q4_K).
std::string variant(std::string_view kernel, TensorType type) {
  std::string name(kernel);
  name += '_';
  for (char ch : type_traits(type).name) {
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return name;
}

// A weight matrix on the device.
struct DeviceWeight {
  BufferRange range;
  TensorType type = TensorType::F32;
  uint32_t n_in = 0, n_out = 0, row_bytes = 0;
};

struct DeviceLayer {
  BufferRange attn_norm, ffn_norm, bq, bk, bv;
  DeviceWeight wq, wk, wv, wo, w_gate, w_up, w_down;
  Buffer k_cache, v_cache;  // (n_seq, n_ctx, n_head_kv * head_dim)
};

// The pass shape a recorded command buffer serves: tokens, of which multiplied as a batch
// (the first ones), and logits rows.
using Shape = std::tuple<uint32_t, uint32_t, uint32_t>;

class VulkanBackend final : public ComputeBackend {
 public:
  VulkanBackend(const Model& model, uint32_t n_ctx, const ContextOptions& options,
                std::unique_ptr<Device> device)
      : model_(model),
        c_(model.config()),
        n_ctx_(n_ctx),
        n_seq_(options.n_seq),
        kv_f16_(options.kv_type == TensorType::F16),
        device_(std::move(device)),
        pipelines_(*device_),
        name_("vulkan: " + device_->name()) {}

  ~VulkanBackend() override { forget_commands(); }

  [[nodiscard]] Status init();

  Result<std::span<const float>> forward(const PassRows& rows) override;

  std::span<const int32_t> argmax(std::span<const float> out) override {
    return {static_cast<const int32_t*>(argmax_.mapped()), out.size() / c_.n_vocab};
  }

  // Every sequence's cache was allocated by init(); nothing to do.
  Status reserve(uint32_t, uint32_t) override { return {}; }

  size_t kv_cache_bytes() const override {
    const size_t element = kv_f16_ ? 2 : 4;
    return 2 * static_cast<size_t>(c_.n_layer) * n_seq_ * n_ctx_ * c_.n_head_kv * c_.head_dim *
           element;
  }

  Backend kind() const override { return Backend::Vulkan; }
  std::string_view name() const override { return name_; }

 private:
  [[nodiscard]] Status upload_weights();
  // Copies `bytes` at `data` to the device, in a new chunk if the current one is full, sized
  // for the `left` bytes still to place (this tensor's included).
  [[nodiscard]] Result<BufferRange> place(const void* data, size_t bytes, size_t left);
  [[nodiscard]] Status flush_staging();
  void forget_commands();
  [[nodiscard]] Status ensure_logits(size_t rows);
  [[nodiscard]] Result<VkCommandBuffer> commands(const Shape& shape);
  [[nodiscard]] Status record(Recorder& rec, const Shape& shape);
  // Y (T, n_out) = X (T, n_in) · W^T: the first G rows by the tiled mat-mul (split over k
  // where it has few tiles), the rest by mat-vec, at most kMatvecMaxTokens at a time.
  [[nodiscard]] Status product(Recorder& rec, const DeviceWeight& w, const Buffer& in,
                               const Buffer& out, uint32_t T, uint32_t G);
  // Dispatches shader `name` over `buffers` (bindings 0, 1, ...).
  // `constant`: the shader's specialization constant 0, if it has one.
  template <class Push>
  [[nodiscard]] Status run(Recorder& rec, const std::string& name, const Push& push,
                           std::initializer_list<BufferRange> buffers, uint32_t groups,
                           uint32_t groups_y = 1, uint32_t groups_z = 1,
                           std::optional<uint32_t> constant = std::nullopt) {
    Result<const Pipeline*> p =
        pipelines_.get(name, static_cast<uint32_t>(buffers.size()), sizeof(Push), constant);
    if (!p) return std::move(p).error();
    Result<VkDescriptorSet> set =
        pipelines_.bind(**p, std::span<const BufferRange>(buffers.begin(), buffers.size()));
    if (!set) return std::move(set).error();
    rec.dispatch(**p, *set, push, groups, groups_y, groups_z);
    return {};
  }
  BufferRange whole(const Buffer& b) const { return {b.handle(), 0, VK_WHOLE_SIZE}; }
  // Where tensors start in a weight chunk: any offset the device binds, 256 at least.
  size_t alignment() const { return std::max<size_t>(256, device_->limits().storage_offset_alignment); }

  const Model& model_;
  const ModelConfig& c_;
  uint32_t n_ctx_;
  uint32_t n_seq_;
  bool kv_f16_;
  std::unique_ptr<Device> device_;
  Pipelines pipelines_;
  std::string name_;

  // Weights: chunks of device memory, each tensor at an aligned offset.
  std::vector<Buffer> chunks_;
  size_t chunk_used_ = 0;
  Buffer staging_;
  size_t staging_used_ = 0;
  std::vector<std::pair<BufferRange, size_t>> pending_copies_;  // (destination, staging offset)

  DeviceWeight token_embd_, output_;
  BufferRange output_norm_;
  std::vector<DeviceLayer> layers_;

  // Activations for up to max_batch() rows.
  Buffer x_, xb_, xo_, q_, k_, v_, att_, gate_, up_;
  Buffer split_;   // a split mat-mul's slices, before split_sum adds them
  Buffer rows_;    // host: token ids, positions, sequences, logits rows (int32 each)
  Buffer angles_;  // host: (rows, n_rot) rotary cos and sin
  Buffer argmax_;  // host: the largest logit's id of each logits row
  Buffer logits_;  // host: (rows out, n_vocab)
  size_t logits_rows_ = 0;
  Buffer unused_;  // bound where a shader's optional input is absent

  std::map<Shape, VkCommandBuffer> commands_;
};

Status VulkanBackend::init() {
  const ModelConfig& c = c_;
  const size_t T = InferenceContext::max_batch();
  const size_t q_dim = static_cast<size_t>(c.n_head) * c.head_dim;
  const size_t kv_dim = static_cast<size_t>(c.n_head_kv) * c.head_dim;
  auto alloc = [&](Buffer& b, size_t bytes, Memory memory) -> Status {
    Result<Buffer> made = device_->buffer(bytes, memory);
    if (!made) return std::move(made).error();
    b = std::move(*made);
    return {};
  };
  // Activations (floats) on the device; the per-pass inputs and outputs mapped for the host.
  for (auto [buffer, floats] : {std::pair{&x_, T * c.n_embd},
                                {&xb_, T * std::max<size_t>(c.n_embd, q_dim)},
                                {&xo_, T * c.n_embd},
                                {&q_, T * q_dim},
                                {&k_, T * kv_dim},
                                {&v_, T * kv_dim},
                                {&att_, T * q_dim},
                                {&gate_, T * c.n_ff},
                                {&up_, T * c.n_ff},
                                {&split_, kSplitScratchBytes / sizeof(float)},
                                {&unused_, size_t{4}}}) {
    if (Status s = alloc(*buffer, floats * sizeof(float), Memory::Device); !s) return s;
  }
  for (auto [buffer, bytes] : {std::pair{&rows_, 4 * T * sizeof(int32_t)},
                               {&argmax_, T * sizeof(int32_t)},
                               {&angles_, T * std::max<size_t>(c.n_rot, 1) * sizeof(float)}}) {
    if (Status s = alloc(*buffer, bytes, Memory::Host); !s) return s;
  }

  const size_t cache_bytes = static_cast<size_t>(n_seq_) * n_ctx_ * kv_dim * (kv_f16_ ? 2 : 4);
  if (cache_bytes > device_->limits().max_storage_range) {
    return make_error(ErrorCode::Unsupported,
                      "vulkan: one layer's KV cache (" + std::to_string(cache_bytes >> 20) +
                          " MiB for " + std::to_string(n_seq_) + " x " + std::to_string(n_ctx_) +
                          " positions) exceeds the device's storage binding range (" +
                          std::to_string(device_->limits().max_storage_range >> 20) + " MiB)");
  }
  layers_.resize(c.n_layer);
  for (DeviceLayer& layer : layers_) {
    for (Buffer* cache : {&layer.k_cache, &layer.v_cache}) {
      if (Status s = alloc(*cache, cache_bytes, Memory::Device); !s) return s;
    }
  }
  return upload_weights();
}

Result<BufferRange> VulkanBackend::place(const void* data, size_t bytes, size_t left) {
  const vulkan::DeviceLimits& limits = device_->limits();
  if (bytes > limits.max_storage_range) {
    return make_error(ErrorCode::Unsupported,
                      "vulkan: a tensor of " + std::to_string(bytes >> 20) +
                          " MiB exceeds the device's storage binding range (" +
                          std::to_string(limits.max_storage_range >> 20) + " MiB)");
  }
  size_t at = align_up(chunk_used_, alignment());
  if (chunks_.empty() || at + bytes > chunks_.back().size()) {
    // Chunks of up to 1 GiB; the last sized to what is left, so a small model takes little.
    const size_t cap = std::min<size_t>(limits.max_allocation, 1ull << 30);
    Result<Buffer> made = device_->buffer(std::max(bytes, std::min(cap, left)), Memory::Device);
    if (!made) return std::move(made).error();
    chunks_.push_back(std::move(*made));
    at = 0;
  }
  chunk_used_ = at + bytes;
  const BufferRange range{chunks_.back().handle(), at, bytes};

  // Through the staging buffer, in pieces.
  const auto* src = static_cast<const uint8_t*>(data);
  for (size_t done = 0; done < bytes;) {
    if (staging_used_ == staging_.size()) {
      if (Status s = flush_staging(); !s) return std::move(s).error();
    }
    const size_t n = std::min(bytes - done, staging_.size() - staging_used_);
    std::memcpy(static_cast<uint8_t*>(staging_.mapped()) + staging_used_, src + done, n);
    pending_copies_.push_back({{range.buffer, range.offset + done, n}, staging_used_});
    staging_used_ += n;
    done += n;
  }
  return range;
}

Status VulkanBackend::flush_staging() {
  if (pending_copies_.empty()) return {};
  const VkBuffer staging = staging_.handle();
  Status done = device_->run_once([&](VkCommandBuffer cb) {
    for (const auto& [dst, from] : pending_copies_) {
      const VkBufferCopy copy{from, dst.offset, dst.size};
      vkCmdCopyBuffer(cb, staging, dst.buffer, 1, &copy);
    }
  });
  pending_copies_.clear();
  staging_used_ = 0;
  return done;
}

Status VulkanBackend::upload_weights() {
  // What goes up, each tensor once (a tied output is the embedding), and where its device
  // range is kept; absent biases bind `unused_`.
  struct Upload {
    const void* data;
    size_t bytes;
    std::vector<BufferRange*> ranges;
  };
  std::vector<Upload> uploads;
  auto add = [&](const void* data, size_t bytes, BufferRange& range) {
    if (data == nullptr) {
      range = whole(unused_);
      return;
    }
    for (Upload& u : uploads) {
      if (u.data == data) {
        u.ranges.push_back(&range);
        return;
      }
    }
    uploads.push_back({data, bytes, {&range}});
  };
  auto mat = [&](const Weight& w, DeviceWeight& d) {
    d = {{}, w.type, static_cast<uint32_t>(w.n_in), static_cast<uint32_t>(w.n_out),
         static_cast<uint32_t>(w.row_bytes)};
    add(w.data, w.n_out * w.row_bytes, d.range);
  };
  auto vec = [&](const float* data, size_t n, BufferRange& range) {
    add(data, n * sizeof(float), range);
  };
  const ModelConfig& c = c_;
  const size_t q_dim = static_cast<size_t>(c.n_head) * c.head_dim;
  const size_t kv_dim = static_cast<size_t>(c.n_head_kv) * c.head_dim;
  mat(model_.token_embd(), token_embd_);
  mat(model_.output(), output_);
  vec(model_.output_norm(), c.n_embd, output_norm_);
  for (uint32_t il = 0; il < c.n_layer; ++il) {
    const LayerWeights& L = model_.layers()[il];
    DeviceLayer& D = layers_[il];
    for (auto [w, d] : {std::pair{&L.wq, &D.wq}, {&L.wk, &D.wk}, {&L.wv, &D.wv}, {&L.wo, &D.wo},
                        {&L.w_gate, &D.w_gate}, {&L.w_up, &D.w_up}, {&L.w_down, &D.w_down}}) {
      mat(*w, *d);
    }
    vec(L.attn_norm, c.n_embd, D.attn_norm);
    vec(L.ffn_norm, c.n_embd, D.ffn_norm);
    vec(L.bq, q_dim, D.bq);
    vec(L.bk, kv_dim, D.bk);
    vec(L.bv, kv_dim, D.bv);
  }

  size_t left = 0;
  for (const Upload& u : uploads) left += align_up(u.bytes, alignment());
  Result<Buffer> staging = device_->buffer(std::min(kStagingBytes, left), Memory::Host);
  if (!staging) return std::move(staging).error();
  staging_ = std::move(*staging);
  for (const Upload& u : uploads) {
    Result<BufferRange> range = place(u.data, u.bytes, left);
    if (!range) return std::move(range).error();
    for (BufferRange* r : u.ranges) *r = *range;
    left -= align_up(u.bytes, alignment());
  }
  Status s = flush_staging();
  staging_ = Buffer();  // the weights are up; the staging memory goes back
  return s;
}

Status VulkanBackend::ensure_logits(size_t rows) {
  if (rows <= logits_rows_) return {};
  // Grows by doubling; the recorded passes bind the old buffer, so they go.
  const size_t want = std::max(rows, std::min<size_t>(2 * logits_rows_, InferenceContext::max_batch()));
  Result<Buffer> made = device_->buffer(want * c_.n_vocab * sizeof(float), Memory::Host);
  if (!made) return std::move(made).error();
  forget_commands();
  pipelines_.forget(logits_.handle());
  logits_ = std::move(*made);
  logits_rows_ = want;
  return {};
}

Status VulkanBackend::product(Recorder& rec, const DeviceWeight& w, const Buffer& in,
                              const Buffer& out, uint32_t T, uint32_t G) {
  Status s;
  if (G > 0) {
    const uint32_t tiles_x = div_up(w.n_out, vulkan::kMatmulTileRows);
    const uint32_t tiles_y = div_up(G, vulkan::kMatmulTileTokens);
    const size_t outputs = static_cast<size_t>(G) * w.n_out;
    const vulkan::KSplit split =
        vulkan::matmul_k_split(tiles_x * tiles_y, w.n_in, outputs, split_.size() / sizeof(float));
    s = run(rec, variant("matmul", w.type),
            vulkan::MatmulPush{w.n_in, w.n_out, w.row_bytes, G, 0, 0, split.k_len},
            {w.range, whole(in), whole(split.slices > 1 ? split_ : out)}, tiles_x, tiles_y,
            split.slices);
    if (s && split.slices > 1) {
      s = run(rec, "split_sum", vulkan::SplitSumPush{static_cast<uint32_t>(outputs), split.slices},
              {whole(split_), whole(out)}, div_up(outputs, 256));
    }
  }
  for (uint32_t t = G; t < T && s; t += vulkan::kMatvecMaxTokens) {
    const uint32_t n = std::min(vulkan::kMatvecMaxTokens, T - t);
    s = run(rec, variant("matvec", w.type),
            vulkan::MatmulPush{w.n_in, w.n_out, w.row_bytes, n, t * w.n_in, t * w.n_out, w.n_in},
            {w.range, whole(in), whole(out)}, div_up(w.n_out, vulkan::kMatvecRowsPerGroup), 1, 1,
            n);
  }
  return s;
}

// The pass, as llama2.c writes it; every tensor (rows, elements per row).
Status VulkanBackend::record(Recorder& rec, const Shape& shape) {
  const auto [T, G, R] = shape;
  const ModelConfig& c = c_;
  const std::string kv = kv_f16_ ? "_f16" : "_f32";
  // The rows buffer: token ids [0, T), positions [T, 2T), sequences [2T, 3T), logits rows.
  const uint32_t pos_at = T, seq_at = 2 * T, out_at = 3 * T;

  // x (T, n_embd) = token_embd[tokens]
  Status s = run(rec, variant("get_rows", token_embd_.type),
                 vulkan::GetRowsPush{c.n_embd, token_embd_.row_bytes, T, 0, 0},
                 {token_embd_.range, whole(rows_), whole(x_)}, T);
  for (uint32_t il = 0; il < c.n_layer && s; ++il) {
    const DeviceLayer& L = layers_[il];
    // x += the previous layer's ffn output (xb); xb (T, n_embd) = rms_norm(x) * attn_norm
    s = run(rec, "rms_norm", vulkan::RmsNormPush{c.n_embd, T, il > 0 ? 1u : 0u, 0, 0, c.rms_eps},
            {whole(x_), whole(xb_), L.attn_norm, whole(xb_), whole(rows_)}, T);
    // q (T, n_head * hd), k, v (T, n_head_kv * hd) = xb · wq, wk, wv
    for (auto [w, out] : {std::pair{&L.wq, &q_}, {&L.wk, &k_}, {&L.wv, &v_}}) {
      if (s) s = product(rec, *w, xb_, *out, T, G);
    }
    // Biases and rotation; k and v heads to the cache (n_seq, n_ctx, n_head_kv * hd).
    if (s) {
      const vulkan::RopeKvPush push{T,
                                    c.n_head,
                                    c.n_head_kv,
                                    c.head_dim,
                                    c.n_rot,
                                    c.rope_neox ? 1u : 0u,
                                    n_ctx_,
                                    model_.layers()[il].bq != nullptr ? 1u : 0u,
                                    pos_at,
                                    seq_at};
      s = run(rec, "rope_kv" + kv, push,
              {whole(q_), whole(k_), whole(v_), whole(rows_), whole(L.k_cache), whole(L.v_cache),
               L.bq, L.bk, L.bv, whole(angles_)},
              c.n_head + c.n_head_kv, T);
    }
    // att (T, n_head * hd): each query head over its sequence's positions 0 .. pos.
    if (s) {
      const vulkan::AttentionPush push{T,      c.n_head, c.n_head_kv, c.head_dim,
                                       n_ctx_, pos_at,   seq_at,
                                       1.0f / std::sqrt(static_cast<float>(c.head_dim))};
      const uint32_t rows_per_group = G > 0 ? vulkan::kAttentionPrefillRows : 1;
      s = run(rec, "attention" + kv, push,
              {whole(q_), whole(L.k_cache), whole(L.v_cache), whole(rows_), whole(att_)}, c.n_head,
              div_up(T, rows_per_group), 1, rows_per_group);
    }
    // xb (T, n_embd) = att · wo
    if (s) s = product(rec, L.wo, att_, xb_, T, G);
    // x += xb; xb = rms_norm(x) * ffn_norm
    if (s) {
      s = run(rec, "rms_norm", vulkan::RmsNormPush{c.n_embd, T, 1, 0, 0, c.rms_eps},
              {whole(x_), whole(xb_), L.ffn_norm, whole(xb_), whole(rows_)}, T);
    }
    // gate, up (T, n_ff) = xb · w_gate, w_up; gate = silu(gate) * up
    if (s) s = product(rec, L.w_gate, xb_, gate_, T, G);
    if (s) s = product(rec, L.w_up, xb_, up_, T, G);
    if (s) {
      s = run(rec, "swiglu", vulkan::SwigluPush{T * c.n_ff}, {whole(gate_), whole(up_)},
              div_up(static_cast<size_t>(T) * c.n_ff, 256));
    }
    // xb (T, n_embd) = gate · w_down (added to x by the next step)
    if (s) s = product(rec, L.w_down, gate_, xb_, T, G);
  }
  // xo (R, n_embd) = rms_norm(x[row] + xb[row]) * output_norm for the rows asked for;
  // logits (R, n_vocab) = xo · output
  if (s && R > 0) {
    s = run(rec, "rms_norm", vulkan::RmsNormPush{c.n_embd, R, 1, 1, out_at, c.rms_eps},
            {whole(x_), whole(xb_), output_norm_, whole(xo_), whole(rows_)}, R);
    if (s) s = product(rec, output_, xo_, logits_, R, R >= vulkan::kMatvecMaxTokens ? R : 0);
    // Greedy sampling's choice, so that it needs no scan of the logits on the host.
    if (s) {
      s = run(rec, "argmax", vulkan::ArgmaxPush{c.n_vocab, R}, {whole(logits_), whole(argmax_)}, R);
    }
  }
  rec.finish();
  return s;
}

void VulkanBackend::forget_commands() {
  for (auto& [shape, cb] : commands_) device_->free_command_buffer(cb);
  commands_.clear();
}

Result<VkCommandBuffer> VulkanBackend::commands(const Shape& shape) {
  if (auto it = commands_.find(shape); it != commands_.end()) return it->second;
  if (commands_.size() >= kMaxCachedShapes) forget_commands();
  Result<VkCommandBuffer> cb = device_->command_buffer();
  if (!cb) return cb;
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  vkBeginCommandBuffer(*cb, &bi);
  Recorder rec(*cb);
  Status recorded = record(rec, shape);
  const VkResult ended = vkEndCommandBuffer(*cb);
  if (!recorded || ended != VK_SUCCESS) {
    device_->free_command_buffer(*cb);
    if (!recorded) return std::move(recorded).error();
    return vulkan::vulkan_error("vkEndCommandBuffer", ended);
  }
  commands_.emplace(shape, *cb);
  return cb;
}

Result<std::span<const float>> VulkanBackend::forward(const PassRows& rows) {
  const auto T = static_cast<uint32_t>(rows.token.size());
  const auto G = static_cast<uint32_t>(rows.n_gemm);
  const auto R = static_cast<uint32_t>(rows.out.size());
  if (Status s = ensure_logits(std::max<uint32_t>(R, 1)); !s) return std::move(s).error();
  auto* in = static_cast<int32_t*>(rows_.mapped());
  for (uint32_t t = 0; t < T; ++t) {
    in[t] = rows.token[t];
    in[T + t] = static_cast<int32_t>(rows.pos[t]);
    in[2 * T + t] = static_cast<int32_t>(rows.seq[t]);
  }
  for (uint32_t i = 0; i < R; ++i) in[3 * T + i] = static_cast<int32_t>(rows.out[i]);
  auto* angles = static_cast<float*>(angles_.mapped());
  for (uint32_t t = 0; t < T; ++t) {
    cpu::rope_angles(static_cast<float>(rows.pos[t]), c_.n_rot, c_.rope_freq_base,
                     c_.rope_freq_scale, model_.rope_freqs(), angles + t * c_.n_rot);
  }

  Result<VkCommandBuffer> cb = commands({T, G, R});
  if (!cb) return std::move(cb).error();
  if (Status s = device_->submit_and_wait(*cb); !s) return std::move(s).error();
  return std::span<const float>(static_cast<const float*>(logits_.mapped()),
                                static_cast<size_t>(R) * c_.n_vocab);
}

}  // namespace

Result<std::unique_ptr<ComputeBackend>> make_vulkan_backend(const Model& model, uint32_t n_ctx,
                                                            const ContextOptions& options,
                                                            vulkan::DeviceChoice choice) {
  const ModelConfig& c = model.config();
  if (options.kv_type != TensorType::F16 && options.kv_type != TensorType::F32) {
    return make_error(ErrorCode::Unsupported,
                      "vulkan: the KV cache must be f16 or f32 (not " +
                          std::string(type_traits(options.kv_type).name) + ")");
  }
  if (c.head_dim > kMaxHeadDim || c.head_dim % 4 != 0 || c.n_rot % 2 != 0) {
    return make_error(ErrorCode::Unsupported,
                      "vulkan: head_dim " + std::to_string(c.head_dim) + " with " +
                          std::to_string(c.n_rot) +
                          " rotated dimensions is not supported (head_dim a multiple of 4 up to " +
                          std::to_string(kMaxHeadDim) + ", rotated dimensions even)");
  }
  Result<std::unique_ptr<Device>> device = Device::open(choice);
  if (!device) return std::move(device).error();
  auto backend = std::make_unique<VulkanBackend>(model, n_ctx, options, std::move(*device));
  if (Status s = backend->init(); !s) return std::move(s).error();
  return std::unique_ptr<ComputeBackend>(std::move(backend));
}

}  // namespace hearth::localnode
