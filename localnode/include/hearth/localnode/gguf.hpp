#pragma once
// GGUF (v2 and v3) reader: maps a model file read-only and validates its header, metadata
// and tensor table, so that every later read through it is in bounds. A GgufFile owns its
// bytes (a mapping or a buffer); the string_views and spans it hands out live as long as it
// does. Immutable after open: safe to share across threads.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hearth/core/result.hpp"
#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode {

// The metadata value types of the file format.
enum class GgufType : uint32_t {
  UInt8 = 0,
  Int8 = 1,
  UInt16 = 2,
  Int16 = 3,
  UInt32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  UInt64 = 10,
  Int64 = 11,
  Float64 = 12,
};

std::string_view to_string(GgufType type);

// One metadata value. Scalars are widened into `i`/`u`/`f`; arrays keep their raw bytes
// (numbers) or their strings (views into the file).
struct GgufValue {
  GgufType type = GgufType::UInt8;
  int64_t i = 0;             // signed integers and bool
  uint64_t u = 0;            // unsigned integers
  double f = 0;              // Float32, Float64
  std::string_view str;      // String
  GgufType elem_type = GgufType::UInt8;  // Array: the element type
  uint64_t count = 0;                    // Array: the element count
  std::span<const uint8_t> raw;          // Array of numbers: count * element size bytes
  std::vector<std::string_view> strings; // Array of strings

  bool is_integer() const;
  bool is_float() const { return type == GgufType::Float32 || type == GgufType::Float64; }
  // Numeric array element `idx` (< count) as a double / int64; 0 for non-numeric arrays.
  double array_f64(uint64_t idx) const;
  int64_t array_i64(uint64_t idx) const;
};

struct GgufTensor {
  std::string name;
  TensorType type = TensorType::F32;
  std::vector<uint64_t> ne;  // ne[0] is the contiguous (row) dimension
  uint64_t offset = 0;       // from the start of the data section
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  const uint8_t* data = nullptr;  // into the file's bytes; n_bytes long

  uint64_t rows() const { return ne.empty() ? 0 : n_elements / ne[0]; }
};

class GgufFile {
 public:
  // Maps `path` read-only and parses it.
  [[nodiscard]] static Result<GgufFile> open(const std::string& path);
  // Parses an in-memory image (tests, fuzzing); the file takes ownership of the bytes.
  [[nodiscard]] static Result<GgufFile> parse(std::vector<uint8_t> bytes, std::string name = "<buffer>");

  GgufFile(GgufFile&&) noexcept;
  GgufFile& operator=(GgufFile&&) noexcept;
  ~GgufFile();

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return size_; }
  const std::string& name() const { return name_; }

  const GgufValue* find(std::string_view key) const;
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* tensor(std::string_view name) const;

  // Typed metadata look-ups: nullopt when absent; an error when present with a wrong type.
  [[nodiscard]] Result<std::optional<std::string_view>> get_string(std::string_view key) const;
  [[nodiscard]] Result<std::optional<uint64_t>> get_uint(std::string_view key) const;
  [[nodiscard]] Result<std::optional<double>> get_float(std::string_view key) const;
  [[nodiscard]] Result<std::optional<bool>> get_bool(std::string_view key) const;

 private:
  struct Storage;
  GgufFile();
  [[nodiscard]] Status parse_all();

  std::unique_ptr<Storage> storage_;
  const uint8_t* bytes_ = nullptr;
  uint64_t size_ = 0;
  std::string name_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::vector<GgufTensor> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace hearth::localnode
