// Governing spec: 020-wasm-sandbox
#include "traverse/wasm/wasm_executor.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

#include "traverse/json/parse.hpp"
#include "wasm_test_support.hpp"

namespace traverse {
namespace {

using wasm_test::emitting_capability;
using wasm_test::expect_echo_works;
using wasm_test::make_executor;
using wasm_test::message_of;
using wasm_test::module_path;
using wasm_test::run;
using wasm_test::test_config;
using wasm_test::wasm_capability;

std::string file_bytes(const std::string& path) {
  auto bytes = read_file(path);
  EXPECT_TRUE(bytes.has_value()) << path;
  return bytes.value_or("");
}

// A temporary .wasm file holding `bytes`.
class TempModule {
 public:
  explicit TempModule(const std::string& bytes) {
    path_ = std::filesystem::temp_directory_path() /
            ("traverse-wasm-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) +
             ".wasm");
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempModule() { std::filesystem::remove(path_); }
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

// --- echo and the input/output contract -----------------------------------------------------

TEST(WasmExecutor, EchoReturnsTheInput) {
  auto executor = make_executor();
  const Value input = {{"objective", "Summit"}, {"days", 4}, {"pressure", 1.0}, {"list", {1, 2}}};
  auto output = run(*executor, wasm_capability("echo"), input);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, input);
  EXPECT_TRUE(output->emitted_events.empty());
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmExecutor, StdinIsTheCanonicalInputJson) {
  auto executor = make_executor();
  // Echo returns stdin verbatim, so the output's canonical form is exactly what the guest read.
  const Value input = parse_json(R"({"z":1,"a":1.0,"m":{"y":[true,null],"b":"\u00e9"}})").value();
  auto output = run(*executor, wasm_capability("echo"), input);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(canonical_dump(output->value), R"({"a":1.0,"m":{"b":"é","y":[true,null]},"z":1})");
  EXPECT_TRUE(output->value["a"].is_number_float());
}

TEST(WasmExecutor, NativeCapabilityIsUnsupported) {
  auto executor = make_executor();
  ExecutorCapability capability = wasm_capability("echo");
  capability.artifact_type = ArtifactType::Native;
  auto output = run(*executor, capability);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::UnsupportedArtifactType);
  EXPECT_EQ(executor->stats().executions, 0U);
}

TEST(WasmExecutor, MissingPathIsBinaryLoadFailed) {
  auto executor = make_executor();
  ExecutorCapability capability = wasm_capability("echo");
  capability.wasm_binary_path.reset();
  auto output = run(*executor, capability);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().message(), "binary load failed: no wasm_binary_path set");
}

TEST(WasmExecutor, UnreadableFileIsBinaryLoadFailedNamingThePath) {
  auto executor = make_executor();
  ExecutorCapability capability = wasm_capability("does_not_exist");
  auto output = run(*executor, capability);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::BinaryLoadFailed);
  EXPECT_NE(output.error().message().find("cannot read " + module_path("does_not_exist")),
            std::string::npos)
      << output.error().message();
}

TEST(WasmExecutor, ModuleLargerThanTheLimitIsRejectedBeforeReading) {
  WasmExecutorConfig config = test_config();
  config.max_module_bytes = 64;
  auto executor = make_executor(config);
  auto output = run(*executor, wasm_capability("echo"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::BinaryLoadFailed);
  EXPECT_NE(output.error().message().find("the largest module accepted is 64 bytes"),
            std::string::npos);
}

// --- checksum, ABI, imports, malformed bytes (all before any guest code) ----------------------

TEST(WasmExecutor, BareAndPrefixedSha256ChecksumsAreAccepted) {
  auto executor = make_executor();
  const std::string digest = sha256_hex(file_bytes(module_path("echo")));
  for (const std::string& checksum : {digest, "sha256:" + digest}) {
    ExecutorCapability capability = wasm_capability("echo");
    capability.wasm_checksum = checksum;
    auto output = run(*executor, capability, Value{{"k", 1}});
    ASSERT_TRUE(output.has_value()) << checksum << ": " << output.error().message();
  }
}

TEST(WasmExecutor, ChecksumMismatchNamesBothDigestsAndRunsNothing) {
  auto executor = make_executor();
  const std::string digest = sha256_hex(file_bytes(module_path("echo")));
  ExecutorCapability capability = wasm_capability("echo");
  capability.wasm_checksum = "sha256:" + std::string(64, '0');
  auto output = run(*executor, capability);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ChecksumMismatch);
  EXPECT_EQ(output.error().first(), std::string(64, '0'));
  EXPECT_EQ(output.error().second(), digest);
  EXPECT_EQ(executor->stats().executions, 0U);
}

