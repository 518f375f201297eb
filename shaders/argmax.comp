#version 450
// Greedy sampling on the device: out[t] = the index of the largest of row t's n values, the
// lowest index on ties, NaN never (0 for a row of NaN), as the CPU sampler. Bindings: 0 values (rows of n), 1 out (int).
// Dispatch: (n_rows, 1, 1).

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
  uint n, n_rows;
} p;

layout(set = 0, binding = 0) readonly buffer Values { float values[]; };
layout(set = 0, binding = 1) writeonly buffer Out { int out_i[]; };

shared float s_value[gl_WorkGroupSize.x];
shared uint s_index[gl_WorkGroupSize.x];

void main() {
  const uint t = gl_WorkGroupID.x, tid = gl_LocalInvocationID.x;
  if (t >= p.n_rows) return;
  float best = -1.0 / 0.0;
  uint best_i = 0xFFFFFFFFu;
  for (uint i = tid; i < p.n; i += gl_WorkGroupSize.x) {
    const float v = values[t * p.n + i];
    if (isnan(v)) continue;
    if (v > best || best_i == 0xFFFFFFFFu) {
      best = v;
      best_i = i;
    }
  }
  s_value[tid] = best;
  s_index[tid] = best_i;
  barrier();
  for (uint stride = gl_WorkGroupSize.x / 2; stride > 0; stride /= 2) {
    if (tid < stride) {
      const float v = s_value[tid + stride];
      const uint i = s_index[tid + stride];
      if (i != 0xFFFFFFFFu && (v > s_value[tid] || (v == s_value[tid] && i < s_index[tid]) ||
                               s_index[tid] == 0xFFFFFFFFu)) {
        s_value[tid] = v;
        s_index[tid] = i;
      }
    }
    barrier();
  }
  if (tid == 0) out_i[t] = s_index[0] == 0xFFFFFFFFu ? 0 : int(s_index[0]);
}
