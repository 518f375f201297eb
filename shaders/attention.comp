#version 450
// Attention of one query head of one row over its sequence's positions 0 .. pos in the
// layer's KV cache, fused in one kernel (flash-attention style). A first pass finds the
// maximum score and the softmax denominator online; a second recomputes the scores, WG
// positions at a time, and sums the weighted values. Nothing of size n_ctx is stored, so any
// context fits. Two passes, not one, so that each weight is final before it multiplies a
// value: an F16 cache rounds the weights to f16 there, as the CPU backend and llama.cpp do.
// Bindings: 0 q (rows of n_head * head_dim), 1 K cache, 2 V cache (the layer's:
// (n_seq, n_ctx, n_head_kv * head_dim), KV_F16 or f32), 3 rows (int), 4 out (like q).
// Dispatch: (n_head, n_rows) workgroups of WG. head_dim <= 256, a multiple of 4.
//
// Each workgroup is one long chain of memory reads, so the chain must be short: every thread
// scores a position of its own (whole rows of K read four elements at a time, all issued
// before the sums need them), WG positions at once, and sums the weighted values of a group
// of positions for one dimension, four positions' reads at a time.

#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_arithmetic : require

#include "kv_type.glsl"

#define WG 256
#define MAX_HEAD_DIM 256
layout(local_size_x = WG) in;

layout(push_constant) uniform Push {
  uint n_rows, n_head, n_head_kv, head_dim, n_ctx;
  uint pos_offset, seq_offset;
  float scale;
} p;

layout(set = 0, binding = 0) readonly buffer Q { float q[]; };
layout(set = 0, binding = 1) readonly buffer KCache { KV_VEC4 k4[]; };
layout(set = 0, binding = 2) readonly buffer VCache { KV_T v_cache[]; };
layout(set = 0, binding = 3) readonly buffer Rows { int rows[]; };
layout(set = 0, binding = 4) writeonly buffer Out { float out_f[]; };

shared vec4 s_q[MAX_HEAD_DIM / 4];
shared float s_w[WG];                // the current chunk's weights
shared float s_max[WG], s_sum[WG];   // each subgroup's pass-1 state
shared float s_acc[WG];              // each thread's weighted sum of values

// q · k * scale for the K row starting at k4[at], head_dim / 4 = n4 quads long.
float score(uint at, uint n4) {
  float s = 0.0;
  uint i = 0u;
  for (; i + 4u <= n4; i += 4u) {
    const vec4 k0 = vec4(k4[at + i]), k1 = vec4(k4[at + i + 1u]);
    const vec4 k2 = vec4(k4[at + i + 2u]), k3 = vec4(k4[at + i + 3u]);
    s += dot(s_q[i], k0) + dot(s_q[i + 1u], k1) + dot(s_q[i + 2u], k2) + dot(s_q[i + 3u], k3);
  }
  for (; i < n4; ++i) s += dot(s_q[i], vec4(k4[at + i]));
  return s * p.scale;
}

void main() {
  const uint h = gl_WorkGroupID.x, t = gl_WorkGroupID.y;
  if (t >= p.n_rows) return;
  const uint tid = gl_LocalInvocationID.x;
  const uint hd = p.head_dim, n4 = hd / 4u, kv_dim = p.n_head_kv * hd;
  const uint kh = h / (p.n_head / p.n_head_kv);
  const uint n_pos = uint(rows[p.pos_offset + t]) + 1;
  const uint seq_base = uint(rows[p.seq_offset + t]) * p.n_ctx * kv_dim + kh * hd;
  const uint q_base = t * p.n_head * hd + h * hd;
  const uint warp = gl_SubgroupID, n_warps = gl_NumSubgroups;

  // The CPU rounds q to the cache's precision before the dot products; so does this.
  for (uint i = tid; i < n4; i += WG) {
    const uint at = q_base + 4u * i;
    s_q[i] = vec4(to_kv(q[at]), to_kv(q[at + 1u]), to_kv(q[at + 2u]), to_kv(q[at + 3u]));
  }
  barrier();

  // Pass 1: each thread's maximum score and softmax denominator over its positions, then the
  // subgroup's, then the workgroup's.
  float m = -1.0 / 0.0, l = 0.0;
  for (uint pos = tid; pos < n_pos; pos += WG) {
    const float s = score((seq_base + pos * kv_dim) / 4u, n4);
    const float m_new = max(m, s);
    l = l * exp(m - m_new) + exp(s - m_new);
    m = m_new;
  }
  const float warp_max = subgroupMax(m);
  const float warp_sum = subgroupAdd(m == -1.0 / 0.0 ? 0.0 : l * exp(m - warp_max));
  if (gl_SubgroupInvocationID == 0u) {
    s_max[warp] = warp_max;
    s_sum[warp] = warp_sum;
  }
  barrier();
  float running_max = -1.0 / 0.0;
  for (uint w = 0u; w < n_warps; ++w) running_max = max(running_max, s_max[w]);
  float running_sum = 0.0;
  for (uint w = 0u; w < n_warps; ++w) running_sum += s_sum[w] * exp(s_max[w] - running_max);
  const float inv_sum = 1.0 / running_sum;

  // Pass 2, WG positions at a time: each thread's position's weight, final (and rounded to
  // the cache's precision, as the CPU rounds them), then each thread's dimension d summed
  // over its group's positions.
  const uint groups = WG / hd, d = tid % hd, group = tid / hd;
  float acc = 0.0;
  for (uint c0 = 0u; c0 < n_pos; c0 += WG) {
    const uint pos = c0 + tid;
    s_w[tid] = pos < n_pos
                   ? float(to_kv(exp(score((seq_base + pos * kv_dim) / 4u, n4) - running_max) * inv_sum))
                   : 0.0;
    barrier();
    const uint n_in_chunk = min(WG, n_pos - c0);
    if (group < groups) {
      const uint at = seq_base + c0 * kv_dim + d;
      uint i = group;
      for (; i + 3u * groups < n_in_chunk; i += 4u * groups) {
        const float v0 = float(v_cache[at + i * kv_dim]);
        const float v1 = float(v_cache[at + (i + groups) * kv_dim]);
        const float v2 = float(v_cache[at + (i + 2u * groups) * kv_dim]);
        const float v3 = float(v_cache[at + (i + 3u * groups) * kv_dim]);
        acc += s_w[i] * v0;
        acc += s_w[i + groups] * v1;
        acc += s_w[i + 2u * groups] * v2;
        acc += s_w[i + 3u * groups] * v3;
      }
      for (; i < n_in_chunk; i += groups) acc += s_w[i] * float(v_cache[at + i * kv_dim]);
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
