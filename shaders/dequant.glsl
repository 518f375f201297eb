// Weight dequantization shared by get_rows, matvec and matmul. Exactly one TYPE_* define picks
// the weight type; the byte maps and element order follow dequantize_row in
// localnode/src/tensor_type.cpp.
//
// Binding 0 is the weight tensor, bound at its first byte, which must be 16-aligned (any
// minStorageBufferOffsetAlignment offset is). Weights are read as 16-bit words (every block
// size is even, so a block start is 2-aligned); 32-bit words are read directly only for types
// whose block size is a multiple of 4, and F32 / F16 / BF16 blocks as one 16- / 8-byte word.
// No 8-bit or 16-bit arithmetic is used: the only device feature needed is
// storageBuffer16BitAccess.
//
// Provides:
//   QK, BLOCK_BYTES          elements and bytes per block
//   dequant4(block_byte, quad)  elements 4 * quad .. 4 * quad + 3 of a block
//   UNITS, NQ, dequant_unit(block_byte, u, v), unit_elem(u, i)
//                            a block split into UNITS units of NQ vec4s; v[i] holds elements
//                            unit_elem(u, i) .. + 3. A unit loads its scales once for 4 * NQ
//                            elements, and consecutive units read consecutive bytes.
//   weight_bytes()           bytes in the bound weight range

#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_control_flow_attributes : require

layout(set = 0, binding = 0, std430) readonly buffer WeightsU16 { uint16_t w16[]; };
layout(set = 0, binding = 0, std430) readonly buffer WeightsU32 { uint w32[]; };

uint weight_bytes() { return uint(w16.length()) * 2u; }

// The 16-bit word at an even byte offset.
uint ld16(uint byte_off) { return uint(w16[byte_off >> 1]); }

// The little-endian 32-bit word at an even byte offset (two 16-bit reads).
uint ld32u(uint byte_off) { return ld16(byte_off) | (ld16(byte_off + 2u) << 16); }

// The 32-bit word at a byte offset that is a multiple of 4.
uint ld32a(uint byte_off) { return w32[byte_off >> 2]; }

// unpackHalf2x16 may flush half subnormals to zero; decode those by hand so tiny scales match
// the CPU's fp16_to_fp32.
float f16_to_f32(uint h) {
  float f = unpackHalf2x16(h).x;
  if ((h & 0x7C00u) == 0u) {
    const float s = float(h & 0x3FFu) * (1.0 / 16777216.0);
    f = (h & 0x8000u) != 0u ? -s : s;
  }
  return f;
}

vec2 f16x2_to_f32(uint w) { return vec2(f16_to_f32(w & 0xFFFFu), f16_to_f32(w >> 16)); }

// The four bytes of w, each shifted right by `shift` and masked.
uvec4 bytes_bits(uint w, uint shift, uint mask) {
  return (uvec4(w) >> (uvec4(0u, 8u, 16u, 24u) + shift)) & mask;
}

// The four bytes of w as signed values.
vec4 bytes_i8(uint w) {
  const int s = int(w);
  return vec4(bitfieldExtract(s, 0, 8), bitfieldExtract(s, 8, 8), bitfieldExtract(s, 16, 8),
              bitfieldExtract(s, 24, 8));
}

// Byte k (0..7) of the 8 bytes held in (lo, hi).
uint byte_of(uint lo, uint hi, uint k) { return ((k < 4u ? lo : hi) >> (8u * (k & 3u))) & 0xFFu; }

#if defined(TYPE_F32) || defined(TYPE_F16) || defined(TYPE_BF16)
// A "block" of 4 elements, so any n_in that is a multiple of 4 works.
const uint QK = 4u;
const uint UNITS = 1u;
const uint NQ = 1u;
uint unit_elem(uint u, uint i) { return 0u; }

