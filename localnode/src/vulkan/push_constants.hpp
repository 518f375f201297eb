#pragma once
// The push constants of every shader, mirrored from the `layout(push_constant)` blocks in
// shaders/*.comp (std430: 4-byte scalars in declaration order, no padding). A field added on
// one side only fails the size checks below or the kernel tests.

#include <cstdint>

namespace hearth::localnode::vulkan {

// get_rows.comp: out[t] = dequantized weight row tokens[t].
struct GetRowsPush {
  uint32_t n_embd, row_bytes, n_rows, tokens_offset, out_offset;
};
static_assert(sizeof(GetRowsPush) == 20);

// matvec.comp and matmul.comp: y[t][r] = sum_i W[r][i] * x[t][i] (offsets in floats).
// matmul.comp's workgroups of layer z sum i in [z * k_len, (z + 1) * k_len) only, into the
// z-th (n_tokens, n_out) block of y; matvec.comp ignores k_len.
struct MatmulPush {
  uint32_t n_in, n_out, row_bytes, n_tokens, x_offset, y_offset, k_len;
};
static_assert(sizeof(MatmulPush) == 28);
// What the largest workgroups ask of a device: 256 threads (attention, matmul, rms_norm,
// split_sum) and 28 KiB of shared memory (attention with kAttentionPrefillRows rows); a
// device must offer at least these (device.cpp checks).
inline constexpr uint32_t kMaxWorkgroupThreads = 256;
inline constexpr uint32_t kMaxSharedBytes = 32 << 10;
// The dispatch shapes the shaders assume.
inline constexpr uint32_t kMatvecRowsPerGroup = 4;
inline constexpr uint32_t kMatvecMaxTokens = 8;
inline constexpr uint32_t kMatmulTileRows = 64;
inline constexpr uint32_t kMatmulTileTokens = 64;
inline constexpr uint32_t kMatmulKStep = 32;  // k_len is a multiple of it

// split_sum.comp: out[i] = sum over p < n_parts of parts[p * n + i], for i < n.
struct SplitSumPush {
  uint32_t n, n_parts;
};
static_assert(sizeof(SplitSumPush) == 8);

// rms_norm.comp: per row t (source row s = gather ? rows[index_offset + t] : t):
// if add: x[s] += addend[s]; out[t] = x[s] / rms(x[s]) * w.
struct RmsNormPush {
  uint32_t n, n_rows, add, gather, index_offset;
  float eps;
};
static_assert(sizeof(RmsNormPush) == 24);

// rope_kv.comp: per (row, head): biases, rotation of q and k heads by the host's angles; k
// and v heads stored in the layer's KV cache at (seq, pos) of the row.
struct RopeKvPush {
  uint32_t n_rows, n_head, n_head_kv, head_dim, n_rot, neox, n_ctx, has_bias;
  uint32_t pos_offset, seq_offset;  // into the rows buffer
};
static_assert(sizeof(RopeKvPush) == 40);

// attention.comp: per (row, query head), softmax(q · K[0..pos] * scale) · V over the row's
// sequence in the layer's KV cache.
struct AttentionPush {
  uint32_t n_rows, n_head, n_head_kv, head_dim, n_ctx;
  uint32_t pos_offset, seq_offset;
  float scale;
};
static_assert(sizeof(AttentionPush) == 32);
// Its rows per workgroup (specialization constant 0; the dispatch is (n_head,
// ceil(n_rows / that))) in passes that prefill a prompt: a prompt's rows share every K and V
// element read. Decode passes take one row per workgroup, for as many workgroups as there are.
inline constexpr uint32_t kAttentionPrefillRows = 8;

// swiglu.comp: gate[i] = silu(gate[i]) * up[i] for i < n.
struct SwigluPush {
  uint32_t n;
};
static_assert(sizeof(SwigluPush) == 4);

// argmax.comp: out[t] = the index of the largest of row t's n values (the first on ties).
struct ArgmaxPush {
  uint32_t n, n_rows;
};
static_assert(sizeof(ArgmaxPush) == 8);

}  // namespace hearth::localnode::vulkan
