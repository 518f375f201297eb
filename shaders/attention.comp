#version 450
// Attention of one query head of one row over its sequence's positions 0 .. pos in the
// layer's KV cache, fused in one kernel (flash-attention style): positions in chunks of
// CHUNK; a first pass finds the maximum score and the softmax denominator online, a second
// recomputes the scores and sums the weighted values. Nothing of size n_ctx is stored, so any
// context fits. Two passes, not one, so that each weight is final before it multiplies a
// value: an F16 cache rounds the weights to f16 there, as the CPU backend and llama.cpp do.
// Bindings: 0 q (rows of n_head * head_dim), 1 K cache, 2 V cache (the layer's:
// (n_seq, n_ctx, n_head_kv * head_dim), KV_F16 or f32), 3 rows (int), 4 out (like q).
// Dispatch: (n_head, n_rows). head_dim <= 256.

#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require

#define CHUNK 64
#define MAX_HEAD_DIM 256
layout(local_size_x = CHUNK) in;

layout(push_constant) uniform Push {
  uint n_rows, n_head, n_head_kv, head_dim, n_ctx;
  uint pos_offset, seq_offset;
  float scale;
} p;

#ifdef KV_F16
#define KV_T float16_t
#else
#define KV_T float
#endif

layout(set = 0, binding = 0) readonly buffer Q { float q[]; };
layout(set = 0, binding = 1) readonly buffer KCache { KV_T k_cache[]; };
layout(set = 0, binding = 2) readonly buffer VCache { KV_T v_cache[]; };
layout(set = 0, binding = 3) readonly buffer Rows { int rows[]; };
layout(set = 0, binding = 4) writeonly buffer Out { float out_f[]; };

shared float s_q[MAX_HEAD_DIM];
shared float s_p[CHUNK];

const uint kDimsPerThread = MAX_HEAD_DIM / CHUNK;

float score(uint k_base, uint hd) {
  float s = 0.0;
  for (uint d = 0; d < hd; ++d) s += s_q[d] * float(k_cache[k_base + d]);
  return s * p.scale;
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

  // The CPU rounds q to the cache's precision before the dot products; so does this.
  for (uint d = tid; d < hd; d += CHUNK) s_q[d] = float(KV_T(q[q_base + d]));
  barrier();

  // Pass 1: the maximum score and the softmax denominator, a chunk at a time.
  float running_max = -1.0 / 0.0;
  float running_sum = 0.0;
  for (uint c0 = 0; c0 < n_pos; c0 += CHUNK) {
    const uint pos = c0 + tid;
    const float s = pos < n_pos ? score(seq_base + pos * kv_dim, hd) : -1.0 / 0.0;
    s_p[tid] = s;
    barrier();
    float chunk_max = s_p[0];
    for (uint j = 1; j < CHUNK; ++j) chunk_max = max(chunk_max, s_p[j]);
    const float new_max = max(running_max, chunk_max);
    barrier();
    s_p[tid] = pos < n_pos ? exp(s - new_max) : 0.0;
    barrier();
    float chunk_sum = 0.0;
    for (uint j = 0; j < CHUNK; ++j) chunk_sum += s_p[j];
    running_sum = running_sum * exp(running_max - new_max) + chunk_sum;
    running_max = new_max;
    barrier();
  }

  // Pass 2: the weights, final (and rounded to the cache's precision, as the CPU rounds
  // them), times the values.
  float acc[kDimsPerThread];
  for (uint j = 0; j < kDimsPerThread; ++j) acc[j] = 0.0;
  const float inv_sum = 1.0 / running_sum;
  for (uint c0 = 0; c0 < n_pos; c0 += CHUNK) {
    const uint pos = c0 + tid;
    s_p[tid] = pos < n_pos ? float(KV_T(exp(score(seq_base + pos * kv_dim, hd) - running_max) * inv_sum)) : 0.0;
    barrier();
    const uint n_in_chunk = min(CHUNK, n_pos - c0);
    for (uint j = 0; j < kDimsPerThread; ++j) {
      const uint d = tid + j * CHUNK;
      if (d >= hd) break;
      float a = acc[j];
      for (uint i = 0; i < n_in_chunk; ++i) {
        a += s_p[i] * float(v_cache[seq_base + (c0 + i) * kv_dim + d]);
      }
      acc[j] = a;
    }
    barrier();
  }
  for (uint j = 0; j < kDimsPerThread; ++j) {
    const uint d = tid + j * CHUNK;
    if (d < hd) out_f[q_base + d] = acc[j];
  }
}
