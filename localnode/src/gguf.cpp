#include "hearth/localnode/gguf.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace hearth::localnode {

struct GgufFile::Storage {
  std::vector<uint8_t> buffer;
  void* map = nullptr;
  size_t map_size = 0;
  ~Storage() {
    if (map != nullptr) ::munmap(map, map_size);
  }
};

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr uint64_t kMaxDims = 4;
constexpr uint64_t kMaxNameBytes = 1024;
constexpr uint64_t kMaxKeyBytes = 65536;

Error corrupt(const std::string& file, const std::string& what) {
  return make_error(ErrorCode::InvalidRequest, "invalid GGUF file " + file + ": " + what);
}

size_t scalar_size(GgufType t) {
  switch (t) {
    case GgufType::UInt8:
    case GgufType::Int8:
    case GgufType::Bool: return 1;
    case GgufType::UInt16:
    case GgufType::Int16: return 2;
    case GgufType::UInt32:
    case GgufType::Int32:
    case GgufType::Float32: return 4;
    case GgufType::UInt64:
    case GgufType::Int64:
    case GgufType::Float64: return 8;
    case GgufType::String:
    case GgufType::Array: return 0;
  }
  return 0;
}

bool valid_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::Float64); }

// Bounds-checked little-endian reads over the file's bytes. Every read either succeeds or
// leaves `ok` false; callers check after each field they need.
class Cursor {
 public:
  Cursor(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  template <class T>
  bool read(T* out) {
    if (remaining() < sizeof(T)) return false;
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool read_bytes(uint64_t n, const uint8_t** out) {
    if (remaining() < n) return false;
    *out = data_ + pos_;
    pos_ += n;
    return true;
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }
bool add_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_add_overflow(a, b, out); }

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A float as an int64, saturated (NaN: 0): converting one out of range is undefined.
int64_t saturate_i64(double x) {
  if (!(x == x)) return 0;
  if (x <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  if (x >= 9223372036854775808.0) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(x);
}

}  // namespace

std::string_view to_string(GgufType type) {
  switch (type) {
    case GgufType::UInt8: return "uint8";
    case GgufType::Int8: return "int8";
    case GgufType::UInt16: return "uint16";
    case GgufType::Int16: return "int16";
    case GgufType::UInt32: return "uint32";
    case GgufType::Int32: return "int32";
    case GgufType::Float32: return "float32";
    case GgufType::Bool: return "bool";
    case GgufType::String: return "string";
    case GgufType::Array: return "array";
    case GgufType::UInt64: return "uint64";
    case GgufType::Int64: return "int64";
    case GgufType::Float64: return "float64";
  }
  return "unknown";
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufType::UInt8:
    case GgufType::Int8:
    case GgufType::UInt16:
    case GgufType::Int16:
    case GgufType::UInt32:
    case GgufType::Int32:
    case GgufType::UInt64:
    case GgufType::Int64: return true;
    default: return false;
  }
}

double GgufValue::array_f64(uint64_t idx) const {
  if (type != GgufType::Array || idx >= count) return 0;
  const size_t sz = scalar_size(elem_type);
  if (sz == 0) return 0;
  const uint8_t* p = raw.data() + idx * sz;
  switch (elem_type) {
    case GgufType::Float32: return load<float>(p);
    case GgufType::Float64: return load<double>(p);
    case GgufType::UInt64: return static_cast<double>(load<uint64_t>(p));
    default: return static_cast<double>(array_i64(idx));
  }
}

int64_t GgufValue::array_i64(uint64_t idx) const {
  if (type != GgufType::Array || idx >= count) return 0;
  const size_t sz = scalar_size(elem_type);
  if (sz == 0) return 0;
  const uint8_t* p = raw.data() + idx * sz;
  switch (elem_type) {
    case GgufType::UInt8: return load<uint8_t>(p);
    case GgufType::Int8: return load<int8_t>(p);
    case GgufType::Bool: return load<uint8_t>(p) != 0;
    case GgufType::UInt16: return load<uint16_t>(p);
    case GgufType::Int16: return load<int16_t>(p);
    case GgufType::UInt32: return load<uint32_t>(p);
    case GgufType::Int32: return load<int32_t>(p);
    case GgufType::UInt64: return static_cast<int64_t>(load<uint64_t>(p));
    case GgufType::Int64: return load<int64_t>(p);
    case GgufType::Float32: return saturate_i64(load<float>(p));
    case GgufType::Float64: return saturate_i64(load<double>(p));
    default: return 0;
  }
}

GgufFile::GgufFile() = default;
GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;
GgufFile::~GgufFile() = default;

Result<GgufFile> GgufFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(ErrorCode::InvalidRequest,
                      "cannot open model file " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorCode::InvalidRequest, "model file " + path + " is not a regular file");
  }
  GgufFile file;
  file.storage_ = std::make_unique<Storage>();
  file.name_ = path;
  file.size_ = static_cast<uint64_t>(st.st_size);
  if (file.size_ > 0) {
    void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return make_error(ErrorCode::InvalidRequest,
                        "cannot map model file " + path + ": " + std::strerror(err));
    }
    file.storage_->map = map;
    file.storage_->map_size = static_cast<size_t>(st.st_size);
    file.bytes_ = static_cast<const uint8_t*>(map);
  }
  ::close(fd);
  if (auto st2 = file.parse_all(); !st2) return std::move(st2).error();
  return file;
}

