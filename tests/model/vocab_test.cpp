// The tokenizers against llama.cpp's test vectors (vocab/*.gguf.inp/.out): inputs separated
// by "\n__ggml_vocab_test__\n", one line of space-separated ids per input, tokenized without
// BOS. llama-spm and phi-3 are SentencePiece vocabularies, gpt-2 a byte-level BPE one.

#include <gtest/gtest.h>

#include "hearth/localnode/tokenizer.hpp"
#include "model_files.hpp"

namespace hearth::localnode {
namespace {

std::vector<std::string> split_cases(const std::string& text) {
  const std::string marker = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t next; (next = text.find(marker, pos)) != std::string::npos;
       pos = next + marker.size()) {
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

void check_vocab(const std::string& name, TokenizerModel model) {
  const auto dir = testing::models_dir() / "vocab";
  const auto gguf = dir / (name + ".gguf");
  HEARTH_REQUIRE_MODEL_FILE(gguf);
  auto file = GgufFile::open(gguf);
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto tok = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(tok->model(), model);
  EXPECT_TRUE(tok->warnings().empty());
  const auto inputs = split_cases(testing::read_text(dir / (name + ".gguf.inp")));
  const auto expected = read_ids(testing::read_text(dir / (name + ".gguf.out")));
  ASSERT_EQ(inputs.size(), expected.size());
  ASSERT_GT(inputs.size(), 40u);
  size_t passed = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto ids = tok->encode(inputs[i], false, false);
    EXPECT_EQ(ids, expected[i]) << "case " << i << ": '" << inputs[i] << "'";
    if (ids == expected[i]) ++passed;
    // Decoding gives the text back (SPM adds its leading space).
    const std::string prefix = model == TokenizerModel::Spm && !inputs[i].empty() ? " " : "";
    EXPECT_EQ(tok->decode(ids), prefix + inputs[i]) << "case " << i;
  }
  std::printf("%s: %zu of %zu cases exact\n", name.c_str(), passed, inputs.size());
}

TEST(Vocab, LlamaSpmVectorsExact) {
  check_vocab("ggml-vocab-llama-spm", TokenizerModel::Spm);
}
TEST(Vocab, Phi3VectorsExact) {
  check_vocab("ggml-vocab-phi-3", TokenizerModel::Spm);
}
TEST(Vocab, Gpt2VectorsExact) {
  check_vocab("ggml-vocab-gpt-2", TokenizerModel::Bpe);
}

TEST(Vocab, Gpt2SpecialTokensAndEndOfGeneration) {
  const auto gguf = testing::models_dir() / "vocab" / "ggml-vocab-gpt-2.gguf";
  HEARTH_REQUIRE_MODEL_FILE(gguf);
  auto file = GgufFile::open(gguf);
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto tok = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(tok->pre_tokenizer(), "gpt-2");
  EXPECT_FALSE(tok->add_bos());  // no tokenizer.ggml.add_bos_token: GPT-2 adds none
  EXPECT_EQ(tok->eos(), 50256);
  EXPECT_TRUE(tok->is_eog(50256));
  // <|endoftext|> is a control token: parsed only when asked, and never printed.
  EXPECT_EQ(tok->encode("Hello<|endoftext|>", false, true), (std::vector<int32_t>{15496, 50256}));
  EXPECT_NE(tok->encode("Hello<|endoftext|>", false, false), (std::vector<int32_t>{15496, 50256}));
  EXPECT_EQ(tok->token_to_piece(50256), "");
}

}  // namespace
}  // namespace hearth::localnode
