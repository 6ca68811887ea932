// `traverse new capability <id>`: writes a working capability to start from — its contract, a
// capability package manifest with C source (or a C++ native handler skeleton), an example
// runtime request and a registry bundle. `traverse package build` then compiles the C source and
// `traverse package run` runs the request at once (docs/getting-started.md walks through it).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "cli_support.hpp"
#include "commands.hpp"

namespace traverse::cli {
namespace {

namespace fs = std::filesystem;

struct NewCapabilityOptions {
  std::string id;
  std::string lang = "c";
  std::string dir;
  bool force = false;
};

// The contract loader's identifier rules: a name is '-'-separated segments of [a-z0-9]; a
// namespace is '.'-separated names of [a-z0-9] and '-'.
bool is_name(std::string_view text) {
  if (text.empty() || text.front() == '-' || text.back() == '-' ||
      text.find("--") != std::string_view::npos) {
    return false;
  }
  for (const char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

bool is_namespace(std::string_view text) {
  while (true) {
    const auto dot = text.find('.');
    const std::string_view part = text.substr(0, dot);
    for (const char c : part) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
    if (part.empty()) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    text.remove_prefix(dot + 1);
  }
}

// Replaces every "{{key}}" in `text`.
std::string fill(std::string text, const std::vector<std::pair<std::string, std::string>>& vars) {
  for (const auto& [key, value] : vars) {
    const std::string marker = "{{" + key + "}}";
    for (std::size_t at = text.find(marker); at != std::string::npos;
         at = text.find(marker, at + value.size())) {
      text.replace(at, marker.size(), value);
    }
  }
  return text;
}

// The capability contract: input {"text": string} -> output {"length": integer, "text": string}
// (the text in upper case), so two capabilities made from this template chain in a workflow.
constexpr std::string_view kContract = R"({
  "kind": "capability_contract",
  "schema_version": "1.0.0",
  "id": "{{id}}",
  "namespace": "{{namespace}}",
  "name": "{{name}}",
  "version": "1.0.0",
  "lifecycle": "active",
  "owner": {"team": "{{namespace}}", "contact": "{{namespace}}@example.com"},
  "summary": "Turns a text into upper case and counts its characters.",
  "description": "Template capability written by traverse new capability: reads {text}, returns the text in upper case and its length. Replace the logic, then update this description and the schemas.",
  "artifact_type": "{{artifact_type}}",
  "service_type": "stateless",
  "permitted_targets": ["local"],
  "inputs": {
    "schema": {
      "type": "object",
      "properties": {"text": {"type": "string", "minLength": 1}},
      "required": ["text"],
      "additionalProperties": false
    }
  },
  "outputs": {
    "schema": {
      "type": "object",
      "properties": {
        "text": {"type": "string"},
        "length": {"type": "integer", "minimum": 0}
      },
      "required": ["text", "length"],
      "additionalProperties": false
    }
  },
  "preconditions": [{"id": "text-given", "description": "The input carries a non-empty text."}],
  "postconditions": [
    {"id": "deterministic-output", "description": "The same input always gives the same output."}
  ],
  "side_effects": [{"kind": "none", "description": "Computes its output from its input only."}],
  "emits": [],
  "consumes": [],
  "permissions": [{"id": "{{namespace}}.execute"}],
  "execution": {
    "binary_format": "wasm",
    "entrypoint": {"kind": "wasi-command", "command": "run"},
    "preferred_targets": ["local"],
    "constraints": {
      "host_api_access": "none",
      "network_access": "forbidden",
      "filesystem_access": "none"
    }
  },
  "policies": [],
  "dependencies": [],
  "provenance": {
    "source": "greenfield",
    "author": "{{namespace}}",
    "created_at": "{{date}}",
    "adr_refs": [],
    "exception_refs": []
  },
  "evidence": []
}
)";

constexpr std::string_view kPackage = R"({
  "kind": "capability_package",
  "schema_version": "1.0.0",
  "package_id": "{{id}}",
  "version": "1.0.0",
  "summary": "{{name}}: upper-cases a text (C, wasm32-wasip1).",
  "capability_ref": {"id": "{{id}}", "version": "1.0.0", "contract_path": "contract.json"},
  "known_compositions": [],
  "source": {"path": "{{name}}.c", "language": "c", "entry": "main"},
  "binary": {
    "path": "{{name}}.wasm",
    "format": "wasm",
    "expected_digest": "fnv1a64:0000000000000000",
    "abi_version": "1.0.0"
  },
  "constraints": {
    "host_api_access": "none",
    "network_access": "forbidden",
    "filesystem_access": "none"
  },
  "model_dependencies": []
}
)";