Result<GgufFile> GgufFile::parse(std::vector<uint8_t> bytes, std::string name) {
  GgufFile file;
  file.storage_ = std::make_unique<Storage>();
  file.storage_->buffer = std::move(bytes);
  file.bytes_ = file.storage_->buffer.data();
  file.size_ = file.storage_->buffer.size();
  file.name_ = std::move(name);
  if (auto st = file.parse_all(); !st) return std::move(st).error();
  return file;
}

Status GgufFile::parse_all() {
  Cursor c(bytes_, size_);
  const std::string& fname = name_;

  // Read the header.
  uint32_t magic = 0;
  if (!c.read(&magic)) return corrupt(fname, "file is too short for a GGUF header (" + std::to_string(size_) + " bytes)");
  if (magic != kMagic) return corrupt(fname, "bad magic (not a GGUF file)");
  if (!c.read(&version_)) return corrupt(fname, "truncated header (version)");
  if (version_ != 2 && version_ != 3) {
    return corrupt(fname, "unsupported GGUF version " + std::to_string(version_) + " (supported: 2, 3)");
  }
  uint64_t n_tensors = 0, n_kv = 0;
  if (!c.read(&n_tensors) || !c.read(&n_kv)) return corrupt(fname, "truncated header (counts)");
  // Each KV takes at least 8 (key length) + 4 (type) + 1 bytes; each tensor info at least
  // 8 + 4 + 8 + 4 + 8. Counts beyond what the file can hold are rejected before any
  // allocation.
  if (n_kv > c.remaining() / 13) {
    return corrupt(fname, "metadata count " + std::to_string(n_kv) + " is larger than the file can hold");
  }
  if (n_tensors > c.remaining() / 32) {
    return corrupt(fname, "tensor count " + std::to_string(n_tensors) + " is larger than the file can hold");
  }

  auto read_string = [&](std::string_view* out, uint64_t limit, const std::string& what) -> Status {
    uint64_t len = 0;
    if (!c.read(&len)) return corrupt(fname, what + ": truncated string length");
    if (len > limit) return corrupt(fname, what + ": string length " + std::to_string(len) + " is too large");
    const uint8_t* p = nullptr;
    if (!c.read_bytes(len, &p)) {
      return corrupt(fname, what + ": string of " + std::to_string(len) + " bytes runs past the end of the file");
    }
    *out = std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
    return {};
  };

  auto read_scalar = [&](GgufType t, GgufValue* v, const std::string& what) -> Status {
    const size_t sz = scalar_size(t);
    const uint8_t* p = nullptr;
    if (!c.read_bytes(sz, &p)) return corrupt(fname, what + ": truncated " + std::string(to_string(t)) + " value");
    switch (t) {
      case GgufType::UInt8: v->u = load<uint8_t>(p); v->i = static_cast<int64_t>(v->u); break;
      case GgufType::UInt16: v->u = load<uint16_t>(p); v->i = static_cast<int64_t>(v->u); break;
      case GgufType::UInt32: v->u = load<uint32_t>(p); v->i = static_cast<int64_t>(v->u); break;
      case GgufType::UInt64: v->u = load<uint64_t>(p); v->i = static_cast<int64_t>(v->u); break;
      case GgufType::Int8: v->i = load<int8_t>(p); v->u = static_cast<uint64_t>(v->i); break;
      case GgufType::Int16: v->i = load<int16_t>(p); v->u = static_cast<uint64_t>(v->i); break;
      case GgufType::Int32: v->i = load<int32_t>(p); v->u = static_cast<uint64_t>(v->i); break;
      case GgufType::Int64: v->i = load<int64_t>(p); v->u = static_cast<uint64_t>(v->i); break;
      case GgufType::Bool:
        if (*p > 1) return corrupt(fname, what + ": bool value " + std::to_string(*p) + " is not 0 or 1");
        v->i = *p;
        v->u = *p;
        break;
      case GgufType::Float32: v->f = load<float>(p); break;
      case GgufType::Float64: v->f = load<double>(p); break;
      default: break;
    }
    return {};
  };

  // Read the metadata.
  kv_.reserve(static_cast<size_t>(n_kv));
  for (uint64_t k = 0; k < n_kv; ++k) {
    const std::string where = "metadata entry " + std::to_string(k);
    std::string_view key;
    if (auto st = read_string(&key, kMaxKeyBytes, where + " key"); !st) return st;
    const std::string what = "metadata '" + std::string(key) + "'";
    if (kv_index_.count(std::string(key))) return corrupt(fname, what + ": duplicate key");
    uint32_t type_id = 0;
    if (!c.read(&type_id)) return corrupt(fname, what + ": truncated value type");
    if (!valid_type(type_id)) return corrupt(fname, what + ": unknown value type " + std::to_string(type_id));
    GgufValue v;
    v.type = static_cast<GgufType>(type_id);
    if (v.type == GgufType::String) {
      if (auto st = read_string(&v.str, std::numeric_limits<uint64_t>::max(), what); !st) return st;
    } else if (v.type == GgufType::Array) {
      uint32_t elem = 0;
      if (!c.read(&elem)) return corrupt(fname, what + ": truncated array element type");
      if (!valid_type(elem)) return corrupt(fname, what + ": unknown array element type " + std::to_string(elem));
      v.elem_type = static_cast<GgufType>(elem);
      if (v.elem_type == GgufType::Array) return corrupt(fname, what + ": arrays of arrays are not supported");
      if (!c.read(&v.count)) return corrupt(fname, what + ": truncated array length");
      if (v.elem_type == GgufType::String) {
        if (v.count > c.remaining() / 8) {
          return corrupt(fname, what + ": array of " + std::to_string(v.count) + " strings is larger than the file");
        }
        v.strings.reserve(static_cast<size_t>(v.count));
        for (uint64_t j = 0; j < v.count; ++j) {
          std::string_view s;
          if (auto st = read_string(&s, std::numeric_limits<uint64_t>::max(), what + " element " + std::to_string(j)); !st) {
            return st;
          }
          v.strings.push_back(s);
        }
      } else {
        uint64_t bytes = 0;
        if (mul_overflows(v.count, scalar_size(v.elem_type), &bytes) || bytes > c.remaining()) {
          return corrupt(fname, what + ": array of " + std::to_string(v.count) + " " +
                                    std::string(to_string(v.elem_type)) + " runs past the end of the file");
        }
        const uint8_t* p = nullptr;
        (void)c.read_bytes(bytes, &p);
        v.raw = std::span<const uint8_t>(p, static_cast<size_t>(bytes));
        if (v.elem_type == GgufType::Bool) {
          for (uint8_t b : v.raw) {
            if (b > 1) return corrupt(fname, what + ": bool array element is not 0 or 1");
          }
        }
      }
    } else {
      if (auto st = read_scalar(v.type, &v, what); !st) return st;
    }
    kv_index_.emplace(std::string(key), kv_.size());
    kv_.emplace_back(std::string(key), std::move(v));
  }

  // The alignment of the data section.
  if (const GgufValue* a = find("general.alignment")) {
    if (a->type != GgufType::UInt32) return corrupt(fname, "metadata 'general.alignment' is not a uint32");
    if (a->u == 0 || (a->u & (a->u - 1)) != 0) {
      return corrupt(fname, "general.alignment " + std::to_string(a->u) + " is not a power of two");
    }
    alignment_ = a->u;
  }

  // Read the tensor infos.
  tensors_.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t t = 0; t < n_tensors; ++t) {
    GgufTensor info;
    std::string_view name;
    if (auto st = read_string(&name, kMaxNameBytes, "tensor " + std::to_string(t) + " name"); !st) return st;
    info.name = std::string(name);
    const std::string what = "tensor '" + info.name + "'";
    if (tensor_index_.count(info.name)) return corrupt(fname, what + ": duplicate tensor name");
    uint32_t n_dims = 0;
    if (!c.read(&n_dims)) return corrupt(fname, what + ": truncated dimension count");
    if (n_dims == 0 || n_dims > kMaxDims) {
      return corrupt(fname, what + ": " + std::to_string(n_dims) + " dimensions (1 to 4 allowed)");
    }
    info.n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t ne = 0;
      if (!c.read(&ne)) return corrupt(fname, what + ": truncated dimensions");
      if (ne == 0 || ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return corrupt(fname, what + ": dimension " + std::to_string(d) + " is " + std::to_string(ne));
      }
      if (mul_overflows(info.n_elements, ne, &info.n_elements) ||
          info.n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return corrupt(fname, what + ": element count overflows");
      }
      info.ne.push_back(ne);
    }
    uint32_t type_id = 0;
    if (!c.read(&type_id)) return corrupt(fname, what + ": truncated type");
    const auto traits = type_traits(type_id);
    if (!traits) {
      return corrupt(fname, what + ": unsupported tensor type " + std::to_string(type_id) + " (" +
                                std::string(type_name(type_id)) + ")");
    }
    info.type = static_cast<TensorType>(type_id);
    if (info.ne[0] % traits->block_size != 0) {
      return corrupt(fname, what + ": row length " + std::to_string(info.ne[0]) + " is not a multiple of the " +
                                std::string(traits->name) + " block size " + std::to_string(traits->block_size));
    }
    if (mul_overflows(info.n_elements / traits->block_size, traits->type_size, &info.n_bytes)) {
      return corrupt(fname, what + ": byte size overflows");
    }
    if (!c.read(&info.offset)) return corrupt(fname, what + ": truncated data offset");
    if (info.offset % alignment_ != 0) {
      return corrupt(fname, what + ": data offset " + std::to_string(info.offset) + " is not a multiple of the alignment " +
                                std::to_string(alignment_));
    }
    tensor_index_.emplace(info.name, tensors_.size());
    tensors_.push_back(std::move(info));
  }

  // The data section starts at the next multiple of the alignment.
  uint64_t data = 0;
  if (add_overflows(c.pos(), alignment_ - 1, &data)) return corrupt(fname, "data offset overflows");
  data_offset_ = data / alignment_ * alignment_;
  if (n_tensors > 0 && data_offset_ > size_) {
    return corrupt(fname, "data section starts at " + std::to_string(data_offset_) + ", past the end of the file (" +
                              std::to_string(size_) + " bytes)");
  }
  for (GgufTensor& info : tensors_) {
    uint64_t begin = 0, end = 0;
    if (add_overflows(data_offset_, info.offset, &begin) || add_overflows(begin, info.n_bytes, &end) || end > size_) {
      return corrupt(fname, "tensor '" + info.name + "': data runs past the end of the file (offset " +
                                std::to_string(info.offset) + ", size " + std::to_string(info.n_bytes) + ", file " +
                                std::to_string(size_) + ")");
    }
    info.data = bytes_ + begin;
  }
  return {};
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(std::string(key));
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