#if defined(TYPE_F32)
const uint BLOCK_BYTES = 16u;
layout(set = 0, binding = 0, std430) readonly buffer WeightsU128 { uvec4 w128[]; };
vec4 dequant4(uint bb, uint quad) { return uintBitsToFloat(w128[bb >> 4]); }
#else
const uint BLOCK_BYTES = 8u;
layout(set = 0, binding = 0, std430) readonly buffer WeightsU64 { uvec2 w64[]; };
#if defined(TYPE_F16)
vec4 dequant4(uint bb, uint quad) {
  const uvec2 w = w64[bb >> 3];
  return vec4(f16x2_to_f32(w.x), f16x2_to_f32(w.y));
}
#else
vec4 dequant4(uint bb, uint quad) {
  const uvec2 w = w64[bb >> 3];
  return uintBitsToFloat(uvec4(w.x << 16, w.x & 0xFFFF0000u, w.y << 16, w.y & 0xFFFF0000u));
}
#endif
#endif

void dequant_unit(uint bb, uint u, out vec4 v[NQ]) { v[0] = dequant4(bb, 0u); }

#elif defined(TYPE_Q4_0) || defined(TYPE_Q4_1) || defined(TYPE_Q5_0) || defined(TYPE_Q5_1)
// Byte j of qs holds element j in its low nibble and element j + 16 in its high nibble; in
// Q5 bit j of qh is the fifth bit of element j.
const uint QK = 32u;
#if defined(TYPE_Q4_0)
const uint BLOCK_BYTES = 18u;
#elif defined(TYPE_Q4_1)
const uint BLOCK_BYTES = 20u;
#elif defined(TYPE_Q5_0)
const uint BLOCK_BYTES = 22u;
#else
const uint BLOCK_BYTES = 24u;
#endif

// (d, m). Q4_0 and Q5_0 have no m: they subtract 8 / 16 from q instead.
vec2 q32_scale_offset(uint bb) {
#if defined(TYPE_Q4_0) || defined(TYPE_Q5_0)
  return vec2(f16_to_f32(ld16(bb)), 0.0);
#else
  return f16x2_to_f32(ld32a(bb));
#endif
}

// qs bytes j0 .. j0 + 3 (j0 a multiple of 4).
uint q32_qs(uint bb, uint j0) {
#if defined(TYPE_Q4_0)
  return ld32u(bb + 2u + j0);
#elif defined(TYPE_Q4_1)
  return ld32a(bb + 4u + j0);
#elif defined(TYPE_Q5_0)
  return ld32u(bb + 6u + j0);
#else
  return ld32a(bb + 8u + j0);
#endif
}

#if defined(TYPE_Q5_0)
uint q32_qh(uint bb) { return ld32u(bb + 2u); }
#elif defined(TYPE_Q5_1)
uint q32_qh(uint bb) { return ld32a(bb + 4u); }
#endif

// Elements e0 .. e0 + 3 from 4 qs bytes: nibble hb (0 low, 1 high).
vec4 q32_values(uint qs, uint qh, uint hb, uint e0, vec2 dm) {
  uvec4 q = bytes_bits(qs, 4u * hb, 0x0Fu);
#if defined(TYPE_Q5_0) || defined(TYPE_Q5_1)
  q |= ((uvec4(qh) >> (uvec4(0u, 1u, 2u, 3u) + e0)) & 1u) << 4;
#endif
#if defined(TYPE_Q4_0)
  // d * (q - 8), rounded once as on the CPU.
  return dm.x * (vec4(q) - 8.0);
#elif defined(TYPE_Q5_0)
  return dm.x * (vec4(q) - 16.0);
#else
  return dm.x * vec4(q) + dm.y;
#endif
}

vec4 dequant4(uint bb, uint quad) {
  const uint j0 = 4u * (quad & 3u);
  uint qh = 0u;
#if defined(TYPE_Q5_0) || defined(TYPE_Q5_1)
  qh = q32_qh(bb);
#endif
  return q32_values(q32_qs(bb, j0), qh, quad >> 2, 4u * quad, q32_scale_offset(bb));
}

// Unit u: qs bytes 4u .. 4u + 3, i.e. elements 4u .. 4u + 3 and 4u + 16 .. 4u + 19.
const uint UNITS = 4u;
const uint NQ = 2u;
uint unit_elem(uint u, uint i) { return 4u * u + 16u * i; }

void dequant_unit(uint bb, uint u, out vec4 v[NQ]) {
  const vec2 dm = q32_scale_offset(bb);
  const uint qs = q32_qs(bb, 4u * u);
  uint qh = 0u;
#if defined(TYPE_Q5_0) || defined(TYPE_Q5_1)
  qh = q32_qh(bb);
#endif
  v[0] = q32_values(qs, qh, 0u, 4u * u, dm);
  v[1] = q32_values(qs, qh, 1u, 4u * u + 16u, dm);
}

