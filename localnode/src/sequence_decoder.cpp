#include "hearth/localnode/sequence_decoder.hpp"

#include <utility>

namespace hearth::localnode {

std::string_view to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::Length:
      return "length";
    case FinishReason::EndOfGeneration:
      return "eog";
    case FinishReason::Stop:
      return "stop";
    case FinishReason::ContextFull:
      return "context_full";
    case FinishReason::Cancelled:
      return "cancelled";
  }
  return "?";
}

Result<SequenceDecoder> SequenceDecoder::create(const Tokenizer& tokenizer, size_t n_vocab,
                                                const SamplerOptions& sampling,
                                                DecodeLimits limits,
                                                std::span<const int32_t> prompt) {
  if (limits.max_tokens < 0)
    return make_error(ErrorCode::InvalidRequest, "max_tokens must not be negative");
  auto sampler = Sampler::create(sampling, n_vocab);
  if (!sampler) return std::move(sampler).error();
  for (int32_t id : prompt) sampler->accept(id);
  SequenceDecoder decoder(tokenizer, std::move(sampler).value(), std::move(limits));
  if (decoder.limits_.max_tokens == 0) decoder.finish_ = FinishReason::Length;
  return decoder;
}

SequenceDecoder::SequenceDecoder(const Tokenizer& tokenizer, Sampler sampler, DecodeLimits limits)
    : tokenizer_(&tokenizer),
      sampler_(std::move(sampler)),
      limits_(std::move(limits)),
      detokenizer_(tokenizer),
      stops_(limits_.stop) {}

SequenceDecoder::Step SequenceDecoder::step(std::span<const float> logits, uint32_t room,
                                            std::optional<int32_t> argmax) {
  Step s;
  if (finished()) return s;
  const int32_t next = argmax && sampler_.argmax_only() ? *argmax : sampler_.sample(logits);
  if (tokenizer_->is_eog(next)) {
    finish(FinishReason::EndOfGeneration, s.text);
    return s;
  }
  sampler_.accept(next);
  tokens_.push_back(next);
  s.text = stops_.push(detokenizer_.push(next));
  if (stops_.stopped()) {
    finish_ = FinishReason::Stop;
  } else if (tokens_.size() >= static_cast<size_t>(limits_.max_tokens)) {
    finish(FinishReason::Length, s.text);
  } else if (room == 0) {
    finish(FinishReason::ContextFull, s.text);
  } else {
    s.next = next;
  }
  return s;
}

void SequenceDecoder::finish(FinishReason reason, std::string& text) {
  finish_ = reason;
  // The end of the stream: an unfinished character and any held-back text.
  text += stops_.push(detokenizer_.flush());
  if (stops_.stopped()) {
    finish_ = FinishReason::Stop;
    return;
  }
  text += stops_.flush();
}

}  // namespace hearth::localnode
