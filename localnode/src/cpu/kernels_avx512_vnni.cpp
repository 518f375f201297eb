// AVX-512 VNNI kernels: the integer mat-vecs of the 32-element quants with vpdpbusd (one
// instruction for maddubs + madd + add, and no int16 intermediate). The same code as the AVX2
// and AVX-512 files, with the dot-product step swapped.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "cpu/kernels.hpp"

// GCC 12's AVX-512 intrinsics build their pass-through operands from self-initialised
// "undefined" vectors, which -Wmaybe-uninitialized reports wherever they are inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")

#include "cpu/x86_common.hpp"

namespace hearth::localnode::cpu {
namespace {

using namespace x86;

static inline __m256i dot_us_vnni(__m256i u, __m256i s) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
}
static inline __m512i dot_us_vnni512(__m512i u, __m512i s) {
  return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s);
}

#define HEARTH_DOT_US dot_us_vnni
#include "cpu/gemv_q8x32_x86.inc"
#undef HEARTH_DOT_US

#define HEARTH_DOT_US512 dot_us_vnni512
#include "cpu/gemv_q8_0_avx512.inc"
#undef HEARTH_DOT_US512

}  // namespace
}  // namespace hearth::localnode::cpu

#pragma GCC pop_options
#pragma GCC diagnostic pop

namespace hearth::localnode::cpu {

void fill_avx512_vnni(KernelSet& ks) {
  ks.isa = Isa::Avx512Vnni;
  ks.types[type_index(TensorType::Q8_0)].gemv_q8 = gemv_q8_q8_0_512;
  ks.types[type_index(TensorType::Q8_0)].gemv_q8_multi = gemv_q8_q8_0_512_multi;
  ks.types[type_index(TensorType::Q4_0)].gemv_q8 = gemv_q8_q4_0;
  ks.types[type_index(TensorType::Q4_1)].gemv_q8 = gemv_q8_q4_1;
  ks.types[type_index(TensorType::Q5_0)].gemv_q8 = gemv_q8_q5_0;
  ks.types[type_index(TensorType::Q5_1)].gemv_q8 = gemv_q8_q5_1;
}

}  // namespace hearth::localnode::cpu
