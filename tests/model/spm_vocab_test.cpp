// The SentencePiece tokenizer against llama.cpp's test vectors (vocab/*.gguf.inp/.out):
// inputs separated by "\n__ggml_vocab_test__\n", one line of space-separated ids per input,
// tokenized without BOS.

#include <gtest/gtest.h>

#include "hearth/localnode/tokenizer.hpp"
#include "model_files.hpp"

namespace hearth::localnode {
namespace {

std::vector<std::string> split_cases(const std::string& text) {
  const std::string marker = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t next; (next = text.find(marker, pos)) != std::string::npos; pos = next + marker.size()) {
    out.push_back(text.substr(pos, next - pos));
  }
  return out;
}

std::vector<std::vector<int32_t>> read_ids(const std::string& text) {
  std::vector<std::vector<int32_t>> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream ids(line);
    std::vector<int32_t> v;
    for (int32_t id; ids >> id;) v.push_back(id);
    out.push_back(std::move(v));
  }
  return out;
}

void check_vocab(const std::string& name) {
  const auto dir = testing::models_dir() / "vocab";
  const auto gguf = dir / (name + ".gguf");
  HEARTH_REQUIRE_MODEL_FILE(gguf);
  auto file = GgufFile::open(gguf);
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto tok = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  const auto inputs = split_cases(testing::read_text(dir / (name + ".gguf.inp")));
  const auto expected = read_ids(testing::read_text(dir / (name + ".gguf.out")));
  ASSERT_EQ(inputs.size(), expected.size());
  ASSERT_GT(inputs.size(), 40u);
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_EQ(tok->encode(inputs[i], false, true), expected[i]) << "case " << i << ": '" << inputs[i] << "'";
  }
}

TEST(SpmVocab, LlamaSpmVectorsExact) { check_vocab("ggml-vocab-llama-spm"); }
TEST(SpmVocab, Phi3VectorsExact) { check_vocab("ggml-vocab-phi-3"); }

TEST(SpmVocab, Gpt2IsReportedUnsupported) {
  const auto gguf = testing::models_dir() / "vocab" / "ggml-vocab-gpt-2.gguf";
  HEARTH_REQUIRE_MODEL_FILE(gguf);
  auto file = GgufFile::open(gguf);
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto tok = Tokenizer::from_gguf(*file);
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.error().message.find("'gpt2' is not supported"), std::string::npos);
}

}  // namespace
}  // namespace hearth::localnode