TEST(WasmExecutor, ChecksumIsCheckedEvenWhenTheModuleIsCached) {
  auto executor = make_executor();
  ASSERT_TRUE(run(*executor, wasm_capability("echo"), Value{{"warm", true}}).has_value());
  ExecutorCapability capability = wasm_capability("echo");
  capability.wasm_checksum = std::string(64, 'f');
  auto output = run(*executor, capability);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ChecksumMismatch);
}

TEST(WasmExecutor, BadMagicIsMalformed) {
  auto executor = make_executor();
  TempModule module(
      std::string("\x7f"
                  "ELF\x02\x01\x01\x00",
                  8));
  ExecutorCapability capability = wasm_capability("echo");
  capability.wasm_binary_path = module.path();
  auto output = run(*executor, capability);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::MalformedWasmArtifact);
  EXPECT_NE(output.error().message().find("malformed_wasm_artifact: module compile: bad magic"),
            std::string::npos)
      << output.error().message();
  EXPECT_EQ(executor->stats().executions, 0U);
  expect_echo_works(*executor);
}

TEST(WasmExecutor, InvalidFunctionBodyIsMalformedAndNotCached) {
  auto executor = make_executor();
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto output = run(*executor, wasm_capability("invalid_body"));
    ASSERT_FALSE(output.has_value());
    EXPECT_EQ(output.error().kind(), ExecutorErrorClass::MalformedWasmArtifact);
    EXPECT_NE(output.error().detail().find("type mismatch"), std::string::npos)
        << output.error().detail();
  }
  EXPECT_EQ(executor->stats().module_cache_misses, 2U);
  expect_echo_works(*executor);
}

TEST(WasmExecutor, UnauthorizedImportIsRejectedBeforeAnyGuestCode) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("unauthorized_import"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::UnauthorizedHostImport);
  EXPECT_EQ(output.error().first(), "env");
  EXPECT_EQ(output.error().second(), "getenv");
  EXPECT_EQ(executor->stats().executions, 0U);
}

TEST(WasmExecutor, UnsupportedAbiVersionIsRejected) {
  auto executor = make_executor();
  ExecutorCapability capability = wasm_capability("echo");
  capability.host_abi_version = "2.0.0";
  auto output = run(*executor, capability);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::UnsupportedAbiVersion);
  EXPECT_EQ(output.error().message(),
            "unsupported_abi_version: requested Traverse Host ABI 2.0.0, supported 1.0.0");
}

TEST(WasmExecutor, WhitelistedImportWithTheWrongTypeFailsAtLink) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("bad_signature"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::RuntimeSetupFailed);
  EXPECT_NE(output.error().message().find(
                "module link: import wasi_snapshot_preview1::fd_write has type (i32, i32) -> "
                "(i32); the host provides (i32, i32, i32, i32) -> (i32)"),
            std::string::npos)
      << output.error().message();
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmExecutor, ModuleWithoutStartIsRuntimeSetupFailed) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("no_start"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::RuntimeSetupFailed);
  EXPECT_NE(output.error().message().find("_start"), std::string::npos);
}

// --- exit codes and output ---------------------------------------------------------------------

