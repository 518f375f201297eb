// Chat templates: for each family, a real template (written here from the model's published
// tokenizer_config.json) is recognised, and conversations render exactly as that Jinja
// template renders them (the expected strings are Jinja2's output with HF's trim_blocks and
// lstrip_blocks). Also the ChatML fallback and encode_chat's BOS handling.

#include "hearth/localnode/chat_template.hpp"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "gguf_writer.hpp"

namespace hearth::localnode {
namespace {

using testing::GgufWriter;

struct Family {
  std::string name;
  ChatFormat format;
  std::string bos;
  std::string eos;
  std::string jinja;
};

struct Case {
  std::string family;
  std::string conversation;
  bool add_generation_prompt;
  std::string want;
};

const std::vector<Family> kFamilies = {
    // OpenHermes-2.5 / teknium ChatML
    {"chatml", ChatFormat::ChatMl, "<s>", "<|im_end|>",
     "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] "
     "+ '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ "
     "'<|im_start|>assistant\n' }}{% endif %}"},
    // Qwen/Qwen2-0.5B-Instruct
    {"qwen2", ChatFormat::ChatMl, "", "<|im_end|>",
     "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
     "'<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' "
     "+ message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if "
     "add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"},
    // HuggingFaceTB/SmolLM2-135M-Instruct
    {"smollm2", ChatFormat::ChatMl, "<|im_start|>", "<|im_end|>",
     "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
     "'<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
     "Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
     "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ "
     "'<|im_start|>assistant\n' }}{% endif %}"},
    // meta-llama/Llama-2-7b-chat-hf
    {"llama2", ChatFormat::Llama2, "<s>", "</s>",
     "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set "
     "system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set "
     "system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] "
     "== 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
     "user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message "
     "!= false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + "
     "message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if "
     "message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% "
     "elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif "
     "%}{% endfor %}"},
    // meta-llama/Meta-Llama-3-8B-Instruct
    {"llama3", ChatFormat::Llama3, "<|begin_of_text|>", "<|eot_id|>",
     "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
     "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim "
     "+ '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif "
     "%}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
     "'<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"},
    // meta-llama/Llama-3.1-8B-Instruct (tool branches left out)
    {"llama31", ChatFormat::Llama3, "<|begin_of_text|>", "<|eot_id|>",
     R"J({{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{#- System message + builtin tools #}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{%- if builtin_tools is defined or tools is not none %}
    {{- "Environment: ipython\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
)J"},
    // mistralai/Mistral-7B-Instruct-v0.2
    {"mistral", ChatFormat::Mistral, "<s>", "</s>",
     "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
     "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
     "user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ "
     "'[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ "
     "message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles "
     "are supported!') }}{% endif %}{% endfor %}"},
    // mistralai/Mistral-7B-Instruct-v0.3 (tool branches left out)
    {"mistral_v3", ChatFormat::Mistral, "<s>", "</s>",
     R"J({%- if messages[0]["role"] == "system" %}
    {%- set system_message = messages[0]["content"] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}
{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}
{%- set ns = namespace() %}
{%- set ns.index = 0 %}
{%- for message in loop_messages %}
    {%- if not (message.role == "tool" or message.role == "tool_results" or (message.tool_calls is defined and message.tool_calls is not none)) %}
        {%- if (message["role"] == "user") != (ns.index % 2 == 0) %}
            {{- raise_exception("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...") }}
        {%- endif %}
        {%- set ns.index = ns.index + 1 %}
    {%- endif %}
{%- endfor %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message["role"] == "user" %}
        {%- if loop.last and system_message is defined %}
            {{- "[INST] " + system_message + "\n\n" + message["content"] + "[/INST]" }}
        {%- else %}
            {{- "[INST] " + message["content"] + "[/INST]" }}
        {%- endif %}
    {%- elif message["role"] == "assistant" %}
        {{- " " + message["content"]|trim + eos_token}}
    {%- else %}
        {{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}
    {%- endif %}
{%- endfor %}
)J"},
    // HuggingFaceH4/zephyr-7b-beta
    {"zephyr", ChatFormat::Zephyr, "<s>", "</s>",
     R"J({% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>
'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %})J"},
    // microsoft/Phi-3-mini-4k-instruct (first release)
    {"phi3", ChatFormat::Phi3, "<s>", "<|endoftext|>",
     "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' "
     "+ '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif "
     "(message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% "
     "endfor %}"},
    // microsoft/Phi-3.5-mini-instruct
    {"phi3_5", ChatFormat::Phi3, "<s>", "<|endoftext|>",
     "{% for message in messages %}{% if message['role'] == 'system' and message['content'] "
     "%}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' "
     "%}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' "
     "%}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if "
     "add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"},
    // google/gemma-2-2b-it
    {"gemma", ChatFormat::Gemma, "<bos>", "<eos>",
     "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not "
     "supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != "
     "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
     "user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% "
     "set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ "
     "'<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor "
     "%}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"},
    // google/gemma-3-1b-it (list content left out)
    {"gemma3", ChatFormat::Gemma, "<bos>", "<eos>",
     R"J({{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = "" -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}
        {%- set role = "model" -%}
    {%- else -%}
        {%- set role = message['role'] -%}
    {%- endif -%}
    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else "") }}
    {%- if message['content'] is string -%}
        {{ message['content'] | trim }}
    {%- else -%}
        {{ raise_exception("Invalid content type") }}
    {%- endif -%}
    {{ '<end_of_turn>\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{'<start_of_turn>model\n'}}
{%- endif -%}
)J"},
};

const std::map<std::string, std::vector<ChatTurn>> kConversations = {
    {"user", {{"user", "Hello!"}}},
    {"system_user", {{"system", "You are terse."}, {"user", "Hello!"}}},
    {"multi",
     {{"system", "You are terse."},
      {"user", " Hi there \n"},
      {"assistant", " Hello. "},
      {"user", "Bye"}}},
    {"no_system_multi", {{"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}}},
    {"ends_with_assistant", {{"user", "Hi"}, {"assistant", "Hello."}}},
    {"bad_order", {{"user", "Hi"}, {"user", "Again"}}},
};

// family, conversation, add_generation_prompt, the rendering (or "error: " + the template's
// message).
const std::vector<Case> kCases = {
    {"chatml", "user", true, "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"},
    {"chatml", "user", false, "<|im_start|>user\nHello!<|im_end|>\n"},
    {"chatml", "system_user", true,
     "<|im_start|>system\nYou are "
     "terse.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"},
    {"chatml", "system_user", false,
     "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n"},
    {"chatml", "multi", true,
     "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n Hi there "
     "\n<|im_end|>\n<|im_start|>assistant\n Hello. "
     "<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n"},
    {"chatml", "multi", false,
     "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n Hi there "
     "\n<|im_end|>\n<|im_start|>assistant\n Hello. <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"},
    {"chatml", "no_system_multi", true,
     "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>"
     "user\nBye<|im_end|>\n<|im_start|>assistant\n"},
    {"chatml", "no_system_multi", false,
     "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>"
     "user\nBye<|im_end|>\n"},
    {"chatml", "ends_with_assistant", true,
     "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>"
     "assistant\n"},
    {"chatml", "ends_with_assistant", false,
     "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n"},
    {"chatml", "bad_order", true,
     "<|im_start|>user\nHi<|im_end|>\n<|im_start|>user\nAgain<|im_end|>\n<|im_start|>assistant\n"},
    {"chatml", "bad_order", false,
     "<|im_start|>user\nHi<|im_end|>\n<|im_start|>user\nAgain<|im_end|>\n"},
    {"qwen2", "user", true,
     "<|im_start|>system\nYou are a helpful "
     "assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"},
    {"qwen2", "user", false,
     "<|im_start|>system\nYou are a helpful "
     "assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n"},
    {"qwen2", "system_user", true,
     "<|im_start|>system\nYou are "
     "terse.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"},
    {"qwen2", "system_user", false,
     "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n"},
    {"qwen2", "multi", true,
     "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n Hi there "
     "\n<|im_end|>\n<|im_start|>assistant\n Hello. "
     "<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n"},
    {"qwen2", "multi", false,
     "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n Hi there "
     "\n<|im_end|>\n<|im_start|>assistant\n Hello. <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"},
    {"qwen2", "no_system_multi", true,
     "<|im_start|>system\nYou are a helpful "
     "assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>"
     "\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n"},
    {"qwen2", "no_system_multi", false,
     "<|im_start|>system\nYou are a helpful "
     "assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>"
     "\n<|im_start|>user\nBye<|im_end|>\n"},
    {"qwen2", "ends_with_assistant", true,
     "<|im_start|>system\nYou are a helpful "
     "assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>"
     "\n<|im_start|>assistant\n"},
    {"qwen2", "ends_with_assistant", false,
     "<|im_start|>system\nYou are a helpful "
     "assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>"
     "\n"},
    {"qwen2", "bad_order", true,
     "<|im_start|>system\nYou are a helpful "
     "assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>user\nAgain<|im_end|>\n<|"
     "im_start|>assistant\n"},
    {"qwen2", "bad_order", false,
     "<|im_start|>system\nYou are a helpful "
     "assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>user\nAgain<|im_end|>\n"},
    {"smollm2", "user", true,
     "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
     "Face<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"},
    {"smollm2", "user", false,
     "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
     "Face<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n"},
    {"smollm2", "system_user", true,
     "<|im_start|>system\nYou are "
     "terse.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"},
    {"smollm2", "system_user", false,
     "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n"},
    {"smollm2", "multi", true,
     "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n Hi there "
     "\n<|im_end|>\n<|im_start|>assistant\n Hello. "
     "<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n"},
    {"smollm2", "multi", false,
     "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n Hi there "
     "\n<|im_end|>\n<|im_start|>assistant\n Hello. <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"},
    {"smollm2", "no_system_multi", true,
     "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
     "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|"
     "im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n"},
    {"smollm2", "no_system_multi", false,
     "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
     "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|"
     "im_start|>user\nBye<|im_end|>\n"},
    {"smollm2", "ends_with_assistant", true,
     "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
     "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|"
     "im_start|>assistant\n"},
    {"smollm2", "ends_with_assistant", false,
     "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
     "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n"},
    {"smollm2", "bad_order", true,
     "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
     "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>user\nAgain<|im_end|>\n<|im_"
     "start|>assistant\n"},
    {"smollm2", "bad_order", false,
     "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
     "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>user\nAgain<|im_end|>\n"},
    {"llama2", "user", true, "<s>[INST] Hello! [/INST]"},
    {"llama2", "user", false, "<s>[INST] Hello! [/INST]"},
    {"llama2", "system_user", true,
     "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHello! [/INST]"},
    {"llama2", "system_user", false,
     "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHello! [/INST]"},
    {"llama2", "multi", true,
     "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\n Hi there [/INST] Hello. </s><s>[INST] Bye "
     "[/INST]"},
    {"llama2", "multi", false,
     "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\n Hi there [/INST] Hello. </s><s>[INST] Bye "
     "[/INST]"},
    {"llama2", "no_system_multi", true, "<s>[INST] Hi [/INST] Hello. </s><s>[INST] Bye [/INST]"},
    {"llama2", "no_system_multi", false, "<s>[INST] Hi [/INST] Hello. </s><s>[INST] Bye [/INST]"},
    {"llama2", "ends_with_assistant", true, "<s>[INST] Hi [/INST] Hello. </s>"},
    {"llama2", "ends_with_assistant", false, "<s>[INST] Hi [/INST] Hello. </s>"},
    {"llama2", "bad_order", true,
     "error: Conversation roles must alternate user/assistant/user/assistant/..."},
    {"llama2", "bad_order", false,
     "error: Conversation roles must alternate user/assistant/user/assistant/..."},
    {"llama3", "user", true,
     "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|><|start_header_"
     "id|>assistant<|end_header_id|>\n\n"},
    {"llama3", "user", false,
     "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"},
    {"llama3", "system_user", true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are "
     "terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|><|start_header_"
     "id|>assistant<|end_header_id|>\n\n"},
    {"llama3", "system_user", false,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are "
     "terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"},
    {"llama3", "multi", true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are "
     "terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi "
     "there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_"
     "header_id|>user<|end_header_id|>\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_id|"
     ">\n\n"},
    {"llama3", "multi", false,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are "
     "terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi "
     "there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_"
     "header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"},
    {"llama3", "no_system_multi", true,
     "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_header_id|>user<|end_header_id|>"
     "\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
    {"llama3", "no_system_multi", false,
     "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_header_id|>user<|end_header_id|>"
     "\n\nBye<|eot_id|>"},
    {"llama3", "ends_with_assistant", true,
     "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_header_id|>assistant<|end_header_id|>"
     "\n\n"},
    {"llama3", "ends_with_assistant", false,
     "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\nHello.<|eot_id|>"},
    {"llama3", "bad_order", true,
     "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "user<|end_header_id|>\n\nAgain<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
    {"llama3", "bad_order", false,
     "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "user<|end_header_id|>\n\nAgain<|eot_id|>"},
    {"llama31", "user", true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
     "December 2023\nToday Date: 26 Jul "
     "2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|><|start_header_"
     "id|>assistant<|end_header_id|>\n\n"},
    {"llama31", "user", false,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
     "December 2023\nToday Date: 26 Jul "
     "2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"},
    {"llama31", "system_user", true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
     "December 2023\nToday Date: 26 Jul 2024\n\nYou are "
     "terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|><|start_header_"
     "id|>assistant<|end_header_id|>\n\n"},
    {"llama31", "system_user", false,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
     "December 2023\nToday Date: 26 Jul 2024\n\nYou are "
     "terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"},
    {"llama31", "multi", true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
     "December 2023\nToday Date: 26 Jul 2024\n\nYou are "
     "terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi "
     "there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_"
     "header_id|>user<|end_header_id|>\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_id|"
     ">\n\n"},
    {"llama31", "multi", false,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
     "December 2023\nToday Date: 26 Jul 2024\n\nYou are "
     "terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi "
     "there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_"
     "header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"},
    {"llama31", "no_system_multi", true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
     "December 2023\nToday Date: 26 Jul "
     "2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_header_id|>user<|end_header_id|>"
     "\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
    {"llama31", "no_system_multi", false,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
     "December 2023\nToday Date: 26 Jul "
     "2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_header_id|>user<|end_header_id|>"
     "\n\nBye<|eot_id|>"},
    {"llama31", "ends_with_assistant", true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
     "December 2023\nToday Date: 26 Jul "
     "2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_header_id|>assistant<|end_header_id|>"
     "\n\n"},
    {"llama31", "ends_with_assistant", false,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
     "December 2023\nToday Date: 26 Jul "
     "2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\nHello.<|eot_id|>"},
    {"llama31", "bad_order", true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
     "December 2023\nToday Date: 26 Jul "
     "2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "user<|end_header_id|>\n\nAgain<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
    {"llama31", "bad_order", false,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
     "December 2023\nToday Date: 26 Jul "
     "2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "user<|end_header_id|>\n\nAgain<|eot_id|>"},
    {"mistral", "user", true, "<s>[INST] Hello! [/INST]"},
    {"mistral", "user", false, "<s>[INST] Hello! [/INST]"},
    {"mistral", "system_user", true,
     "error: Conversation roles must alternate user/assistant/user/assistant/..."},
    {"mistral", "system_user", false,
     "error: Conversation roles must alternate user/assistant/user/assistant/..."},
    {"mistral", "multi", true,
     "error: Conversation roles must alternate user/assistant/user/assistant/..."},
    {"mistral", "multi", false,
     "error: Conversation roles must alternate user/assistant/user/assistant/..."},
    {"mistral", "no_system_multi", true, "<s>[INST] Hi [/INST]Hello.</s>[INST] Bye [/INST]"},
    {"mistral", "no_system_multi", false, "<s>[INST] Hi [/INST]Hello.</s>[INST] Bye [/INST]"},
    {"mistral", "ends_with_assistant", true, "<s>[INST] Hi [/INST]Hello.</s>"},
    {"mistral", "ends_with_assistant", false, "<s>[INST] Hi [/INST]Hello.</s>"},
    {"mistral", "bad_order", true,
     "error: Conversation roles must alternate user/assistant/user/assistant/..."},
    {"mistral", "bad_order", false,
     "error: Conversation roles must alternate user/assistant/user/assistant/..."},
    {"mistral_v3", "user", true, "<s>[INST] Hello![/INST]"},
    {"mistral_v3", "user", false, "<s>[INST] Hello![/INST]"},
    {"mistral_v3", "system_user", true, "<s>[INST] You are terse.\n\nHello![/INST]"},
    {"mistral_v3", "system_user", false, "<s>[INST] You are terse.\n\nHello![/INST]"},
    {"mistral_v3", "multi", true,
     "<s>[INST]  Hi there \n[/INST] Hello.</s>[INST] You are terse.\n\nBye[/INST]"},
    {"mistral_v3", "multi", false,
     "<s>[INST]  Hi there \n[/INST] Hello.</s>[INST] You are terse.\n\nBye[/INST]"},
    {"mistral_v3", "no_system_multi", true, "<s>[INST] Hi[/INST] Hello.</s>[INST] Bye[/INST]"},
    {"mistral_v3", "no_system_multi", false, "<s>[INST] Hi[/INST] Hello.</s>[INST] Bye[/INST]"},
    {"mistral_v3", "ends_with_assistant", true, "<s>[INST] Hi[/INST] Hello.</s>"},
    {"mistral_v3", "ends_with_assistant", false, "<s>[INST] Hi[/INST] Hello.</s>"},
    {"mistral_v3", "bad_order", true,
     "error: After the optional system message, conversation roles must alternate "
     "user/assistant/user/assistant/..."},
    {"mistral_v3", "bad_order", false,
     "error: After the optional system message, conversation roles must alternate "
     "user/assistant/user/assistant/..."},
    {"zephyr", "user", true, "<|user|>\nHello!</s>\n<|assistant|>\n"},
    {"zephyr", "user", false, "<|user|>\nHello!</s>\n"},
    {"zephyr", "system_user", true,
     "<|system|>\nYou are terse.</s>\n<|user|>\nHello!</s>\n<|assistant|>\n"},
    {"zephyr", "system_user", false, "<|system|>\nYou are terse.</s>\n<|user|>\nHello!</s>\n"},
    {"zephyr", "multi", true,
     "<|system|>\nYou are terse.</s>\n<|user|>\n Hi there \n</s>\n<|assistant|>\n Hello. "
     "</s>\n<|user|>\nBye</s>\n<|assistant|>\n"},
    {"zephyr", "multi", false,
     "<|system|>\nYou are terse.</s>\n<|user|>\n Hi there \n</s>\n<|assistant|>\n Hello. "
     "</s>\n<|user|>\nBye</s>\n"},
    {"zephyr", "no_system_multi", true,
     "<|user|>\nHi</s>\n<|assistant|>\nHello.</s>\n<|user|>\nBye</s>\n<|assistant|>\n"},
    {"zephyr", "no_system_multi", false,
     "<|user|>\nHi</s>\n<|assistant|>\nHello.</s>\n<|user|>\nBye</s>\n"},
    {"zephyr", "ends_with_assistant", true,
     "<|user|>\nHi</s>\n<|assistant|>\nHello.</s>\n<|assistant|>\n"},
    {"zephyr", "ends_with_assistant", false, "<|user|>\nHi</s>\n<|assistant|>\nHello.</s>\n"},
    {"zephyr", "bad_order", true, "<|user|>\nHi</s>\n<|user|>\nAgain</s>\n<|assistant|>\n"},
    {"zephyr", "bad_order", false, "<|user|>\nHi</s>\n<|user|>\nAgain</s>\n"},
    {"phi3", "user", true, "<s><|user|>\nHello!<|end|>\n<|assistant|>\n"},
    {"phi3", "user", false, "<s><|user|>\nHello!<|end|>\n<|assistant|>\n"},
    {"phi3", "system_user", true, "<s><|user|>\nHello!<|end|>\n<|assistant|>\n"},
    {"phi3", "system_user", false, "<s><|user|>\nHello!<|end|>\n<|assistant|>\n"},
    {"phi3", "multi", true,
     "<s><|user|>\n Hi there \n<|end|>\n<|assistant|>\n Hello. "
     "<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n"},
    {"phi3", "multi", false,
     "<s><|user|>\n Hi there \n<|end|>\n<|assistant|>\n Hello. "
     "<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n"},
    {"phi3", "no_system_multi", true,
     "<s><|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n"},
    {"phi3", "no_system_multi", false,
     "<s><|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n"},
    {"phi3", "ends_with_assistant", true, "<s><|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n"},
    {"phi3", "ends_with_assistant", false,
     "<s><|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n"},
    {"phi3", "bad_order", true,
     "<s><|user|>\nHi<|end|>\n<|assistant|>\n<|user|>\nAgain<|end|>\n<|assistant|>\n"},
    {"phi3", "bad_order", false,
     "<s><|user|>\nHi<|end|>\n<|assistant|>\n<|user|>\nAgain<|end|>\n<|assistant|>\n"},
    {"phi3_5", "user", true, "<|user|>\nHello!<|end|>\n<|assistant|>\n"},
    {"phi3_5", "user", false, "<|user|>\nHello!<|end|>\n<|endoftext|>"},
    {"phi3_5", "system_user", true,
     "<|system|>\nYou are terse.<|end|>\n<|user|>\nHello!<|end|>\n<|assistant|>\n"},
    {"phi3_5", "system_user", false,
     "<|system|>\nYou are terse.<|end|>\n<|user|>\nHello!<|end|>\n<|endoftext|>"},
    {"phi3_5", "multi", true,
     "<|system|>\nYou are terse.<|end|>\n<|user|>\n Hi there \n<|end|>\n<|assistant|>\n Hello. "
     "<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n"},
    {"phi3_5", "multi", false,
     "<|system|>\nYou are terse.<|end|>\n<|user|>\n Hi there \n<|end|>\n<|assistant|>\n Hello. "
     "<|end|>\n<|user|>\nBye<|end|>\n<|endoftext|>"},
    {"phi3_5", "no_system_multi", true,
     "<|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n"},
    {"phi3_5", "no_system_multi", false,
     "<|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n<|user|>\nBye<|end|>\n<|endoftext|>"},
    {"phi3_5", "ends_with_assistant", true,
     "<|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n<|assistant|>\n"},
    {"phi3_5", "ends_with_assistant", false,
     "<|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n<|endoftext|>"},
    {"phi3_5", "bad_order", true, "<|user|>\nHi<|end|>\n<|user|>\nAgain<|end|>\n<|assistant|>\n"},
    {"phi3_5", "bad_order", false, "<|user|>\nHi<|end|>\n<|user|>\nAgain<|end|>\n<|endoftext|>"},
    {"gemma", "user", true,
     "<bos><start_of_turn>user\nHello!<end_of_turn>\n<start_of_turn>model\n"},
    {"gemma", "user", false, "<bos><start_of_turn>user\nHello!<end_of_turn>\n"},
    {"gemma", "system_user", true, "error: System role not supported"},
    {"gemma", "system_user", false, "error: System role not supported"},
    {"gemma", "multi", true, "error: System role not supported"},
    {"gemma", "multi", false, "error: System role not supported"},
    {"gemma", "no_system_multi", true,
     "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_"
     "of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n"},
    {"gemma", "no_system_multi", false,
     "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_"
     "of_turn>user\nBye<end_of_turn>\n"},
    {"gemma", "ends_with_assistant", true,
     "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_"
     "of_turn>model\n"},
    {"gemma", "ends_with_assistant", false,
     "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n"},
    {"gemma", "bad_order", true,
     "error: Conversation roles must alternate user/assistant/user/assistant/..."},
    {"gemma", "bad_order", false,
     "error: Conversation roles must alternate user/assistant/user/assistant/..."},
    {"gemma3", "user", true,
     "<bos><start_of_turn>user\nHello!<end_of_turn>\n<start_of_turn>model\n"},
    {"gemma3", "user", false, "<bos><start_of_turn>user\nHello!<end_of_turn>\n"},
    {"gemma3", "system_user", true,
     "<bos><start_of_turn>user\nYou are terse.\n\nHello!<end_of_turn>\n<start_of_turn>model\n"},
    {"gemma3", "system_user", false,
     "<bos><start_of_turn>user\nYou are terse.\n\nHello!<end_of_turn>\n"},
    {"gemma3", "multi", true,
     "<bos><start_of_turn>user\nYou are terse.\n\nHi "
     "there<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_of_turn>user\nBye<end_"
     "of_turn>\n<start_of_turn>model\n"},
    {"gemma3", "multi", false,
     "<bos><start_of_turn>user\nYou are terse.\n\nHi "
     "there<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_of_turn>user\nBye<end_"
     "of_turn>\n"},
    {"gemma3", "no_system_multi", true,
     "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_"
     "of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n"},
    {"gemma3", "no_system_multi", false,
     "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_"
     "of_turn>user\nBye<end_of_turn>\n"},
    {"gemma3", "ends_with_assistant", true,
     "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_"
     "of_turn>model\n"},
    {"gemma3", "ends_with_assistant", false,
     "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n"},
    {"gemma3", "bad_order", true,
     "error: Conversation roles must alternate user/assistant/user/assistant/..."},
    {"gemma3", "bad_order", false,
     "error: Conversation roles must alternate user/assistant/user/assistant/..."},
};

const Family& family(const std::string& name) {
  for (const Family& f : kFamilies) {
    if (f.name == name) return f;
  }
  throw std::runtime_error("no family " + name);
}

TEST(ChatTemplate, RecognisesEachFamily) {
  for (const Family& f : kFamilies) {
    const ChatTemplate t = ChatTemplate::from_jinja(f.jinja, f.bos, f.eos);
    EXPECT_EQ(t.format(), f.format) << f.name;
    EXPECT_TRUE(t.warning().empty()) << f.name;
  }
}

TEST(ChatTemplate, RendersEachFamilyExactly) {
  for (const Case& c : kCases) {
    const Family& f = family(c.family);
    const ChatTemplate t = ChatTemplate::from_jinja(f.jinja, f.bos, f.eos);
    auto r = t.render(kConversations.at(c.conversation), c.add_generation_prompt);
    const std::string got = r.ok() ? *r : "error: " + r.error().message;
    EXPECT_EQ(got, c.want) << c.family << " / " << c.conversation << " / add_generation_prompt "
                           << c.add_generation_prompt;
  }
}

TEST(ChatTemplate, UnknownOrMissingTemplatesFallBackToChatMlWithAWarning) {
  for (const std::string jinja : {"", "{{ messages[0]['content'] }}"}) {
    const ChatTemplate t = ChatTemplate::from_jinja(jinja, "<s>", "</s>");
    EXPECT_EQ(t.format(), ChatFormat::ChatMl);
    EXPECT_NE(t.warning().find("using ChatML"), std::string::npos);
    auto r = t.render(std::vector<ChatTurn>{{"user", "Hi"}}, true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  }
  EXPECT_FALSE(ChatTemplate::from_jinja("", "", "").render({}, true).ok());
}

// A vocabulary with <s>, </s> and the ChatML markers, for from_gguf and encode_chat.
struct Vocab {
  GgufWriter w;
  explicit Vocab(const std::string& jinja, bool add_bos) {
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"};
    std::vector<int32_t> types = {2, 3, 3, 3, 3};
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      tokens.emplace_back(name);
      types.push_back(6);
    }
    w.add_string("tokenizer.ggml.model", "llama");
    w.add_strings("tokenizer.ggml.tokens", tokens);
    w.add_i32s("tokenizer.ggml.token_type", types);
    w.add_bool("tokenizer.ggml.add_bos_token", add_bos);
    if (!jinja.empty()) w.add_string("tokenizer.chat_template", jinja);
  }
};

TEST(ChatTemplate, FromGgufUsesTheTokenizersBosAndEos) {
  Vocab v(family("llama2").jinja, true);
  auto f = GgufFile::parse(v.w.build());
  ASSERT_TRUE(f.ok());
  auto tok = Tokenizer::from_gguf(*f);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  const ChatTemplate t = ChatTemplate::from_gguf(*f, *tok);
  EXPECT_EQ(t.format(), ChatFormat::Llama2);
  auto r = t.render(std::vector<ChatTurn>{{"user", "Hi"}, {"assistant", "Yo"}}, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "<s>[INST] Hi [/INST] Yo </s>");

  Vocab none("", true);
  auto g = GgufFile::parse(none.w.build());
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(ChatTemplate::from_gguf(*g, *tok).format(), ChatFormat::ChatMl);
  EXPECT_NE(ChatTemplate::from_gguf(*g, *tok).warning().find("no chat template"),
            std::string::npos);
}

TEST(ChatTemplate, EncodeChatAddsBosOnlyWhenTheTextLacksIt) {
  Vocab v("", true);
  auto f = GgufFile::parse(v.w.build());
  ASSERT_TRUE(f.ok());
  auto tok = Tokenizer::from_gguf(*f);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  // The rendered text starts with "<s>": that is the BOS, not another one.
  const auto with = encode_chat(*tok, "<s><|im_start|>");
  EXPECT_EQ(with, (std::vector<int32_t>{1, 3}));
  // Without it the vocabulary's add_bos applies; control tokens in the text are parsed.
  const auto without = encode_chat(*tok, "<|im_start|><|im_end|>");
  EXPECT_EQ(without, (std::vector<int32_t>{1, 3, 4}));
}

}  // namespace
}  // namespace hearth::localnode
