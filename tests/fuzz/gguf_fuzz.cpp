// Fuzz target for the GGUF reader and everything that reads a model's metadata: any bytes
// are opened as a GGUF file; when they parse, the vocabulary, the chat template and the
// model's hyper-parameters and tensor table are loaded and exercised (no forward pass).
// Mutated files must give errors, never crashes or sanitizer reports.
//
// Built two ways (tests/fuzz/CMakeLists.txt): with a plain main() over a corpus (a ctest in
// every build) and, with clang and -DHEARTH_FUZZ=ON, as a libFuzzer binary.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hearth/localnode/chat_template.hpp"
#include "hearth/localnode/detokenizer.hpp"
#include "hearth/localnode/gguf.hpp"
#include "hearth/localnode/model.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace {

namespace ln = hearth::localnode;

// Keeps the optimiser from dropping reads whose only purpose is to be checked by ASan.
volatile uint64_t g_sink = 0;

void touch_metadata(const ln::GgufFile& file) {
  for (const auto& [key, value] : file.metadata()) {
    (void)file.get_string(key);
    (void)file.get_uint(key);
    (void)file.get_float(key);
    (void)file.get_bool(key);
    if (value.type == ln::GgufType::Array && value.count > 0) {
      const double last = value.array_f64(value.count - 1);
      g_sink = g_sink + static_cast<uint64_t>(value.array_i64(0)) + (last > 0 ? 1 : 0);
      for (std::string_view s : value.strings)
        g_sink = g_sink + s.size() + (s.empty() ? 0 : static_cast<uint8_t>(s.back()));
    }
  }
  for (const ln::GgufTensor& t : file.tensors()) {
    if (t.n_bytes > 0) g_sink = g_sink + t.data[0] + t.data[t.n_bytes - 1];
  }
}

void exercise_tokenizer(const ln::GgufFile& file) {
  auto tok = ln::Tokenizer::from_gguf(file);
  if (!tok) return;
  std::string texts[] = {"", " ", "Hello world", "  héllo\n\n\tWORLD's 12345 !!",
                         "\xE2\x82\xAC\xFF\xC3"};
  // The first tokens' own texts, so that special tokens and merges are hit.
  std::string own;
  for (size_t id = 0; id < tok->n_vocab() && id < 32; ++id)
    own += tok->token_text(static_cast<int32_t>(id));
  if (own.size() > 4096) own.resize(4096);
  for (const std::string& text : {texts[0], texts[1], texts[2], texts[3], texts[4], own}) {
    for (bool special : {false, true}) {
      const std::vector<int32_t> ids = tok->encode(text, special, special);
      ln::Detokenizer detok(*tok);
      std::string out;
      for (int32_t id : ids) out += detok.push(id);
      out += detok.flush();
      g_sink = g_sink + out.size() + tok->decode(ids).size();
    }
  }
  for (int32_t id :
       {-1, 0, 1, static_cast<int32_t>(tok->n_vocab()) - 1, static_cast<int32_t>(tok->n_vocab())}) {
    g_sink = g_sink + tok->token_to_piece(id).size() + (tok->is_eog(id) ? 1 : 0);
  }

  // The chat template with this vocabulary's BOS and EOS.
  const ln::ChatTemplate chat = ln::ChatTemplate::from_gguf(file, *tok);
  const std::vector<ln::ChatTurn> conversation = {
      {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Yo"}, {"user", "Bye"}};
  for (bool prompt : {false, true}) {
    auto rendered = chat.render(conversation, prompt);
    if (rendered) g_sink = g_sink + ln::encode_chat(*tok, *rendered).size();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = ln::GgufFile::parse(std::vector<uint8_t>(data, data + size), "fuzz-input");
  if (!file) return 0;
  touch_metadata(*file);
  exercise_tokenizer(*file);
  if (!ln::read_model_config(*file)) return 0;
  auto model = ln::Model::load(std::move(file).value());
  if (model) g_sink = g_sink + (*model)->summary().n_params;
  return 0;
}