#elif defined(TYPE_Q8_0)
const uint QK = 32u;
const uint BLOCK_BYTES = 34u;

vec4 dequant4(uint bb, uint quad) {
  return f16_to_f32(ld16(bb)) * bytes_i8(ld32u(bb + 2u + 4u * quad));
}

// Unit u: elements 8u .. 8u + 7.
const uint UNITS = 4u;
const uint NQ = 2u;
uint unit_elem(uint u, uint i) { return 8u * u + 4u * i; }

void dequant_unit(uint bb, uint u, out vec4 v[NQ]) {
  const float d = f16_to_f32(ld16(bb));
  v[0] = d * bytes_i8(ld32u(bb + 2u + 8u * u));
  v[1] = d * bytes_i8(ld32u(bb + 6u + 8u * u));
}

#elif defined(TYPE_Q2_K) || defined(TYPE_Q3_K) || defined(TYPE_Q6_K)
// Element i = 128 * hb + 32 * g + l (hb = 0..1, g = 0..3, l = 0..31) keeps its bits in byte l
// of a 32-byte (Q6_K: 64-byte) stretch chosen by hb, at a shift chosen by g; its scale is
// number i / 16. A quad is (hb, g, l0 .. l0 + 3); a unit is (hb, l0 .. l0 + 3) over all g.
const uint QK = 256u;
#if defined(TYPE_Q2_K)
const uint BLOCK_BYTES = 84u;
#elif defined(TYPE_Q3_K)
const uint BLOCK_BYTES = 110u;
#else
const uint BLOCK_BYTES = 210u;
#endif

// The 4 quantized values of group g at (hb, l0), as signed integers before scaling.
// Q2_K: 0..3 (the minimum is applied by the caller), Q3_K: -4..3, Q6_K: -32..31.
#if defined(TYPE_Q2_K)
vec4 kq_values(uint bb, uint hb, uint l0, uint g) {
  return vec4(bytes_bits(ld32a(bb + 16u + 32u * hb + l0), 2u * g, 3u));
}
#elif defined(TYPE_Q3_K)
vec4 kq_values(uint bb, uint hb, uint l0, uint g) {
  const uvec4 low = bytes_bits(ld32u(bb + 32u + 32u * hb + l0), 2u * g, 3u);
  // A clear hmask bit subtracts 4.
  const uvec4 high = bytes_bits(ld32u(bb + l0), 4u * hb + g, 1u);
  return vec4(low) - 4.0 * (1.0 - vec4(high));
}
#else
vec4 kq_values(uint bb, uint hb, uint l0, uint g) {
  const uint ql = ld32u(bb + 64u * hb + 32u * (g & 1u) + l0);
  const uvec4 low = bytes_bits(ql, 4u * (g >> 1), 0x0Fu);
  const uvec4 high = bytes_bits(ld32u(bb + 128u + 32u * hb + l0), 2u * g, 3u);
  return vec4(low | (high << 4)) - 32.0;
}
#endif

#if defined(TYPE_Q3_K)
// Scale j (0..15): the low 4 bits are nibble j / 8 of byte j % 8, the top 2 bits are bits
// 2 * (j / 4) of byte 8 + j % 4; stored offset by 32. s01 = bytes 0..7, s2 = bytes 8..11.
float q3k_scale(uint s01_lo, uint s01_hi, uint s2, uint j) {
  const uint low = (byte_of(s01_lo, s01_hi, j & 7u) >> (4u * (j >> 3))) & 0x0Fu;
  const uint high = (s2 >> (8u * (j & 3u) + 2u * (j >> 2))) & 3u;
  return float(int(low | (high << 4)) - 32);
}
#endif