constexpr std::string_view kSourceC =
    R"(/* {{id}} — reads {"text": "..."} on stdin, writes {"length": N, "text": "..."} on stdout
 * (the text in upper case). Built by `traverse package build package.json` with the Traverse
 * guest SDK (traverse/guest.h); run by `traverse package run package.json request.json`. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "traverse/guest.h"

int main(void) {
  traverse_set_name("{{name}}");
  const traverse_json* input = traverse_read_input();
  const char* text = traverse_require_string(input, "text", "$");

  const size_t length = strlen(text);
  char* upper = malloc(length + 1);
  if (upper == NULL)
    traverse_fail("out of memory");
  for (size_t i = 0; i <= length; ++i) {
    const char c = text[i];
    upper[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
  }

  /* Keys in sorted order: Traverse compares and hashes outputs as canonical JSON. */
  traverse_writer out;
  traverse_writer_init(&out);
  traverse_writer_object_begin(&out);
  traverse_writer_key(&out, "length");
  traverse_writer_integer(&out, (long long)length);
  traverse_writer_key(&out, "text");
  traverse_writer_string(&out, upper);
  traverse_writer_object_end(&out);
  traverse_write_output(&out);
  return 0;
}
)";

constexpr std::string_view kSourceNative =
    R"(// {{id}} as a native (C++) capability: the handler below, registered with the runtime
// under the contract in contract.json, runs request.json and prints the output.
// Build: cmake -S . -B build && cmake --build build && ./build/{{name}} contract.json request.json
#include <algorithm>
#include <cctype>
#include <iostream>

#include "traverse/contracts/runtime_request.hpp"
#include "traverse/runtime/traverse_runtime.hpp"

using namespace traverse;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: {{name}} contract.json request.json\n";
    return 5;
  }
  auto contract = load_capability_contract(argv[1]);
  if (!contract) {
    std::cerr << to_string(contract.error().front()) << "\n";
    return 2;
  }
  auto request = load_runtime_request(argv[2]);
  if (!request) {
    std::cerr << to_string(request.error().front()) << "\n";
    return 2;
  }
  // The capability's logic: input {"text"} -> output {"length", "text" in upper case}.
  auto handler = [](const Value& input) -> NativeHandler::Result {
    std::string text = input.at("text").get<std::string>();
    const auto length = static_cast<std::int64_t>(text.size());
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return Value{{"length", length}, {"text", text}};
  };
  auto built = TraverseRuntime::Builder{}.with_native_handler(contract->id, handler).build();
  if (!built) {
    std::cerr << built.error().to_string() << "\n";
    return 1;
  }
  TraverseRuntime& runtime = **built;
  if (auto r = runtime.register_capability(Scope::Public, *contract,
                                           ArtifactReference::native(contract->id));
      !r) {
    std::cerr << to_string(r.error()) << "\n";
    return 3;
  }
  const RuntimeResult result = runtime.execute_capability(*request);
  if (!result.completed()) {
    std::cerr << result.error->code << ": " << result.error->message << "\n";
    return 1;
  }
  std::cout << pretty_dump(*result.output) << "\n";
  return 0;
}
)";

constexpr std::string_view kNativeCMake =
    R"(# {{id}} as a native capability, built against an installed Traverse C++
# (cmake -S . -B build -DCMAKE_PREFIX_PATH=<traverse prefix>).
cmake_minimum_required(VERSION 3.25)
project({{name}} LANGUAGES CXX)
find_package(traverse CONFIG REQUIRED)
add_executable({{name}} {{name}}.cpp)
target_link_libraries({{name}} PRIVATE traverse::traverse)
)";

constexpr std::string_view kRequest = R"({
  "kind": "runtime_request",
  "schema_version": "1.0.0",
  "request_id": "{{name}}-example-1",
  "intent": {"capability_id": "{{id}}", "capability_version": "1.0.0"},
  "input": {"text": "hello, traverse"},
  "lookup": {"scope": "prefer_private", "allow_ambiguity": false},
  "context": {"requested_target": "local"},
  "governing_spec": "006-runtime-request-execution"
}
)";

constexpr std::string_view kBundle = R"({
  "bundle_id": "{{namespace}}",
  "version": "1.0.0",
  "scope": "public",
  "capabilities": [{"id": "{{id}}", "version": "1.0.0", "path": "contract.json"}],
  "events": [],
  "workflows": []
}
)";

