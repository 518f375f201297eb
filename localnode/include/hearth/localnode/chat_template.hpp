#pragma once
// Chat templates: recognises the family of a model's Jinja `tokenizer.chat_template` from its
// text (ChatML, Llama 2, Llama 3 / 3.1, Mistral, Zephyr, Phi-3, Gemma) and renders a
// conversation the way that template does, BOS text and template errors included. No
// template, or one not recognised, renders as ChatML with a warning. No Jinja is evaluated.
// Immutable after construction: thread-safe.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/result.hpp"
#include "hearth/localnode/gguf.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace hearth::localnode {

enum class ChatFormat { ChatMl, Llama2, Llama3, Mistral, Zephyr, Phi3, Gemma };
std::string_view to_string(ChatFormat format);

struct ChatTurn {
  std::string role;  // system | user | assistant (others as the template treats them)
  std::string content;
};

class ChatTemplate {
 public:
  // Recognises `jinja` (empty: none). `bos` and `eos` are the texts the template's
  // bos_token and eos_token stand for.
  static ChatTemplate from_jinja(std::string_view jinja, std::string bos, std::string eos);
  // The template in `tokenizer.chat_template`, with the tokenizer's BOS and EOS texts.
  static ChatTemplate from_gguf(const GgufFile& file, const Tokenizer& tokenizer);

  // Renders the conversation; with `add_generation_prompt`, ends with the opening of an
  // assistant turn (for the templates that have one). Errors: an empty conversation, or
  // what the template itself would reject (e.g. roles that do not alternate, a system
  // message where the model has none), with the template's message.
  [[nodiscard]] Result<std::string> render(std::span<const ChatTurn> messages,
                                           bool add_generation_prompt) const;

  ChatFormat format() const { return format_; }
  // Why the template fell back to ChatML; empty when it was recognised.
  const std::string& warning() const { return warning_; }
  const std::string& bos() const { return bos_; }

 private:
  // Differences inside a family, read from the template text.
  struct Variant {
    bool bos = false;              // ChatML, Phi-3: the template writes bos_token first
    std::string default_system;    // ChatML: the system message used when there is none
    bool llama31 = false;          // Llama 3.1+: the dated system header
    bool space_after_eos = false;  // Mistral v0.1: eos_token + ' '
    bool mistral_v3 =
        false;  // Mistral v0.3: "[/INST]" unspaced, system folded into the last user turn
    bool phi3_system = false;   // Phi-3.5 style: system turns and an explicit generation prompt
    bool gemma_system = false;  // Gemma 3: the system message opens the first user turn
  };

  ChatFormat format_ = ChatFormat::ChatMl;
  Variant variant_;
  std::string bos_;
  std::string eos_;
  std::string warning_;
};

// Tokenizes a rendered conversation: special tokens in the text become their ids, and BOS is
// added only when the vocabulary asks for it and the text does not already begin with it.
std::vector<int32_t> encode_chat(const Tokenizer& tokenizer, std::string_view rendered);

}  // namespace hearth::localnode
