// The `traverse` command-line program: subcommands over the Traverse C++ library.
//
// Exit codes (cli_support.hpp): 0 ok, 1 execution failed, 2 validation failed, 3 registration
// conflict, 4 I/O error, 5 usage error. Unlike the Rust reference (which exits 5 on --help),
// `--help` exits 0: asking for help is a success, and shells/scripts treat it as one.
#include <CLI/CLI.hpp>
#include <exception>
#include <string>

#include "cli_support.hpp"
#include "commands.hpp"
#include "wasm_tier_option.hpp"

#ifndef TRAVERSE_VERSION
#define TRAVERSE_VERSION "0.0.0"
#endif

namespace {

// One entry per subcommand group; adding a group is one line here (plus its declaration).
constexpr traverse::cli::AddCommandGroup kCommandGroups[] = {
    traverse::cli::add_bundle_commands,  traverse::cli::add_contract_commands,
    traverse::cli::add_package_commands, traverse::cli::add_run_commands,
    traverse::cli::add_serve_commands,   traverse::cli::add_trace_commands,
    traverse::cli::add_wasm_commands,    traverse::cli::add_new_commands,
    traverse::cli::add_cluster_commands, traverse::cli::add_events_commands,
};

}  // namespace

int main(int argc, char** argv) {
  using traverse::cli::CliContext;
  using traverse::cli::ExitCode;
  CliContext context = CliContext::from_process();
  if (argc > 0 && argv[0] != nullptr && argv[0][0] != '\0') {
    context.set_program(argv[0]);
  }
  CLI::App app{
      "traverse - a governed capability runtime: validate, inspect and run Traverse "
      "artifacts.",
      "traverse"};
  try {
    app.set_version_flag("--version", std::string("traverse ") + TRAVERSE_VERSION);
    app.footer(traverse::cli::exit_code_help());
    app.require_subcommand(1);
    // Global flags, accepted before or after the subcommand (fallthrough is inherited).
    app.fallthrough();
    bool quiet = false;
    bool verbose = false;
    auto* quiet_flag = app.add_flag(
        "-q,--quiet", quiet,
        "Print only the essential result: no progress, step tables, event lines or trace hints");
    app.add_flag("-v,--verbose", verbose,
                 "Print extra detail (trace ids in step tables, imports, registrations) on "
                 "stderr/stdout")
        ->excludes(quiet_flag);
    traverse::cli::add_wasm_tier_option(app);
    app.parse_complete_callback([&] {
      context.set_verbosity(quiet     ? traverse::cli::Verbosity::Quiet
                            : verbose ? traverse::cli::Verbosity::Verbose
                                      : traverse::cli::Verbosity::Normal);
    });
    for (const auto add_group : kCommandGroups) {
      add_group(app, context);
    }
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here as "errors" with exit code 0; they print to stdout.
    const int code = app.exit(e, context.out(), context.err());
    return code == 0 ? 0 : static_cast<int>(ExitCode::Usage);
  } catch (const std::exception& e) {
    context.error_line(std::string("traverse: internal error: ") + e.what());
    return static_cast<int>(ExitCode::ExecutionFailed);
  }
  return context.exit_code();
}
