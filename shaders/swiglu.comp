#version 450
// SwiGLU: gate[i] = silu(gate[i]) * up[i] for i < n. Bindings: 0 gate, 1 up.
// Dispatch: (ceil(n / 256), 1, 1), split into 2D (x + y * 65535 groups) when larger.

layout(local_size_x = 256) in;

layout(push_constant) uniform Push {
  uint n;
} p;

layout(set = 0, binding = 0) buffer Gate { float gate[]; };
layout(set = 0, binding = 1) readonly buffer Up { float up[]; };

void main() {
  const uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  const uint i = group * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  if (i >= p.n) return;
  const float g = gate[i];
  gate[i] = g / (1.0 + exp(-g)) * up[i];
}
