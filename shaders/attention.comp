#version 450
// Attention of one query head, for each of ROWS rows, over the row's sequence's positions
// 0 .. pos in the layer's KV cache, fused in one kernel (flash-attention style). A first pass
// finds the maximum score and the softmax denominator online; a second recomputes the scores,
// WG positions at a time, and sums the weighted values. Nothing of size n_ctx is stored, so any
// context fits. Two passes, not one, so that each weight is final before it multiplies a
// value: an F16 cache rounds the weights to f16 there, as the CPU backend and llama.cpp do.
// Bindings: 0 q (rows of n_head * head_dim), 1 K cache, 2 V cache (the layer's:
// (n_seq, n_ctx, n_head_kv * head_dim), KV_F16 or f32), 3 rows (int), 4 out (like q).
// Dispatch: (n_head, ceil(n_rows / ROWS)) workgroups of WG. head_dim <= 256, a multiple of 4.
//
// Each workgroup is one long chain of memory reads, so the chain must be short: every thread
// scores a position of its own (whole rows of K read four elements at a time, all issued
// before the sums need them), WG positions at once, and sums the weighted values of a group
// of positions for one dimension, kUnroll positions' reads at a time.
//
// A workgroup takes ROWS consecutive rows. Where they are all of one sequence (a prompt's
// rows), each K and V element it reads serves all of them; otherwise (decode rows of several
// sequences) it takes them one after another.

#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_arithmetic : require

#include "kv_type.glsl"

#define WG 256
#define MAX_HEAD_DIM 256
#define MAX_SUBGROUPS 64  // of WG threads, for subgroups of 4 or more
// Positions whose values a thread reads at once when it sums them: each batch of reads costs
// one memory latency, and a decode step's thread sums hundreds of positions in turn.
const uint kUnroll = 8u;
layout(local_size_x = WG) in;
layout(constant_id = 0) const uint ROWS = 1u;

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

shared vec4 s_q[ROWS][MAX_HEAD_DIM / 4];
shared float s_w[ROWS][WG];                                      // the chunk's weights
shared float s_max[ROWS][MAX_SUBGROUPS], s_sum[ROWS][MAX_SUBGROUPS];  // each subgroup's pass 1
shared float s_acc[ROWS][WG];  // each thread's weighted sums of values

// q · k * scale of each row's q (inactive rows' too) and the K row starting at k4[at],
// head_dim / 4 = n4 quads long.
void scores(uint at, uint n4, out float s[ROWS]) {
  [[unroll]] for (uint j = 0u; j < ROWS; ++j) s[j] = 0.0;
  uint i = 0u;
  for (; i + 4u <= n4; i += 4u) {
    const vec4 k0 = vec4(k4[at + i]), k1 = vec4(k4[at + i + 1u]);
    const vec4 k2 = vec4(k4[at + i + 2u]), k3 = vec4(k4[at + i + 3u]);
    [[unroll]] for (uint j = 0u; j < ROWS; ++j) {
      s[j] += dot(s_q[j][i], k0) + dot(s_q[j][i + 1u], k1) + dot(s_q[j][i + 2u], k2) +
              dot(s_q[j][i + 3u], k3);
    }
  }
  for (; i < n4; ++i) {
    const vec4 k = vec4(k4[at + i]);
    [[unroll]] for (uint j = 0u; j < ROWS; ++j) s[j] += dot(s_q[j][i], k);
  }
  [[unroll]] for (uint j = 0u; j < ROWS; ++j) s[j] *= p.scale;
}

