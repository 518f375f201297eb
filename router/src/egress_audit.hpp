#pragma once
// The audit side of one cloud attempt (DESIGN.md step 5). AuditedEgress is the EgressGuard
// the router hands the upstream: it has the write-ahead record for the exact bytes about to
// leave appended and flushed to disk (by the AuditWriter's thread, while this coroutine
// waits), and blocks the send when that fails. MeteringSink counts what came back, for the
// outcome record written after the attempt.

#include <cstdint>
#include <optional>
#include <string>

#include "hearth/core/completion_source.hpp"
#include "hearth/policies/audit_writer.hpp"
#include "hearth/policies/policy.hpp"
#include "hearth/policies/redaction.hpp"

namespace hearth::router {

class AuditedEgress final : public EgressGuard {
 public:
  // `writer`, `verdict` and `redactions` must outlive the guard.
  AuditedEgress(policies::AuditWriter& writer, policies::EgressTarget target, const policies::PolicyVerdict& verdict,
                const policies::RedactionMap& redactions, bool include_content);

  Task<Status> before_send(const Egress& egress) override;

  // Whether a write-ahead record was written (so bytes may have left: an outcome follows).
  bool sent() const { return sent_; }

 private:
  policies::AuditWriter& writer_;
  policies::EgressTarget target_;
  const policies::PolicyVerdict& verdict_;
  const policies::RedactionMap& redactions_;
  bool include_content_;
  bool sent_ = false;
};

// Appends `record` through `writer` and resumes the calling coroutine, on its own executor,
// once the record is on disk (or failed).
Task<Result<void>> append_durably(policies::AuditWriter& writer, nlohmann::ordered_json record);

// "https://api.openai.com:443/v1/chat" → "api.openai.com:443".
std::string host_of(std::string_view url);

// Passes everything on and counts the bytes of the objects and the usage that came back.
// `hide_usage`: drop usage-only chunks (the attempt asked for usage the client did not).
class MeteringSink final : public ForwardingSink {
 public:
  MeteringSink(CompletionSink& next, bool hide_usage) : ForwardingSink(next), hide_usage_(hide_usage) {}

  Task<Status> send_chunk(const CompletionChunk& chunk) override;
  Task<Status> send_chunks(std::span<const CompletionChunk> chunks) override;
  Task<Status> send_completion(const Completion& completion) override;

  uint64_t bytes() const { return bytes_; }
  std::optional<Usage> usage() const { return usage_; }

 private:
  bool take(const CompletionChunk& chunk);  // false: hide it

  bool hide_usage_;
  uint64_t bytes_ = 0;
  std::optional<Usage> usage_;
  std::vector<CompletionChunk> passed_;
};

}  // namespace hearth::router
