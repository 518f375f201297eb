#pragma once
// The CompletionSource behind `local:<model>` route candidates: turns the request into an
// engine job, submits it to the model's scheduler — which admits it or refuses at once, so
// the router can burst elsewhere — and relays the generated text to the sink as OpenAI
// chunks or one completion. The engine thread wakes this coroutine through its executor; the
// I/O thread never waits on the engine. A cancelled coroutine (client gone, deadline) cancels
// the generation, which frees its slot at the engine's next step. Stateless apart from the
// models it points to: one may serve every worker.

#include <functional>
#include <map>
#include <string>

#include "hearth/core/completion_source.hpp"
#include "hearth/localnode/local_model.hpp"

namespace hearth::localnode {

class LocalSource final : public CompletionSource {
 public:
  // `models` by name must outlive the source; `seed` draws a seed for requests without one.
  LocalSource(std::map<std::string, LocalModel*, std::less<>> models, std::function<uint64_t()> seed);

  Task<Status> complete(const ChatRequest& request, const RequestContext& context,
                        CompletionSink& sink) override;

 private:
  std::map<std::string, LocalModel*, std::less<>> models_;
  std::function<uint64_t()> seed_;
};

}  // namespace hearth::localnode
