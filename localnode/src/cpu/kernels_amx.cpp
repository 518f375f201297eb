// AMX kernels (Intel's tile matrix unit, Sapphire Rapids on): the Q8_0 mat-vec of up to 16
// tokens per pass. One TDPBSSD multiplies 16 weight rows by 16 tokens over a block of 32
// elements, exactly, in int32. A decode step's tokens then share one pass over the weights at
// a fraction of the vector instructions per product that VNNI needs (six per 64 products and
// token there; here about six per row and block for all 16 tokens).
//
// Every (row, token) result is, block by block in order, acc = fma(float(Σ w·x over the block),
// d_w · d_x, acc) from acc = 0: one token's result is the same bit for bit whichever tokens
// share its pass, and whichever rows share its tile. The level's one-token mat-vec computes the
// same sums with VNNI (below), so decoding alone and batched agree exactly.

#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "cpu/kernels.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c,amx-tile,amx-int8")

#include "cpu/x86_common.hpp"

namespace hearth::localnode::cpu {
namespace {

using namespace x86;

constexpr int kTileRows = 16;    // weight rows per tile (A and C)
constexpr int kTileTokens = 16;  // tokens per tile (B and C)
constexpr size_t kBlock = 32;    // elements per Q8_0 block: the k of one TDPBSSD
constexpr size_t kQ8_0Bytes = 34;
// One block of the tokens' activations in TDPBSSD's B layout: 8 rows (4 elements each) of 16
// tokens' 4 bytes.
constexpr size_t kBTileBytes = kBlock * kTileTokens;

// LDTILECFG's 64-byte operand.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// Tiles 0 and 1 accumulate (C), 2 and 3 hold weights (A), 4 and 5 activations (B): two blocks
// in flight, so that one block's multiply overlaps the other's scaling.
TileConfig tile_config(int weight_rows, int tokens) {
  TileConfig c;
  for (int t : {0, 1}) {
    c.rows[t] = static_cast<uint8_t>(weight_rows);
    c.colsb[t] = static_cast<uint16_t>(tokens * 4);
  }
  for (int t : {2, 3}) {
    c.rows[t] = static_cast<uint8_t>(weight_rows);
    c.colsb[t] = kBlock;
  }
  for (int t : {4, 5}) {
    c.rows[t] = kBlock / 4;
    c.colsb[t] = static_cast<uint16_t>(tokens * 4);
  }
  return c;
}

// The tiles walk 16 rows side by side, a block at a time, which the hardware prefetchers do not
// follow as they follow one row read front to back. So each group of 16 rows fetches the next
// group's (one contiguous span), a share of it per pair of blocks, into L2: two groups of
// 1536-element rows (26 KiB each) would not fit L1 together. One stream's decode was ~6 %
// faster than with L1 as the target (five pairs), and 8 streams no slower.
static inline void prefetch_share(const uint8_t* next, size_t bytes, size_t step, size_t steps) {
  const size_t lines = (bytes + 63) / 64, per_step = (lines + steps - 1) / steps;
  const size_t l1 = std::min(lines, (step + 1) * per_step);
  for (size_t l = step * per_step; l < l1; ++l)
    _mm_prefetch(reinterpret_cast<const char*>(next + 64 * l), _MM_HINT_T1);
}

// The products of blocks b and b + 1 of 16 (or a tile's configured count of) rows at w with
// the tokens' B tiles: tiles 0 and 1, stored to c0 and c1 (row stride c_stride bytes).
static inline void multiply_pair(const uint8_t* w, size_t stride, const uint8_t* bt, size_t b,
                                 int32_t* c0, int32_t* c1, int c_stride) {
  const uint8_t* wb = w + b * kQ8_0Bytes;
  _tile_zero(0);
  _tile_zero(1);
  _tile_loadd(2, wb + 2, static_cast<long>(stride));
  _tile_loadd(4, bt + b * kBTileBytes, kTileTokens * 4);
  _tile_dpbssd(0, 2, 4);
  _tile_loadd(3, wb + kQ8_0Bytes + 2, static_cast<long>(stride));
  _tile_loadd(5, bt + (b + 1) * kBTileBytes, kTileTokens * 4);
  _tile_dpbssd(1, 3, 5);
  _tile_stored(0, c0, c_stride);
  _tile_stored(1, c1, c_stride);
}

// The same for block b alone (a row's odd last block).
static inline void multiply_one(const uint8_t* w, size_t stride, const uint8_t* bt, size_t b,
                                int32_t* c, int c_stride) {
  _tile_zero(0);
  _tile_loadd(2, w + b * kQ8_0Bytes + 2, static_cast<long>(stride));
  _tile_loadd(4, bt + b * kBTileBytes, kTileTokens * 4);
  _tile_dpbssd(0, 2, 4);
  _tile_stored(0, c, c_stride);
}

// acc[m] (lanes: tokens) += float(c's row m) · (d_w of row m · d_x), for the rows m < mr of a
// block whose products are in c (row m, 16 int32) and whose weight scales are at w + m * stride.
template <int MR>
static inline void scale_block(const int32_t* c, const uint8_t* w, size_t stride, __m512 dx,
                               __m512* acc) {
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m) {
    const __m512 dw =
        _mm512_cvtph_ps(_mm256_set1_epi16(static_cast<short>(load_u16(w + m * stride))));
    const __m512 p = _mm512_cvtepi32_ps(_mm512_loadu_si512(c + m * kTileTokens));
    acc[m] = _mm512_fmadd_ps(p, _mm512_mul_ps(dw, dx), acc[m]);
  }
}

// Rows [0, MR) of w times the tokens whose B tiles (nb of them) and scales are in bt and dx.
template <int MR>
static void row_tile(const uint8_t* w, size_t stride, size_t nb, const uint8_t* bt, const float* dx,
                     size_t nt, float* y, size_t ldy, size_t next_bytes) {
  alignas(64) int32_t c[2][kTileRows * kTileTokens];
  __m512 acc[MR];
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m) acc[m] = _mm512_setzero_ps();
  // The lanes of tokens past nt hold whatever an earlier input left there (the bytes of another
  // layout, read as floats: denormals and NaNs). Their scales read as zero, so their lanes stay
  // zero and cost no slow-path arithmetic.
  const auto live = static_cast<__mmask16>((1u << nt) - 1);
  size_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    const uint8_t* wb = w + b * kQ8_0Bytes;
    prefetch_share(w + MR * stride, next_bytes, b / 2, nb / 2);
    multiply_pair(w, stride, bt, b, c[0], c[1], kTileTokens * 4);
    scale_block<MR>(c[0], wb, stride, _mm512_maskz_loadu_ps(live, dx + b * kTileTokens), acc);
    scale_block<MR>(c[1], wb + kQ8_0Bytes, stride,
                    _mm512_maskz_loadu_ps(live, dx + (b + 1) * kTileTokens), acc);
  }
  if (b < nb) {
    const uint8_t* wb = w + b * kQ8_0Bytes;
    multiply_one(w, stride, bt, b, c[0], kTileTokens * 4);
    scale_block<MR>(c[0], wb, stride, _mm512_maskz_loadu_ps(live, dx + b * kTileTokens), acc);
  }
  alignas(64) float out[kTileTokens];
  for (int m = 0; m < MR; ++m) {
    _mm512_store_ps(out, acc[m]);
    for (size_t t = 0; t < nt; ++t) y[t * ldy + static_cast<size_t>(m)] = out[t];
  }
}

