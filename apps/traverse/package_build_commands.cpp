// `traverse package build` and `traverse package digest`: compiling a capability package's C
// source to wasm32-wasip1 with the documented clang command and the Traverse guest SDK, and
// keeping the manifest's fnv1a64 `binary.expected_digest` in step with the .wasm.
//
// The compiler: --cc, else $TRAVERSE_WASM_CC, else clang-14 or clang on PATH. The guest SDK
// (include/traverse/guest.h and <libdir>/wasm32-wasi/libtraverse_guest.a): --sdk PREFIX, else
// $TRAVERSE_GUEST_SDK, else the prefix this program is installed in (<exe>/..), else the build
// tree it was built in.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "cli_support.hpp"
#include "commands.hpp"
#include "traverse/contracts/capability_package.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/support/digest.hpp"
#include "traverse/wasm/host_abi.hpp"

extern char** environ;  // NOLINT: POSIX

#ifndef TRAVERSE_INSTALL_LIBDIR
#define TRAVERSE_INSTALL_LIBDIR "lib"
#endif
#ifndef TRAVERSE_BUILD_GUEST_INCLUDE_DIR
#define TRAVERSE_BUILD_GUEST_INCLUDE_DIR ""
#endif
#ifndef TRAVERSE_BUILD_GUEST_LIB_DIR
#define TRAVERSE_BUILD_GUEST_LIB_DIR ""
#endif

