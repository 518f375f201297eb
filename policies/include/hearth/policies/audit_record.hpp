#pragma once
// The audit log's records (one JSON object per line). Write-ahead: appended and flushed
// before any byte goes to a cloud upstream. Outcome: after the request. Denial: a policy
// said no. The writer adds seq, time, prev and hmac.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <string_view>

#include <nlohmann/json.hpp>

#include "hearth/policies/policy.hpp"
#include "hearth/policies/redaction.hpp"

namespace hearth::policies {

struct WriteAheadRecord {
  std::string request_id;
  std::string app;
  std::string team;
  std::string rule_id;
  std::string policy_hash;
  std::string upstream;  // its name in hearth.yaml
  std::string host;      // where the bytes go
  std::string model;     // the model name sent upstream
  std::string sent_sha256;  // of the exact bytes sent (after redaction): sha256_hex(body)
  uint64_t sent_bytes = 0;
  std::map<std::string, int> redactions;  // replacements per class
  std::vector<std::string> detected;      // classes detected before redaction
  std::optional<std::string> content;     // the bytes sent; only with include_content
};

struct OutcomeRecord {
  std::string request_id;
  std::string upstream;
  int status = 0;  // HTTP status, or 0 when no response came
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  int64_t latency_ms = 0;
  uint64_t bytes_received = 0;
  bool failover = false;  // the next candidate was tried after this one
  std::string error;      // empty on success
  std::string policy_hash;  // the policy the request ran under
};

struct DenialRecord {
  std::string request_id;
  std::string app;
  std::string team;
  std::string rule_id;
  std::string policy_hash;
  std::string message;
  std::vector<std::string> detected;
};

// Who is sending, and where to.
struct EgressTarget {
  std::string request_id;
  std::string app;
  std::string team;
  std::string upstream;
  std::string host;
  std::string model;
};

// The write-ahead record for sending exactly `body` (the bytes after redaction) to
// `target` under `verdict`, with the replacements `redactions` made. With `keep_content`,
// `content` keeps a copy of the bytes (audit.include_content); otherwise they are not copied.
WriteAheadRecord make_write_ahead(const EgressTarget& target, const PolicyVerdict& verdict,
                                  const RedactionMap& redactions, std::string_view body,
                                  bool keep_content);

// The record's fields in a fixed order ("kind" first); the writer appends the rest.
nlohmann::ordered_json to_json(const WriteAheadRecord& record, bool include_content);
nlohmann::ordered_json to_json(const OutcomeRecord& record);
nlohmann::ordered_json to_json(const DenialRecord& record);

}  // namespace hearth::policies