// The tail of fewer than 16 rows, by its count (the accumulators must have a constant count to
// stay in registers).
using RowTileFn = void (*)(const uint8_t*, size_t, size_t, const uint8_t*, const float*, size_t,
                           float*, size_t, size_t);
template <size_t... I>
constexpr auto row_tiles(std::index_sequence<I...>) {
  return std::array<RowTileFn, sizeof...(I)>{row_tile<static_cast<int>(I) + 1>...};
}
constexpr auto kRowTileByCount = row_tiles(std::make_index_sequence<kTileRows>{});

// A group of 16 tokens' activations: for each block, its B tile (element 4 * kk + j of token
// t at row kk, byte 4 * t + j), then each block's 16 token scales (f32).
constexpr size_t kGroupBytesPerBlock = kBTileBytes + kTileTokens * 4;
static_assert(kGroupBytesPerBlock == 576, "arranged_bytes (kernels.hpp) counts on this layout");

// Token t's quantized row (Q8x32) into its group's layout (ArrangeQ8Fn).
void arrange_row(const uint8_t* xq, size_t n, size_t t, uint8_t* arranged) {
  const size_t nb = n / kBlock, lane = t % kTileTokens;
  uint8_t* bt = arranged + t / kTileTokens * nb * kGroupBytesPerBlock;
  auto* dx = reinterpret_cast<float*>(bt + nb * kBTileBytes);
  const Q8x32Row x = q8x32_row(xq, n);
  const auto* q = reinterpret_cast<const uint8_t*>(x.q);
  for (size_t b = 0; b < nb; ++b) {
    for (size_t kk = 0; kk < kBlock / 4; ++kk) {
      std::memcpy(bt + b * kBTileBytes + kk * kTileTokens * 4 + lane * 4, q + b * kBlock + kk * 4,
                  4);
    }
    dx[b * kTileTokens + lane] = x.d[b];
  }
}

