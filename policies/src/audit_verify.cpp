#include "hearth/policies/audit_verify.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "audit_line.hpp"
#include "hearth/policies/audit_log.hpp"
#include "hearth/policies/digest.hpp"

namespace hearth::policies {
namespace {

AuditVerifyReport& bad(AuditVerifyReport& report, uint64_t line, std::string reason) {
  report.ok = false;
  report.line = line;
  report.reason = std::move(reason);
  return report;
}

}  // namespace

AuditVerifyReport verify_audit_text(std::string_view content, const std::string& file,
                                    const AuditVerifyOptions& options) {
  AuditVerifyReport report;
  report.file = file;
  report.hmac_checked = !options.hmac_key.empty();
  report.last_hash = options.expected_prev;
  uint64_t number = 0;
  uint64_t previous_seq = 0;
  std::string record_text, hmac;
  size_t at = 0;
  while (at < content.size()) {
    ++number;
    const size_t nl = content.find('\n', at);
    if (nl == std::string_view::npos) return bad(report, number, "the line is incomplete (no newline at the end)");
    const std::string_view line = content.substr(at, nl - at);
    at = nl + 1;

    // Parse the record.
    const auto record = nlohmann::json::parse(line, nullptr, false);
    if (!record.is_object()) return bad(report, number, "not a JSON object");
    auto prev = record.find("prev");
    auto seq = record.find("seq");
    if (prev == record.end() || !prev->is_string() || !audit_line::is_hex64(prev->get<std::string>())) {
      return bad(report, number, "no valid prev hash");
    }
    if (seq == record.end() || !seq->is_number_unsigned()) return bad(report, number, "no valid seq");

    // Check the chain: prev is the hash of the line before (or what the caller expects).
    const std::string prev_hash = prev->get<std::string>();
    if (number == 1) {
      report.first_prev = prev_hash;
      report.first_is_genesis = prev_hash == kGenesisHash;
      if (!options.expected_prev.empty() && prev_hash != options.expected_prev) {
        return bad(report, number, "prev does not match the last record of the previous file");
      }
    } else {
      if (prev_hash != report.last_hash) {
        return bad(report, number,
                   "prev does not match the line before (a line was edited, deleted, inserted or reordered)");
      }
      if (seq->get<uint64_t>() != previous_seq + 1) return bad(report, number, "seq does not follow the line before");
    }

    // Check the signature.
    if (report.hmac_checked) {
      if (!audit_line::split(line, record_text, hmac)) return bad(report, number, "no hmac");
      if (hmac_sha256_hex(options.hmac_key, record_text) != hmac) {
        return bad(report, number, "hmac does not match (the line was edited, or the key differs)");
      }
    }
    previous_seq = seq->get<uint64_t>();
    report.last_hash = sha256_hex(line);
    ++report.records;
  }
  return report;
}

Result<AuditVerifyReport> verify_audit_files(const std::vector<std::string>& files,
                                             const AuditVerifyOptions& options) {
  AuditVerifyReport total;
  AuditVerifyOptions next = options;
  for (size_t i = 0; i < files.size(); ++i) {
    std::ifstream in(files[i], std::ios::binary);
    if (!in) return make_error(ErrorCode::InvalidRequest, files[i] + ": cannot open the file");
    std::ostringstream text;
    text << in.rdbuf();
    AuditVerifyReport report = verify_audit_text(text.str(), files[i], next);
    if (i == 0) {
      total.first_prev = report.first_prev;
      total.first_is_genesis = report.first_is_genesis;
    }
    total.records += report.records;
    total.hmac_checked = report.hmac_checked;
    total.file = report.file;
    total.last_hash = report.last_hash;
    if (!report.ok) {
      total.ok = false;
      total.line = report.line;
      total.reason = report.reason;
      return total;
    }
    // The next file's first record chains to this file's last.
    next.expected_prev = report.last_hash;
  }
  return total;
}

}  // namespace hearth::policies
