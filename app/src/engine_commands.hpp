#pragma once
// The engine's command-line subcommands: `hearth generate` and `hearth tokenize`
// (DESIGN.md "Contracts"). They run the embedded inference engine once and print the result.

#include <CLI/CLI.hpp>

namespace hearth::app {

// Registers `generate` and `tokenize` on `cli`. Each runs from its CLI11 callback after a
// successful parse and stores its process exit status in `exit_code` (0 ok, 1 error); the
// caller returns `exit_code` from main. `exit_code` must outlive `cli.parse`.
void add_engine_commands(CLI::App& cli, int& exit_code);

}  // namespace hearth::app
