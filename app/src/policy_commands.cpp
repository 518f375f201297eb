#include "policy_commands.hpp"

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "compliance.hpp"
#include "hearth/app/config.hpp"
#include "hearth/core/wire_object.hpp"
#include "hearth/gateway/openai_codec.hpp"
#include "hearth/policies/audit_log.hpp"
#include "hearth/policies/audit_verify.hpp"
#include "hearth/policies/candidates.hpp"
#include "hearth/policies/policy_input.hpp"
#include "hearth/policies/policy_loader.hpp"
#include "hearth/policies/redaction.hpp"

namespace hearth::app {
namespace {

namespace pol = hearth::policies;

struct CheckArgs {
  std::string file;
  std::string config;
};

struct ExplainArgs {
  std::string config;
  std::string request;
  std::string app;
  std::string team;
  std::string policy;  // overrides the config's `policies`
  std::vector<std::string> headers;  // NAME=VALUE
};

struct VerifyArgs {
  std::vector<std::string> files;
  std::string key_env;
  std::string key_file;
  std::string config;
  std::string prev;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth: %s\n", message.c_str());
  return 1;
}

int run_check(const CheckArgs& a) {
  pol::PolicyLoadOptions options;
  if (!a.config.empty()) {
    auto config = load_config(a.config, yaml::process_env());
    if (!config) return fail(config.error().message);
    options.upstreams = known_upstreams(*config);
  }
  const pol::PolicyParse parsed = pol::load_policy(a.file, options);
  for (const pol::PolicyProblem& p : parsed.problems) std::fprintf(stderr, "%s\n", p.to_string().c_str());
  if (!parsed.policy) return 1;
  const pol::Policy& policy = *parsed.policy;
  std::printf("%s: ok (%zu rules, %zu custom detectors%s), sha256 %s\n", a.file.c_str(), policy.rules().size(),
              policy.custom_detectors().size(), options.upstreams ? ", upstreams checked" : "",
              policy.hash().c_str());
  return 0;
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::InvalidRequest, path + ": cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The configured candidates of `model`, each with its zone.
std::optional<std::vector<pol::RouteCandidate>> configured_candidates(const Config& config, const std::string& model) {
  for (const router::ModelRoute& route : config.models) {
    if (route.name != model) continue;
    std::vector<pol::RouteCandidate> out;
    for (const router::Candidate& c : route.candidates) {
      pol::Zone zone = pol::Zone::Cloud;  // an unknown target counts as leaving the network
      if (c.target == "local") zone = pol::Zone::Local;
      for (const UpstreamSpec& u : config.upstreams) {
        if (u.config.name == c.target) zone = u.config.zone == upstream::Zone::Cloud ? pol::Zone::Cloud : pol::Zone::OnPrem;
      }
      out.push_back({c.target, c.model, zone});
    }
    return out;
  }
  return std::nullopt;
}

int run_explain(const ExplainArgs& a) {
  // Load the config and the policy it names.
  auto config = load_config(a.config, yaml::process_env());
  if (!config) return fail(config.error().message);
  const std::string policy_path = a.policy.empty() ? config->policies_path : a.policy;
  if (policy_path.empty()) return fail(a.config + " names no policies file (set `policies:` or pass --policy)");
  pol::PolicyLoadOptions options;
  options.upstreams = known_upstreams(*config);
  const pol::PolicyParse parsed = pol::load_policy(policy_path, options);
  for (const pol::PolicyProblem& p : parsed.problems) std::fprintf(stderr, "%s\n", p.to_string().c_str());
  if (!parsed.policy) return 1;
  const pol::Policy& policy = *parsed.policy;

  // Decode the request the way the gateway does.
  auto text = read_text(a.request);
  if (!text) return fail(text.error().message);
  const Json peek = Json::parse(*text, nullptr, false);
  const Endpoint endpoint = peek.is_object() && peek.contains("prompt") && !peek.contains("messages")
                                ? Endpoint::Completions
                                : Endpoint::ChatCompletions;
  auto request = gateway::decode_request(endpoint, *text);
  if (!request) return fail(a.request + ": " + request.error().message);

  // Identity: --team, else the team the config gives the app's key.
  std::string team = a.team;
  if (team.empty()) {
    for (const gateway::ApiKey& key : config->api_keys) {
      if (key.app == a.app) {
        team = key.team;
        break;
      }
    }
  }
  std::map<std::string, std::string> headers;
  for (const std::string& h : a.headers) {
    const size_t eq = h.find('=');
    if (eq == std::string::npos || eq == 0) return fail("--header '" + h + "': expected NAME=VALUE");
    headers[h.substr(0, eq)] = h.substr(eq + 1);
  }

  // Decide.
  const pol::PolicyInput input = pol::make_policy_input(*request, a.app, team, headers);
  auto verdict = pol::decide(policy, input);
  if (!verdict) return fail(verdict.error().message);
  const pol::Rule* rule = policy.find_rule(verdict->rule_id);

  Json out = Json::object();
  out["rule"] = verdict->rule_id;
  out["description"] = rule != nullptr ? rule->description : "";
  out["route"] = std::string(pol::to_string(verdict->route));
  if (verdict->denied()) out["message"] = verdict->deny_message;
  out["upstreams_allowed"] = verdict->allowed_upstreams ? Json(*verdict->allowed_upstreams) : Json("any");
  if (auto configured = configured_candidates(*config, request->model)) {
    Json candidates = Json::array();
    for (const pol::RouteCandidate& c : pol::allowed_candidates(*verdict, *configured)) {
      candidates.push_back(c.target + ":" + c.model);
    }
    out["candidates"] = candidates;
  } else {
    out["candidates"] = Json::array();
    out["note"] = "no route is configured for model '" + request->model + "'";
  }
  out["detected"] = verdict->detected_counts;
  out["redact"] = verdict->redact_classes;
  auto redacted = pol::redact_request(*request, policy.detectors(), verdict->redact_classes);
  if (!redacted) return fail("redaction failed (nothing would be sent): " + redacted.error().message);
  out["redactions"] = redacted->map.counts();
  out["cache"] = verdict->cache_scope ? std::string(pol::to_string(*verdict->cache_scope)) : "default";
  out["max_tokens"] = verdict->max_tokens ? Json(*verdict->max_tokens) : Json(nullptr);
  out["app"] = a.app;
  out["team"] = team;
  out["model"] = request->model;
  out["prompt_tokens_estimate"] = input.prompt_tokens;
  out["has_tools"] = input.has_tools;
  out["has_images"] = input.has_images;
  out["policy"] = policy_path;
  out["policy_hash"] = policy.hash();
  // What a cloud upstream would receive: the body after redaction.
  if (verdict->route == pol::RouteMode::PreferLocal || verdict->route == pol::RouteMode::CloudAllowed) {
    out["cloud_body"] = redacted->request.body.json();
  }
  std::printf("%s\n", out.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
  return 0;
}

int run_verify(const VerifyArgs& a) {
  // The key: named on the command line, else by the config's audit.hmac_key_env.
  std::string key_env = a.key_env;
  if (key_env.empty() && a.key_file.empty() && !a.config.empty()) {
    auto config = load_config(a.config, yaml::process_env());
    if (!config) return fail(config.error().message);
    key_env = config->audit.hmac_key_env;
  }
  auto key = pol::load_hmac_key(key_env, a.key_file);
  if (!key) return fail(key.error().message);

  auto report = pol::verify_audit_files(a.files, {*key, a.prev});
  if (!report) return fail(report.error().message);
  if (!report->ok) {
    std::fprintf(stderr, "%s:%llu: bad record: %s\n", report->file.c_str(),
                 static_cast<unsigned long long>(report->line), report->reason.c_str());
    std::fprintf(stderr, "%llu records verified before it\n", static_cast<unsigned long long>(report->records));
    return 1;
  }
  const std::string start = report->records == 0         ? "empty"
                            : report->first_is_genesis    ? "chain from the first record"
                            : !a.prev.empty()             ? "chain from --prev"
                                                          : "chained to earlier record " + report->first_prev +
                                                                " (verify the previous file with it to check the link)";
  std::printf("%llu records ok (%s; %s)\n", static_cast<unsigned long long>(report->records), start.c_str(),
              report->hmac_checked ? "hmac checked" : "hmac not checked: no key");
  std::printf("last hash %s\n", report->last_hash.c_str());
  return 0;
}

}  // namespace

void add_policy_commands(CLI::App& cli, int& exit_code) {
  auto* policy = cli.add_subcommand("policy", "Compliance policies: `policy check FILE`, `policy explain`.");
  policy->require_subcommand(1);

  auto check_args = std::make_shared<CheckArgs>();
  auto* check = policy->add_subcommand(
      "check", "Validate a policy file; every problem is printed as FILE:LINE:COL: message (exit 1 on errors).");
  check->add_option("file", check_args->file, "The policy file (YAML).")->required();
  check->add_option("--config", check_args->config,
                    "hearth.yaml: also check that the upstreams rules name are configured.");
  check->callback([check_args, &exit_code] { exit_code = run_check(*check_args); });

  auto explain_args = std::make_shared<ExplainArgs>();
  auto* explain = policy->add_subcommand(
      "explain", "Dry-run a request through the policy and print the verdict as JSON; nothing is sent.");
  explain->add_option("--config", explain_args->config, "hearth.yaml (its `policies` file is used).")->required();
  explain->add_option("--request", explain_args->request, "A chat completions request body (JSON).")->required();
  explain->add_option("--app", explain_args->app, "The calling app, as its API key names it.");
  explain->add_option("--team", explain_args->team, "The app's team (default: from the app's key in the config).");
  explain->add_option("--policy", explain_args->policy, "A policy file to use instead of the config's.");
  explain->add_option("--header", explain_args->headers, "A request header NAME=VALUE (e.g. x-data-class=restricted).")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  explain->callback([explain_args, &exit_code] { exit_code = run_explain(*explain_args); });

  auto* audit = cli.add_subcommand("audit", "The egress audit log: `audit verify FILE...`.");
  audit->require_subcommand(1);
  auto verify_args = std::make_shared<VerifyArgs>();
  auto* verify = audit->add_subcommand(
      "verify",
      "Check the hash chain (and HMACs with a key) of audit files, oldest first; exit 0 with the record count, "
      "exit 1 naming the first bad record.");
  verify->add_option("files", verify_args->files, "Audit files, oldest first (rotated files before the active one).")
      ->required();
  auto* key_env = verify->add_option("--key-env", verify_args->key_env, "The env var holding the HMAC key.");
  auto* key_file = verify->add_option("--key-file", verify_args->key_file, "A file holding the HMAC key.");
  key_env->excludes(key_file);
  verify->add_option("--config", verify_args->config, "hearth.yaml: use its audit.hmac_key_env.");
  verify->add_option("--prev", verify_args->prev,
                     "The hash the first record must chain to (the `last hash` of the file before).");
  verify->callback([verify_args, &exit_code] { exit_code = run_verify(*verify_args); });
}

}  // namespace hearth::app