TEST(WasmExecutor, ProcExitZeroIsSuccess) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("exit_zero"));
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, (Value{{"exited", 0}}));
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmExecutor, ProcExitThreeIsExecutionFailedWithCodeAndStderrTail) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("exit_three"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ExecutionFailed);
  EXPECT_EQ(output.error().message(),
            "execution failed: wasm guest exited with exit status 3; stderr tail: \"objective "
            "missing\n\"");
  expect_echo_works(*executor);
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmExecutor, ProcExitThroughCallIndirectStopsTheGuest) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("exit_via_call_indirect"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().message(),
            "execution failed: wasm guest exited with exit status 7; stderr is empty");
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmExecutor, StderrTailKeepsOnlyTheEnd) {
  WasmExecutorConfig config = test_config();
  config.default_limits.stderr_tail_bytes = 8;
  auto executor = make_executor(config);
  auto output = run(*executor, wasm_capability("exit_three"));
  ASSERT_FALSE(output.has_value());
  EXPECT_NE(output.error().message().find("stderr tail: \"missing\n\""), std::string::npos)
      << output.error().message();
  EXPECT_EQ(output.error().message().find("objective"), std::string::npos);
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmExecutor, InvalidOutputIsOutputDeserializationFailedShowingStdout) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("invalid_output"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::OutputDeserializationFailed);
  EXPECT_NE(output.error().message().find("stdout: \"{not json\""), std::string::npos)
      << output.error().message();
}

TEST(WasmExecutor, TrailingGarbageAfterOneJsonValueIsRejected) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("trailing_garbage"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::OutputDeserializationFailed);
}

TEST(WasmExecutor, EmptyOutputIsRejected) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("empty_output"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::OutputDeserializationFailed);
  EXPECT_NE(output.error().message().find("stdout is empty"), std::string::npos);
}

TEST(WasmExecutor, EveryCallGetsFreshGuestState) {
  auto executor = make_executor();
  for (int call = 0; call < 3; ++call) {
    auto output = run(*executor, wasm_capability("global_counter"));
    ASSERT_TRUE(output.has_value()) << output.error().message();
    EXPECT_EQ(output->value, (Value{{"count", 1}})) << "call " << call;
  }
  const WasmExecutorStats stats = executor->stats();
  EXPECT_EQ(stats.module_cache_misses, 1U);
  EXPECT_EQ(stats.module_cache_hits, 2U);
  wasm_test::expect_tier_ran(*executor);
}

// --- WASI preview1 -----------------------------------------------------------------------------

TEST(WasmExecutor, WasiFunctionsBehaveAsASandboxWithoutFilesArgsOrEnvironment) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("wasi_probe"));
  ASSERT_TRUE(output.has_value()) << output.error().message();
  // See tests/data/wasm/wasi_probe.wat for what each position is. WASI errno: 8 EBADF,
  // 21 EFAULT, 28 EINVAL, 70 ESPIPE.
  const Value expected =
      Value::array({0, 1, 28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 70, 0, 8, 8, 0, 8, 21});
  EXPECT_EQ(output->value, expected);
  wasm_test::expect_tier_ran(*executor);
}

// --- traverse_host ------------------------------------------------------------------------------

