#version 450
// Prefill matrix product: Y = X * W^T, y[t][r] = sum_i W[r][i] * x[t][i], in f32 with the
// weights dequantized (x is not quantized).
// Bindings: 0 weights W (n_out rows of n_in, row_bytes each), 1 float x_f[], 2 float y_f[].
// Push constants: n_in, n_out, row_bytes, n_tokens, x_offset, y_offset (offsets in elements);
// x row t starts at x_offset + t * n_in, y row t at y_offset + t * n_out. n_in is a multiple
// of QK.
// Dispatch: (ceil(n_out / TILE_ROWS), ceil(n_tokens / TILE_TOKENS), slices) workgroups of
// 256; each stages a KSTEP-wide slice of its weight rows (dequantized) and of its x rows in
// shared memory per step, and each thread accumulates a 4-row by 4-token block. 64 tokens a
// tile: each weight row is dequantized once per 64 tokens.
// Split over k: workgroups of layer z sum only i in [z * k_len, (z + 1) * k_len) (k_len a
// multiple of KSTEP) and write the z-th (n_tokens, n_out) block past y_offset; split_sum.comp
// adds the blocks. A small product then runs as many short workgroups in parallel instead of
// a few long ones, each paying its steps' memory latency in turn.
#extension GL_GOOGLE_include_directive : require

#include "dequant.glsl"

const uint TILE_ROWS = 64u;
const uint TILE_TOKENS = 64u;
const uint KSTEP = 32u;
const uint WG = 256u;

layout(local_size_x = 256) in;

layout(set = 0, binding = 1, std430) readonly buffer X { float x_f[]; };
layout(set = 0, binding = 1, std430) readonly buffer X4 { vec4 x4[]; };
layout(set = 0, binding = 2, std430) writeonly buffer Y { float y_f[]; };

layout(push_constant, std430) uniform Params {
  uint n_in;
  uint n_out;
  uint row_bytes;
  uint n_tokens;
  uint x_offset;
  uint y_offset;
  uint k_len;
} pc;

// Both tiles are k-major so the inner loop reads 4 rows / 4 tokens as one vec4; the extra
// vec4 per k spreads the transposing stores over more banks. 8.5 KB + 8.5 KB.
shared vec4 w_tile[KSTEP][TILE_ROWS / 4u + 1u];
shared vec4 x_tile[KSTEP][TILE_TOKENS / 4u + 1u];

void main() {
  const uint tid = gl_LocalInvocationID.x;
  const uint r0 = gl_WorkGroupID.x * TILE_ROWS;
  const uint t0 = gl_WorkGroupID.y * TILE_TOKENS;
  const bool aligned = (pc.x_offset & 3u) == 0u;

  // This thread's outputs: rows r0 + 4 * rg .. + 3, tokens t0 + 4 * tg .. + 3.
  const uint rg = tid % (TILE_ROWS / 4u);
  const uint tg = tid / (TILE_ROWS / 4u);
  vec4 acc[4];
  [[unroll]] for (uint j = 0u; j < 4u; ++j) acc[j] = vec4(0.0);

  const uint k_begin = gl_WorkGroupID.z * pc.k_len;
  const uint k_end = min(pc.n_in, k_begin + pc.k_len);
  for (uint k0 = k_begin; k0 < k_end; k0 += KSTEP) {
    // Stage the weights: TILE_ROWS rows by KSTEP / 4 quads; a row's quads go to consecutive
    // threads so their reads are contiguous. Rows past n_out and quads past n_in (possible
    // only for QK = 4 types, in the last slice) are zero.
    [[unroll]] for (uint j = 0u; j < TILE_ROWS * KSTEP / 4u / WG; ++j) {
      const uint idx = tid + j * WG;
      const uint q = idx % (KSTEP / 4u), row = idx / (KSTEP / 4u);
      const uint k = k0 + 4u * q;
      vec4 v = vec4(0.0);
      if (r0 + row < pc.n_out && k < k_end) {
        v = dequant4((r0 + row) * pc.row_bytes + (k / QK) * BLOCK_BYTES, (k % QK) / 4u);
      }
      [[unroll]] for (uint c = 0u; c < 4u; ++c) w_tile[4u * q + c][row / 4u][row % 4u] = v[c];
    }
    // Stage x: TILE_TOKENS tokens by KSTEP / 4 quads, read as vec4 where aligned.
    [[unroll]] for (uint j = 0u; j < TILE_TOKENS * KSTEP / 4u / WG; ++j) {
      const uint idx = tid + j * WG;
      const uint q = idx % (KSTEP / 4u), tok = idx / (KSTEP / 4u);
      const uint k = k0 + 4u * q;
      vec4 v = vec4(0.0);
      if (t0 + tok < pc.n_tokens && k < k_end) {
        const uint at = pc.x_offset + (t0 + tok) * pc.n_in + k;
        v = aligned ? x4[at >> 2] : vec4(x_f[at], x_f[at + 1u], x_f[at + 2u], x_f[at + 3u]);
      }
      [[unroll]] for (uint c = 0u; c < 4u; ++c) x_tile[4u * q + c][tok / 4u][tok % 4u] = v[c];
    }
    barrier();

    [[unroll]] for (uint k = 0u; k < KSTEP; ++k) {
      const vec4 a = w_tile[k][rg];
      const vec4 b = x_tile[k][tg];
      acc[0] += a * b.x;
      acc[1] += a * b.y;
      acc[2] += a * b.z;
      acc[3] += a * b.w;
    }
    barrier();
  }

  // Slice z's (n_tokens, n_out) block of y.
  const uint y_base = pc.y_offset + gl_WorkGroupID.z * pc.n_tokens * pc.n_out;
  [[unroll]] for (uint j = 0u; j < 4u; ++j) {
    const uint t = t0 + 4u * tg + j;
    if (t >= pc.n_tokens) break;
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
      const uint r = r0 + 4u * rg + i;
      if (r < pc.n_out) y_f[y_base + t * pc.n_out + r] = acc[j][i];
    }
  }
}
