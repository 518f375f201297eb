#pragma once
// The compliance subcommands (DESIGN.md "Contracts"): `hearth policy check`, `hearth policy
// explain` (a dry run: the verdict as JSON, nothing sent) and `hearth audit verify`.

#include <CLI/CLI.hpp>

namespace hearth::app {

// Registers `policy check`, `policy explain` and `audit verify` on `cli`. Each runs from its
// CLI11 callback after a successful parse and stores its exit status in `exit_code` (0 ok,
// 1 error or a problem found); `exit_code` must outlive `cli.parse`.
void add_policy_commands(CLI::App& cli, int& exit_code);

}  // namespace hearth::app
