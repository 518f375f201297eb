#pragma once
// A small GGUF writer for tests: builds files in memory (any version, alignment and
// metadata) and records where each field landed so that tests can corrupt it.

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace hearth::localnode::testing {

class GgufWriter {
 public:
  explicit GgufWriter(uint32_t version = 3, uint32_t alignment = 32) : version_(version), alignment_(alignment) {}

  void add_u8(const std::string& k, uint8_t v) { kv(k, 0, &v, 1); }
  void add_i8(const std::string& k, int8_t v) { kv(k, 1, &v, 1); }
  void add_u16(const std::string& k, uint16_t v) { kv(k, 2, &v, 2); }
  void add_i16(const std::string& k, int16_t v) { kv(k, 3, &v, 2); }
  void add_u32(const std::string& k, uint32_t v) { kv(k, 4, &v, 4); }
  void add_i32(const std::string& k, int32_t v) { kv(k, 5, &v, 4); }
  void add_f32(const std::string& k, float v) { kv(k, 6, &v, 4); }
  void add_bool(const std::string& k, bool v) {
    uint8_t b = v ? 1 : 0;
    kv(k, 7, &b, 1);
  }
  void add_string(const std::string& k, const std::string& v) {
    std::vector<uint8_t> b;
    put_string(b, v);
    kv(k, 8, b.data(), b.size());
  }
  void add_u64(const std::string& k, uint64_t v) { kv(k, 10, &v, 8); }
  void add_i64(const std::string& k, int64_t v) { kv(k, 11, &v, 8); }
  void add_f64(const std::string& k, double v) { kv(k, 12, &v, 8); }
  void add_strings(const std::string& k, const std::vector<std::string>& v) {
    std::vector<uint8_t> b;
    put<uint32_t>(b, 8);
    put<uint64_t>(b, v.size());
    for (const auto& s : v) put_string(b, s);
    kv(k, 9, b.data(), b.size());
  }
  template <class T>
  void add_array(const std::string& k, uint32_t elem_type, const std::vector<T>& v) {
    std::vector<uint8_t> b;
    put<uint32_t>(b, elem_type);
    put<uint64_t>(b, v.size());
    for (const T& x : v) put<T>(b, x);
    kv(k, 9, b.data(), b.size());
  }
  void add_f32s(const std::string& k, const std::vector<float>& v) { add_array<float>(k, 6, v); }
  void add_i32s(const std::string& k, const std::vector<int32_t>& v) { add_array<int32_t>(k, 5, v); }

  // `data` is the tensor's bytes (its size is not checked, so tests can lie).
  void add_tensor(const std::string& name, uint32_t type, std::vector<uint64_t> ne, std::vector<uint8_t> data) {
    tensors_.push_back({name, type, std::move(ne), std::move(data)});
  }
  void add_f32_tensor(const std::string& name, std::vector<uint64_t> ne, const std::vector<float>& v) {
    std::vector<uint8_t> b(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    add_tensor(name, 0, std::move(ne), std::move(b));
  }

  // Positions of fields in the last build(), for corrupting them.
  struct Layout {
    size_t n_tensors_pos = 8;
    size_t n_kv_pos = 16;
    std::map<std::string, size_t> key_pos;            // the key's length field
    std::map<std::string, size_t> value_pos;          // the value's type field
    std::map<std::string, size_t> tensor_name_pos;    // the name's length field
    std::map<std::string, size_t> tensor_ndims_pos;
    std::map<std::string, size_t> tensor_type_pos;
    std::map<std::string, size_t> tensor_offset_pos;
    size_t data_pos = 0;
  };

  std::vector<uint8_t> build(Layout* layout = nullptr) const {
    Layout l;
    std::vector<uint8_t> b;
    put<uint32_t>(b, 0x46554747);
    put<uint32_t>(b, version_);
    put<uint64_t>(b, tensors_.size());
    put<uint64_t>(b, kvs_.size());
    for (const auto& [k, type, value] : kvs_) {
      l.key_pos[k] = b.size();
      put_string(b, k);
      l.value_pos[k] = b.size();
      put<uint32_t>(b, type);
      b.insert(b.end(), value.begin(), value.end());
    }
    uint64_t offset = 0;
    std::vector<uint64_t> offsets;
    for (const auto& t : tensors_) {
      l.tensor_name_pos[t.name] = b.size();
      put_string(b, t.name);
      l.tensor_ndims_pos[t.name] = b.size();
      put<uint32_t>(b, static_cast<uint32_t>(t.ne.size()));
      for (uint64_t d : t.ne) put<uint64_t>(b, d);
      l.tensor_type_pos[t.name] = b.size();
      put<uint32_t>(b, t.type);
      l.tensor_offset_pos[t.name] = b.size();
      put<uint64_t>(b, offset);
      offsets.push_back(offset);
      offset = align(offset + t.data.size());
    }
    b.resize(align(b.size()), 0);
    l.data_pos = b.size();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      b.resize(l.data_pos + offsets[i], 0);
      b.insert(b.end(), tensors_[i].data.begin(), tensors_[i].data.end());
    }
    if (layout != nullptr) *layout = l;
    return b;
  }

  static void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }

  template <class T>
  static void patch(std::vector<uint8_t>& b, size_t pos, T v) {
    std::memcpy(b.data() + pos, &v, sizeof v);
  }

 private:
  struct Kv {
    std::string key;
    uint32_t type;
    std::vector<uint8_t> value;
  };
  struct Tensor {
    std::string name;
    uint32_t type;
    std::vector<uint64_t> ne;
    std::vector<uint8_t> data;
  };

  template <class T>
  static void put(std::vector<uint8_t>& b, T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    b.insert(b.end(), p, p + sizeof v);
  }
  static void put_string(std::vector<uint8_t>& b, const std::string& s) {
    put<uint64_t>(b, s.size());
    b.insert(b.end(), s.begin(), s.end());
  }
  void kv(const std::string& k, uint32_t type, const void* v, size_t n) {
    const auto* p = static_cast<const uint8_t*>(v);
    kvs_.push_back({k, type, std::vector<uint8_t>(p, p + n)});
  }
  uint64_t align(uint64_t x) const { return (x + alignment_ - 1) / alignment_ * alignment_; }

  uint32_t version_;
  uint32_t alignment_;
  std::vector<Kv> kvs_;
  std::vector<Tensor> tensors_;
};

}  // namespace hearth::localnode::testing