std::string today_utc() {
  const auto now = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day ymd{now};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

void new_capability(const NewCapabilityOptions& options, CliContext& context) {
  const auto dot = options.id.rfind('.');
  const std::string namespace_name = dot == std::string::npos ? "" : options.id.substr(0, dot);
  const std::string name = dot == std::string::npos ? options.id : options.id.substr(dot + 1);
  if (dot == std::string::npos || !is_namespace(namespace_name) || !is_name(name)) {
    context.fail(failure(ExitCode::Usage, "InvalidIdentifier",
                         "\"" + options.id +
                             "\" is not a capability id: <namespace>.<name>, lowercase letters, "
                             "digits and '-', e.g. acme.text.shout"),
                 false);
    return;
  }
  const fs::path dir = options.dir.empty() ? fs::path(name) : fs::path(options.dir);
  const bool native = options.lang == "native";

  std::vector<std::pair<fs::path, std::string_view>> files = {
      {"contract.json", kContract}, {"request.json", kRequest}, {"bundle.json", kBundle}};
  if (native) {
    files.emplace_back(name + ".cpp", kSourceNative);
    files.emplace_back("CMakeLists.txt", kNativeCMake);
  } else {
    files.emplace_back("package.json", kPackage);
    files.emplace_back(name + ".c", kSourceC);
  }
  if (!options.force) {
    for (const auto& [file, text] : files) {
      if (fs::exists(dir / file)) {
        context.fail(failure(ExitCode::Usage, "AlreadyExists",
                             "already exists (use --force to overwrite)", (dir / file).string()),
                     false);
        return;
      }
    }
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    context.fail(failure(ExitCode::IoError, "IoError", "cannot create folder: " + ec.message(),
                         dir.string()),
                 false);
    return;
  }
  const std::vector<std::pair<std::string, std::string>> vars = {
      {"id", options.id},
      {"namespace", namespace_name},
      {"name", name},
      {"date", today_utc()},
      {"artifact_type", native ? "native" : "wasm"}};
  for (const auto& [file, text] : files) {
    std::ofstream out(dir / file, std::ios::binary | std::ios::trunc);
    out << fill(std::string(text), vars);
    if (!out) {
      context.fail(
          failure(ExitCode::IoError, "IoError", "cannot write file", (dir / file).string()), false);
      return;
    }
    context.line("created " + (dir / file).string());
  }
  if (context.quiet()) {
    context.finish(ExitCode::Ok);
    return;
  }
  const std::string d = dir.string();
  const std::string& p = context.program();
  context.line("");
  context.line("next steps:");
  if (native) {
    context.line("  cmake -S " + d + " -B " + d + "/build -DCMAKE_PREFIX_PATH=<traverse prefix>");
    context.line("  cmake --build " + d + "/build && " + d + "/build/" + name + " " + d +
                 "/contract.json " + d + "/request.json");
  } else {
    context.line("  " + p + " package build " + d + "/package.json");
    context.line("  " + p + " package run " + d + "/package.json " + d + "/request.json");
    context.line("  " + p + " run " + d + "/bundle.json " + d + "/request.json --package " + d +
                 "/package.json");
  }
  context.finish(ExitCode::Ok);
}

}  // namespace

void add_new_commands(CLI::App& app, CliContext& context) {
  CLI::App* group = app.add_subcommand("new", "Create a new artifact to start from");
  group->require_subcommand(1);
  auto options = std::make_shared<NewCapabilityOptions>();
  CLI::App* capability = group->add_subcommand(
      "capability",
      "Write a working capability into a new folder: contract.json, request.json (an example "
      "runtime request), bundle.json (a registry bundle) and, for C, package.json with the C "
      "source (built by `package build`, run by `package run`); for native, a C++ handler with "
      "its CMakeLists.txt. Exit 5 when the id is invalid or a file exists, 4 when a file cannot "
      "be written.");
  capability
      ->add_option("id", options->id,
                   "Capability id <namespace>.<name> (e.g. acme.text.shout); the name names the "
                   "files")
      ->required();
  capability->add_option("--lang", options->lang, "Implementation language (default c)")
      ->check(CLI::IsMember({"c", "native"}));
  capability->add_option("--dir", options->dir, "Folder to write (default ./<name>)")
      ->type_name("DIR");
  capability->add_flag("--force", options->force, "Overwrite files that already exist");
  capability->callback([options, &context] { new_capability(*options, context); });
}

}  // namespace traverse::cli
