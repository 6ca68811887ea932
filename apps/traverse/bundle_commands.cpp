// `traverse bundle ...`: registry bundle manifests (docs/formats.md, "Registry bundle").
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "commands.hpp"
#include "traverse/contracts/registry_bundle.hpp"

namespace traverse::cli {
namespace {

struct InspectOptions {
  std::string manifest;
  bool json = false;
};

std::vector<std::string> keys_of(const std::vector<BundleEntry>& entries) {
  std::vector<std::string> keys;
  keys.reserve(entries.size());
  for (const auto& entry : entries) {
    keys.push_back(entry.id + "@" + entry.version);
  }
  return keys;
}

void inspect(const InspectOptions& options, CliContext& context) {
  auto bundle = load_registry_bundle(options.manifest);
  if (!bundle) {
    const ExitCode code = load_failure_code(bundle.error(), options.manifest);
    context.report(bundle.error());
    if (options.json) {
      context.json(
          Value{{"exit_code", static_cast<int>(code)}, {"errors", errors_to_json(bundle.error())}});
    }
    context.finish(code);
    return;
  }
  const auto capability_ids = keys_of(bundle->capability_entries);
  const auto event_ids = keys_of(bundle->event_entries);
  const auto workflow_ids = keys_of(bundle->workflow_entries);
  if (options.json) {
    context.json(Value{{"bundle_id", bundle->bundle_id},
                       {"version", bundle->version},
                       {"scope", std::string(to_string(bundle->scope))},
                       {"capabilities", capability_ids.size()},
                       {"events", event_ids.size()},
                       {"workflows", workflow_ids.size()},
                       {"capability_ids", capability_ids},
                       {"event_ids", event_ids},
                       {"workflow_ids", workflow_ids}});
  } else {
    context.line("bundle_id: " + escape_terminal_text(bundle->bundle_id));
    context.line("version: " + escape_terminal_text(bundle->version));
    context.line("scope: " + std::string(to_string(bundle->scope)));
    context.line("capabilities: " + std::to_string(capability_ids.size()));
    context.line("events: " + std::to_string(event_ids.size()));
    context.line("workflows: " + std::to_string(workflow_ids.size()));
    const auto list = [&](const char* title, const std::vector<std::string>& keys) {
      context.line(title);
      for (const auto& key : keys) {
        context.line("  - " + escape_terminal_text(key));
      }
    };
    list("capability_ids:", capability_ids);
    list("event_ids:", event_ids);
    list("workflow_ids:", workflow_ids);
  }
  context.finish(ExitCode::Ok);
}

}  // namespace

void add_bundle_commands(CLI::App& app, CliContext& context) {
  CLI::App* bundle = app.add_subcommand("bundle", "Work with registry bundle manifests");
  bundle->require_subcommand(1);

  auto options = std::make_shared<InspectOptions>();
  CLI::App* inspect_cmd = bundle->add_subcommand(
      "inspect",
      "Load a bundle manifest and every artifact it names; print its id, version, scope, counts "
      "and id@version lists. Exit 2 when the bundle is invalid, 4 when the manifest cannot be "
      "read.");
  inspect_cmd->add_option("manifest", options->manifest, "Path of the bundle manifest (JSON)")
      ->required();
  inspect_cmd->add_flag("--json", options->json, "Print one JSON object instead of text");
  inspect_cmd->callback([options, &context] { inspect(*options, context); });
}

}  // namespace traverse::cli
