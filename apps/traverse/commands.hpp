// apps/traverse/commands.hpp — every subcommand group of `traverse`.
//
// Each group lives in its own file (<group>_commands.cpp) and adds its subcommands to the app.
// Adding a group: declare its function here and list it in kCommandGroups in main.cpp.
// Handlers run inside CLI::App::parse and report their outcome with CliContext::finish; the
// context outlives the app.
#pragma once

#include <CLI/CLI.hpp>

#include "cli_support.hpp"

namespace traverse::cli {

using AddCommandGroup = void (*)(CLI::App& app, CliContext& context);

void add_bundle_commands(CLI::App& app, CliContext& context);    // bundle inspect
void add_cluster_commands(CLI::App& app, CliContext& context);   // node, cluster status
void add_contract_commands(CLI::App& app, CliContext& context);  // contract validate
void add_events_commands(CLI::App& app, CliContext& context);    // events watch
void add_package_commands(CLI::App& app, CliContext& context);   // package inspect|run
// package build|digest, added to the `package` group by add_package_commands.
void add_package_build_commands(CLI::App& package, CliContext& context);
// `traverse package compile`: the ahead-of-time WebAssembly tier's compile, ahead of first use.
void add_package_compile_commands(CLI::App& package, CliContext& context);
void add_new_commands(CLI::App& app, CliContext& context);    // new capability
void add_run_commands(CLI::App& app, CliContext& context);    // run, workflow run
void add_serve_commands(CLI::App& app, CliContext& context);  // serve
void add_trace_commands(CLI::App& app, CliContext& context);  // trace list|show
void add_wasm_commands(CLI::App& app, CliContext& context);   // wasm verify

}  // namespace traverse::cli
