#version 450
// Per (head, row): the q, k and v biases (Qwen2), rotary position embedding of the q and k
// heads, and the k and v heads stored in the layer's KV cache at the row's (seq, pos).
// Bindings: 0 q (rows of n_head * head_dim), 1 k, 2 v (rows of n_head_kv * head_dim),
// 3 rows (int: positions at pos_offset, sequences at seq_offset), 4 K cache, 5 V cache
// (the layer's: (n_seq, n_ctx, n_head_kv * head_dim), KV_F16 or f32), 6 bq, 7 bk, 8 bv,
// 9 angles (rows of n_rot: cos, sin of each rotated pair, computed by the host with the CPU
// backend's arithmetic so both round alike). Unused bias bindings are bound to any buffer.
// Dispatch: (n_head + n_head_kv, n_rows). Each thread owns whole pairs of a head's elements
// — the rotated pairs, then the unrotated rest two by two — so no thread reads another's.

#extension GL_GOOGLE_include_directive : require

#include "kv_type.glsl"

layout(local_size_x = 64) in;

layout(push_constant) uniform Push {
  uint n_rows, n_head, n_head_kv, head_dim, n_rot, neox, n_ctx, has_bias;
  uint pos_offset, seq_offset;
} p;

layout(set = 0, binding = 0) buffer Q { float q[]; };
layout(set = 0, binding = 1) buffer K { float k[]; };
layout(set = 0, binding = 2) readonly buffer V { float v[]; };
layout(set = 0, binding = 3) readonly buffer Rows { int rows[]; };
layout(set = 0, binding = 4) writeonly buffer KCache { KV_T k_cache[]; };
layout(set = 0, binding = 5) writeonly buffer VCache { KV_T v_cache[]; };
layout(set = 0, binding = 6) readonly buffer BQ { float bq[]; };
layout(set = 0, binding = 7) readonly buffer BK { float bk[]; };
layout(set = 0, binding = 8) readonly buffer BV { float bv[]; };
layout(set = 0, binding = 9) readonly buffer Angles { float angles[]; };

void main() {
  const uint h = gl_WorkGroupID.x, t = gl_WorkGroupID.y;
  if (t >= p.n_rows) return;
  const bool is_q = h < p.n_head;
  const uint hd = p.head_dim, half_rot = p.n_rot / 2;
  const uint kv_dim = p.n_head_kv * hd;
  const uint kh = h - p.n_head;
  const uint base = is_q ? t * p.n_head * hd + h * hd : t * kv_dim + kh * hd;
  const uint seq = uint(rows[p.seq_offset + t]);
  const uint cache_row = (seq * p.n_ctx + uint(rows[p.pos_offset + t])) * kv_dim + kh * hd;

  for (uint i = gl_LocalInvocationID.x; i < hd / 2; i += gl_WorkGroupSize.x) {
    const bool rotated = i < half_rot;
    uint a, b;
    if (!rotated) {
      a = p.n_rot + 2 * (i - half_rot);
      b = a + 1;
    } else if (p.neox != 0) {
      a = i;
      b = i + half_rot;
    } else {
      a = 2 * i;
      b = 2 * i + 1;
    }
    float x0, x1;
    if (is_q) {
      x0 = q[base + a] + (p.has_bias != 0 ? bq[h * hd + a] : 0.0);
      x1 = q[base + b] + (p.has_bias != 0 ? bq[h * hd + b] : 0.0);
    } else {
      x0 = k[base + a] + (p.has_bias != 0 ? bk[kh * hd + a] : 0.0);
      x1 = k[base + b] + (p.has_bias != 0 ? bk[kh * hd + b] : 0.0);
    }
    if (rotated) {
      const float c = angles[t * p.n_rot + 2 * i], s = angles[t * p.n_rot + 2 * i + 1];
      const float r0 = x0 * c - x1 * s;
      const float r1 = x0 * s + x1 * c;
      x0 = r0;
      x1 = r1;
    }
    if (is_q) {
      q[base + a] = x0;
      q[base + b] = x1;
    } else {
      k[base + a] = x0;
      k[base + b] = x1;
      k_cache[cache_row + a] = to_kv(x0);
      k_cache[cache_row + b] = to_kv(x1);
      const float v0 = v[base + a] + (p.has_bias != 0 ? bv[kh * hd + a] : 0.0);
      const float v1 = v[base + b] + (p.has_bias != 0 ? bv[kh * hd + b] : 0.0);
      v_cache[cache_row + a] = to_kv(v0);
      v_cache[cache_row + b] = to_kv(v1);
    }
  }
}
