#include "egress_audit.hpp"

#include <memory>

#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hearth::router {
namespace asio = boost::asio;

Task<Result<void>> append_durably(policies::AuditWriter& writer, nlohmann::ordered_json record) {
  auto initiate = [&writer, &record](auto handler) {
    using Handler = decltype(handler);
    // The writer's callback needs a copyable function; the handler is move-only. The
    // tracked executor keeps the caller's io_context running while the disk works.
    auto state = std::make_shared<std::optional<Handler>>(std::move(handler));
    auto executor = asio::prefer(asio::get_associated_executor(**state), asio::execution::outstanding_work.tracked);
    writer.submit(std::move(record), [state, executor](Result<void> written) {
      asio::post(executor, [state, written = std::move(written)]() mutable { (**state)(std::move(written)); });
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result<void>)>(initiate,
                                                                                             asio::use_awaitable);
}

AuditedEgress::AuditedEgress(policies::AuditWriter& writer, policies::EgressTarget target,
                             const policies::PolicyVerdict& verdict, const policies::RedactionMap& redactions,
                             bool include_content)
    : writer_(writer), target_(std::move(target)), verdict_(verdict), redactions_(redactions),
      include_content_(include_content) {}

Task<Status> AuditedEgress::before_send(const Egress& egress) {
  policies::EgressTarget target = target_;
  target.host = host_of(egress.url);
  target.model = std::string(egress.model);
  nlohmann::ordered_json record =
      policies::to_json(policies::make_write_ahead(target, verdict_, redactions_, egress.body, include_content_),
                        include_content_);
  Result<void> written = co_await append_durably(writer_, std::move(record));
  if (!written) {
    co_return make_error(ErrorCode::EgressBlocked,
                         "Egress to upstream '" + target_.upstream +
                             "' is blocked: its audit record could not be written (" + written.error().message + ").");
  }
  sent_ = true;
  co_return Status{};
}

std::string host_of(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  const size_t end = url.find_first_of("/?#");
  url = url.substr(0, end);
  if (const size_t at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);  // no credentials
  return std::string(url);
}

bool MeteringSink::take(const CompletionChunk& chunk) {
  bytes_ += chunk.data.text().size();
  auto usage = chunk.data.usage();
  if (!usage) return true;
  usage_ = usage;
  if (!hide_usage_) return true;
  const Json& object = chunk.data.json();
  auto choices = object.find("choices");
  return choices != object.end() && choices->is_array() && !choices->empty();
}

Task<Status> MeteringSink::send_chunk(const CompletionChunk& chunk) {
  if (!take(chunk)) co_return Status{};
  co_return co_await next_.send_chunk(chunk);
}

Task<Status> MeteringSink::send_chunks(std::span<const CompletionChunk> chunks) {
  passed_.clear();
  for (const CompletionChunk& chunk : chunks) {
    if (take(chunk)) passed_.push_back(chunk);
  }
  if (passed_.empty()) co_return Status{};
  co_return co_await next_.send_chunks(passed_);
}

Task<Status> MeteringSink::send_completion(const Completion& completion) {
  bytes_ += completion.body.text().size();
  usage_ = completion.body.usage();
  co_return co_await next_.send_completion(completion);
}

}  // namespace hearth::router
