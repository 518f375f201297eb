// The GGUF reader on files the test writes itself: every value type, both versions, custom
// alignment, and truncated, corrupt and hostile variants that must give errors naming the
// problem, never crashes or out-of-bounds reads (the asan build checks the latter).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "gguf_writer.hpp"
#include "hearth/localnode/gguf.hpp"

namespace hearth::localnode {
namespace {

using testing::GgufWriter;

GgufWriter sample_writer(uint32_t version = 3, uint32_t alignment = 32) {
  GgufWriter w(version, alignment);
  w.add_string("general.architecture", "llama");
  if (alignment != 32) w.add_u32("general.alignment", alignment);
  w.add_u8("t.u8", 200);
  w.add_i8("t.i8", -100);
  w.add_u16("t.u16", 60000);
  w.add_i16("t.i16", -30000);
  w.add_u32("t.u32", 4000000000u);
  w.add_i32("t.i32", -2000000000);
  w.add_f32("t.f32", 1.5f);
  w.add_bool("t.bool", true);
  w.add_u64("t.u64", 1ull << 40);
  w.add_i64("t.i64", -(1ll << 40));
  w.add_f64("t.f64", -2.25);
  w.add_strings("t.strings", {"a", "", "▁hello", "<0x0A>"});
  w.add_f32s("t.f32s", {0.5f, -1.0f, 3.0f});
  w.add_i32s("t.i32s", {1, -2, 3, -4});
  w.add_f32_tensor("a.weight", {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  w.add_f32_tensor("b.weight", {3}, {9, 10, 11});
  return w;
}

Result<GgufFile> parse(std::vector<uint8_t> bytes) { return GgufFile::parse(std::move(bytes), "test.gguf"); }

std::string error_of(std::vector<uint8_t> bytes) {
  auto f = parse(std::move(bytes));
  EXPECT_FALSE(f.ok());
  return f.ok() ? std::string() : f.error().message;
}

TEST(GgufReader, ReadsEveryValueType) {
  auto f = parse(sample_writer().build());
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->find("t.u8")->u, 200u);
  EXPECT_EQ(f->find("t.i8")->i, -100);
  EXPECT_EQ(f->find("t.u16")->u, 60000u);
  EXPECT_EQ(f->find("t.i16")->i, -30000);
  EXPECT_EQ(f->find("t.u32")->u, 4000000000u);
  EXPECT_EQ(f->find("t.i32")->i, -2000000000);
  EXPECT_EQ(f->find("t.f32")->f, 1.5);
  EXPECT_EQ(f->find("t.bool")->i, 1);
  EXPECT_EQ(f->find("t.u64")->u, 1ull << 40);
  EXPECT_EQ(f->find("t.i64")->i, -(1ll << 40));
  EXPECT_EQ(f->find("t.f64")->f, -2.25);
  const GgufValue* s = f->find("t.strings");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->elem_type, GgufType::String);
  ASSERT_EQ(s->strings.size(), 4u);
  EXPECT_EQ(s->strings[1], "");
  EXPECT_EQ(s->strings[2], "▁hello");
  const GgufValue* fl = f->find("t.f32s");
  ASSERT_EQ(fl->count, 3u);
  EXPECT_EQ(fl->array_f64(1), -1.0);
  EXPECT_EQ(f->find("t.i32s")->array_i64(3), -4);
  EXPECT_EQ(f->find("t.i32s")->array_i64(4), 0);  // out of range reads as 0
  EXPECT_EQ(f->find("missing"), nullptr);

  auto arch = f->get_string("general.architecture");
  ASSERT_TRUE(arch.ok());
  EXPECT_EQ(**arch, "llama");
  EXPECT_FALSE(f->get_uint("general.architecture").ok());
  EXPECT_EQ(**f->get_uint("t.u32"), 4000000000u);
  EXPECT_FALSE(f->get_uint("t.i32").ok());  // negative
  EXPECT_EQ(**f->get_float("t.f32"), 1.5);
  EXPECT_TRUE(**f->get_bool("t.bool"));
  EXPECT_FALSE(f->get_bool("nope")->has_value());
}

TEST(GgufReader, ReadsTensorsAtTheirAlignedOffsets) {
  for (uint32_t version : {2u, 3u}) {
    for (uint32_t alignment : {32u, 64u, 8u}) {
      GgufWriter::Layout layout;
      auto f = parse(sample_writer(version, alignment).build(&layout));
      ASSERT_TRUE(f.ok()) << f.error().message;
      EXPECT_EQ(f->version(), version);
      EXPECT_EQ(f->alignment(), alignment);
      EXPECT_EQ(f->data_offset(), layout.data_pos);
      EXPECT_EQ(f->data_offset() % alignment, 0u);
      ASSERT_EQ(f->tensors().size(), 2u);
      const GgufTensor* a = f->tensor("a.weight");
      ASSERT_NE(a, nullptr);
      EXPECT_EQ(a->ne, (std::vector<uint64_t>{4, 2}));
      EXPECT_EQ(a->n_elements, 8u);
      EXPECT_EQ(a->n_bytes, 32u);
      EXPECT_EQ(a->rows(), 2u);
      float v[8];
      std::memcpy(v, a->data, sizeof v);
      EXPECT_EQ(v[7], 8.0f);
      const GgufTensor* b = f->tensor("b.weight");
      EXPECT_EQ(b->offset % alignment, 0u);
      std::memcpy(v, b->data, 12);
      EXPECT_EQ(v[2], 11.0f);
    }
  }
}

TEST(GgufReader, OpensFilesThroughMmap) {
  const auto path = std::filesystem::temp_directory_path() / ("hearth_gguf_" + std::to_string(::getpid()) + ".gguf");
  GgufWriter::write_file(path, sample_writer().build());
  auto f = GgufFile::open(path);
  std::filesystem::remove(path);  // the mapping stays valid
  ASSERT_TRUE(f.ok()) << f.error().message;
  GgufFile moved = std::move(f).value();
  EXPECT_EQ(moved.tensors().size(), 2u);
  EXPECT_EQ(moved.find("t.strings")->strings[2], "▁hello");

  auto missing = GgufFile::open("/nonexistent/model.gguf");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/model.gguf"), std::string::npos);
}

TEST(GgufReader, RejectsBadHeaders) {
  EXPECT_NE(error_of({}).find("too short"), std::string::npos);
  auto bytes = sample_writer().build();
  auto bad_magic = bytes;
  bad_magic[0] = 'X';
  EXPECT_NE(error_of(bad_magic).find("bad magic"), std::string::npos);
  for (uint32_t version : {0u, 1u, 4u, 0xFFFFFFFFu}) {
    auto b = bytes;
    GgufWriter::patch<uint32_t>(b, 4, version);
    EXPECT_NE(error_of(b).find("unsupported GGUF version " + std::to_string(version)), std::string::npos);
  }
}

TEST(GgufReader, EveryTruncationIsAnError) {
  const auto bytes = sample_writer().build();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto f = parse(std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
    EXPECT_FALSE(f.ok()) << "prefix of " << n << " bytes parsed";
  }
  // The last tensor's data is cut short: named, with offset, size and file size.
  auto cut = bytes;
  cut.resize(bytes.size() - 1);
  EXPECT_EQ(error_of(cut), "invalid GGUF file test.gguf: tensor 'b.weight': data runs past the end of the file "
                           "(offset 32, size 12, file " + std::to_string(cut.size()) + ")");
}

TEST(GgufReader, RejectsHostileCounts) {
  GgufWriter::Layout l;
  const auto bytes = sample_writer().build(&l);
  auto b = bytes;
  GgufWriter::patch<uint64_t>(b, l.n_kv_pos, 1ull << 60);
  EXPECT_NE(error_of(b).find("metadata count"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint64_t>(b, l.n_tensors_pos, ~0ull);
  EXPECT_NE(error_of(b).find("tensor count"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint64_t>(b, l.key_pos["t.u8"], ~0ull);
  EXPECT_NE(error_of(b).find("string length"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint64_t>(b, l.key_pos["t.u8"], 1000);  // within the limit, past the end
  EXPECT_NE(error_of(b).find("runs past the end"), std::string::npos);
  // The string array's count (after its element type).
  b = bytes;
  GgufWriter::patch<uint64_t>(b, l.value_pos["t.strings"] + 8, 1ull << 62);
  EXPECT_NE(error_of(b).find("'t.strings': array of"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint64_t>(b, l.value_pos["t.f32s"] + 8, (1ull << 62) + 1);  // count * 4 overflows
  EXPECT_NE(error_of(b).find("'t.f32s': array of"), std::string::npos);
  // One string inside the array claims to be huge.
  b = bytes;
  GgufWriter::patch<uint64_t>(b, l.value_pos["t.strings"] + 16, 1ull << 50);
  EXPECT_NE(error_of(b).find("'t.strings' element 0"), std::string::npos);
}

TEST(GgufReader, RejectsBadValues) {
  GgufWriter::Layout l;
  const auto bytes = sample_writer().build(&l);
  auto b = bytes;
  GgufWriter::patch<uint32_t>(b, l.value_pos["t.u8"], 13);
  EXPECT_NE(error_of(b).find("'t.u8': unknown value type 13"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint8_t>(b, l.value_pos["t.bool"] + 4, 7);
  EXPECT_NE(error_of(b).find("not 0 or 1"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint32_t>(b, l.value_pos["t.f32s"] + 4, 9);  // array of arrays
  EXPECT_NE(error_of(b).find("arrays of arrays"), std::string::npos);

  GgufWriter dup;
  dup.add_u32("k", 1);
  dup.add_u32("k", 2);
  EXPECT_NE(error_of(dup.build()).find("'k': duplicate key"), std::string::npos);

  GgufWriter align;
  align.add_u32("general.alignment", 24);
  EXPECT_NE(error_of(align.build()).find("not a power of two"), std::string::npos);
  GgufWriter align_type;
  align_type.add_u64("general.alignment", 32);
  EXPECT_NE(error_of(align_type.build()).find("not a uint32"), std::string::npos);
}

TEST(GgufReader, RejectsBadTensorInfos) {
  GgufWriter::Layout l;
  const auto bytes = sample_writer().build(&l);
  const size_t dims = l.tensor_ndims_pos["a.weight"];
  auto b = bytes;
  GgufWriter::patch<uint32_t>(b, dims, 5);
  EXPECT_NE(error_of(b).find("tensor 'a.weight': 5 dimensions"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint32_t>(b, dims, 0);
  EXPECT_NE(error_of(b).find("0 dimensions"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint64_t>(b, dims + 4, 0);
  EXPECT_NE(error_of(b).find("dimension 0 is 0"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint64_t>(b, dims + 4, 1ull << 63);
  EXPECT_NE(error_of(b).find("dimension 0 is"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint64_t>(b, dims + 4, 1ull << 40);
  GgufWriter::patch<uint64_t>(b, dims + 12, 1ull << 40);
  EXPECT_NE(error_of(b).find("element count overflows"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint64_t>(b, dims + 4, 1ull << 61);  // 2^62 elements: bytes overflow
  EXPECT_NE(error_of(b).find("'a.weight'"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint32_t>(b, l.tensor_type_pos["a.weight"], 16);
  EXPECT_NE(error_of(b).find("unsupported tensor type 16 (IQ2_XXS)"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint32_t>(b, l.tensor_type_pos["a.weight"], 1000);
  EXPECT_NE(error_of(b).find("unsupported tensor type 1000"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint32_t>(b, l.tensor_type_pos["a.weight"], 8);  // Q8_0: 4 is not a multiple of 32
  EXPECT_NE(error_of(b).find("not a multiple of the Q8_0 block size 32"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint64_t>(b, l.tensor_offset_pos["a.weight"], 1ull << 40);
  EXPECT_NE(error_of(b).find("tensor 'a.weight': data runs past the end of the file (offset 1099511627776, size 32"),
            std::string::npos);
  b = bytes;
  GgufWriter::patch<uint64_t>(b, l.tensor_offset_pos["a.weight"], ~0ull - 31);  // aligned, overflows with the base
  EXPECT_NE(error_of(b).find("data runs past the end"), std::string::npos);
  b = bytes;
  GgufWriter::patch<uint64_t>(b, l.tensor_offset_pos["a.weight"], 4);
  EXPECT_NE(error_of(b).find("not a multiple of the alignment"), std::string::npos);

  GgufWriter dup;
  dup.add_f32_tensor("x", {1}, {1});
  dup.add_f32_tensor("x", {1}, {2});
  EXPECT_NE(error_of(dup.build()).find("tensor 'x': duplicate"), std::string::npos);
}

// Random corruption: the reader must return (ok or an error) without touching memory
// outside the buffer; the sanitizer build turns any stray read into a failure.
TEST(GgufReader, SurvivesRandomCorruption) {
  const auto bytes = sample_writer().build();
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 3000; ++iter) {
    auto b = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      const size_t pos = rng() % b.size();
      switch (rng() % 3) {
        case 0: b[pos] = static_cast<uint8_t>(rng()); break;
        case 1: b[pos] = 0xFF; break;
        default: b[pos] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
      }
    }
    if (rng() % 4 == 0) b.resize(rng() % b.size());
    auto f = parse(std::move(b));
    if (f.ok()) {
      for (const GgufTensor& t : f->tensors()) {
        ASSERT_LE(t.data + t.n_bytes, t.data + f->file_size());
      }
    } else {
      EXPECT_FALSE(f.error().message.empty());
    }
  }
}

}  // namespace
}  // namespace hearth::localnode
