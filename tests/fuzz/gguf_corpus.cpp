// The GGUF fuzz corpus, made rather than collected: small valid files written with the test
// GgufWriter (vocabularies of both tokenizer kinds with chat templates, tiny llama and qwen2
// models in F32 and Q8_0, a GGUF v2 file), plus truncations and targeted corruptions of
// them. Two modes:
//   hearth_gguf_corpus write DIR     writes the seed corpus (tests/fuzz/corpus/gguf/)
//   hearth_gguf_corpus mutate N      runs N seeded random mutations of every seed through
//                                    the fuzz target in memory (a ctest; exits 0 when none
//                                    crashed, which is the only way it can fail)

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gguf_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using hearth::localnode::testing::GgufWriter;
using Bytes = std::vector<uint8_t>;

struct Seed {
  std::string name;
  Bytes bytes;
  GgufWriter::Layout layout;
};

std::vector<uint8_t> random_f32(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 0.5f);
  std::vector<uint8_t> b(n * 4);
  for (size_t i = 0; i < n; ++i) {
    const float x = dist(rng);
    std::memcpy(b.data() + i * 4, &x, 4);
  }
  return b;
}

// Q8_0 rows: per block of 32, an f16 scale (here 1/64) and 32 int8 values.
std::vector<uint8_t> random_q8_0(size_t n, std::mt19937& rng) {
  std::vector<uint8_t> b;
  for (size_t blk = 0; blk < n / 32; ++blk) {
    b.push_back(0x00);
    b.push_back(0x24);  // 2^-6 as f16
    for (int j = 0; j < 32; ++j) b.push_back(static_cast<uint8_t>(rng() & 0xFF));
  }
  return b;
}

void add_spm_vocab(GgufWriter& w, size_t n_pieces, bool byte_tokens, bool nan_scores = false) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};
  if (byte_tokens) {
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      tokens.emplace_back(name);
      scores.push_back(0);
      types.push_back(6);
    }
  }
  const char* pieces[] = {"▁",  "h",   "e",      "l",        "o", "▁h", "he",
                          "ll", "llo", "▁hello", "<|user|>", "w", "r",  "d"};
  for (size_t i = 0; tokens.size() < n_pieces + (byte_tokens ? 259 : 3); ++i) {
    tokens.emplace_back(i < std::size(pieces) ? pieces[i] : "t" + std::to_string(i));
    scores.push_back(nan_scores && i % 2 ? std::numeric_limits<float>::quiet_NaN()
                                         : -static_cast<float>(i));
    types.push_back(std::string_view(tokens.back()) == "<|user|>" ? 4 : 1);
  }
  w.add_string("tokenizer.ggml.model", "llama");
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_f32s("tokenizer.ggml.scores", scores);
  w.add_i32s("tokenizer.ggml.token_type", types);
  w.add_u32("tokenizer.ggml.bos_token_id", 1);
  w.add_u32("tokenizer.ggml.eos_token_id", 2);
  w.add_bool("tokenizer.ggml.add_bos_token", true);
}

// GPT-2's byte characters (printable Latin-1 as themselves, the rest from U+0100).
std::string byte_char(int b) {
  const auto printable = [](int x) {
    return (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE);
  };
  uint32_t cp = static_cast<uint32_t>(b);
  if (!printable(b)) {
    cp = 256;
    for (int x = 0; x < b; ++x) cp += printable(x) ? 0 : 1;
  }
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

void add_bpe_vocab(GgufWriter& w, const std::string& pre, size_t n_vocab) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (int b = 0; b < 256 && tokens.size() + 3 < n_vocab; ++b) {
    tokens.push_back(byte_char(b));
    types.push_back(1);
  }
  std::vector<std::string> merges = {"h e", "l l",  "he ll", "hell o", byte_char(' ') + " w",
                                     "o r", "Ġw or"};
  for (const std::string& m : merges) {
    const size_t sp = m.find(' ');
    tokens.push_back(m.substr(0, sp) + m.substr(sp + 1));
    types.push_back(1);
  }
  for (const char* special : {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}) {
    tokens.emplace_back(special);
    types.push_back(3);
  }
  w.add_string("tokenizer.ggml.model", "gpt2");
  w.add_string("tokenizer.ggml.pre", pre);
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_i32s("tokenizer.ggml.token_type", types);
  w.add_strings("tokenizer.ggml.merges", merges);
  w.add_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(tokens.size() - 3));
}

