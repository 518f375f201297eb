// Each family's renderer follows its published Jinja template step by step (HF renders them
// with trim_blocks and lstrip_blocks, so the template's own line breaks between tags never
// reach the output). Comments quote what each step of the template writes.

#include "hearth/localnode/chat_template.hpp"

#include "unicode.hpp"

namespace hearth::localnode {
namespace {

bool contains(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}

bool is_space(uint32_t cp) {
  return (cp >= 0x1C && cp <= 0x1F) || (unicode::char_class(cp) & unicode::kWhitespace);
}

// Jinja's `trim` filter and Python's str.strip(): white space off both ends.
std::string trim(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    const unicode::Decoded d = unicode::decode_utf8(s, begin);
    if (d.cp == unicode::kInvalid || !is_space(d.cp)) break;
    begin += d.len;
  }
  size_t end = s.size();
  while (end > begin) {
    // Step back to the start of the last character.
    size_t start = end - 1;
    while (start > begin && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80 && end - start < 4)
      --start;
    const unicode::Decoded d = unicode::decode_utf8(s, start);
    if (d.cp == unicode::kInvalid || start + d.len != end || !is_space(d.cp)) break;
    end = start;
  }
  return std::string(s.substr(begin, end - begin));
}

// Reads a ChatML template's built-in system message: a literal
// '<|im_start|>system\n...<|im_end|>' (the line break written as "\n" or as itself) with no
// expression inside it.
std::string default_system(std::string_view jinja) {
  for (std::string_view head :
       {std::string_view("<|im_start|>system\\n"), std::string_view("<|im_start|>system\n")}) {
    for (size_t at = jinja.find(head); at != std::string_view::npos;
         at = jinja.find(head, at + 1)) {
      const size_t begin = at + head.size();
      const size_t end = jinja.find("<|im_end|>", begin);
      if (end == std::string_view::npos) continue;
      const std::string_view text = jinja.substr(begin, end - begin);
      if (text.empty() || contains(text, "'") || contains(text, "\"") || contains(text, "{") ||
          contains(text, "+")) {
        continue;
      }
      // Undo the Jinja string escapes the text may use.
      std::string out;
      for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          const char c = text[++i];
          out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
        } else {
          out += text[i];
        }
      }
      return out;
    }
  }
  return {};
}

Error template_error(const std::string& message) {
  return make_error(ErrorCode::InvalidRequest, message);
}

const std::string kAlternate =
    "Conversation roles must alternate user/assistant/user/assistant/...";

}  // namespace

std::string_view to_string(ChatFormat format) {
  switch (format) {
    case ChatFormat::ChatMl:
      return "chatml";
    case ChatFormat::Llama2:
      return "llama2";
    case ChatFormat::Llama3:
      return "llama3";
    case ChatFormat::Mistral:
      return "mistral";
    case ChatFormat::Zephyr:
      return "zephyr";
    case ChatFormat::Phi3:
      return "phi3";
    case ChatFormat::Gemma:
      return "gemma";
  }
  return "?";
}

ChatTemplate ChatTemplate::from_jinja(std::string_view t, std::string bos, std::string eos) {
  ChatTemplate c;
  c.bos_ = std::move(bos);
  c.eos_ = std::move(eos);
  // Each family by the markers only its template writes.
  if (contains(t, "<|im_start|>")) {
    c.format_ = ChatFormat::ChatMl;
    c.variant_.bos = contains(t, "bos_token");
    c.variant_.default_system = default_system(t);
  } else if (contains(t, "<|start_header_id|>")) {
    c.format_ = ChatFormat::Llama3;
    c.variant_.llama31 = contains(t, "Cutting Knowledge Date");
  } else if (contains(t, "<start_of_turn>")) {
    c.format_ = ChatFormat::Gemma;
    c.variant_.gemma_system = contains(t, "first_user_prefix");
  } else if (contains(t, "<|user|>") && contains(t, "<|end|>")) {
    c.format_ = ChatFormat::Phi3;
    c.variant_.bos = contains(t, "bos_token");
    c.variant_.phi3_system = contains(t, "<|system|>");
  } else if (contains(t, "<|user|>") && contains(t, "<|assistant|>")) {
    c.format_ = ChatFormat::Zephyr;
  } else if (contains(t, "[INST]") && contains(t, "<<SYS>>")) {
    c.format_ = ChatFormat::Llama2;
  } else if (contains(t, "[INST]")) {
    c.format_ = ChatFormat::Mistral;
    c.variant_.mistral_v3 = contains(t, "\"[/INST]\"") || contains(t, "'[/INST]'");
    c.variant_.space_after_eos = contains(t, "eos_token + ' '") || contains(t, "eos_token + \" \"");
  } else {
    c.format_ = ChatFormat::ChatMl;
    c.warning_ = t.empty()
                     ? "the model has no chat template; using ChatML"
                     : "the model's chat template is not one of the known families; using ChatML";
  }
  return c;
}

