#pragma once
// The rows of one forward pass as the InferenceContext lays them out for a ComputeBackend.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hearth::localnode {

// The rows of one forward pass: the GEMM rows first (prompt tokens), then the mat-vec rows.
struct PassRows {
  std::vector<int32_t> token;
  std::vector<uint32_t> seq, pos;
  size_t n_gemm = 0;
  std::vector<size_t> out;  // the rows whose logits are wanted, in the caller's order

  void clear() {
    token.clear();
    seq.clear();
    pos.clear();
    out.clear();
    n_gemm = 0;
  }
};

}  // namespace hearth::localnode
