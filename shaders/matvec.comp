#version 450
// Decode matrix-vector product: y[t][r] = sum_i W[r][i] * x[t][i] for 1..8 tokens, in f32
// with the weights dequantized (x is not quantized).
// Bindings: 0 weights W (n_out rows of n_in, row_bytes each), 1 float x_f[], 2 float y_f[].
// Push constants: n_in, n_out, row_bytes, n_tokens, x_offset, y_offset (offsets in elements);
// x row t starts at x_offset + t * n_in, y row t at y_offset + t * n_out. n_in is a multiple
// of QK.
// Dispatch: ceil(n_out / ROWS_PER_GROUP) workgroups of 64, possibly split over x and y; group
// g = x + y * num_groups_x owns rows g * ROWS_PER_GROUP ...
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_arithmetic : require

#include "dequant.glsl"

const uint ROWS_PER_GROUP = 4u;
// The tokens of one dispatch, a specialization constant (1..8) set by the runtime to
// n_tokens, so that a decode step's pipeline holds one accumulator per row, not eight.
layout(constant_id = 0) const uint MAX_TOKENS = 8u;
const uint WG = 64u;

layout(local_size_x = 64) in;

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
  uint k_len;  // matmul.comp's; unused here
} pc;

// One partial sum per (row, token) per subgroup: each subgroup reduces its own lanes, so the
// workgroup crosses one barrier, not log2(WG) (lavapipe pays dearly for each).
shared float partial[ROWS_PER_GROUP * MAX_TOKENS][WG];

// x[at .. at + 3]; at is a multiple of 4 past x_offset, so whole vec4 reads are aligned when
// x_offset is.
vec4 load_x(uint at, bool aligned) {
  if (aligned) return x4[at >> 2];
  return vec4(x_f[at], x_f[at + 1u], x_f[at + 2u], x_f[at + 3u]);
}

void main() {
  const uint g = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  const uint r0 = g * ROWS_PER_GROUP;
  if (r0 >= pc.n_out) return;
  const uint tid = gl_LocalInvocationID.x;
  const bool aligned = (pc.x_offset & 3u) == 0u;

  float acc[ROWS_PER_GROUP][MAX_TOKENS];
  [[unroll]] for (uint r = 0u; r < ROWS_PER_GROUP; ++r) {
    [[unroll]] for (uint t = 0u; t < MAX_TOKENS; ++t) acc[r][t] = 0.0;
  }

  // Consecutive threads take consecutive units of a block, so a warp reads contiguous bytes;
  // each unit is read once and dotted with every token.
  const uint n_units = (pc.n_in / QK) * UNITS;
  for (uint c = tid; c < n_units; c += WG) {
    const uint blk = c / UNITS, u = c % UNITS;
    vec4 w[ROWS_PER_GROUP][NQ];
    [[unroll]] for (uint r = 0u; r < ROWS_PER_GROUP; ++r) {
      if (r0 + r < pc.n_out) {
        dequant_unit((r0 + r) * pc.row_bytes + blk * BLOCK_BYTES, u, w[r]);
      } else {
        [[unroll]] for (uint i = 0u; i < NQ; ++i) w[r][i] = vec4(0.0);
      }
    }
    const uint x_at = pc.x_offset + blk * QK;
    [[unroll]] for (uint t = 0u; t < MAX_TOKENS; ++t) {
      if (t < pc.n_tokens) {
        [[unroll]] for (uint i = 0u; i < NQ; ++i) {
          const vec4 xv = load_x(x_at + t * pc.n_in + unit_elem(u, i), aligned);
          [[unroll]] for (uint r = 0u; r < ROWS_PER_GROUP; ++r) acc[r][t] += dot(w[r][i], xv);
        }
      }
    }
  }

  [[unroll]] for (uint r = 0u; r < ROWS_PER_GROUP; ++r) {
    [[unroll]] for (uint t = 0u; t < MAX_TOKENS; ++t) {
      if (t < pc.n_tokens) {
        const float sum = subgroupAdd(acc[r][t]);
        if (subgroupElect()) partial[r * MAX_TOKENS + t][gl_SubgroupID] = sum;
      }
    }
  }
  barrier();
  if (tid < ROWS_PER_GROUP * MAX_TOKENS) {
    const uint r = tid / MAX_TOKENS, t = tid % MAX_TOKENS;
    if (r0 + r < pc.n_out && t < pc.n_tokens) {
      float sum = 0.0;
      for (uint sg = 0u; sg < gl_NumSubgroups; ++sg) sum += partial[tid][sg];
      y_f[pc.y_offset + t * pc.n_out + r0 + r] = sum;
    }
  }
}