const char* kChatMl =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
    "'<|im_start|>system\\nYou "
    "are helpful.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' "
    "}}{% endif %}";
const char* kLlama2 =
    "{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}{% "
    "endif %}"
    "{{ bos_token + '[INST] <<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' }}[/INST]";

// A one-layer model of `arch` with n_embd 32, two heads of 16, n_ff 16 (32 for Q8_0's blocks).
Seed tiny_model(const std::string& name, const std::string& arch, uint32_t matrix_type, bool bpe,
                uint32_t version) {
  std::mt19937 rng(7);
  const uint32_t n_embd = 32, n_head = 2, n_head_kv = 1, head_dim = 16,
                 n_ff = matrix_type == 8 ? 32 : 16;
  GgufWriter w(version);
  w.add_string("general.architecture", arch);
  w.add_string("general.name", name);
  w.add_u32(arch + ".context_length", 64);
  w.add_u32(arch + ".embedding_length", n_embd);
  w.add_u32(arch + ".block_count", 1);
  w.add_u32(arch + ".feed_forward_length", n_ff);
  w.add_u32(arch + ".attention.head_count", n_head);
  w.add_u32(arch + ".attention.head_count_kv", n_head_kv);
  w.add_u32(arch + ".rope.dimension_count", head_dim);
  w.add_f32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
  w.add_f32(arch + ".rope.freq_base", 10000.0f);
  uint64_t n_vocab = 0;
  if (bpe) {
    add_bpe_vocab(w, "qwen2", 24);
    w.add_string("tokenizer.chat_template", kChatMl);
    n_vocab = 24 - 3 + 7 + 3;
  } else {
    add_spm_vocab(w, 29, false);
    w.add_string("tokenizer.chat_template", kLlama2);
    n_vocab = 32;
  }
  auto matrix = [&](const std::string& t, uint64_t in, uint64_t out) {
    if (matrix_type == 8) {
      w.add_tensor(t, 8, {in, out}, random_q8_0(in * out, rng));
    } else {
      w.add_tensor(t, 0, {in, out}, random_f32(in * out, rng));
    }
  };
  auto vec = [&](const std::string& t, uint64_t n) { w.add_tensor(t, 0, {n}, random_f32(n, rng)); };
  matrix("token_embd.weight", n_embd, n_vocab);
  vec("output_norm.weight", n_embd);
  const std::string b = "blk.0.";
  vec(b + "attn_norm.weight", n_embd);
  matrix(b + "attn_q.weight", n_embd, n_head * head_dim);
  matrix(b + "attn_k.weight", n_embd, n_head_kv * head_dim);
  matrix(b + "attn_v.weight", n_embd, n_head_kv * head_dim);
  if (arch == "qwen2") {
    vec(b + "attn_q.bias", n_head * head_dim);
    vec(b + "attn_k.bias", n_head_kv * head_dim);
    vec(b + "attn_v.bias", n_head_kv * head_dim);
  }
  matrix(b + "attn_output.weight", n_head * head_dim, n_embd);
  vec(b + "ffn_norm.weight", n_embd);
  matrix(b + "ffn_gate.weight", n_embd, n_ff);
  matrix(b + "ffn_up.weight", n_embd, n_ff);
  matrix(b + "ffn_down.weight", n_ff, n_embd);
  Seed s{name, {}, {}};
  s.bytes = w.build(&s.layout);
  return s;
}