vec4 dequant4(uint bb, uint quad) {
  const uint hb = quad >> 5, g = (quad >> 3) & 3u, l0 = 4u * (quad & 7u), j = quad >> 2;
  const vec4 q = kq_values(bb, hb, l0, g);
#if defined(TYPE_Q2_K)
  const vec2 dm = f16x2_to_f32(ld32a(bb + 80u));
  const uint sc = (ld16(bb + (j & ~1u)) >> (8u * (j & 1u))) & 0xFFu;
  return (dm.x * float(sc & 0x0Fu)) * q - dm.y * float(sc >> 4);
#elif defined(TYPE_Q3_K)
  const float d = f16_to_f32(ld16(bb + 108u));
  const float sc = q3k_scale(ld32u(bb + 96u), ld32u(bb + 100u), ld32u(bb + 104u), j);
  return (d * sc) * q;
#else
  const float d = f16_to_f32(ld16(bb + 208u));
  const int sc = bitfieldExtract(int(ld16(bb + 192u + (j & ~1u))), int(8u * (j & 1u)), 8);
  return (d * float(sc)) * q;
#endif
}

const uint UNITS = 16u;
const uint NQ = 4u;
uint unit_elem(uint u, uint i) { return 128u * (u >> 3) + 32u * i + 4u * (u & 7u); }

void dequant_unit(uint bb, uint u, out vec4 v[NQ]) {
  const uint hb = u >> 3, l0 = 4u * (u & 7u);
  // Group g's scale is number 8 * hb + 2 * g + l0 / 16.
  const uint sj = l0 >> 4;
#if defined(TYPE_Q2_K)
  const vec2 dm = f16x2_to_f32(ld32a(bb + 80u));
  const uint s_lo = ld32a(bb + 8u * hb), s_hi = ld32a(bb + 8u * hb + 4u);
  const uint qs = ld32a(bb + 16u + 32u * hb + l0);
  [[unroll]] for (uint g = 0u; g < 4u; ++g) {
    const uint sc = byte_of(s_lo, s_hi, sj + 2u * g);
    v[g] = (dm.x * float(sc & 0x0Fu)) * vec4(bytes_bits(qs, 2u * g, 3u)) - dm.y * float(sc >> 4);
  }
#elif defined(TYPE_Q3_K)
  const float d = f16_to_f32(ld16(bb + 108u));
  const uint s01_lo = ld32u(bb + 96u), s01_hi = ld32u(bb + 100u), s2 = ld32u(bb + 104u);
  const uint qs = ld32u(bb + 32u + 32u * hb + l0);
  const uint hm = ld32u(bb + l0);
  [[unroll]] for (uint g = 0u; g < 4u; ++g) {
    const vec4 q = vec4(bytes_bits(qs, 2u * g, 3u)) -
                   4.0 * (1.0 - vec4(bytes_bits(hm, 4u * hb + g, 1u)));
    v[g] = (d * q3k_scale(s01_lo, s01_hi, s2, 8u * hb + 2u * g + sj)) * q;
  }
#else
  const float d = f16_to_f32(ld16(bb + 208u));
  const uint s_lo = ld32u(bb + 192u + 8u * hb), s_hi = ld32u(bb + 196u + 8u * hb);
  const uint ql0 = ld32u(bb + 64u * hb + l0), ql1 = ld32u(bb + 64u * hb + 32u + l0);
  const uint qh = ld32u(bb + 128u + 32u * hb + l0);
  [[unroll]] for (uint g = 0u; g < 4u; ++g) {
    const uvec4 low = bytes_bits((g & 1u) == 0u ? ql0 : ql1, 4u * (g >> 1), 0x0Fu);
    const vec4 q = vec4(low | (bytes_bits(qh, 2u * g, 3u) << 4)) - 32.0;
    const int sc = bitfieldExtract(int(byte_of(s_lo, s_hi, sj + 2u * g)), 0, 8);
    v[g] = (d * float(sc)) * q;
  }
#endif
}

#elif defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
// Eight sub-blocks of 32 with a 6-bit scale and minimum each; sub-blocks 2k and 2k + 1 share
// qs[32k .. 32k + 31] (low nibbles, then high nibbles); Q5_K's fifth bit of element
// 32 * sub + l is bit `sub` of qh[l]. Both block sizes are multiples of 4, so every field is
// read as aligned 32-bit words.
const uint QK = 256u;
#if defined(TYPE_Q4_K)
const uint BLOCK_BYTES = 144u;
const uint QS_AT = 16u;
#else
const uint BLOCK_BYTES = 176u;
const uint QS_AT = 48u;
#endif