// Rows [0, mr) of w times the nt (9 to 16) tokens of one group (bt, dx).
void row_tile16(const uint8_t* w, size_t stride, size_t mr, size_t nb, const uint8_t* bt,
                const float* dx, size_t nt, float* y, size_t ldy, size_t next_bytes) {
  kRowTileByCount[mr - 1](w, stride, nb, bt, dx, nt, y, ldy, next_bytes);
}

// One token without tiles: the same exact block sums from vpdpbusd, 16 rows in the lanes.
// (A tile version, with the token as a one-column B, ran at ~75 % of the VNNI mat-vec's speed;
// this one at 90-100 % of it, given whole groups of 16 rows: bench/README.md.) Row m's two
// blocks give 16 int32 partial sums, 8 a block; a tree of shuffles and adds turns the 16
// rows' partials into each block's 16 row sums. Integer sums are exact in any order, so these
// are the tile's sums, and the scaling that follows is the multi-token kernel's, lane for lane.
static inline __m512i add_unpacked32(__m512i a, __m512i b) {
  return _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
}
static inline __m512i add_unpacked64(__m512i a, __m512i b) {
  return _mm512_add_epi32(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
}
static inline __m512i add_lanes_0213(__m512i a, __m512i b) {
  return _mm512_add_epi32(_mm512_shuffle_i32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_i32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}

// The f16 scales of one block in 16 rows (row m's at w + off[m]), as f32.
static inline __m512 row_scales16(const uint8_t* w, const size_t* off) {
  alignas(32) uint16_t h[kTileRows];
#pragma GCC unroll 16
  for (int m = 0; m < kTileRows; ++m) h[m] = load_u16(w + off[m]);
  return _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(h)));
}

// Row m's partial sums of blocks b (lanes 0-7) and b + 1 (lanes 8-15; zero when ODD), for
// the row starting at `row` and the token's quants of the two blocks in xv.
template <bool ODD>
static inline __m512i pair_partials(const uint8_t* row, size_t b, __m512i xv) {
  const uint8_t* wb = row + b * kQ8_0Bytes;
  const __m256i hi = ODD ? _mm256_setzero_si256() : loadu256(wb + kQ8_0Bytes + 2);
  const __m512i wv = _mm512_inserti64x4(_mm512_castsi256_si512(loadu256(wb + 2)), hi, 1);
  const __m512i sx = _mm512_mask_sub_epi8(xv, _mm512_movepi8_mask(wv), _mm512_setzero_si512(), xv);
  return _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_abs_epi8(wv), sx);
}

// Each block's sums in 16 rows, lane m for row m: blocks b (s0) and b + 1 (s1). Four rows at a
// time are folded as soon as they are read, so that few registers are live.
template <bool ODD>
static inline void block_sums16(const uint8_t* const* row, size_t b, __m512i xv, __m512i& s0,
                                __m512i& s1) {
  __m512i q[4];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const __m512i p0 = add_unpacked32(pair_partials<ODD>(row[4 * i], b, xv),
                                      pair_partials<ODD>(row[4 * i + 1], b, xv));
    const __m512i p1 = add_unpacked32(pair_partials<ODD>(row[4 * i + 2], b, xv),
                                      pair_partials<ODD>(row[4 * i + 3], b, xv));
    q[i] = add_unpacked64(p0, p1);
  }
  // 128-bit lanes of q[i]: rows 4i..4i+3, the halves of block b's partials in lanes 0 and 1,
  // of b + 1's in 2 and 3; t0's lanes: rows 0-3 of b, 0-3 of b + 1, 4-7 of b, 4-7 of b + 1.
  const __m512i t0 = add_lanes_0213(q[0], q[1]), t1 = add_lanes_0213(q[2], q[3]);
  s0 = _mm512_shuffle_i32x4(t0, t1, _MM_SHUFFLE(2, 0, 2, 0));
  s1 = _mm512_shuffle_i32x4(t0, t1, _MM_SHUFFLE(3, 1, 3, 1));
}