std::vector<Seed> seeds() {
  std::vector<Seed> out;
  {
    GgufWriter w;
    add_spm_vocab(w, 16, true);
    w.add_string("tokenizer.chat_template", kLlama2);
    Seed s{"spm-vocab", {}, {}};
    s.bytes = w.build(&s.layout);
    out.push_back(std::move(s));
  }
  for (const char* pre : {"gpt-2", "llama-bpe", "smollm", "unknown-pre"}) {
    GgufWriter w;
    add_bpe_vocab(w, pre, 259);
    w.add_string("tokenizer.chat_template", kChatMl);
    Seed s{std::string("bpe-vocab-") + pre, {}, {}};
    s.bytes = w.build(&s.layout);
    out.push_back(std::move(s));
  }
  {
    // Numbers that no integer can hold, where integers may be read (found by libFuzzer).
    GgufWriter w;
    w.add_f32s("test.f32", {std::numeric_limits<float>::quiet_NaN(), 1e30f, -1e30f, INFINITY});
    w.add_array<double>("test.f64", 12, {-1e300, std::numeric_limits<double>::quiet_NaN()});
    add_spm_vocab(w, 12, false, true);
    Seed s{"float-arrays", {}, {}};
    s.bytes = w.build(&s.layout);
    out.push_back(std::move(s));
  }
  out.push_back(tiny_model("llama-f32", "llama", 0, false, 3));
  out.push_back(tiny_model("llama-q8_0", "llama", 8, false, 3));
  out.push_back(tiny_model("qwen2-f32", "qwen2", 0, true, 3));
  out.push_back(tiny_model("llama-v2", "llama", 0, false, 2));
  return out;
}

template <class T>
void patch(Bytes& b, size_t pos, T v) {
  if (pos + sizeof v <= b.size()) std::memcpy(b.data() + pos, &v, sizeof v);
}

// Hand-made corruptions of a seed, each aimed at one check of the reader.
std::vector<std::pair<std::string, Bytes>> corruptions(const Seed& s) {
  std::vector<std::pair<std::string, Bytes>> out;
  auto add = [&](const std::string& what, const std::function<void(Bytes&)>& f) {
    Bytes b = s.bytes;
    f(b);
    out.emplace_back(s.name + "-" + what, std::move(b));
  };
  for (size_t cut :
       {size_t{3}, size_t{20}, s.bytes.size() / 3, s.layout.data_pos, s.bytes.size() - 1}) {
    add("cut-" + std::to_string(cut), [&](Bytes& b) { b.resize(std::min(cut, b.size())); });
  }
  add("n-kv-huge", [&](Bytes& b) { patch<uint64_t>(b, s.layout.n_kv_pos, uint64_t{1} << 62); });
  add("n-tensors-huge",
      [&](Bytes& b) { patch<uint64_t>(b, s.layout.n_tensors_pos, ~uint64_t{0}); });
  add("version-9", [&](Bytes& b) { patch<uint32_t>(b, 4, 9); });
  if (!s.layout.key_pos.empty()) {
    const auto& [key, pos] = *s.layout.key_pos.begin();
    add("key-len-huge", [&](Bytes& b) { patch<uint64_t>(b, pos, ~uint64_t{0} - 7); });
    add("value-type-99", [&](Bytes& b) { patch<uint32_t>(b, s.layout.value_pos.at(key), 99); });
  }
  if (auto it = s.layout.value_pos.find("tokenizer.ggml.tokens"); it != s.layout.value_pos.end()) {
    add("tokens-count-huge",
        [&](Bytes& b) { patch<uint64_t>(b, it->second + 8, uint64_t{1} << 40); });
    add("tokens-elem-bool", [&](Bytes& b) { patch<uint32_t>(b, it->second + 4, 7); });
  }
  if (!s.layout.tensor_ndims_pos.empty()) {
    const auto& [name, pos] = *s.layout.tensor_ndims_pos.rbegin();
    add("ndims-5", [&](Bytes& b) { patch<uint32_t>(b, pos, 5); });
    add("dim-huge", [&](Bytes& b) { patch<uint64_t>(b, pos + 4, uint64_t{1} << 62); });
    add("type-99", [&](Bytes& b) { patch<uint32_t>(b, s.layout.tensor_type_pos.at(name), 99); });
    add("offset-odd",
        [&](Bytes& b) { patch<uint64_t>(b, s.layout.tensor_offset_pos.at(name), 33); });
    add("offset-past-end", [&](Bytes& b) {
      patch<uint64_t>(b, s.layout.tensor_offset_pos.at(name), uint64_t{1} << 40);
    });
  }
  return out;
}

