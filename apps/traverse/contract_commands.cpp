// `traverse contract ...`: validating Traverse artifacts of every kind.
#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "cli_support.hpp"
#include "commands.hpp"
#include "traverse/contracts/artifact.hpp"
#include "traverse/registry/bundle_registration.hpp"

namespace traverse::cli {
namespace {

struct ValidateOptions {
  std::vector<std::string> files;
  bool json = false;
};

struct Identity {
  std::string id;
  std::string version;  // empty for runtime requests
};

Identity identity_of(const Artifact& artifact) {
  return std::visit(
      [](const auto& a) -> Identity {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, RegistryBundle>) {
          return {a.bundle_id, a.version};
        } else if constexpr (std::is_same_v<T, CapabilityPackage>) {
          return {a.package_id, a.version};
        } else if constexpr (std::is_same_v<T, RuntimeRequest>) {
          return {a.request_id, {}};
        } else {
          return {a.id, a.version};
        }
      },
      artifact);
}

// A bundle is only valid if it would register: its workflows must resolve against its own
// capabilities (the registry-dependent rules of docs/workflows.md). Checked in fresh registries.
ValidationErrors registry_checks(const Artifact& artifact) {
  if (const auto* bundle = std::get_if<RegistryBundle>(&artifact)) {
    CapabilityRegistry capabilities;
    WorkflowRegistry workflows;
    auto registered = register_bundle(*bundle, capabilities, workflows);
    if (!registered) {
      return registered.error();
    }
  }
  return {};
}

void validate(const ValidateOptions& options, CliContext& context) {
  Value files = Value::array();
  bool any_invalid = false;
  bool any_unreadable = false;
  for (const auto& file : options.files) {
    ValidationErrors errors;
    std::string kind;
    Identity identity;
    auto artifact = load_artifact(file);
    if (artifact) {
      kind = artifact_kind(*artifact);
      identity = identity_of(*artifact);
      errors = registry_checks(*artifact);
    } else {
      errors = std::move(artifact.error());
    }
    for (auto& error : errors) {
      if (error.file().empty()) {
        error.set_file(file);
      }
      if (error.kind() == ValidationErrorKind::Unreadable && error.file() == file) {
        any_unreadable = true;
      }
    }
    Value entry{{"file", file}, {"valid", errors.empty()}};
    if (!kind.empty()) {
      entry["kind"] = kind;
      entry["id"] = identity.id;
      entry["version"] = identity.version;
    }
    if (errors.empty()) {
      const std::string key =
          identity.version.empty() ? identity.id : identity.id + "@" + identity.version;
      if (!options.json) {
        context.line(escape_terminal_text(file) + ": " + context.paint_out("valid", Style::Green) +
                     " " + kind + " " + escape_terminal_text(key));
      }
    } else {
      any_invalid = true;
      context.report(errors);
      entry["errors"] = errors_to_json(errors);
    }
    files.push_back(std::move(entry));
  }
  // An unreadable file wins over invalid content: the validation could not even be done.
  const ExitCode code = any_unreadable ? ExitCode::IoError
                        : any_invalid  ? ExitCode::ValidationFailed
                                       : ExitCode::Ok;
  if (options.json) {
    context.json(Value{{"valid", code == ExitCode::Ok},
                       {"exit_code", static_cast<int>(code)},
                       {"files", std::move(files)}});
  }
  context.finish(code);
}

}  // namespace

void add_contract_commands(CLI::App& app, CliContext& context) {
  CLI::App* contract = app.add_subcommand("contract", "Validate Traverse artifacts");
  contract->require_subcommand(1);

  auto options = std::make_shared<ValidateOptions>();
  CLI::App* validate_cmd = contract->add_subcommand(
      "validate",
      "Validate artifact files of any kind (capability_contract, event_contract, "
      "workflow_definition, capability_package, runtime_request, registry bundle manifest), "
      "chosen by their \"kind\". Prints '<file>: valid <kind> <id>@<version>' per valid file; "
      "lists every violation on stderr as 'file: $.path: Code: message'. Exit 0 when all are "
      "valid, 2 when any is invalid, 4 when a file cannot be read.");
  validate_cmd->add_option("files", options->files, "Artifact files (JSON)")->required();
  validate_cmd->add_flag("--json", options->json,
                         "Print one JSON report {valid, exit_code, files[]} instead of text");
  validate_cmd->callback([options, &context] { validate(*options, context); });
}

}  // namespace traverse::cli