// Rows [0, mr) of w times one token (quants q, block scales d), reading ahead the 16 rows
// after them.
static void rows16_one(const uint8_t* w, size_t stride, size_t mr, size_t nb, const int8_t* q,
                       const float* d, float* y, size_t next_bytes) {
  // Lanes past mr read the last row again; they are never stored.
  const uint8_t* row[kTileRows];
  size_t off[kTileRows];
  for (size_t m = 0; m < kTileRows; ++m) {
    off[m] = std::min(m, mr - 1) * stride;
    row[m] = w + off[m];
  }
  __m512 acc = _mm512_setzero_ps();
  const auto scale = [&](__m512i sums, size_t blk) {
    const __m512 dw = row_scales16(w + blk * kQ8_0Bytes, off);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums), _mm512_mul_ps(dw, _mm512_set1_ps(d[blk])), acc);
  };
  __m512i s0, s1;
  size_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    prefetch_share(w + mr * stride, next_bytes, b / 2, (nb + 1) / 2);
    block_sums16<false>(row, b, _mm512_loadu_si512(q + b * kBlock), s0, s1);
    scale(s0, b);
    scale(s1, b + 1);
  }
  if (b < nb) {
    block_sums16<true>(row, b, _mm512_castsi256_si512(loadu256(q + b * kBlock)), s0, s1);
    scale(s0, b);
  }
  _mm512_mask_storeu_ps(y, static_cast<__mmask16>((1u << mr) - 1), acc);
}

// Two to four tokens: the tiles as above, but C holds P (2 or 4) tokens' columns, which a few
// permutes turn into one vector per token with the 16 rows in its lanes, as rows16_one's
// lanes. The scaling then costs a vector per token and block rather than one per row: with the
// 16-token layout, 2 and 4 tokens ran slower than VNNI's mat-vec (bench/README.md). Each lane
// computes fma(float(sum), d_w · d_x, acc) as the other paths do.
template <int P>
static inline void token_columns(const int32_t* c, __m512i* col) {
  // c: 16 rows of P int32; row m, token t at m * P + t.
  if constexpr (P == 2) {
    const __m512i z0 = _mm512_load_si512(c), z1 = _mm512_load_si512(c + 16);
    for (int t = 0; t < 2; ++t) {
      const __m512i idx = _mm512_add_epi32(
          _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30),
          _mm512_set1_epi32(t));
      col[t] = _mm512_permutex2var_epi32(z0, idx, z1);
    }
  } else {
    const __m512i z0 = _mm512_load_si512(c), z1 = _mm512_load_si512(c + 16);
    const __m512i z2 = _mm512_load_si512(c + 32), z3 = _mm512_load_si512(c + 48);
    for (int t = 0; t < 4; ++t) {
      // Lanes 0-7 from rows 0-7 (z0, z1), lanes 8-15 from rows 8-15 (z2, z3).
      const __m512i idx = _mm512_add_epi32(
          _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28),
          _mm512_set1_epi32(t));
      col[t] = _mm512_mask_blend_epi32(0xFF00, _mm512_permutex2var_epi32(z0, idx, z1),
                                       _mm512_permutex2var_epi32(z2, idx, z3));
    }
  }
}

template <int P>
static inline void scale_columns(const int32_t* c, const uint8_t* wb, const size_t* off,
                                 const float* dx, size_t nt, __m512* acc) {
  const __m512 dw = row_scales16(wb, off);
  __m512i col[P];
  token_columns<P>(c, col);
  for (size_t t = 0; t < nt; ++t) {
    acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(col[t]), _mm512_mul_ps(dw, _mm512_set1_ps(dx[t])),
                             acc[t]);
  }
}

// Rows [0, mr) of w times nt <= P tokens (B tiles and scales in bt and dx).
template <int P>
static void row_tile_few(const uint8_t* w, size_t stride, size_t mr, size_t nb, const uint8_t* bt,
                         const float* dx, size_t nt, float* y, size_t ldy, size_t next_bytes) {
  size_t off[kTileRows];
  for (size_t m = 0; m < kTileRows; ++m) off[m] = std::min(m, mr - 1) * stride;
  alignas(64) int32_t c[2][kTileRows * P];
  __m512 acc[P];
  for (int t = 0; t < P; ++t) acc[t] = _mm512_setzero_ps();
  size_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    const uint8_t* wb = w + b * kQ8_0Bytes;
    prefetch_share(w + mr * stride, next_bytes, b / 2, nb / 2);
    multiply_pair(w, stride, bt, b, c[0], c[1], P * 4);
    scale_columns<P>(c[0], wb, off, dx + b * kTileTokens, nt, acc);
    scale_columns<P>(c[1], wb + kQ8_0Bytes, off, dx + (b + 1) * kTileTokens, nt, acc);
  }
  if (b < nb) {
    const uint8_t* wb = w + b * kQ8_0Bytes;
    multiply_one(w, stride, bt, b, c[0], P * 4);
    scale_columns<P>(c[0], wb, off, dx + b * kTileTokens, nt, acc);
  }
  for (size_t t = 0; t < nt; ++t) {
    _mm512_mask_storeu_ps(y + t * ldy, static_cast<__mmask16>((1u << mr) - 1), acc[t]);
  }
}