ChatTemplate ChatTemplate::from_gguf(const GgufFile& file, const Tokenizer& tokenizer) {
  auto text = file.get_string("tokenizer.chat_template");
  std::string_view jinja = text && text->has_value() ? **text : std::string_view();
  auto token = [&](int32_t id) { return id >= 0 ? tokenizer.token_text(id) : std::string(); };
  ChatTemplate c = from_jinja(jinja, token(tokenizer.bos()), token(tokenizer.eos()));
  if (!text) c.warning_ = "'tokenizer.chat_template' is not a string; using ChatML";
  return c;
}

Result<std::string> ChatTemplate::render(std::span<const ChatTurn> messages,
                                         bool add_generation_prompt) const {
  if (messages.empty()) return template_error("the conversation has no messages");
  const bool has_system = messages[0].role == "system";
  const std::span<const ChatTurn> rest = has_system ? messages.subspan(1) : messages;
  std::string out;
  switch (format_) {
    case ChatFormat::ChatMl: {
      if (variant_.bos) out += bos_;
      // '<|im_start|>system\n<default><|im_end|>\n' when the conversation has no system turn.
      if (!has_system && !variant_.default_system.empty()) {
        out += "<|im_start|>system\n" + variant_.default_system + "<|im_end|>\n";
      }
      // '<|im_start|>' + role + '\n' + content + '<|im_end|>' + '\n'
      for (const ChatTurn& m : messages)
        out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      if (add_generation_prompt) out += "<|im_start|>assistant\n";
      return out;
    }

    case ChatFormat::Llama2: {
      // The system message goes into the first turn: '<<SYS>>\n' + system + '\n<</SYS>>\n\n'.
      for (size_t i = 0; i < rest.size(); ++i) {
        const ChatTurn& m = rest[i];
        if ((m.role == "user") != (i % 2 == 0)) return template_error(kAlternate);
        std::string content = m.content;
        if (i == 0 && has_system)
          content = "<<SYS>>\n" + messages[0].content + "\n<</SYS>>\n\n" + content;
        // bos_token + '[INST] ' + content.strip() + ' [/INST]' / ' ' + content.strip() + ' ' +
        // eos_token
        if (m.role == "user") {
          out += bos_ + "[INST] " + trim(content) + " [/INST]";
        } else if (m.role == "assistant") {
          out += " " + trim(content) + " " + eos_;
        }
      }
      return out;
    }

    case ChatFormat::Llama3: {
      if (variant_.llama31) {
        // bos_token, then the system header with the knowledge cut-off and the date
        // (date_string's default: strftime_now is not available here), then the system text.
        out += bos_ + "<|start_header_id|>system<|end_header_id|>\n\n";
        out += "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";
        if (has_system) out += trim(messages[0].content);
        out += "<|eot_id|>";
        for (const ChatTurn& m : rest) {
          out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + trim(m.content) +
                 "<|eot_id|>";
        }
      } else {
        // '<|start_header_id|>' + role + '<|end_header_id|>\n\n' + content | trim + '<|eot_id|>',
        // bos_token before the first.
        for (size_t i = 0; i < messages.size(); ++i) {
          if (i == 0) out += bos_;
          out += "<|start_header_id|>" + messages[i].role + "<|end_header_id|>\n\n" +
                 trim(messages[i].content) + "<|eot_id|>";
        }
      }
      if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      return out;
    }

    case ChatFormat::Mistral: {
      if (variant_.mistral_v3) {
        // v0.3: an optional leading system message joins the last turn when that is the user's.
        for (size_t i = 0; i < rest.size(); ++i) {
          if ((rest[i].role == "user") != (i % 2 == 0)) {
            return template_error(
                "After the optional system message, conversation roles must alternate "
                "user/assistant/user/assistant/...");
          }
        }
        out += bos_;
        for (size_t i = 0; i < rest.size(); ++i) {
          const ChatTurn& m = rest[i];
          if (m.role == "user") {
            const bool last = i + 1 == rest.size();
            out += "[INST] " + (last && has_system ? messages[0].content + "\n\n" : "") +
                   m.content + "[/INST]";
          } else if (m.role == "assistant") {
            out += " " + trim(m.content) + eos_;
          } else {
            return template_error(
                "Only user and assistant roles are supported, with the exception of an initial "
                "optional system message!");
          }
        }
        return out;
      }
      // v0.1 / v0.2: '[INST] ' + content + ' [/INST]', content + eos_token.
      out += bos_;
      for (size_t i = 0; i < messages.size(); ++i) {
        const ChatTurn& m = messages[i];
        if ((m.role == "user") != (i % 2 == 0)) return template_error(kAlternate);
        if (m.role == "user") {
          out += "[INST] " + m.content + " [/INST]";
        } else if (m.role == "assistant") {
          out += m.content + eos_ + (variant_.space_after_eos ? " " : "");
        } else {
          return template_error("Only user and assistant roles are supported!");
        }
      }
      return out;
    }

    case ChatFormat::Zephyr: {
      // '<|role|>\n' + content + eos_token, then a line break; the prompt after the last turn.
      for (const ChatTurn& m : messages) {
        if (m.role == "user" || m.role == "system" || m.role == "assistant") {
          out += "<|" + m.role + "|>\n" + m.content + eos_ + "\n";
        }
      }
      if (add_generation_prompt) out += "<|assistant|>\n";
      return out;
    }

    case ChatFormat::Phi3: {
      if (variant_.bos) out += bos_;
      if (variant_.phi3_system) {
        // '<|role|>\n' + content + '<|end|>\n' (empty system turns left out), then the prompt
        // or eos_token.
        for (const ChatTurn& m : messages) {
          if ((m.role == "system" && !m.content.empty()) || m.role == "user" ||
              m.role == "assistant") {
            out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
          }
        }
        out += add_generation_prompt ? "<|assistant|>\n" : eos_;
        return out;
      }
      // The first Phi-3 template: no system turns; every user turn opens the assistant's.
      for (const ChatTurn& m : messages) {
        if (m.role == "user") {
          out += "<|user|>\n" + m.content + "<|end|>\n<|assistant|>\n";
        } else if (m.role == "assistant") {
          out += m.content + "<|end|>\n";
        }
      }
      return out;
    }

    case ChatFormat::Gemma: {
      if (has_system && !variant_.gemma_system) return template_error("System role not supported");
      const std::span<const ChatTurn> turns = variant_.gemma_system ? rest : messages;
      out += bos_;
      // '<start_of_turn>' + role + '\n' + content | trim + '<end_of_turn>\n' (assistant: "model").
      for (size_t i = 0; i < turns.size(); ++i) {
        const ChatTurn& m = turns[i];
        if ((m.role == "user") != (i % 2 == 0)) return template_error(kAlternate);
        out += "<start_of_turn>" + (m.role == "assistant" ? std::string("model") : m.role) + "\n";
        if (i == 0 && has_system) out += messages[0].content + "\n\n";
        out += trim(m.content) + "<end_of_turn>\n";
      }
      if (add_generation_prompt) out += "<start_of_turn>model\n";
      return out;
    }
  }
  return template_error("unknown chat format");
}

std::vector<int32_t> encode_chat(const Tokenizer& tokenizer, std::string_view rendered) {
  const bool has_bos = tokenizer.bos() >= 0 && !tokenizer.token_text(tokenizer.bos()).empty() &&
                       rendered.starts_with(tokenizer.token_text(tokenizer.bos()));
  return tokenizer.encode(rendered, !has_bos, true);
}

}  // namespace hearth::localnode