// Scale and minimum of sub-block j from the 12 scale bytes (words s0, s1, s2): for j < 4,
// s[j] & 63 and s[j + 4] & 63; for j >= 4 the low 4 bits are the nibbles of s[j + 4] and the
// top 2 bits the top bits of s[j - 4] / s[j].
vec2 k4_scale_min(uint s0, uint s1, uint s2, uint j) {
  if (j < 4u) {
    return vec2(float((s0 >> (8u * j)) & 63u), float((s1 >> (8u * j)) & 63u));
  }
  const uint sh = 8u * (j - 4u);
  const uint sc = ((s2 >> sh) & 0x0Fu) | (((s0 >> (sh + 6u)) & 3u) << 4);
  const uint mn = ((s2 >> (sh + 4u)) & 0x0Fu) | (((s1 >> (sh + 6u)) & 3u) << 4);
  return vec2(float(sc), float(mn));
}

// d * scale and dmin * min of sub-block j.
vec2 k4_dl_ml(uint bb, uint j) {
  const vec2 dm = f16x2_to_f32(ld32a(bb));
  const vec2 sm = k4_scale_min(ld32a(bb + 4u), ld32a(bb + 8u), ld32a(bb + 12u), j);
  return dm * sm;
}

vec4 dequant4(uint bb, uint quad) {
  const uint sub = quad >> 3, l0 = 4u * (quad & 7u);
  uvec4 q = bytes_bits(ld32a(bb + QS_AT + 32u * (sub >> 1) + l0), 4u * (sub & 1u), 0x0Fu);
#if defined(TYPE_Q5_K)
  q |= bytes_bits(ld32a(bb + 16u + l0), sub, 1u) << 4;
#endif
  const vec2 dl_ml = k4_dl_ml(bb, sub);
  return dl_ml.x * vec4(q) - dl_ml.y;
}

// Unit u: qs bytes 32k + l0 .. + 7 (k = u / 4, l0 = 8 * (u % 4)); their low nibbles are
// elements 64k + l0 .. + 7 of sub-block 2k, their high nibbles the same places in 2k + 1.
const uint UNITS = 16u;
const uint NQ = 4u;
uint unit_elem(uint u, uint i) {
  return 64u * (u >> 2) + 8u * (u & 3u) + 4u * (i & 1u) + 32u * (i >> 1);
}

void dequant_unit(uint bb, uint u, out vec4 v[NQ]) {
  const uint k = u >> 2, l0 = 8u * (u & 3u);
  const vec2 dm = f16x2_to_f32(ld32a(bb));
  const uint s0 = ld32a(bb + 4u), s1 = ld32a(bb + 8u), s2 = ld32a(bb + 12u);
  const vec2 lo = dm * k4_scale_min(s0, s1, s2, 2u * k);
  const vec2 hi = dm * k4_scale_min(s0, s1, s2, 2u * k + 1u);
  const uint qs0 = ld32a(bb + QS_AT + 32u * k + l0), qs1 = ld32a(bb + QS_AT + 32u * k + l0 + 4u);
  uvec4 q0 = bytes_bits(qs0, 0u, 0x0Fu), q1 = bytes_bits(qs1, 0u, 0x0Fu);
  uvec4 q2 = bytes_bits(qs0, 4u, 0x0Fu), q3 = bytes_bits(qs1, 4u, 0x0Fu);
#if defined(TYPE_Q5_K)
  const uint qh0 = ld32a(bb + 16u + l0), qh1 = ld32a(bb + 20u + l0);
  q0 |= bytes_bits(qh0, 2u * k, 1u) << 4;
  q1 |= bytes_bits(qh1, 2u * k, 1u) << 4;
  q2 |= bytes_bits(qh0, 2u * k + 1u, 1u) << 4;
  q3 |= bytes_bits(qh1, 2u * k + 1u, 1u) << 4;
#endif
  v[0] = lo.x * vec4(q0) - lo.y;
  v[1] = lo.x * vec4(q1) - lo.y;
  v[2] = hi.x * vec4(q2) - hi.y;
  v[3] = hi.x * vec4(q3) - hi.y;
}

#else
#error "define one TYPE_*: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K"
#endif