bool write(const std::filesystem::path& p, const Bytes& b) {
  GgufWriter::write_file(p.string(), b);
  return std::filesystem::file_size(p) == b.size();
}

// One random mutation: bit flips, random bytes, an interesting value at a random or a
// known field position, a truncation, or a spliced block of another part of the file.
void mutate(Bytes& b, const Seed& s, std::mt19937_64& rng) {
  if (b.empty()) return;
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const uint64_t interesting[] = {0,
                                  1,
                                  2,
                                  3,
                                  4,
                                  7,
                                  8,
                                  31,
                                  32,
                                  255,
                                  256,
                                  0xFFFF,
                                  0x7FFFFFFF,
                                  0x80000000,
                                  0xFFFFFFFF,
                                  uint64_t{1} << 32,
                                  uint64_t{1} << 62,
                                  ~uint64_t{0},
                                  b.size(),
                                  b.size() - 1};
  std::vector<size_t> fields = {s.layout.n_tensors_pos, s.layout.n_kv_pos};
  for (const auto* m :
       {&s.layout.key_pos, &s.layout.value_pos, &s.layout.tensor_name_pos,
        &s.layout.tensor_ndims_pos, &s.layout.tensor_type_pos, &s.layout.tensor_offset_pos}) {
    for (const auto& [k, pos] : *m) fields.push_back(pos);
  }
  const int rounds = 1 + static_cast<int>(pick(3));
  for (int r = 0; r < rounds && !b.empty(); ++r) {
    switch (pick(6)) {
      case 0:
        b[pick(b.size())] ^= static_cast<uint8_t>(1u << pick(8));
        break;
      case 1:
        b[pick(b.size())] = static_cast<uint8_t>(rng());
        break;
      case 2: {
        const uint64_t v = interesting[pick(std::size(interesting))];
        const size_t at = fields[pick(fields.size())] + 8 * pick(3);
        if (pick(2) == 0) {
          patch<uint64_t>(b, at, v);
        } else {
          patch<uint32_t>(b, at, static_cast<uint32_t>(v));
        }
        break;
      }
      case 3:
        patch<uint64_t>(b, pick(b.size()), interesting[pick(std::size(interesting))]);
        break;
      case 4:
        b.resize(pick(b.size()));
        break;
      case 5: {
        const size_t from = pick(b.size()), to = pick(b.size());
        const size_t n = std::min({size_t{64}, b.size() - from, b.size() - to});
        std::memmove(b.data() + to, b.data() + from, n);
        break;
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "write" && argc == 3) {
    const std::filesystem::path dir(argv[2]);
    std::filesystem::create_directories(dir);
    size_t n = 0;
    for (const Seed& s : seeds()) {
      if (!write(dir / (s.name + ".gguf"), s.bytes)) return 1;
      ++n;
      // One file of each kind gets the hand-made corruptions; the mutate mode covers the rest.
      if (s.name != "spm-vocab" && s.name != "bpe-vocab-gpt-2" && s.name != "llama-q8_0") continue;
      for (const auto& [name, bytes] : corruptions(s)) {
        if (!write(dir / (name + ".gguf"), bytes)) return 1;
        ++n;
      }
    }
    std::printf("wrote %zu files to %s\n", n, dir.c_str());
    return 0;
  }
  if (mode == "mutate" && argc == 3) {
    const long n = std::strtol(argv[2], nullptr, 10);
    std::mt19937_64 rng(20250221);
    size_t runs = 0;
    for (const Seed& s : seeds()) {
      LLVMFuzzerTestOneInput(s.bytes.data(), s.bytes.size());
      for (long i = 0; i < n; ++i) {
        Bytes b = s.bytes;
        mutate(b, s, rng);
        LLVMFuzzerTestOneInput(b.data(), b.size());
        ++runs;
      }
    }
    std::printf("ran %zu mutated inputs\n", runs);
    return 0;
  }
  std::fprintf(stderr, "usage: %s write DIR | mutate N\n", argv[0]);
  return 2;
}
