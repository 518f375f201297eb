#version 450
// The slices of a mat-mul split over k, summed: out[i] = sum over p < n_parts of
// parts[p * n + i], in slice order (so the result does not depend on the dispatch's timing).
// Bindings: 0 parts (n_parts blocks of n floats), 1 out (n floats).
// Dispatch: ceil(n / 256) workgroups, possibly split over x and y (group x + y * num_groups_x).

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
  uint n, n_parts;
} p;

layout(set = 0, binding = 0) readonly buffer Parts { float parts[]; };
layout(set = 0, binding = 1) writeonly buffer Out { float out_f[]; };

void main() {
  const uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  const uint i = group * 256u + gl_LocalInvocationID.x;
  if (i >= p.n) return;
  float sum = 0.0;
  for (uint part = 0u; part < p.n_parts; ++part) sum += parts[part * p.n + i];
  out_f[i] = sum;
}