namespace traverse::cli {
namespace {

namespace fs = std::filesystem;

struct BuildOptions {
  std::string manifest;
  std::string cc;
  std::string sdk;
  bool json = false;
};

struct DigestOptions {
  std::string manifest;
  bool write = false;
};

// The manifest fields `package build` needs, read without checking the binary (which may not
// exist yet or be stale).
struct ManifestFiles {
  fs::path manifest;
  std::string text;  // the manifest as read, for an in-place digest update
  fs::path source;
  std::string language;
  fs::path binary;
  std::string expected_digest;
};

std::expected<ManifestFiles, CommandFailure> read_manifest(const std::string& manifest) {
  std::ifstream in(manifest, std::ios::binary);
  if (!in) {
    return std::unexpected(failure(ExitCode::IoError, "IoError", "cannot read file", manifest));
  }
  ManifestFiles files;
  files.manifest = manifest;
  files.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  auto document = parse_json(files.text);
  if (!document) {
    return std::unexpected(
        failure(ExitCode::ValidationFailed, "InvalidJson", document.error().message(), manifest));
  }
  const fs::path dir = fs::path(manifest).parent_path();
  const auto text_at = [&](const char* section, const char* key) -> std::optional<std::string> {
    const auto s = document->find(section);
    if (s == document->end() || !s->is_object()) {
      return std::nullopt;
    }
    const auto v = s->find(key);
    if (v == s->end() || !v->is_string()) {
      return std::nullopt;
    }
    return v->get<std::string>();
  };
  const auto source = text_at("source", "path");
  const auto binary = text_at("binary", "path");
  if (!source || !binary) {
    return std::unexpected(failure(ExitCode::ValidationFailed, "MissingRequiredField",
                                   "a capability package needs source.path and binary.path",
                                   manifest, !source ? "$.source.path" : "$.binary.path"));
  }
  files.source = dir / *source;
  files.binary = dir / *binary;
  files.language = text_at("source", "language").value_or("");
  files.expected_digest = text_at("binary", "expected_digest").value_or("");
  return files;
}

std::optional<std::string> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Rewrites binary.expected_digest in the manifest text, keeping its layout.
std::expected<void, CommandFailure> write_digest(const ManifestFiles& files,
                                                 const std::string& digest) {
  static const std::regex kField(R"re(("expected_digest"\s*:\s*)"[^"]*")re");
  std::string updated;
  if (std::regex_search(files.text, kField)) {
    updated = std::regex_replace(files.text, kField, "$1\"" + digest + "\"",
                                 std::regex_constants::format_first_only);
  } else {
    auto document = parse_json(files.text);
    (*document)["binary"]["expected_digest"] = digest;
    updated = pretty_dump(*document) + "\n";
  }
  std::ofstream out(files.manifest, std::ios::binary | std::ios::trunc);
  out << updated;
  if (!out) {
    return std::unexpected(
        failure(ExitCode::IoError, "IoError", "cannot write file", files.manifest.string()));
  }
  return {};
}

// `name` as given when it holds a '/', else its first match on PATH.
std::optional<fs::path> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return fs::exists(name) ? std::optional<fs::path>(name) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

std::optional<fs::path> find_compiler(const std::string& given) {
  if (!given.empty()) {
    return find_program(given);
  }
  if (const char* env = std::getenv("TRAVERSE_WASM_CC"); env != nullptr && *env != '\0') {
    return find_program(env);
  }
  for (const char* name : {"clang-14", "clang"}) {
    if (auto found = find_program(name)) {
      return found;
    }
  }
  return std::nullopt;
}

struct GuestSdk {
  fs::path include_dir;
  fs::path lib_dir;
};

std::optional<GuestSdk> sdk_under(const fs::path& prefix) {
  GuestSdk sdk{prefix / "include", prefix / TRAVERSE_INSTALL_LIBDIR / "wasm32-wasi"};
  if (fs::exists(sdk.include_dir / "traverse" / "guest.h") &&
      fs::exists(sdk.lib_dir / "libtraverse_guest.a")) {
    return sdk;
  }
  sdk.lib_dir = prefix / "lib" / "wasm32-wasi";
  if (fs::exists(sdk.include_dir / "traverse" / "guest.h") &&
      fs::exists(sdk.lib_dir / "libtraverse_guest.a")) {
    return sdk;
  }
  return std::nullopt;
}

std::optional<GuestSdk> find_sdk(const std::string& given, std::string& searched) {
  std::vector<fs::path> prefixes;
  if (!given.empty()) {
    prefixes.emplace_back(given);
  } else {
    if (const char* env = std::getenv("TRAVERSE_GUEST_SDK"); env != nullptr && *env != '\0') {
      prefixes.emplace_back(env);
    }
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
      prefixes.push_back(exe.parent_path().parent_path());
    }
  }
  for (const auto& prefix : prefixes) {
    searched += (searched.empty() ? "" : ", ") + prefix.string();
    if (auto sdk = sdk_under(prefix)) {
      return sdk;
    }
  }
  if (given.empty()) {
    GuestSdk build{TRAVERSE_BUILD_GUEST_INCLUDE_DIR, TRAVERSE_BUILD_GUEST_LIB_DIR};
    if (!build.lib_dir.empty() && fs::exists(build.include_dir / "traverse" / "guest.h") &&
        fs::exists(build.lib_dir / "libtraverse_guest.a")) {
      return build;
    }
  }
  return std::nullopt;
}

// Runs `argv` (its output goes to this process's stdout/stderr); the exit status, or -1.
int run_process(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) {
    return -1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return -1;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string quoted(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) {
    text += (text.empty() ? "" : " ") + arg;
  }
  return text;
}

// The compiler and the guest SDK a build needs.
struct Toolchain {
  fs::path cc;
  GuestSdk sdk;
};

// A C source that exists, a wasm32 clang and the guest SDK; the failure that stops the build
// otherwise.
std::expected<Toolchain, CommandFailure> find_toolchain(const BuildOptions& options,
                                                        const ManifestFiles& files) {
  if (files.language != "c") {
    return std::unexpected(failure(ExitCode::ValidationFailed, "UnsupportedLanguage",
                                   "package build compiles C sources only (source.language "
                                   "\"c\"), found \"" +
                                       files.language + "\"",
                                   options.manifest, "$.source.language"));
  }
  if (!fs::exists(files.source)) {
    return std::unexpected(failure(ExitCode::IoError, "IoError", "source file not found",
                                   files.source.string(), "$.source.path"));
  }
  const auto cc = find_compiler(options.cc);
  if (!cc) {
    return std::unexpected(
        failure(ExitCode::ExecutionFailed, "CompilerNotFound",
                "no clang for wasm32-wasi found (--cc, $TRAVERSE_WASM_CC, clang-14 or clang on "
                "PATH); install clang, lld, wasi-libc and libclang-rt-14-dev-wasm32"));
  }
  std::string searched;
  auto sdk = find_sdk(options.sdk, searched);
  if (!sdk) {
    return std::unexpected(
        failure(ExitCode::ExecutionFailed, "GuestSdkNotFound",
                "the Traverse guest SDK (include/traverse/guest.h and lib/wasm32-wasi/"
                "libtraverse_guest.a) is not under " +
                    (searched.empty() ? std::string("any known prefix") : searched) +
                    "; pass --sdk <prefix> or set TRAVERSE_GUEST_SDK"));
  }
  return Toolchain{*cc, std::move(*sdk)};
}

// Compiles the source to the manifest's binary path with the documented command
// (docs/wasm-capabilities-in-c.md): deterministic, no paths embedded.
std::expected<void, CommandFailure> compile_module(const ManifestFiles& files,
                                                   const Toolchain& toolchain,
                                                   CliContext& context) {
  const fs::path source_dir = fs::absolute(files.source).parent_path();
  const std::vector<std::string> argv = {toolchain.cc.string(),
                                         "--target=wasm32-wasi",
                                         "-std=c11",
                                         "-O2",
                                         "-g0",
                                         "-Wall",
                                         "-Wextra",
                                         "-Wconversion",
                                         "-Werror",
                                         "-ffile-prefix-map=" + source_dir.string() + "=.",
                                         "-I" + toolchain.sdk.include_dir.string(),
                                         files.source.string(),
                                         "-L" + toolchain.sdk.lib_dir.string(),
                                         "-ltraverse_guest",
                                         "-Wl,--strip-all",
                                         "-o",
                                         files.binary.string()};
  context.note(quoted(argv));
  const int status = run_process(argv);
  if (status != 0) {
    return std::unexpected(failure(ExitCode::ValidationFailed, "CompileFailed",
                                   status < 0
                                       ? "cannot run " + toolchain.cc.string()
                                       : "clang exited with status " + std::to_string(status) +
                                             " (its messages are above): " + quoted(argv),
                                   files.source.string(), "$.source.path"));
  }
  return {};
}

// What a build produced, for the report.
struct BuiltModule {
  std::size_t bytes = 0;
  std::string digest;
  bool manifest_updated = false;
};

void report_build(const BuildOptions& options, const ManifestFiles& files, const BuiltModule& built,
                  const std::expected<HostAbiReport, ExecutorError>& abi, CliContext& context) {
  if (options.json) {
    Value document{{"manifest", options.manifest},
                   {"binary", files.binary.string()},
                   {"bytes", built.bytes},
                   {"binary_digest", built.digest},
                   {"manifest_updated", built.manifest_updated},
                   {"valid", abi.has_value()}};
    if (!abi) {
      document["errors"] = Value::array({Value{{"code", abi.error().class_name()},
                                               {"path", "$.binary.path"},
                                               {"message", abi.error().message()},
                                               {"file", files.binary.string()}}});
      document["exit_code"] = static_cast<int>(ExitCode::ValidationFailed);
    }
    context.json(document);
    return;
  }
  context.line("built: " + files.binary.string() + " (" + std::to_string(built.bytes) + " bytes)");
  context.line("binary_digest: " + built.digest +
               (built.manifest_updated ? " (written to " + options.manifest + ")"
                                       : " (manifest up to date)"));
  if (abi) {
    context.line("imports: " + std::to_string(abi->imports.size()) + " (ABI " + abi->abi_version +
                 " import whitelist " + context.paint_out("passed", Style::Green) + ")");
  }
}

void build(const BuildOptions& options, CliContext& context) {
  auto files = read_manifest(options.manifest);
  if (!files) {
    context.fail(files.error(), options.json);
    return;
  }
  const auto toolchain = find_toolchain(options, *files);
  if (!toolchain) {
    context.fail(toolchain.error(), options.json);
    return;
  }
  if (auto compiled = compile_module(*files, *toolchain, context); !compiled) {
    context.fail(compiled.error(), options.json);
    return;
  }
  const auto bytes = read_bytes(files->binary);
  if (!bytes) {
    context.fail(failure(ExitCode::IoError, "IoError", "cannot read the built module",
                         files->binary.string()),
                 options.json);
    return;
  }
  BuiltModule built{bytes->size(), fnv1a64_digest(*bytes), false};
  built.manifest_updated = built.digest != files->expected_digest;
  if (built.manifest_updated) {
    if (auto written = write_digest(*files, built.digest); !written) {
      context.fail(written.error(), options.json);
      return;
    }
  }
  // The result must load as a package (contract, digest) and pass the ABI import whitelist.
  auto package = load_capability_package(options.manifest);
  if (!package) {
    auto errors = std::move(package.error());
    attach_file(errors, options.manifest);
    context.fail(CommandFailure{load_failure_code(errors, options.manifest), std::move(errors)},
                 options.json);
    return;
  }
  const auto abi = verify_wasm_host_abi_file(package->binary_path, package->abi_version);
  report_build(options, *files, built, abi, context);
  if (!abi) {
    context.error_line(files->binary.string() + ": " + abi.error().message());
    context.finish(ExitCode::ValidationFailed);
    return;
  }
  context.finish(ExitCode::Ok);
}

void digest(const DigestOptions& options, CliContext& context) {
  auto files = read_manifest(options.manifest);
  if (!files) {
    context.fail(files.error(), false);
    return;
  }
  const auto bytes = read_bytes(files->binary);
  if (!bytes) {
    context.fail(failure(ExitCode::IoError, "IoError",
                         "cannot read the module (build it first: package build)",
                         files->binary.string(), "$.binary.path"),
                 false);
    return;
  }
  const std::string value = fnv1a64_digest(*bytes);
  context.line(value);
  if (value == files->expected_digest) {
    context.note("the manifest's binary.expected_digest matches");
  } else if (options.write) {
    if (auto written = write_digest(*files, value); !written) {
      context.fail(written.error(), false);
      return;
    }
    if (!context.quiet()) {
      context.error_line("updated binary.expected_digest in " + options.manifest + " (was " +
                         (files->expected_digest.empty() ? "absent" : files->expected_digest) +
                         ")");
    }
  } else {
    context.warning("the manifest says " +
                    (files->expected_digest.empty() ? "nothing" : files->expected_digest) +
                    "; run with --write to update " + options.manifest);
  }
  context.finish(ExitCode::Ok);
}

}  // namespace

void add_package_build_commands(CLI::App& package, CliContext& context) {
  auto build_options = std::make_shared<BuildOptions>();
  CLI::App* build_cmd = package.add_subcommand(
      "build",
      "Compile a capability package's C source (source.path) to its .wasm (binary.path) with "
      "clang --target=wasm32-wasi and the Traverse guest SDK, write the module's fnv1a64 digest "
      "into binary.expected_digest, then check the package loads and its imports pass the host "
      "ABI whitelist. Exit 2 when the source does not compile or the package is invalid, 1 when "
      "clang or the guest SDK is missing, 4 when a file cannot be read or written.");
  build_cmd->add_option("manifest", build_options->manifest, "Package manifest (JSON)")->required();
  build_cmd
      ->add_option("--cc", build_options->cc,
                   "The clang to use (default: $TRAVERSE_WASM_CC, else clang-14 or clang)")
      ->type_name("PROGRAM");
  build_cmd
      ->add_option("--sdk", build_options->sdk,
                   "Prefix holding include/traverse/guest.h and lib/wasm32-wasi/"
                   "libtraverse_guest.a (default: $TRAVERSE_GUEST_SDK, else this installation)")
      ->type_name("PREFIX");
  build_cmd->add_flag("--json", build_options->json, "Print one JSON object instead of text");
  build_cmd->callback([build_options, &context] { build(*build_options, context); });

  auto digest_options = std::make_shared<DigestOptions>();
  CLI::App* digest_cmd = package.add_subcommand(
      "digest",
      "Print the fnv1a64 digest of a capability package's .wasm (binary.path); with --write, "
      "also store it in the manifest's binary.expected_digest. Exit 4 when the module cannot be "
      "read.");
  digest_cmd->add_option("manifest", digest_options->manifest, "Package manifest (JSON)")
      ->required();
  digest_cmd->add_flag("--write", digest_options->write,
                       "Update binary.expected_digest in the manifest when it differs");
  digest_cmd->callback([digest_options, &context] { digest(*digest_options, context); });
}

}  // namespace traverse::cli
