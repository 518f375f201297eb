#include "hearth/policies/audit_record.hpp"

#include "hearth/policies/digest.hpp"

namespace hearth::policies {

using ordered_json = nlohmann::ordered_json;

WriteAheadRecord make_write_ahead(const EgressTarget& target, const PolicyVerdict& verdict,
                                  const RedactionMap& redactions, std::string_view body,
                                  bool keep_content) {
  WriteAheadRecord r;
  r.request_id = target.request_id;
  r.app = target.app;
  r.team = target.team;
  r.rule_id = verdict.rule_id;
  r.policy_hash = verdict.policy_hash;
  r.upstream = target.upstream;
  r.host = target.host;
  r.model = target.model;
  r.sent_sha256 = sha256_hex(body);
  r.sent_bytes = body.size();
  r.redactions = redactions.counts();
  r.detected = verdict.detected_classes;
  if (keep_content) r.content = std::string(body);
  return r;
}

ordered_json to_json(const WriteAheadRecord& r, bool include_content) {
  ordered_json j;
  j["kind"] = "write_ahead";
  j["request_id"] = r.request_id;
  j["app"] = r.app;
  j["team"] = r.team;
  j["rule"] = r.rule_id;
  j["policy_hash"] = r.policy_hash;
  j["upstream"] = r.upstream;
  j["host"] = r.host;
  j["model"] = r.model;
  j["sent_sha256"] = r.sent_sha256;
  j["sent_bytes"] = r.sent_bytes;
  j["redactions"] = ordered_json::object();
  for (const auto& [cls, n] : r.redactions) j["redactions"][cls] = n;
  j["detected"] = r.detected;
  if (include_content && r.content) j["content"] = *r.content;
  return j;
}

ordered_json to_json(const OutcomeRecord& r) {
  ordered_json j;
  j["kind"] = "outcome";
  j["request_id"] = r.request_id;
  j["upstream"] = r.upstream;
  j["policy_hash"] = r.policy_hash;
  j["status"] = r.status;
  j["tokens_in"] = r.tokens_in;
  j["tokens_out"] = r.tokens_out;
  j["latency_ms"] = r.latency_ms;
  j["bytes_received"] = r.bytes_received;
  j["failover"] = r.failover;
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

ordered_json to_json(const DenialRecord& r) {
  ordered_json j;
  j["kind"] = "denial";
  j["request_id"] = r.request_id;
  j["app"] = r.app;
  j["team"] = r.team;
  j["rule"] = r.rule_id;
  j["policy_hash"] = r.policy_hash;
  j["message"] = r.message;
  j["detected"] = r.detected;
  return j;
}

}  // namespace hearth::policies