TEST(WasmExecutor, QueryFunctionsReturnTheGuestsIdentity) {
  auto executor = make_executor();
  ExecutorCapability capability = wasm_capability("query", "test.wasm.query");
  capability.capability_version = "2.3.4";
  ExecutionContext context(capability, "exec-42", "trace-7", Value{{"region", "eu"}, {"n", 1.5}});
  auto output = executor->execute(capability, Value::object(), context);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  const Value expected = Value::array({"test.wasm.query", "2.3.4", "exec-42", "trace-7",
                                       Value{{"n", 1.5}, {"region", "eu"}}, true, true, true});
  EXPECT_EQ(output->value, expected);
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmExecutor, ConnectorInvokeIsUnboundOnTheExecutePath) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("connector_invoke"));
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, (Value{{"well_formed", 2}, {"malformed", 1}}));
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmExecutor, EmitEventAcceptedIsRecordedInTheContextAndReturned) {
  auto executor = make_executor();
  const ExecutorCapability capability = emitting_capability();
  ExecutionContext context(capability, "exec-1", "trace-1");
  auto output = executor->execute(capability, "accepted", context);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, (Value{{"neg_rc", 0}}));
  ASSERT_EQ(output->emitted_events.size(), 1U);
  const TraverseEvent& event = output->emitted_events[0];
  EXPECT_EQ(event.event_type, "test.thing-happened");
  EXPECT_EQ(event.version, "1.0.0");
  EXPECT_EQ(event.data, (Value{{"n", 1}, {"label", "first"}}));
  EXPECT_EQ(event.source, "traverse-runtime/test.wasm.emitter");
  EXPECT_EQ(event.owner, "test.wasm.emitter");
  EXPECT_EQ(context.emitted_events(), output->emitted_events);
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmExecutor, EmitEventKeepsOrderAndDefaultsThePayloadToAnEmptyObject) {
  auto executor = make_executor();
  const ExecutorCapability capability = emitting_capability();
  ExecutionContext context(capability, "exec-1", "trace-1");
  auto output = executor->execute(capability, "two", context);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  ASSERT_EQ(output->emitted_events.size(), 2U);
  EXPECT_EQ(output->emitted_events[0].data, (Value{{"n", 1}, {"label", "first"}}));
  EXPECT_EQ(output->emitted_events[1].data, Value::object());
  EXPECT_NE(output->emitted_events[0].id, output->emitted_events[1].id);
}

struct EmitCase {
  const char* input;
  int negated_code;
};

class WasmExecutorEmitRejection : public ::testing::TestWithParam<EmitCase> {};

TEST_P(WasmExecutorEmitRejection, ReturnsTheReferenceCodeAndRecordsNothing) {
  auto executor = make_executor();
  const ExecutorCapability capability = emitting_capability();
  ExecutionContext context(capability, "exec-1", "trace-1");
  auto output = executor->execute(capability, GetParam().input, context);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, (Value{{"neg_rc", GetParam().negated_code}}));
  EXPECT_TRUE(output->emitted_events.empty());
  EXPECT_TRUE(context.emitted_events().empty());
}

INSTANTIATE_TEST_SUITE_P(Codes, WasmExecutorEmitRejection,
                         ::testing::Values(EmitCase{"undeclared", 2}, EmitCase{"out-of-bounds", 1},
                                           EmitCase{"negative-length", 1},
                                           EmitCase{"bytes-not-json", 1},
                                           EmitCase{"missing-version", 1}));

TEST(WasmExecutor, EmitEventFromANonSubscribableCapabilityIsMinusThree) {
  auto executor = make_executor();
  ExecutorCapability capability = emitting_capability();
  capability.service_type = ServiceType::Stateless;
  ExecutionContext context(capability, "exec-1", "trace-1");
  auto output = executor->execute(capability, "accepted", context);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, (Value{{"neg_rc", 3}}));
  EXPECT_TRUE(context.emitted_events().empty());
}

TEST(WasmExecutor, TooManyEventsIsResourceExhaustedAndNothingIsRecorded) {
  auto executor = make_executor();
  const ExecutorCapability capability = emitting_capability();
  ExecutionContext context(capability, "exec-1", "trace-1");
  auto output = executor->execute(capability, "z-many", context);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ResourceExhausted);
  EXPECT_NE(output.error().message().find("more than 256 events"), std::string::npos);
  EXPECT_TRUE(context.emitted_events().empty());
  expect_echo_works(*executor);
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmExecutor, EventsOfAFailedExecutionAreDiscarded) {
  // Same guest, but its output is made undeliverable by a 1-byte stdout limit after emitting.
  WasmExecutorConfig config = test_config();
  WasmExecutionLimits tiny = config.default_limits;
  tiny.max_stdout_bytes = 1;
  config.capability_limits["test.wasm.emitter"] = tiny;
  auto limited = make_executor(config);
  const ExecutorCapability capability = emitting_capability();
  ExecutionContext context(capability, "exec-1", "trace-1");
  auto output = limited->execute(capability, "accepted", context);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ResourceExhausted);
  EXPECT_TRUE(context.emitted_events().empty());
}

