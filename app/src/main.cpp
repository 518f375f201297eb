// The `hearth` command line (DESIGN.md "Contracts"): parse arguments, load the config, hand
// over to the composition root. Start-up errors print one line and exit 1.

#include <csignal>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "hearth/app/config.hpp"
#include "hearth/app/gateway_app.hpp"
#include "engine_commands.hpp"
#include "policy_commands.hpp"

namespace {

std::FILE* access_log_stream(const std::string& where) {
  if (where == "off") return nullptr;
  return where == "stderr" ? stderr : stdout;
}

int run_serve(const std::string& config_path) {
  auto config = hearth::app::load_config(config_path, hearth::yaml::process_env());
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 1;
  }
  hearth::Logger log(stderr, config->log.level);
  hearth::Logger access_log(access_log_stream(config->log.access_log));
  return hearth::app::serve(*config, log, access_log);
}

}  // namespace

int main(int argc, char** argv) {
  // A client that disconnects mid-write must be an error on that socket, not a dead process.
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App cli{"hearth: a hybrid edge gateway for LLM traffic (OpenAI-compatible)."};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", std::string("hearth 0.1.0"));

  auto* serve = cli.add_subcommand("serve", "Run the gateway.");
  std::string config_path = "config/hearth.yaml";
  serve->add_option("--config", config_path, "The configuration file (YAML).")
      ->capture_default_str();

  int exit_code = 1;
  hearth::app::add_engine_commands(cli, exit_code);
  hearth::app::add_policy_commands(cli, exit_code);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  if (serve->parsed()) return run_serve(config_path);
  return exit_code;
}
