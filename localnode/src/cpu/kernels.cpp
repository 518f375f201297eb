#include "cpu/kernels.hpp"

namespace hearth::localnode::cpu {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
      return "scalar";
    case Isa::Avx2:
      return "avx2";
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx512Vnni:
      return "avx512-vnni";
    case Isa::Amx:
      return "amx";
  }
  return "unknown";
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
      return true;
    case Isa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("f16c");
    case Isa::Avx512:
      return isa_supported(Isa::Avx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq");
    case Isa::Avx512Vnni:
      return isa_supported(Isa::Avx512) && __builtin_cpu_supports("avx512vnni");
    case Isa::Amx: {
      static const bool usable = amx_usable();
      return isa_supported(Isa::Avx512Vnni) && usable;
    }
  }
  return false;
}

Isa best_isa() {
  for (Isa isa : {Isa::Amx, Isa::Avx512Vnni, Isa::Avx512, Isa::Avx2}) {
    if (isa_supported(isa)) return isa;
  }
  return Isa::Scalar;
}

size_t type_index(TensorType t) {
  switch (t) {
    case TensorType::F32:
      return 0;
    case TensorType::F16:
      return 1;
    case TensorType::BF16:
      return 2;
    case TensorType::Q4_0:
      return 3;
    case TensorType::Q4_1:
      return 4;
    case TensorType::Q5_0:
      return 5;
    case TensorType::Q5_1:
      return 6;
    case TensorType::Q8_0:
      return 7;
    case TensorType::Q2_K:
      return 8;
    case TensorType::Q3_K:
      return 9;
    case TensorType::Q4_K:
      return 10;
    case TensorType::Q5_K:
      return 11;
    case TensorType::Q6_K:
      return 12;
  }
  return 0;
}

namespace {

KernelSet make(Isa isa) {
  KernelSet ks;
  fill_scalar(ks);
  if (isa != Isa::Scalar) fill_avx2(ks);
  if (isa == Isa::Avx512 || isa == Isa::Avx512Vnni || isa == Isa::Amx) fill_avx512(ks);
  if (isa == Isa::Avx512Vnni || isa == Isa::Amx) fill_avx512_vnni(ks);
  if (isa == Isa::Amx) fill_amx(ks);
  ks.isa = isa;
  return ks;
}

}  // namespace

const KernelSet& kernel_set(Isa isa) {
  static const KernelSet scalar = make(Isa::Scalar);
  static const KernelSet avx2 = make(Isa::Avx2);
  static const KernelSet avx512 = make(Isa::Avx512);
  static const KernelSet avx512_vnni = make(Isa::Avx512Vnni);
  static const KernelSet amx = make(Isa::Amx);
  switch (isa) {
    case Isa::Scalar:
      return scalar;
    case Isa::Avx2:
      return avx2;
    case Isa::Avx512:
      return avx512;
    case Isa::Avx512Vnni:
      return avx512_vnni;
    case Isa::Amx:
      return amx;
  }
  return scalar;
}

}  // namespace hearth::localnode::cpu
