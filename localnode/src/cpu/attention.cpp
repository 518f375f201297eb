#include "cpu/attention.hpp"

#include <algorithm>

namespace hearth::localnode::cpu {

void attend(const KernelSet& ks, const KvCache& kv, uint32_t il, size_t kv_off, size_t n_pos,
            size_t head_dim, float scale, const float* q, float* out, AttentionScratch scratch) {
  const TensorType type = kv.type();
  const AttnKernels& ak = ks.attn(type);
  const size_t off = row_bytes(type, kv_off);
  const bool half = type == TensorType::F16;
  if (half) {
    std::copy(q, q + head_dim, scratch.q);
    ks.round_f16(scratch.q, head_dim);
    q = scratch.q;
  }
  ak.scores(q, kv.k(il, 0) + off, kv.row_bytes_per_position(), n_pos, head_dim, scale,
            scratch.scores);
  ks.softmax(scratch.scores, n_pos);
  if (half) ks.round_f16(scratch.scores, n_pos);
  ak.values(scratch.scores, kv.v(il, 0) + off, kv.row_bytes_per_position(), n_pos, head_dim, out);
}

}  // namespace hearth::localnode::cpu
