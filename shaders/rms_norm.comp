#version 450
// RMSNorm of activation rows, with the residual add fused in front of it:
//   s = gather ? rows[index_offset + t] : t
//   if add: x[s] += addend[s]
//   out[t] = x[s] * inversesqrt(mean(x[s]^2) + eps) * w
// Bindings: 0 x (rows of n), 1 addend, 2 w (n), 3 out, 4 rows (int). One workgroup per row t.
// `addend` and `out` may be the same buffer: each thread reads and writes only its own
// elements, the add finishes before the barrier, the writes come after it.

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
  uint n, n_rows, add, gather, index_offset;
  float eps;
} p;

layout(set = 0, binding = 0) buffer X { float x[]; };
layout(set = 0, binding = 1) readonly buffer Addend { float addend[]; };
layout(set = 0, binding = 2) readonly buffer W { float w[]; };
layout(set = 0, binding = 3) writeonly buffer Out { float out_f[]; };
layout(set = 0, binding = 4) readonly buffer Rows { int rows[]; };

shared float partial[gl_WorkGroupSize.x];

void main() {
  const uint t = gl_WorkGroupID.x;
  if (t >= p.n_rows) return;
  const uint s = p.gather != 0 ? uint(rows[p.index_offset + t]) : t;
  const uint tid = gl_LocalInvocationID.x;
  const uint src = s * p.n, dst = t * p.n;

  float sum = 0.0;
  for (uint i = tid; i < p.n; i += gl_WorkGroupSize.x) {
    float v = x[src + i];
    if (p.add != 0) {
      v += addend[src + i];
      x[src + i] = v;
    }
    sum += v * v;
  }
  partial[tid] = sum;
  barrier();
  for (uint stride = gl_WorkGroupSize.x / 2; stride > 0; stride /= 2) {
    if (tid < stride) partial[tid] += partial[tid + stride];
    barrier();
  }
  const float scale = inversesqrt(partial[0] / float(p.n) + p.eps);
  for (uint i = tid; i < p.n; i += gl_WorkGroupSize.x) {
    out_f[dst + i] = x[src + i] * scale * w[i];
  }
}
