#version 450
// Attention of one query head of one row over its sequence's positions 0 .. pos in the
// layer's KV cache, fused in one kernel (flash-attention style). A first pass finds the
// maximum score and the softmax denominator online; a second recomputes the scores, CHUNK
// positions at a time, and sums the weighted values. Nothing of size n_ctx is stored, so any
// context fits. Two passes, not one, so that each weight is final before it multiplies a
// value: an F16 cache rounds the weights to f16 there, as the CPU backend and llama.cpp do.
// Bindings: 0 q (rows of n_head * head_dim), 1 K cache, 2 V cache (the layer's:
// (n_seq, n_ctx, n_head_kv * head_dim), KV_F16 or f32), 3 rows (int), 4 out (like q).
// Dispatch: (n_head, n_rows) workgroups of WG. head_dim <= 256.
//
// A decode step has one workgroup per head (9 on a 135M model), so the work inside one must
// run in parallel: each subgroup scores four positions at a time, its lanes splitting the
// head's dimensions (one subgroupAdd per four scores), and in the second pass every thread
// owns one dimension of one group of positions.

#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_arithmetic : require

#include "kv_type.glsl"

#define WG 256
#define CHUNK 128
#define MAX_HEAD_DIM 256
layout(local_size_x = WG) in;

layout(push_constant) uniform Push {
  uint n_rows, n_head, n_head_kv, head_dim, n_ctx;
  uint pos_offset, seq_offset;
  float scale;
} p;

layout(set = 0, binding = 0) readonly buffer Q { float q[]; };
layout(set = 0, binding = 1) readonly buffer KCache { KV_T k_cache[]; };
layout(set = 0, binding = 2) readonly buffer VCache { KV_T v_cache[]; };
layout(set = 0, binding = 3) readonly buffer Rows { int rows[]; };
layout(set = 0, binding = 4) writeonly buffer Out { float out_f[]; };

shared float s_q[MAX_HEAD_DIM];
shared float s_w[CHUNK];                 // the current chunk's weights
shared float s_max[WG], s_sum[WG];       // each subgroup's pass-1 state
shared float s_acc[WG];                  // each thread's weighted sum of values

// The scores of positions first .. first + 3 (clamped to last, so every read is in range),
// in every lane of the subgroup.
vec4 score4(uint base, uint kv_dim, uint first, uint last) {
  const uint b0 = base + min(first, last) * kv_dim, b1 = base + min(first + 1u, last) * kv_dim;
  const uint b2 = base + min(first + 2u, last) * kv_dim, b3 = base + min(first + 3u, last) * kv_dim;
  vec4 partial = vec4(0.0);
  for (uint d = gl_SubgroupInvocationID; d < p.head_dim; d += gl_SubgroupSize) {
    partial += s_q[d] * vec4(float(k_cache[b0 + d]), float(k_cache[b1 + d]),
                             float(k_cache[b2 + d]), float(k_cache[b3 + d]));
  }
  return subgroupAdd(partial) * p.scale;
}

void main() {
  const uint h = gl_WorkGroupID.x, t = gl_WorkGroupID.y;
  if (t >= p.n_rows) return;
  const uint tid = gl_LocalInvocationID.x;
  const uint hd = p.head_dim, kv_dim = p.n_head_kv * hd;
  const uint kh = h / (p.n_head / p.n_head_kv);
  const uint n_pos = uint(rows[p.pos_offset + t]) + 1;
  const uint seq_base = uint(rows[p.seq_offset + t]) * p.n_ctx * kv_dim + kh * hd;
  const uint q_base = t * p.n_head * hd + h * hd;
  const uint warp = gl_SubgroupID, n_warps = gl_NumSubgroups;

  // The CPU rounds q to the cache's precision before the dot products; so does this.
  for (uint d = tid; d < hd; d += WG) s_q[d] = float(to_kv(q[q_base + d]));
  barrier();

  // Pass 1: each subgroup's maximum score and softmax denominator over its positions, then
  // the workgroup's.
  float m = -1.0 / 0.0, l = 0.0;
  for (uint first = 4u * warp; first < n_pos; first += 4u * n_warps) {
    const vec4 s = score4(seq_base, kv_dim, first, n_pos - 1u);
    [[unroll]] for (uint j = 0u; j < 4u; ++j) {
      if (first + j < n_pos) {
        const float m_new = max(m, s[j]);
        l = l * exp(m - m_new) + exp(s[j] - m_new);
        m = m_new;
      }
    }
  }
  if (gl_SubgroupInvocationID == 0u) {
    s_max[warp] = m;
    s_sum[warp] = l;
  }
  barrier();
  float running_max = -1.0 / 0.0;
  for (uint w = 0u; w < n_warps; ++w) running_max = max(running_max, s_max[w]);
  float running_sum = 0.0;
  for (uint w = 0u; w < n_warps; ++w) running_sum += s_sum[w] * exp(s_max[w] - running_max);
  const float inv_sum = 1.0 / running_sum;

  // Pass 2: a chunk's weights, final (and rounded to the cache's precision, as the CPU rounds
  // them), then each thread's dimension d summed over its group's positions of the chunk.
  const uint groups = WG / hd, d = tid % hd, group = tid / hd;
  float acc = 0.0;
  for (uint c0 = 0u; c0 < n_pos; c0 += CHUNK) {
    const uint n_in_chunk = min(CHUNK, n_pos - c0);
    for (uint i = 4u * warp; i < n_in_chunk; i += 4u * n_warps) {
      const vec4 s = score4(seq_base, kv_dim, c0 + i, n_pos - 1u);
      for (uint j = gl_SubgroupInvocationID; j < 4u && i + j < n_in_chunk; j += gl_SubgroupSize) {
        s_w[i + j] = float(to_kv(exp(s[j] - running_max) * inv_sum));
      }
    }
    barrier();
    if (group < groups) {
      for (uint i = group; i < n_in_chunk; i += groups) {
        acc += s_w[i] * float(v_cache[seq_base + (c0 + i) * kv_dim + d]);
      }
    }
    barrier();
  }
  s_acc[tid] = acc;
  barrier();
  if (tid < hd) {
    float sum = 0.0;
    for (uint g = 0u; g < groups; ++g) sum += s_acc[g * hd + tid];
    out_f[q_base + tid] = sum;
  }
}