// Five to eight tokens: C holds 8 columns, so one register holds two rows' 8 tokens and the
// scaling takes 8 vectors per block instead of the 16-token layout's 16. Lane (row m, token t)
// computes what the other paths compute for it.
static void row_tile8(const uint8_t* w, size_t stride, size_t mr, size_t nb, const uint8_t* bt,
                      const float* dx, size_t nt, float* y, size_t ldy, size_t next_bytes) {
  constexpr int kPairs = kTileRows / 2;
  size_t off[kTileRows];
  for (size_t m = 0; m < kTileRows; ++m) off[m] = std::min(m, mr - 1) * stride;
  alignas(64) int32_t c[2][kTileRows * 8];
  __m512 acc[kPairs];
  for (int i = 0; i < kPairs; ++i) acc[i] = _mm512_setzero_ps();
  // Lane l takes token l % 8 (absent tokens' scales read as zero, as in row_tile) and, of the
  // register's two rows, row l / 8.
  const auto live = static_cast<__mmask8>((1u << nt) - 1);
  const auto scale = [&](const int32_t* cb, size_t blk) {
    const __m256 d8 = _mm256_maskz_loadu_ps(live, dx + blk * kTileTokens);
    const __m512 dxx = _mm512_insertf32x8(_mm512_castps256_ps512(d8), d8, 1);
    const __m512 dw = row_scales16(w + blk * kQ8_0Bytes, off);
#pragma GCC unroll 8
    for (int i = 0; i < kPairs; ++i) {
      const __m512i pick = _mm512_setr_epi32(2 * i, 2 * i, 2 * i, 2 * i, 2 * i, 2 * i, 2 * i, 2 * i,
                                             2 * i + 1, 2 * i + 1, 2 * i + 1, 2 * i + 1, 2 * i + 1,
                                             2 * i + 1, 2 * i + 1, 2 * i + 1);
      const __m512 p = _mm512_cvtepi32_ps(_mm512_load_si512(cb + 16 * i));
      acc[i] = _mm512_fmadd_ps(p, _mm512_mul_ps(_mm512_permutexvar_ps(pick, dw), dxx), acc[i]);
    }
  };
  size_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    prefetch_share(w + mr * stride, next_bytes, b / 2, nb / 2);
    multiply_pair(w, stride, bt, b, c[0], c[1], 8 * 4);
    scale(c[0], b);
    scale(c[1], b + 1);
  }
  if (b < nb) {
    multiply_one(w, stride, bt, b, c[0], 8 * 4);
    scale(c[0], b);
  }
  alignas(64) float out[kTileRows * 8];
  for (int i = 0; i < kPairs; ++i) _mm512_store_ps(out + 16 * i, acc[i]);
  for (size_t m = 0; m < mr; ++m) {
    for (size_t t = 0; t < nt; ++t) y[t * ldy + m] = out[m * 8 + t];
  }
}

// Rows [0, n_rows) of w times the tokens of one group (bt, dx), 16 rows at a time by
// ROW_TILE, with C tiles of P columns. The tiles' shape is set for the first group and again
// for a last, shorter one.
using GroupRowTileFn = void (*)(const uint8_t* w, size_t stride, size_t mr, size_t nb,
                                const uint8_t* bt, const float* dx, size_t nt, float* y, size_t ldy,
                                size_t next_bytes);
