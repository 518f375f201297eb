// The KV cache's element type, KV_T: f16 with KV_F16 defined, else f32 (KV_VEC4: four of
// them); to_kv(x) converts an f32 value to it.
//
// An f32 -> f16 conversion rounds as the implementation pleases (SPIR-V leaves its rounding
// mode open, and NVIDIA's drivers do not round to nearest). The CPU backend and llama.cpp
// round to nearest even, so to_kv rounds so first, in f32: the f16 value it picks converts
// exactly under any rounding mode.

#ifdef KV_F16
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define KV_T float16_t
#define KV_VEC4 f16vec4
#else
#define KV_T float
#define KV_VEC4 vec4
#endif

// The f16 value nearest x (ties to even), as an f32: infinity past f16's largest finite.
float round_to_f16(float x) {
  const int e = int(bitfieldExtract(floatBitsToUint(x), 23, 8)) - 127;  // x's binary exponent
  if (e == 128) return x;                // infinity or NaN
  const int spacing = max(e, -14) - 10;  // log2 of the f16 spacing at x (fixed below 2^-14)
  const float r = ldexp(roundEven(ldexp(x, -spacing)), spacing);  // ldexp is exact
  return abs(r) > 65504.0 ? sign(r) * (1.0 / 0.0) : r;
}

KV_T to_kv(float x) {
#ifdef KV_F16
  return KV_T(round_to_f16(x));
#else
  return x;
#endif
}
