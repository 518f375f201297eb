#pragma once
// The chat.completion.chunk objects of the benchmark's streams, shared by the mock upstream
// (which sends them) and the event-scan harness (which checks them as hearth does).

#include <string>
#include <vector>

namespace hearth::bench {

// A stream's objects: the assistant's role, one object per token of `tokens`, then the stop.
// `opening` is what each object holds before "choices" (id, object, created, model, ...), and
// `choice_tail` what each choice holds after its delta but before finish_reason.
inline std::vector<std::string> stream_events(const std::string& opening, const std::string& choice_tail,
                                              const std::vector<std::string>& tokens) {
  auto event = [&](const std::string& delta, const std::string& finish) {
    return "{" + opening + R"(,"choices":[{"index":0,"delta":)" + delta + choice_tail +
           R"(,"finish_reason":)" + finish + "}]}";
  };
  std::vector<std::string> events{event(R"({"role":"assistant","content":""})", "null")};
  for (const std::string& token : tokens) events.push_back(event(R"({"content":")" + token + "\"}", "null"));
  events.push_back(event("{}", "\"stop\""));
  return events;
}

// What differs from stream to stream, as in OpenAI's: the id and the time of creation. Each
// `variant` has its own.
inline std::string stream_id(int variant) {
  const std::string digits = std::to_string(100000 + variant * 7919 % 900000);
  return "chatcmpl-9xKqPz3bYc4LmN8vT2wQ" + digits;
}
inline std::string stream_created(int variant) {
  return std::to_string(1718000000 + variant * 61);
}

// The mock upstream's stream: eight objects.
inline std::vector<std::string> mock_stream_events(int variant) {
  return stream_events(R"("id":")" + stream_id(variant) +
                           R"(","object":"chat.completion.chunk","created":)" +
                           stream_created(variant) + R"(,"model":"mock")",
                       "", {"Hello", " from", " the", " mock", " upstream", "."});
}

// A stream shaped as OpenAI's (a system fingerprint, logprobs): 52 objects, 50 tokens.
inline std::vector<std::string> openai_shaped_stream_events(int variant) {
  const std::vector<std::string> words = {"The", " quick", " brown", " fox", " jumps",
                                          " over", " the", " lazy", " dog", "."};
  std::vector<std::string> tokens;
  for (int i = 0; i < 50; ++i) tokens.push_back(words[i % words.size()]);
  return stream_events(
      R"("id":")" + stream_id(variant) + R"(","object":"chat.completion.chunk","created":)" +
          stream_created(variant) +
          R"(,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb")",
      R"(,"logprobs":null)", tokens);
}

}  // namespace hearth::bench