// --- configuration and lifecycle ---------------------------------------------------------------

TEST(WasmExecutor, CreateRejectsOutOfRangeOptionsNamingThem) {
  WasmExecutorConfig config = test_config();
  config.worker_count = 0;
  auto executor = WasmExecutor::create(config);
  ASSERT_FALSE(executor.has_value());
  EXPECT_EQ(executor.error().kind(), ExecutorErrorClass::RuntimeSetupFailed);
  EXPECT_EQ(executor.error().detail(),
            "invalid WasmExecutorConfig: worker_count is 0; expected 1 ..= 64");

  config = test_config();
  config.capability_limits["x.y"].deadline = std::chrono::milliseconds(0);
  executor = WasmExecutor::create(config);
  ASSERT_FALSE(executor.has_value());
  EXPECT_EQ(executor.error().detail(),
            "invalid WasmExecutorConfig: capability_limits[x.y].deadline is 0 ms; expected 1 ms "
            "..= 3600000 ms");
}

TEST(WasmExecutor, CreateFailsWhenTheWorkerIsMissing) {
  WasmExecutorConfig config = test_config();
  config.worker_path = "/nonexistent/traverse-wasm-worker";
  auto executor = WasmExecutor::create(config);
  ASSERT_FALSE(executor.has_value());
  EXPECT_NE(executor.error().message().find("/nonexistent/traverse-wasm-worker"),
            std::string::npos);
}

TEST(WasmExecutor, PrestartFailsWhenTheExecutableIsNotAWorker) {
  WasmExecutorConfig config = test_config();
  config.worker_path = "/bin/true";
  config.prestart_workers = true;
  auto executor = WasmExecutor::create(config);
  ASSERT_FALSE(executor.has_value());
  EXPECT_NE(executor.error().message().find("ended before reporting ready: exit status 0"),
            std::string::npos)
      << executor.error().message();
}

TEST(WasmExecutor, FindsTheWorkerWithoutConfiguration) {
  auto found = find_wasm_worker();
  ASSERT_TRUE(found.has_value()) << found.error().to_string();
  EXPECT_EQ(found->filename(), "traverse-wasm-worker");
}

TEST(WasmExecutor, PrestartStartsEveryWorkerAndDestructionReapsThem) {
  WasmExecutorConfig config = test_config();
  config.worker_count = 3;
  config.prestart_workers = true;
  std::vector<int> pids;
  {
    auto executor = make_executor(config);
    pids = executor->worker_pids();
    EXPECT_EQ(pids.size(), 3U);
    EXPECT_EQ(executor->stats().workers_spawned, 3U);
    expect_echo_works(*executor);
  }
  for (int pid : pids) {
    // Reaped: no zombie is left behind (waitpid finds no such child).
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
  }
}

TEST(WasmExecutor, WorkersAreRecycledAfterTheConfiguredNumberOfExecutions) {
  WasmExecutorConfig config = test_config();
  config.recycle_after_executions = 2;
  auto executor = make_executor(config);
  for (int call = 0; call < 5; ++call)
    expect_echo_works(*executor);
  const WasmExecutorStats stats = executor->stats();
  EXPECT_EQ(stats.workers_recycled, 2U);
  EXPECT_EQ(stats.workers_spawned, 3U);
  EXPECT_EQ(stats.module_cache_misses, 3U);  // a new worker starts with an empty cache
}

