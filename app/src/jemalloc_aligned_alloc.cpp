// Built into the hearth binary with jemalloc only (app/CMakeLists.txt).
//
// Asio allocates the operation and handler memory that its small per-thread cache cannot
// recycle with aligned_alloc(16, size) (coroutine frames too, until they were sent to operator
// new: CMakeLists.txt). jemalloc's malloc already returns 16-byte-aligned blocks for every size
// class from 16 bytes up, but its aligned_alloc takes a slower general path. This definition,
// which the dynamic linker finds before jemalloc's, sends such calls to malloc: 45,035 -> 43,294
// instructions per proxied request when frames went this way, 27,436 -> 27,308 since
// (bench/README.md). Other alignments go to posix_memalign. Blocks from either are freed by
// free(), as C requires of aligned_alloc's.

#include <cstddef>
#include <cstdlib>

extern "C" void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  constexpr std::size_t kMallocAlignment = 16;
  const bool power_of_two = alignment != 0 && (alignment & (alignment - 1)) == 0;
  if (power_of_two && alignment <= kMallocAlignment) {
    return std::malloc(size < kMallocAlignment ? kMallocAlignment : size);
  }
  void* block = nullptr;
  return posix_memalign(&block, alignment, size) == 0 ? block : nullptr;
}