const GgufTensor* GgufFile::tensor(std::string_view tensor_name) const {
  auto it = tensor_index_.find(std::string(tensor_name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {
Error wrong_type(const std::string& file, std::string_view key, std::string_view want, GgufType got) {
  return corrupt(file, "metadata '" + std::string(key) + "' is a " + std::string(to_string(got)) + ", expected " +
                           std::string(want));
}
}  // namespace

Result<std::optional<std::string_view>> GgufFile::get_string(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<std::string_view>{};
  if (v->type != GgufType::String) return wrong_type(name_, key, "string", v->type);
  return std::optional<std::string_view>{v->str};
}

Result<std::optional<uint64_t>> GgufFile::get_uint(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<uint64_t>{};
  if (!v->is_integer()) return wrong_type(name_, key, "integer", v->type);
  if (v->i < 0 && v->type != GgufType::UInt64) {
    return corrupt(name_, "metadata '" + std::string(key) + "' is negative (" + std::to_string(v->i) + ")");
  }
  return std::optional<uint64_t>{v->u};
}

Result<std::optional<double>> GgufFile::get_float(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<double>{};
  if (v->is_float()) return std::optional<double>{v->f};
  if (v->is_integer()) return std::optional<double>{static_cast<double>(v->i)};
  return wrong_type(name_, key, "number", v->type);
}

Result<std::optional<bool>> GgufFile::get_bool(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<bool>{};
  if (v->type != GgufType::Bool) return wrong_type(name_, key, "bool", v->type);
  return std::optional<bool>{v->i != 0};
}

}  // namespace hearth::localnode