TEST(WasmExecutor, ModuleCacheEvictsInInsertionOrder) {
  WasmExecutorConfig config = test_config();
  config.module_cache_entries = 1;
  auto executor = make_executor(config);
  expect_echo_works(*executor);                                                // miss (echo)
  ASSERT_TRUE(run(*executor, wasm_capability("global_counter")).has_value());  // miss, evicts echo
  expect_echo_works(*executor);                                                // miss again
  const WasmExecutorStats stats = executor->stats();
  EXPECT_EQ(stats.module_cache_misses, 3U);
  EXPECT_EQ(stats.module_cache_hits, 0U);
}

// --- the module bytes that run are the bytes verified once (D10 without per-call reads) --------

TEST(WasmExecutor, UnchangedModuleFileIsReadAndHashedOnlyOnce) {
  auto executor = make_executor();
  for (int call = 0; call < 20; ++call)
    expect_echo_works(*executor);
  EXPECT_EQ(executor->stats().module_file_reads, 1U);
  EXPECT_EQ(executor->stats().executions, 20U);
}

TEST(WasmExecutor, ModuleReplacedOnDiskIsReverifiedAndAMismatchIsRefusedBeforeItRuns) {
  const std::string echo = file_bytes(module_path("echo"));
  TempModule module(echo);
  ExecutorCapability capability = wasm_capability("echo");
  capability.wasm_binary_path = module.path();
  capability.wasm_checksum = sha256_hex(echo);
  auto executor = make_executor();
  const Value input = {{"k", 1}};
  auto first = run(*executor, capability, input);
  ASSERT_TRUE(first.has_value()) << message_of(first);

  // Replaced with another valid module: refused, and nothing new ran.
  std::ofstream(module.path(), std::ios::binary | std::ios::trunc)
      << file_bytes(module_path("exit_zero"));
  const std::uint64_t executions = executor->stats().executions;
  auto replaced = run(*executor, capability, input);
  ASSERT_FALSE(replaced.has_value());
  EXPECT_EQ(replaced.error().kind(), ExecutorErrorClass::ChecksumMismatch);
  EXPECT_EQ(replaced.error().second(), sha256_hex(file_bytes(module_path("exit_zero"))));
  EXPECT_EQ(executor->stats().executions, executions);
  EXPECT_EQ(executor->stats().module_file_reads, 2U);

  // Put back (same bytes, new file times): verified again and runs.
  std::ofstream(module.path(), std::ios::binary | std::ios::trunc) << echo;
  auto restored = run(*executor, capability, input);
  ASSERT_TRUE(restored.has_value()) << message_of(restored);
  EXPECT_EQ(restored->value, input);
}

TEST(WasmExecutor, ModuleDeletedAfterVerificationIsBinaryLoadFailed) {
  auto module = std::make_unique<TempModule>(file_bytes(module_path("echo")));
  ExecutorCapability capability = wasm_capability("echo");
  capability.wasm_binary_path = module->path();
  auto executor = make_executor();
  ASSERT_TRUE(run(*executor, capability).has_value());
  module.reset();
  auto gone = run(*executor, capability);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().kind(), ExecutorErrorClass::BinaryLoadFailed);
}

// --- the on_dispatch hook -------------------------------------------------------------------

TEST(WasmExecutor, OnDispatchExceptionFailsTheCallTypedAndTheWorkerStaysUsable) {
  WasmExecutorConfig config = test_config();
  int throws = 1;
  config.on_dispatch = [&throws](int) {
    if (throws-- > 0)
      throw std::runtime_error("observer broke");
  };
  auto executor = make_executor(config);
  auto output = run(*executor, wasm_capability("echo"), Value{{"k", 1}});
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ExecutionFailed);
  EXPECT_NE(message_of(output).find("WasmExecutorConfig::on_dispatch threw: observer broke"),
            std::string::npos)
      << message_of(output);
  const std::vector<int> pids = executor->worker_pids();
  expect_echo_works(*executor);
  EXPECT_EQ(executor->worker_pids(), pids);  // the same worker served the next call
  EXPECT_EQ(executor->stats().workers_replaced, 0U);
}

}  // namespace
}  // namespace traverse