template <int P, GroupRowTileFn ROW_TILE>
void tiles(const uint8_t* w, size_t stride, size_t n_rows, size_t nb, const uint8_t* bt,
           const float* dx, size_t nt, float* y, size_t ldy) {
  for (size_t r0 = 0; r0 < n_rows; r0 += kTileRows) {
    const size_t mr = std::min<size_t>(kTileRows, n_rows - r0);
    if (r0 == 0 || mr < kTileRows) {
      const TileConfig cfg = tile_config(static_cast<int>(mr), P);
      _tile_loadconfig(&cfg);
    }
    const size_t next = std::min<size_t>(kTileRows, n_rows - r0 - mr);
    ROW_TILE(w + r0 * stride, stride, mr, nb, bt, dx, nt, y + r0, ldy, next * stride);
  }
}

// One token: 16 rows at a time (gemv_q8).
void gemv_q8_q8_0_rows16(const uint8_t* w, size_t stride, size_t n_rows, size_t n,
                         const uint8_t* xq, float* y) {
  const size_t nb = n / kBlock;
  const Q8x32Row x = q8x32_row(xq, n);
  prefetch_share(w, std::min(n_rows, size_t{kTileRows}) * stride, 0, 1);
  // Nothing past the call's rows: another thread takes the next ones.
  for (size_t r0 = 0; r0 < n_rows; r0 += kTileRows) {
    const size_t mr = std::min<size_t>(kTileRows, n_rows - r0);
    const size_t next = std::min<size_t>(kTileRows, n_rows - r0 - mr);
    rows16_one(w + r0 * stride, stride, mr, nb, x.q, x.d, y + r0, next * stride);
  }
}

// Each group of 16 tokens: 9 or more take the 16-token tiles, 5 to 8 the 8-token ones, 2 to
// 4 the few-token ones, a token alone rows16. Groups come arranged (once per input, by
// arrange_row) or are arranged here, in scratch.
void gemv_q8_q8_0_amx_multi(const uint8_t* w, size_t stride, size_t n_rows, size_t n,
                            const uint8_t* xq, size_t x_stride, size_t n_tok, float* y, size_t ldy,
                            uint8_t* scratch, const uint8_t* arranged) {
  const size_t nb = n / kBlock;
  auto* own = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(scratch) + 63) / 64 * 64);
  for (size_t t0 = 0; t0 < n_tok; t0 += kTileTokens) {
    const size_t nt = std::min<size_t>(kTileTokens, n_tok - t0);
    float* yt = y + t0 * ldy;
    if (nt == 1) {
      gemv_q8_q8_0_rows16(w, stride, n_rows, n, xq + t0 * x_stride, yt);
      continue;
    }
    const uint8_t* bt = own;
    if (arranged != nullptr) {
      bt = arranged + t0 / kTileTokens * nb * kGroupBytesPerBlock;
    } else {
      std::fill(own, own + nb * kGroupBytesPerBlock, uint8_t{0});
      for (size_t t = 0; t < nt; ++t) arrange_row(xq + (t0 + t) * x_stride, n, t, own);
    }
    const auto* dx = reinterpret_cast<const float*>(bt + nb * kBTileBytes);
    if (nt > 8) {
      tiles<kTileTokens, row_tile16>(w, stride, n_rows, nb, bt, dx, nt, yt, ldy);
    } else if (nt >= 5) {
      tiles<8, row_tile8>(w, stride, n_rows, nb, bt, dx, nt, yt, ldy);
    } else if (nt == 2) {
      tiles<2, row_tile_few<2>>(w, stride, n_rows, nb, bt, dx, nt, yt, ldy);
    } else {
      tiles<4, row_tile_few<4>>(w, stride, n_rows, nb, bt, dx, nt, yt, ldy);
    }
  }
  _tile_release();
}

}  // namespace
}  // namespace hearth::localnode::cpu

#pragma GCC pop_options
#pragma GCC diagnostic pop

namespace hearth::localnode::cpu {

bool amx_usable() {
  // Linux hands out the tile registers' 8 KiB of state only to processes that ask for it
  // (ARCH_REQ_XCOMP_PERM for XTILEDATA); a kernel without AMX support refuses.
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return __builtin_cpu_supports("amx-tile") && __builtin_cpu_supports("amx-int8") &&
         syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
}

void fill_amx(KernelSet& ks) {
  ks.isa = Isa::Amx;
  ks.gemv_row_multiple = kTileRows;
  ks.int8_prompts = true;
  ks.arrange_q8x32 = arrange_row;
  ks.types[type_index(TensorType::Q8_0)].gemv_q8 = gemv_q8_q8_0_rows16;
  ks.types[type_index(TensorType::Q8_0)].gemv_q8_multi = gemv_q8_q8_0_amx_multi;
}

}  // namespace hearth::localnode::cpu
