#version 450
// Embedding lookup: out row t = dequantized weight row tokens[tokens_offset + t].
// Bindings: 0 weights (n_vocab rows of row_bytes), 1 int tokens[], 2 float out_f[].
// Push constants: n_embd, row_bytes, n_rows, tokens_offset, out_offset (offsets in elements).
// Dispatch: (n_rows, 1, 1) workgroups of 64; n_embd must be a multiple of QK.
#extension GL_GOOGLE_include_directive : require

#include "dequant.glsl"

layout(local_size_x = 64) in;

layout(set = 0, binding = 1, std430) readonly buffer Tokens { int tokens[]; };
layout(set = 0, binding = 2, std430) writeonly buffer Out { float out_f[]; };

layout(push_constant, std430) uniform Params {
  uint n_embd;
  uint row_bytes;
  uint n_rows;
  uint tokens_offset;
  uint out_offset;
} pc;

void main() {
  const uint t = gl_WorkGroupID.x;
  if (t >= pc.n_rows) return;
  const int token = tokens[pc.tokens_offset + t];
  // A token past the bound weights would read out of bounds; it gets a zero row instead.
  const bool valid = token >= 0 && uint(token) < weight_bytes() / pc.row_bytes;
  const uint row = valid ? uint(token) * pc.row_bytes : 0u;
  const uint out_at = pc.out_offset + t * pc.n_embd;
  for (uint q = gl_LocalInvocationID.x; q < pc.n_embd / 4u; q += gl_WorkGroupSize.x) {
    const uint blk = q / (QK / 4u);
    const vec4 v = valid ? dequant4(row + blk * BLOCK_BYTES, q % (QK / 4u)) : vec4(0.0);
    out_f[out_at + 4u * q] = v.x;
    out_f[out_at + 4u * q + 1u] = v.y;
    out_f[out_at + 4u * q + 2u] = v.z;
    out_f[out_at + 4u * q + 3u] = v.w;
  }
}