void main() {
  const uint h = gl_WorkGroupID.x, t0 = gl_WorkGroupID.y * ROWS;
  if (t0 >= p.n_rows) return;
  const uint tid = gl_LocalInvocationID.x;
  const uint hd = p.head_dim, n4 = hd / 4u, kv_dim = p.n_head_kv * hd;
  const uint kh = h / (p.n_head / p.n_head_kv);
  const uint warp = gl_SubgroupID, n_warps = gl_NumSubgroups;

  // Whether the rows share a sequence: then one round takes them all, else a round each.
  bool one_sequence = true;
  for (uint j = 1u; j < ROWS && t0 + j < p.n_rows; ++j) {
    one_sequence = one_sequence && rows[p.seq_offset + t0 + j] == rows[p.seq_offset + t0];
  }
  const uint rounds = one_sequence ? 1u : min(ROWS, p.n_rows - t0);
  for (uint round = 0u; round < rounds; ++round) {
    // This round's rows: n_pos[j] positions each, 0 for a row not in it.
    uint n_pos[ROWS];
    uint n_pos_max = 0u, seq = 0u;
    [[unroll]] for (uint j = 0u; j < ROWS; ++j) {
      const bool in_round = t0 + j < p.n_rows && (one_sequence || j == round);
      n_pos[j] = in_round ? uint(rows[p.pos_offset + t0 + j]) + 1u : 0u;
      if (in_round) seq = uint(rows[p.seq_offset + t0 + j]);
      n_pos_max = max(n_pos_max, n_pos[j]);
    }
    const uint seq_base = seq * p.n_ctx * kv_dim + kh * hd;

    // The CPU rounds q to the cache's precision before the dot products; so does this.
    for (uint i = tid; i < ROWS * n4; i += WG) {
      const uint j = i / n4, at = ((t0 + j) * p.n_head + h) * hd + 4u * (i % n4);
      s_q[j][i % n4] = n_pos[j] == 0u ? vec4(0.0)
                                      : vec4(to_kv(q[at]), to_kv(q[at + 1u]), to_kv(q[at + 2u]),
                                             to_kv(q[at + 3u]));
    }
    barrier();

    // Pass 1: each thread's maximum score and softmax denominator over its positions, then
    // the subgroup's, then the workgroup's, per row.
    float m[ROWS], l[ROWS];
    [[unroll]] for (uint j = 0u; j < ROWS; ++j) {
      m[j] = -1.0 / 0.0;
      l[j] = 0.0;
    }
    for (uint pos = tid; pos < n_pos_max; pos += WG) {
      float s[ROWS];
      scores((seq_base + pos * kv_dim) / 4u, n4, s);
      [[unroll]] for (uint j = 0u; j < ROWS; ++j) {
        if (pos < n_pos[j]) {
          const float m_new = max(m[j], s[j]);
          l[j] = l[j] * exp(m[j] - m_new) + exp(s[j] - m_new);
          m[j] = m_new;
        }
      }
    }
    [[unroll]] for (uint j = 0u; j < ROWS; ++j) {
      const float warp_max = subgroupMax(m[j]);
      const float warp_sum = subgroupAdd(m[j] == -1.0 / 0.0 ? 0.0 : l[j] * exp(m[j] - warp_max));
      if (gl_SubgroupInvocationID == 0u) {
        s_max[j][warp] = warp_max;
        s_sum[j][warp] = warp_sum;
      }
    }
    barrier();
    float running_max[ROWS], inv_sum[ROWS];
    [[unroll]] for (uint j = 0u; j < ROWS; ++j) {
      running_max[j] = -1.0 / 0.0;
      for (uint w = 0u; w < n_warps; ++w) running_max[j] = max(running_max[j], s_max[j][w]);
      float sum = 0.0;
      for (uint w = 0u; w < n_warps; ++w) sum += s_sum[j][w] * exp(s_max[j][w] - running_max[j]);
      inv_sum[j] = 1.0 / sum;
    }

    // Pass 2, WG positions at a time: each thread's position's weights, final (and rounded to
    // the cache's precision, as the CPU rounds them; 0 past a row's positions), then each
    // thread's dimension d summed over its group's positions, per row.
    const uint groups = WG / hd, d = tid % hd, group = tid / hd;
    float acc[ROWS];
    [[unroll]] for (uint j = 0u; j < ROWS; ++j) acc[j] = 0.0;
    for (uint c0 = 0u; c0 < n_pos_max; c0 += WG) {
      const uint pos = c0 + tid;
      float s[ROWS];
      if (pos < n_pos_max) scores((seq_base + pos * kv_dim) / 4u, n4, s);
      [[unroll]] for (uint j = 0u; j < ROWS; ++j) {
        s_w[j][tid] = pos < n_pos[j] ? float(to_kv(exp(s[j] - running_max[j]) * inv_sum[j])) : 0.0;
      }
      barrier();
      const uint n_in_chunk = min(WG, n_pos_max - c0);
      if (group < groups) {
        const uint at = seq_base + c0 * kv_dim + d;
        uint i = group;
        for (; i + (kUnroll - 1u) * groups < n_in_chunk; i += kUnroll * groups) {
          float v[kUnroll];
          [[unroll]] for (uint u = 0u; u < kUnroll; ++u) {
            v[u] = float(v_cache[at + (i + u * groups) * kv_dim]);
          }
          [[unroll]] for (uint j = 0u; j < ROWS; ++j) {
            [[unroll]] for (uint u = 0u; u < kUnroll; ++u) acc[j] += s_w[j][i + u * groups] * v[u];
          }
        }
        for (; i < n_in_chunk; i += groups) {
          const float v = float(v_cache[at + i * kv_dim]);
          [[unroll]] for (uint j = 0u; j < ROWS; ++j) acc[j] += s_w[j][i] * v;
        }
      }
      barrier();
    }
    [[unroll]] for (uint j = 0u; j < ROWS; ++j) s_acc[j][tid] = acc[j];
    barrier();
    for (uint i = tid; i < ROWS * hd; i += WG) {
      const uint j = i / hd, dim = i % hd;
      if (n_pos[j] == 0u) continue;
      float sum = 0.0;
      for (uint g = 0u; g < groups; ++g) sum += s_acc[j][g * hd + dim];
      out_f[((t0 + j) * p.n_head + h) * hd + dim] = sum;
    }
    barrier();  // the next round rewrites the shared arrays
  }
}
