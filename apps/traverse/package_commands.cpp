// `traverse package ...`: capability package manifests (docs/formats.md, "Capability package") —
// inspecting one and running a request against it in the WebAssembly sandbox.
#include <memory>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "commands.hpp"
#include "input_source.hpp"
#include "run_report.hpp"
#include "schema_option.hpp"
#include "session.hpp"
#include "traverse/contracts/capability_package.hpp"
#include "traverse/wasm/host_abi.hpp"

namespace traverse::cli {
namespace {

struct InspectOptions {
  std::string manifest;
  bool json = false;
};

struct RunOptions {
  std::string manifest;
  std::string request;
  std::string trace_db;
  std::string bundle;
  std::vector<std::string> events;
  bool json = false;
  SchemaProfile schema_profile = SchemaProfile::Strict;
};

void inspect(const InspectOptions& options, CliContext& context) {
  auto package = load_capability_package(options.manifest);
  if (!package) {
    auto errors = std::move(package.error());
    attach_file(errors, options.manifest);
    context.fail(CommandFailure{load_failure_code(errors, options.manifest), std::move(errors)},
                 options.json);
    return;
  }
  // The binary's imports against the host ABI whitelist (as `traverse wasm verify`).
  const auto abi = verify_wasm_host_abi_file(package->binary_path, package->abi_version);
  std::vector<std::string> compositions;
  for (const auto& ref : package->known_compositions) {
    compositions.push_back(ref.workflow_id + "@" + ref.workflow_version);
  }
  if (options.json) {
    Value document{{"package_id", package->package_id},
                   {"version", package->version},
                   {"summary", package->summary},
                   {"capability_id", package->contract.id},
                   {"capability_version", package->contract.version},
                   {"contract", package->contract_path.string()},
                   {"source", package->source_path.string()},
                   {"source_language", package->source_language},
                   {"binary", package->binary_path.string()},
                   {"binary_digest", package->binary_digest},
                   {"abi_version", package->abi_version},
                   {"known_compositions", compositions},
                   {"valid", abi.has_value()}};
    if (abi) {
      Value imports = Value::array();
      for (const auto& import : abi->imports) {
        imports.push_back(Value{{"module", import.module}, {"name", import.name}});
      }
      document["imports"] = std::move(imports);
    } else {
      document["errors"] = Value::array({Value{{"code", abi.error().class_name()},
                                               {"path", "$.binary.path"},
                                               {"message", abi.error().message()},
                                               {"file", package->binary_path.string()}}});
      document["exit_code"] = static_cast<int>(ExitCode::ValidationFailed);
    }
    context.json(document);
  } else {
    context.line("package_id: " + escape_terminal_text(package->package_id));
    context.line("version: " + escape_terminal_text(package->version));
    context.line("summary: " + escape_terminal_text(package->summary));
    context.line("capability_id: " + escape_terminal_text(package->contract.id));
    context.line("capability_version: " + escape_terminal_text(package->contract.version));
    context.line("contract: " + escape_terminal_text(package->contract_path.string()));
    context.line("source: " + escape_terminal_text(package->source_path.string() + " (" +
                                                   package->source_language + ")"));
    context.line("binary: " + escape_terminal_text(package->binary_path.string()));
    context.line("binary_digest: " + package->binary_digest + " (verified)");
    context.line("abi_version: " + escape_terminal_text(package->abi_version));
    if (abi) {
      context.line("imports: " + std::to_string(abi->imports.size()) + " (ABI " + abi->abi_version +
                   " import whitelist " + context.paint_out("passed", Style::Green) + ")");
      if (context.verbose()) {
        for (const auto& import : abi->imports) {
          context.line("  - " + escape_terminal_text(import.module + "::" + import.name));
        }
      }
    }
    context.line("known_compositions:");
    for (const auto& key : compositions) {
      context.line("  - " + escape_terminal_text(key));
    }
  }
  if (!abi) {
    context.error_line(package->binary_path.string() + ": " + abi.error().message());
    context.finish(ExitCode::ValidationFailed);
    return;
  }
  context.finish(ExitCode::Ok);
}

void run(const RunOptions& options, CliContext& context) {
  auto request = read_request_argument(options.request);
  if (!request) {
    context.fail(request.error(), options.json);
    return;
  }
  SessionOptions session_options;
  session_options.schema_profile = options.schema_profile;
  auto session = open_session(options.trace_db, std::make_shared<StepObserver>(nullptr, false),
                              session_options);
  if (!session) {
    context.fail(session.error(), options.json);
    return;
  }
  if (!options.bundle.empty()) {
    // --bundle: the bundle's contracts, events and workflows, with this package attached.
    if (auto loaded = load_bundle_and_packages(context, *session->runtime, options.bundle,
                                               {options.manifest});
        !loaded) {
      context.fail(loaded.error(), options.json);
      return;
    }
  } else if (auto record = register_package_file(*session->runtime, options.manifest); !record) {
    context.fail(record.error(), options.json);
    return;
  }
  if (auto registered = register_event_files(*session->runtime, options.events); !registered) {
    context.fail(registered.error(), options.json);
    return;
  }
  // Registered, so it loads: its id for the report.
  const auto package = load_capability_package(options.manifest);
  const std::string package_id = package ? package->package_id : options.manifest;
  const RuntimeExecution execution = session->runtime->execute(*request);
  const RuntimeResult& result = execution.result;
  const std::vector<ObservedEvent> events = published_events_of(*execution.trace);
  if (options.json) {
    Value document = to_json(result);
    document["package_id"] = package_id;
    document["trace_db"] = session->trace_db.string();
    document["events"] = events_to_json(events);
    context.json(document);
  } else if (result.completed()) {
    if (context.quiet()) {
      context.line(pretty_dump(*result.output));
    } else {
      // The reference's lines (docs/cli-reference.md `capability-package execute`).
      context.line("request_id: " + escape_terminal_text(result.request_id));
      context.line("execution_id: " + escape_terminal_text(result.execution_id));
      context.line("package_id: " + escape_terminal_text(package_id));
      context.line("capability_id: " +
                   escape_terminal_text(execution.trace->capability_id.value_or("")));
      context.line("capability_version: " +
                   escape_terminal_text(execution.trace->capability_version.value_or("")));
      context.line("status: " + std::string(to_string(result.status)));
      context.line("trace_ref: " + escape_terminal_text(result.trace_ref));
      print_output(context, *result.output);
      if (!events.empty()) {
        print_events(context, events);
      }
      context.note("trace stored in " + session->trace_db.string());
    }
  }
  for (const auto& warning : result.warnings) {
    context.warning(warning.code + ": " + warning.message);
  }
  if (!execution.trace->publish_errors.empty() && options.events.empty() &&
      options.bundle.empty() && !context.quiet()) {
    context.error_line(
        "hint: events are published only when their type is registered: give the event "
        "contracts the package emits with --event <event.json> (repeatable), or a bundle that "
        "declares them with --bundle <bundle.json>");
  }
  if (result.error) {
    report_runtime_error(context, *result.error);
    context.finish(exit_code_for(result.error->kind()));
    return;
  }
  context.finish(ExitCode::Ok);
}

}  // namespace

void add_package_commands(CLI::App& app, CliContext& context) {
  CLI::App* package = app.add_subcommand("package", "Work with capability packages");
  package->require_subcommand(1);

  auto inspect_options = std::make_shared<InspectOptions>();
  CLI::App* inspect_cmd = package->add_subcommand(
      "inspect",
      "Load a capability package manifest (contract, source and .wasm checked, fnv1a64 digest "
      "verified) and print its ids, files, digest, ABI version, import count and known "
      "compositions. Exit 2 when the package or its .wasm is invalid, 4 when the manifest "
      "cannot be read.");
  inspect_cmd->add_option("manifest", inspect_options->manifest, "Package manifest (JSON)")
      ->required();
  inspect_cmd->add_flag("--json", inspect_options->json, "Print one JSON object instead of text");
  inspect_cmd->callback([inspect_options, &context] { inspect(*inspect_options, context); });

  auto run_options = std::make_shared<RunOptions>();
  CLI::App* run_cmd = package->add_subcommand(
      "run",
      "Register a capability package and run a runtime request against it in the WebAssembly "
      "sandbox. Prints request_id, execution_id, package_id, capability_id, capability_version, "
      "status, trace_ref and the output as pretty sorted JSON. Exit 1 when the execution fails, "
      "2 when the package or request is invalid, 4 when a file cannot be read.");
  run_cmd->add_option("manifest", run_options->manifest, "Package manifest (JSON)")->required();
  run_cmd
      ->add_option("request", run_options->request,
                   std::string("Runtime request (kind runtime_request)") + kJsonArgumentHelp)
      ->required();
  run_cmd->add_option("--trace-db", run_options->trace_db, trace_db_help())
      ->type_name("FILE")
      ->check(check_trace_db);
  run_cmd->add_flag("--json", run_options->json,
                    "Print the whole RuntimeResult (output at the top level) as one JSON document");
  run_cmd
      ->add_option("--bundle", run_options->bundle,
                   "Registry bundle to load first (its event contracts make the package's events "
                   "publishable; the package is attached to its capability of the same id@version)")
      ->type_name("FILE");
  run_cmd
      ->add_option("--event", run_options->events,
                   "Event contract (kind event_contract) to register (repeatable): the events the "
                   "package emits with that type are then published and listed, and recorded in "
                   "its trace (`traverse trace show`)")
      ->type_name("FILE");
  add_schema_profile_option(run_cmd, run_options->schema_profile);
  run_cmd->callback([run_options, &context] { run(*run_options, context); });

  add_package_build_commands(*package, context);
  add_package_compile_commands(*package, context);
}

}  // namespace traverse::cli
