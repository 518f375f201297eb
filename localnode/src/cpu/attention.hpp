#pragma once
// Causal attention of one query head over the cached positions 0 .. n_pos - 1 of its KV head:
// scores = q·k * scale, softmax, out = Σ p · v, over an F32, F16 or Q8_0 cache. With an F16
// cache it rounds the other operand to half precision too (q for the scores, the
// probabilities for the values), as llama.cpp's CPU backend does, so that both engines agree
// to ~1e-3 in the logits.

#include <cstddef>
#include <cstdint>

#include "cpu/kernels.hpp"
#include "kv_cache.hpp"

namespace hearth::localnode::cpu {

struct AttentionScratch {
  float* scores;  // (n_ctx)
  float* q;       // (head_dim)
};

// q, out: head_dim floats; the head's KV slice starts at element kv_off of each cached row.
void attend(const KernelSet& ks, const KvCache& kv, uint32_t il, size_t kv_off, size_t n_pos,
            size_t head_dim, float scale, const float* q, float* out, AttentionScratch scratch);

}  // namespace hearth::localnode::cpu
