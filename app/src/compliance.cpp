#include "compliance.hpp"

#include <cstdlib>

namespace hearth::app {

std::vector<policies::KnownUpstream> known_upstreams(const Config& config) {
  std::vector<policies::KnownUpstream> out;
  for (const UpstreamSpec& u : config.upstreams) {
    out.push_back({u.config.name, u.config.zone == upstream::Zone::Cloud});
  }
  return out;
}

std::optional<Compliance::FileStamp> Compliance::stamp_of(const std::string& path) {
  std::error_code ec;
  FileStamp stamp{std::filesystem::last_write_time(path, ec), 0};
  if (ec) return std::nullopt;
  stamp.size = std::filesystem::file_size(path, ec);
  if (ec) return std::nullopt;
  return stamp;
}

Result<std::unique_ptr<Compliance>> Compliance::create(const Config& config) {
  std::unique_ptr<Compliance> c(new Compliance());
  c->policy_path_ = config.policies_path;
  if (!c->policy_path_.empty()) {
    policies::PolicyLoadOptions options;
    options.upstreams = known_upstreams(config);
    c->loaded_stamp_ = stamp_of(c->policy_path_);
    auto policy = policies::load_policy_file(c->policy_path_, options);
    if (!policy) return std::move(policy).error();
    c->store_ = std::make_unique<policies::PolicyStore>(std::move(*policy), std::move(options));
  }
  if (!config.audit.path.empty()) {
    // An unset key variable is not fatal (the shipped config names one): the records then
    // carry the chain only, and start-up and /readyz say so.
    const std::string& key_env = config.audit.hmac_key_env;
    const bool key_unset = !key_env.empty() && std::getenv(key_env.c_str()) == nullptr;
    auto key = key_unset ? Result<std::string>(std::string())
                         : policies::load_hmac_key(key_env, config.audit.hmac_key_file);
    if (!key) return std::move(key).error();
    if (key_unset) {
      c->hmac_note_ = "$" + key_env + " is not set: audit records carry no HMAC (the hash chain still holds)";
      c->warnings_.push_back(c->hmac_note_);
    } else if (key->empty()) {
      c->hmac_note_ = "no HMAC key is configured (audit.hmac_key_env or audit.hmac_key_file)";
    }
    policies::AuditOptions options;
    options.path = config.audit.path;
    options.hmac_key = std::move(*key);
    options.include_content = config.audit.include_content;
    options.rotate_bytes = config.audit.rotate_bytes;
    options.rotate_daily = config.audit.rotate_daily;
    auto log = policies::AuditLog::open(std::move(options));
    if (!log) return std::move(log).error();
    c->audit_ = std::move(*log);
    c->writer_ = std::make_unique<policies::AuditWriter>(*c->audit_);
    c->include_content_ = config.audit.include_content;
  }
  return c;
}

router::Compliance Compliance::for_router() const {
  return {store_.get(), writer_.get(), include_content_};
}

void Compliance::wait_for_audit() {
  if (writer_) writer_->wait_idle();
}

Result<void> Compliance::reload() {
  if (!store_) return make_error(ErrorCode::InvalidRequest, "no policy file is configured (policies:)");
  std::lock_guard lock(mutex_);
  loaded_stamp_ = stamp_of(policy_path_);  // this content is judged now, valid or not
  auto reloaded = store_->reload(policy_path_);
  last_reload_error_ = reloaded ? std::string() : reloaded.error().message;
  return reloaded;
}

bool Compliance::policy_file_changed() {
  if (!store_) return false;
  std::lock_guard lock(mutex_);
  return stamp_of(policy_path_) != loaded_stamp_;
}

Json Compliance::describe() const {
  Json out = Json::object();
  if (store_) {
    auto policy = store_->current();
    Json policy_json = {{"path", policy->path()}, {"hash", policy->hash()}, {"rules", policy->rules().size()}};
    std::lock_guard lock(mutex_);
    if (!last_reload_error_.empty()) policy_json["last_reload_error"] = last_reload_error_;
    out["policy"] = std::move(policy_json);
  } else {
    out["policy"] = {{"state", "not configured"}};
  }
  if (audit_) {
    const std::string reason = audit_->unhealthy_reason();
    Json audit = {{"state", reason.empty() ? "writing" : "failing"},
                  {"records", audit_->records_written()},
                  {"hmac", hmac_note_.empty()}};
    if (!hmac_note_.empty()) audit["hmac_note"] = hmac_note_;
    if (!reason.empty()) audit["reason"] = reason + "; cloud egress is blocked until a record can be written";
    out["audit"] = std::move(audit);
  } else {
    out["audit"] = {{"state", "not configured"}};
  }
  return out;
}

}  // namespace hearth::app
