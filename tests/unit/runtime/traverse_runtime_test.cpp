// Governing spec: 010-runtime-stack
#include "traverse/runtime/traverse_runtime.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "traverse/events/in_process_broker.hpp"
#include "traverse/support/digest.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"
#include "traverse/wasm/wasm_executor.hpp"

namespace traverse {
namespace {

namespace code = runtime_error_code;

const std::filesystem::path kBundle =
    std::filesystem::path(TRAVERSE_SOURCE_DIR) / "tests/data/runtime/bundle/manifest.json";
constexpr const char* kItemRecorded = "demo.runtime.item-recorded";

RuntimeRequest request_for(std::string request_id, std::string capability_id, Value input,
                           std::optional<std::string> version = "1.0.0") {
  RuntimeRequest request;
  request.request_id = std::move(request_id);
  request.capability_id = std::move(capability_id);
  request.capability_version = std::move(version);
  request.input = std::move(input);
  request.scope = LookupScope::PreferPrivate;
  return request;
}

// A contract built in code (no file), runnable locally, with open schemas unless given.
CapabilityContract unit_contract(std::string name, std::string version = "1.0.0") {
  CapabilityContract contract;
  contract.namespace_name = "demo.unit";
  contract.name = std::move(name);
  contract.id = contract.namespace_name + "." + contract.name;
  contract.version = std::move(version);
  contract.lifecycle = Lifecycle::Active;
  contract.permitted_targets = {ExecutionTarget::Local, ExecutionTarget::Cloud};
  contract.preferred_targets = {ExecutionTarget::Local};
  contract.input_schema = Value{{"type", "object"}};
  contract.output_schema = Value{{"type", "object"}};
  return contract;
}

void add_bundle_handlers(TraverseRuntime::Builder& builder) {
  builder.with_native_handler("demo.runtime.add-numbers", [](const Value& input) {
    return NativeHandler::Result(
        Value{{"sum", input["a"].get<std::int64_t>() + input["b"].get<std::int64_t>()}});
  });
  builder.with_native_handler("demo.runtime.greet-person", [](const Value& input) {
    return NativeHandler::Result(
        Value{{"greeting", "Hello, " + input["name"].get<std::string>() + "!"}});
  });
  builder.with_native_handler("demo.runtime.reverse-text", [](const Value& input) {
    std::string text = input["text"].get<std::string>();
    std::reverse(text.begin(), text.end());
    return NativeHandler::Result(Value{{"reversed", text}});
  });
  builder.with_native_handler(
      "demo.runtime.record-item",
      [](const Value& input, ExecutionContext& context) -> NativeHandler::Result {
        const std::string item = input["item_id"].get<std::string>();
        if (auto emitted = context.emit(kItemRecorded, "1.0.0", Value{{"item_id", item}});
            !emitted) {
          return std::unexpected("emit refused: " + std::string(to_string(emitted.error())));
        }
        return Value{{"recorded", item}};
      });
}

class TraverseRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TraverseRuntime::Builder builder;
    add_bundle_handlers(builder);
    builder.with_native_pool_capacity(4);
    builder.with_native_handler("demo.unit.fails", [](const Value&) {
      return NativeHandler::Result(std::unexpected("boom"));
    });
    builder.with_native_handler("demo.unit.bad-output", [](const Value&) {
      return NativeHandler::Result(Value{{"result", "not a number"}});
    });
    builder.with_native_handler("demo.unit.versioned", [](const Value&, ExecutionContext& context) {
      return NativeHandler::Result(Value{{"version", context.capability_version()}});
    });
    builder.with_native_handler("demo.unit.echo", [](const Value& input) {
      return NativeHandler::Result(Value{{"echo", input}});
    });
    builder.with_native_handler(
        "demo.unit.emit-probe",
        [](const Value& input, ExecutionContext& context) -> NativeHandler::Result {
          auto emitted =
              context.emit(input["event"].get<std::string>(), "1.0.0", Value{{"probe", true}});
          return Value{{"emit_error",
                        emitted ? std::string("none") : std::string(to_string(emitted.error()))}};
        });
    builder.with_executor(ArtifactType::Wasm, nullptr);
    auto built = builder.build();
    ASSERT_TRUE(built.has_value()) << built.error().to_string();
    runtime_ = std::move(*built);
  }

  void load_bundle() {
    auto loaded = runtime_->load_bundle(kBundle);
    ASSERT_TRUE(loaded.has_value())
        << (loaded.error().empty() ? std::string("?") : to_string(loaded.error()[0]));
  }

  void register_unit(CapabilityContract contract, Scope scope = Scope::Public) {
    const std::string id = contract.id;
    auto registered =
        runtime_->register_capability(scope, std::move(contract), ArtifactReference::native(id));
    ASSERT_TRUE(registered.has_value()) << to_string(registered.error());
  }

  std::size_t store_entries() {
    auto count = runtime_->trace_store()->count({});
    EXPECT_TRUE(count.has_value());
    return count.value_or(0);
  }

  std::unique_ptr<TraverseRuntime> runtime_;
};

// ---- Builder ----

TEST(TraverseRuntimeBuilder, DefaultsWireNativePoolStoreAndBroker) {
  auto runtime = TraverseRuntime::Builder().build();
  ASSERT_TRUE(runtime.has_value()) << runtime.error().to_string();
  EXPECT_NE((*runtime)->executor(ArtifactType::Native), nullptr);
  EXPECT_NE((*runtime)->trace_store(), nullptr);
  EXPECT_NE((*runtime)->broker(), nullptr);
  EXPECT_NE((*runtime)->event_catalog(), nullptr);
  EXPECT_NE((*runtime)->capability_registry(), nullptr);
  EXPECT_NE((*runtime)->workflow_registry(), nullptr);
  const std::size_t capacity = TraverseRuntime::default_native_capacity();
  EXPECT_GE(capacity, 1u);
  EXPECT_LE(capacity, 256u);
}

TEST(TraverseRuntimeBuilder, DefaultBrokerUsesTheRuntimeCatalog) {
  auto catalog = std::make_shared<EventCatalog>();
  auto runtime = TraverseRuntime::Builder().with_event_catalog(catalog).build();
  ASSERT_TRUE(runtime.has_value());
  EXPECT_EQ((*runtime)->event_catalog(), catalog);
  const auto* broker = dynamic_cast<const InProcessBroker*>((*runtime)->broker().get());
  ASSERT_NE(broker, nullptr);
  EXPECT_EQ(broker->catalog(), catalog);
}

TEST(TraverseRuntimeBuilder, RejectsNativeHandlerRegisteredTwice) {
  TraverseRuntime::Builder builder;
  builder.with_native_handler("a.b", [](const Value& v) { return NativeHandler::Result(v); });
  builder.with_native_handler("a.b", [](const Value& v) { return NativeHandler::Result(v); });
  auto runtime = builder.build();
  ASSERT_FALSE(runtime.has_value());
  EXPECT_EQ(runtime.error().kind(), RuntimeBuildErrorKind::InvalidOption);
  EXPECT_NE(runtime.error().message().find("'a.b' registered twice"), std::string::npos);
}

TEST(TraverseRuntimeBuilder, RejectsPoolCapacityOutsideRange) {
  auto zero = TraverseRuntime::Builder().with_native_pool_capacity(0).build();
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().kind(), RuntimeBuildErrorKind::InvalidOption);
  EXPECT_EQ(zero.error().message(), "invalid thread pool capacity 0; expected 1..=256");
  auto big = TraverseRuntime::Builder().with_native_pool_capacity(257).build();
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().message(), "invalid thread pool capacity 257; expected 1..=256");
}

TEST(TraverseRuntimeBuilder, ANativePoolThatNeverPollsStillRunsCapabilities) {
  TraverseRuntime::Builder builder;
  add_bundle_handlers(builder);
  builder.with_native_pool_spin(std::chrono::nanoseconds{0}, std::chrono::nanoseconds{0});
  builder.with_executor(ArtifactType::Wasm, nullptr);
  auto runtime = builder.build();
  ASSERT_TRUE(runtime.has_value()) << runtime.error().to_string();
  ASSERT_TRUE((*runtime)->load_bundle(kBundle).has_value());
  for (std::int64_t i = 0; i < 100; ++i) {
    const auto result = (*runtime)->execute_capability(
        request_for("no-polling", "demo.runtime.add-numbers", {{"a", i}, {"b", 1}}));
    ASSERT_TRUE(result.completed()) << i;
    EXPECT_EQ((*result.output)["sum"], i + 1);
  }
}

TEST(TraverseRuntimeBuilder, RejectsANegativeNativePoolSpin) {
  auto runtime =
      TraverseRuntime::Builder()
          .with_native_pool_spin(std::chrono::nanoseconds{-1}, std::chrono::nanoseconds{0})
          .build();
  ASSERT_FALSE(runtime.has_value());
  EXPECT_EQ(runtime.error().kind(), RuntimeBuildErrorKind::InvalidOption);
  EXPECT_NE(runtime.error().message().find("worker_spin/caller_spin is negative"),
            std::string::npos)
      << runtime.error().message();
}

TEST(TraverseRuntimeBuilder, RejectsZeroBounds) {
  auto traces = TraverseRuntime::Builder().with_runtime_trace_capacity(0).build();
  ASSERT_FALSE(traces.has_value());
  EXPECT_EQ(traces.error().kind(), RuntimeBuildErrorKind::InvalidOption);
  auto validators = TraverseRuntime::Builder().with_validator_cache_capacity(0).build();
  ASSERT_FALSE(validators.has_value());
}

TEST(TraverseRuntimeBuilder, ExplicitWasmConfigWithMissingWorkerFailsBuild) {
  WasmExecutorConfig config;
  config.worker_path = "/nonexistent/traverse-wasm-worker";
  auto runtime = TraverseRuntime::Builder().with_wasm_config(config).build();
  ASSERT_FALSE(runtime.has_value());
  EXPECT_EQ(runtime.error().kind(), RuntimeBuildErrorKind::ExecutorSetupFailed);
  EXPECT_NE(runtime.error().message().find("/nonexistent/traverse-wasm-worker"), std::string::npos)
      << runtime.error().message();
}

TEST(TraverseRuntimeBuilder, DefaultWasmExecutorAlwaysExistsAndExplainsAMissingWorker) {
  // Without a worker the executor is the one that explains why (issue 15, defect 9).
  auto runtime = TraverseRuntime::Builder().build();
  ASSERT_TRUE(runtime.has_value());
  EXPECT_NE((*runtime)->executor(ArtifactType::Wasm), nullptr);
  auto without = TraverseRuntime::Builder().with_executor(ArtifactType::Wasm, nullptr).build();
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ((*without)->executor(ArtifactType::Wasm), nullptr);
}

TEST(TraverseRuntimeBuilder, WorkflowRunnerFactoryErrorFailsBuild) {
  auto runtime =
      TraverseRuntime::Builder()
          .with_workflow_runner([](const WorkflowRunnerDependencies&) -> WorkflowRunnerResult {
            return std::unexpected(RuntimeBuildError{RuntimeBuildErrorKind::WorkflowRunnerFailed,
                                                     "engine unavailable"});
          })
          .build();
  ASSERT_FALSE(runtime.has_value());
  EXPECT_EQ(runtime.error().kind(), RuntimeBuildErrorKind::WorkflowRunnerFailed);
  EXPECT_EQ(runtime.error().message(), "engine unavailable");
}

// ---- Registration ----

TEST_F(TraverseRuntimeTest, LoadBundleRegistersCapabilitiesWorkflowsAndEvents) {
  auto loaded = runtime_->load_bundle(kBundle);
  ASSERT_TRUE(loaded.has_value()) << to_string(loaded.error().at(0));
  EXPECT_EQ(loaded->capabilities.size(), 5u);
  EXPECT_EQ(loaded->workflows.size(), 1u);
  EXPECT_EQ(loaded->events.size(), 1u);
  EXPECT_EQ(runtime_->capability_registry()->size(), 5u);
  EXPECT_EQ(runtime_->workflow_registry()->size(), 1u);
  const auto entry = runtime_->event_catalog()->get(kItemRecorded);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->version, "1.0.0");
  EXPECT_EQ(entry->owner, "runtime-tests");
}

TEST_F(TraverseRuntimeTest, LoadingTheSameBundleTwiceIsANoOp) {
  load_bundle();
  auto again = runtime_->load_bundle(kBundle);
  ASSERT_TRUE(again.has_value()) << to_string(again.error().at(0));
  for (const auto& capability : again->capabilities) {
    EXPECT_EQ(capability.status, RegistrationStatus::AlreadyRegistered);
  }
  EXPECT_EQ(runtime_->capability_registry()->size(), 5u);
  EXPECT_EQ(runtime_->event_catalog()->size(), 1u);
}

TEST_F(TraverseRuntimeTest, MissingBundleFailsWithItsPath) {
  auto loaded = runtime_->load_bundle(kBundle.parent_path() / "absent.json");
  ASSERT_FALSE(loaded.has_value());
  ASSERT_FALSE(loaded.error().empty());
  EXPECT_NE(loaded.error()[0].file().find("absent.json"), std::string::npos)
      << to_string(loaded.error()[0]);
  EXPECT_EQ(runtime_->capability_registry()->size(), 0u);
}

TEST_F(TraverseRuntimeTest, ConflictingEventTypeRegistersNothingFromTheBundle) {
  ASSERT_TRUE(runtime_->event_catalog()->register_entry(
      {kItemRecorded, "someone-else", "2.0.0", Lifecycle::Active, 0}));
  auto loaded = runtime_->load_bundle(kBundle);
  ASSERT_FALSE(loaded.has_value());
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error()[0].code(), "EventTypeConflict");
  EXPECT_NE(loaded.error()[0].file().find("item-recorded.json"), std::string::npos);
  EXPECT_EQ(runtime_->capability_registry()->size(), 0u);
  EXPECT_EQ(runtime_->workflow_registry()->size(), 0u);
}

// ---- Execution: success ----

TEST_F(TraverseRuntimeTest, ExecutesNativeCapabilityAndTracesIt) {
  load_bundle();
  const RuntimeExecution execution =
      runtime_->execute(request_for("req-1", "demo.runtime.add-numbers", {{"a", 2}, {"b", 3}}));
  const RuntimeResult& result = execution.result;
  ASSERT_TRUE(result.completed()) << result.error->message();
  EXPECT_EQ(result.output, (Value{{"sum", 5}}));
  EXPECT_EQ(result.execution_id, "exec_req-1");
  EXPECT_EQ(result.request_id, "req-1");
  EXPECT_TRUE(result.warnings.empty());

  auto record = runtime_->trace_store()->get(result.trace_ref);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Success);
  EXPECT_EQ(record->public_entry.execution_id, "exec_req-1");
  EXPECT_EQ(record->public_entry.capability_id, "demo.runtime.add-numbers");
  EXPECT_EQ(record->public_entry.placement_target, "Local");
  EXPECT_EQ(record->private_entry->inputs_hash, sha256_hex(R"({"a":2,"b":3})"));
  EXPECT_EQ(record->private_entry->outputs_hash, sha256_hex(R"({"sum":5})"));

  const RuntimeTrace& trace = *execution.trace;
  EXPECT_EQ(trace.trace_id, result.trace_ref);
  EXPECT_EQ(trace.capability_id, "demo.runtime.add-numbers");
  EXPECT_EQ(trace.execution_status, RuntimeExecutionStatus::Succeeded);
  EXPECT_EQ(trace.output_digest, output_digest(Value{{"sum", 5}}));
  ASSERT_TRUE(trace.placement.has_value());
  EXPECT_EQ(trace.placement->target, ExecutionTarget::Local);
  EXPECT_EQ(trace.placement->reason, PlacementReason::CallerHintAccepted);
  EXPECT_TRUE(trace.trace_store_entry);
  ASSERT_TRUE(trace.started_at.has_value());
  ASSERT_TRUE(trace.completed_at.has_value());
  EXPECT_LE(trace.received_at, *trace.started_at);
  EXPECT_LE(*trace.started_at, *trace.completed_at);
  EXPECT_LE(*trace.completed_at, trace.finished_at);
  EXPECT_TRUE(
      parse_rfc3339(to_json(trace)["execution"]["started_at"].get<std::string>()).has_value());

  const auto kept = runtime_->runtime_trace(result.trace_ref);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(to_json(*kept), to_json(trace));
}

TEST_F(TraverseRuntimeTest, RepeatedRequestIdGetsDistinctTraces) {
  load_bundle();
  const auto first = runtime_->execute_capability(
      request_for("same", "demo.runtime.add-numbers", {{"a", 1}, {"b", 1}}));
  const auto second = runtime_->execute_capability(
      request_for("same", "demo.runtime.add-numbers", {{"a", 2}, {"b", 2}}));
  ASSERT_TRUE(first.completed());
  ASSERT_TRUE(second.completed());
  EXPECT_EQ(first.execution_id, second.execution_id);
  EXPECT_NE(first.trace_ref, second.trace_ref);
  EXPECT_EQ(store_entries(), 2u);
  EXPECT_TRUE(runtime_->runtime_trace(first.trace_ref).has_value());
  EXPECT_TRUE(runtime_->runtime_trace(second.trace_ref).has_value());
}

TEST_F(TraverseRuntimeTest, VersionRangeIdOnlyAndExactResolution) {
  register_unit(unit_contract("versioned", "1.0.0"));
  register_unit(unit_contract("versioned", "1.2.0"));
  register_unit(unit_contract("versioned", "2.0.0"));

  auto range = request_for("r-range", "demo.unit.versioned", Value::object(), std::nullopt);
  range.version_range = "^1";
  const auto in_range = runtime_->execute_capability(range);
  ASSERT_TRUE(in_range.completed()) << in_range.error->message();
  EXPECT_EQ(in_range.output, (Value{{"version", "1.2.0"}}));

  const auto exact = runtime_->execute_capability(
      request_for("r-exact", "demo.unit.versioned", Value::object(), "1.0.0"));
  ASSERT_TRUE(exact.completed());
  EXPECT_EQ(exact.output, (Value{{"version", "1.0.0"}}));

  const auto id_only = runtime_->execute_capability(
      request_for("r-id", "demo.unit.versioned", Value::object(), std::nullopt));
  ASSERT_FALSE(id_only.completed());
  EXPECT_EQ(id_only.error->code(), code::kCapabilityAmbiguous);
  EXPECT_EQ(store_entries(), 3u);  // the ambiguous request is recorded as Rejected
}

TEST_F(TraverseRuntimeTest, IntentKeyResolvesByContractFieldOrId) {
  CapabilityContract greeter = unit_contract("echo");
  greeter.document = Value{{"intent_key", "demo.say-it-back"}};
  register_unit(greeter);

  RuntimeRequest by_key;
  by_key.request_id = "r-key";
  by_key.intent_key = "demo.say-it-back";
  by_key.input = Value{{"x", 1}};
  const auto result = runtime_->execute_capability(by_key);
  ASSERT_TRUE(result.completed()) << result.error->message();
  EXPECT_EQ(result.output, (Value{{"echo", {{"x", 1}}}}));

  by_key.intent_key = "demo.unit.echo";
  EXPECT_TRUE(runtime_->execute_capability(by_key).completed());

  by_key.intent_key = "demo.nothing";
  const auto missing = runtime_->execute_capability(by_key);
  ASSERT_FALSE(missing.completed());
  EXPECT_EQ(missing.error->code(), code::kCapabilityNotFound);
}

TEST_F(TraverseRuntimeTest, IntentKeyMatchingTwoCapabilitiesIsAmbiguous) {
  CapabilityContract one = unit_contract("echo", "1.0.0");
  one.document = Value{{"intent_key", "demo.shared"}};
  CapabilityContract two = unit_contract("echo", "1.1.0");
  two.document = Value{{"intent_key", "demo.shared"}};
  register_unit(one);
  register_unit(two);
  RuntimeRequest request;
  request.request_id = "r";
  request.intent_key = "demo.shared";
  const auto result = runtime_->execute_capability(request);
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->code(), code::kCapabilityAmbiguous);
  EXPECT_EQ(result.error->details()["candidates"],
            (Value::array({"demo.unit.echo@1.0.0", "demo.unit.echo@1.1.0"})));
}

TEST_F(TraverseRuntimeTest, PrivateCapabilityIsInvisibleToPublicOnlyLookups) {
  register_unit(unit_contract("echo"), Scope::Private);
  auto request = request_for("r", "demo.unit.echo", Value::object());
  request.scope = LookupScope::PublicOnly;
  const auto hidden = runtime_->execute_capability(request);
  ASSERT_FALSE(hidden.completed());
  EXPECT_EQ(hidden.error->code(), code::kCapabilityNotFound);
  request.scope = LookupScope::PreferPrivate;
  EXPECT_TRUE(runtime_->execute_capability(request).completed());
}

// ---- Execution: rejections before routing (no TraceStore entry, a RuntimeTrace exists) ----

TEST_F(TraverseRuntimeTest, MalformedRequestStructIsRequestInvalid) {
  RuntimeRequest request;
  request.capability_version = "not-semver";
  const RuntimeExecution execution = runtime_->execute(request);
  ASSERT_FALSE(execution.result.completed());
  EXPECT_EQ(execution.result.error->code(), code::kRequestInvalid);
  const Value& violations = execution.result.error->details()["violations"];
  ASSERT_TRUE(violations.is_array());
  std::set<std::string> paths;
  for (const auto& v : violations) {
    paths.insert(v["path"].get<std::string>());
  }
  EXPECT_TRUE(paths.contains("$.request_id"));
  EXPECT_TRUE(paths.contains("$.intent"));
  EXPECT_TRUE(paths.contains("$.intent.capability_version"));
  EXPECT_EQ(store_entries(), 1u);  // the Rejected entry
  EXPECT_TRUE(runtime_->runtime_trace(execution.result.trace_ref).has_value());
}

TEST_F(TraverseRuntimeTest, NonLocalTargetIsPlacementUnsupportedAndUnknownTargetInvalid) {
  load_bundle();
  auto request = request_for("r", "demo.runtime.add-numbers", {{"a", 1}, {"b", 1}});
  request.requested_target = "cloud";
  const auto cloud = runtime_->execute_capability(request);
  ASSERT_FALSE(cloud.completed());
  EXPECT_EQ(cloud.error->code(), code::kPlacementUnsupported);
  request.requested_target = "mars";
  const auto mars = runtime_->execute_capability(request);
  ASSERT_FALSE(mars.completed());
  EXPECT_EQ(mars.error->code(), code::kRequestInvalid);
  EXPECT_NE(mars.error->message().find("$.context.requested_target"), std::string::npos);
  EXPECT_EQ(store_entries(), 2u);  // both rejections are recorded
}

TEST_F(TraverseRuntimeTest, UnknownCapabilityIsNotFound) {
  const auto result =
      runtime_->execute_capability(request_for("r", "demo.unit.absent", Value::object()));
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->code(), code::kCapabilityNotFound);
  EXPECT_EQ(result.execution_id, "exec_r");
}

TEST_F(TraverseRuntimeTest, DraftCapabilityIsNotRunnable) {
  CapabilityContract draft = unit_contract("echo");
  draft.lifecycle = Lifecycle::Draft;
  register_unit(draft);
  const auto result =
      runtime_->execute_capability(request_for("r", "demo.unit.echo", Value::object()));
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->code(), code::kCapabilityNotRunnable);
}

TEST_F(TraverseRuntimeTest, CapabilityWithoutLocalPreferenceIsNotRunnableLocally) {
  CapabilityContract cloud_only = unit_contract("echo");
  cloud_only.preferred_targets = {ExecutionTarget::Cloud};
  register_unit(cloud_only);
  const auto result =
      runtime_->execute_capability(request_for("r", "demo.unit.echo", Value::object()));
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->code(), code::kCapabilityNotRunnable);
  EXPECT_EQ(result.error->details()["reason"], "not_runnable_locally");
}

TEST_F(TraverseRuntimeTest, NetworkRequiringCapabilityIsNotRunnableLocally) {
  CapabilityContract networked = unit_contract("echo");
  networked.constraints.network_access = "required";
  register_unit(networked);
  const auto result =
      runtime_->execute_capability(request_for("r", "demo.unit.echo", Value::object()));
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->code(), code::kCapabilityNotRunnable);
}

TEST_F(TraverseRuntimeTest, CapabilityWithoutNativeHandlerIsArtifactMissing) {
  register_unit(unit_contract("unhandled"));
  const auto result =
      runtime_->execute_capability(request_for("r", "demo.unit.unhandled", Value::object()));
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->code(), code::kArtifactMissing);
  EXPECT_NE(result.error->message().find("no native handler registered for capability "
                                         "'demo.unit.unhandled'"),
            std::string::npos);
  EXPECT_EQ(store_entries(), 1u);  // Rejected
}

TEST_F(TraverseRuntimeTest, InputViolationsAreAllReported) {
  load_bundle();
  const auto result = runtime_->execute_capability(
      request_for("r", "demo.runtime.add-numbers", {{"a", "two"}, {"c", 1}}));
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->code(), code::kRequestInvalid);
  const Value& violations = result.error->details()["violations"];
  ASSERT_TRUE(violations.is_array());
  std::set<std::string> paths;
  for (const auto& v : violations) {
    paths.insert(v["path"].get<std::string>());
  }
  EXPECT_TRUE(paths.contains("$.a")) << violations.dump();  // wrong type
  EXPECT_TRUE(paths.contains("$.b")) << violations.dump();  // missing
  EXPECT_TRUE(paths.contains("$.c")) << violations.dump();  // additionalProperties: false
  EXPECT_EQ(store_entries(), 1u);                           // Rejected
}

TEST_F(TraverseRuntimeTest, UncompilableSchemaIsContractViolation) {
  CapabilityContract broken = unit_contract("echo");
  broken.input_schema = Value{{"type", "object"}, {"pattern", 5}, {"minLength", "x"}};
  register_unit(broken);
  const auto result =
      runtime_->execute_capability(request_for("r", "demo.unit.echo", Value::object()));
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->code(), code::kContractViolation);
  EXPECT_FALSE(result.error->details()["violations"].empty());
}

// ---- Execution: failures after routing (traced as Failure, D1) ----

TEST_F(TraverseRuntimeTest, HandlerFailureIsExecutionFailedAndTraced) {
  register_unit(unit_contract("fails"));
  const RuntimeExecution execution =
      runtime_->execute(request_for("r-fail", "demo.unit.fails", Value::object()));
  ASSERT_FALSE(execution.result.completed());
  EXPECT_EQ(execution.result.error->code(), code::kExecutionFailed);
  EXPECT_EQ(execution.result.error->details()["error_class"], "ExecutionFailed");
  EXPECT_NE(execution.result.error->message().find("boom"), std::string::npos);

  auto record = runtime_->trace_store()->get(execution.result.trace_ref);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Failure);
  EXPECT_EQ(record->public_entry.error_class, "ExecutionFailed");
  EXPECT_NE(record->public_entry.error_message->find("boom"), std::string::npos);
  EXPECT_EQ(execution.trace->execution_status, RuntimeExecutionStatus::Failed);
  EXPECT_EQ(execution.trace->error_class, "ExecutionFailed");
  EXPECT_TRUE(execution.trace->trace_store_entry);
}

TEST_F(TraverseRuntimeTest, OutputViolatingSchemaIsOutputValidationFailedAndTraced) {
  CapabilityContract contract = unit_contract("bad-output");
  contract.output_schema = Value::parse(
      R"({"type":"object","required":["result"],"properties":{"result":{"type":"integer"}}})");
  register_unit(contract);
  const auto result =
      runtime_->execute_capability(request_for("r", "demo.unit.bad-output", Value::object()));
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->code(), code::kOutputValidationFailed);
  EXPECT_EQ(result.error->details()["violations"][0]["path"], "$.result");
  auto record = runtime_->trace_store()->get(result.trace_ref);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Failure);
  EXPECT_EQ(record->public_entry.error_class, "OutputValidationFailed");
}

TEST_F(TraverseRuntimeTest, WasmCapabilityWithoutWasmExecutorIsArtifactMissingAndTraced) {
  CapabilityContract contract = unit_contract("sandboxed");
  const std::string id = contract.id;
  ASSERT_TRUE(runtime_->register_capability(
      Scope::Public, contract, ArtifactReference::wasm("/nonexistent/module.wasm", "")));
  const auto result = runtime_->execute_capability(request_for("r", id, Value::object()));
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->code(), code::kArtifactMissing);
  EXPECT_EQ(result.error->message(), "no executor registered for artifact type: Wasm");
  auto record = runtime_->trace_store()->get(result.trace_ref);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_entry.error_class, "ExecutorNotFound");
}

// ---- Events ----

TEST_F(TraverseRuntimeTest, EmittedEventReachesSubscriber) {
  load_bundle();
  auto subscription = runtime_->broker()->subscribe(kItemRecorded, "0");
  ASSERT_TRUE(subscription.has_value()) << subscription.error().message();
  const RuntimeExecution execution =
      runtime_->execute(request_for("r-ev", "demo.runtime.record-item", {{"item_id", "item-42"}}));
  ASSERT_TRUE(execution.result.completed()) << execution.result.error->message();
  EXPECT_TRUE(execution.result.warnings.empty());
  ASSERT_EQ(execution.trace->emitted_events.size(), 1u);

  auto poll = runtime_->broker()->poll(subscription->subscription_id, 10);
  ASSERT_TRUE(poll.has_value());
  ASSERT_EQ(poll->events.size(), 1u);
  EXPECT_EQ(poll->events[0].event.data, (Value{{"item_id", "item-42"}}));
  EXPECT_EQ(poll->events[0].event.owner, "demo.runtime.record-item");
  EXPECT_EQ(poll->events[0].event.id, execution.trace->emitted_events[0].id);

  auto record = runtime_->trace_store()->get(execution.result.trace_ref);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_entry.published_events,
            std::vector<std::string>{poll->events[0].event.id});
}

TEST_F(TraverseRuntimeTest, UndeclaredEventIsRejectedAtEmit) {
  CapabilityContract probe = unit_contract("emit-probe");
  probe.service_type = ServiceType::Subscribable;
  probe.event_trigger = "demo.unit.probe-requested";
  probe.emits = {{"demo.unit.declared", "1.0.0"}};
  register_unit(probe);
  const auto result = runtime_->execute_capability(
      request_for("r", "demo.unit.emit-probe", {{"event", "demo.unit.undeclared"}}));
  ASSERT_TRUE(result.completed());
  EXPECT_EQ(result.output, (Value{{"emit_error", to_string(EmitError::UndeclaredEvent)}}));
  EXPECT_TRUE(result.warnings.empty());  // nothing was recorded, so nothing to publish
}

TEST_F(TraverseRuntimeTest, EventOfUnregisteredTypeIsReportedAsWarningAndInTrace) {
  CapabilityContract probe = unit_contract("emit-probe");
  probe.service_type = ServiceType::Subscribable;
  probe.event_trigger = "demo.unit.probe-requested";
  probe.emits = {{"demo.unit.declared", "1.0.0"}};
  register_unit(probe);
  const auto result = runtime_->execute_capability(
      request_for("r", "demo.unit.emit-probe", {{"event", "demo.unit.declared"}}));
  ASSERT_TRUE(result.completed());
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].code, "event_publish_failed");
  EXPECT_NE(result.warnings[0].message.find("demo.unit.declared"), std::string::npos);
  auto record = runtime_->trace_store()->get(result.trace_ref);
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ(record->public_entry.publish_errors.size(), 1u);
  EXPECT_EQ(record->public_entry.publish_errors[0].event_type, "demo.unit.declared");
}

// ---- Runtime traces and documents ----

TEST(TraverseRuntimeTraces, OldestRuntimeTraceIsForgottenBeyondCapacity) {
  auto built = TraverseRuntime::Builder()
                   .with_native_handler("demo.unit.echo",
                                        [](const Value& v) { return NativeHandler::Result(v); })
                   .with_runtime_trace_capacity(2)
                   .build();
  ASSERT_TRUE(built.has_value());
  auto& runtime = **built;
  ASSERT_TRUE(runtime.register_capability(Scope::Public, unit_contract("echo"),
                                          ArtifactReference::native("demo.unit.echo")));
  std::vector<std::string> refs;
  for (int i = 0; i < 3; ++i) {
    const auto result = runtime.execute_capability(
        request_for("r" + std::to_string(i), "demo.unit.echo", Value::object()));
    ASSERT_TRUE(result.completed());
    refs.push_back(result.trace_ref);
  }
  EXPECT_FALSE(runtime.runtime_trace(refs[0]).has_value());
  EXPECT_TRUE(runtime.runtime_trace(refs[1]).has_value());
  EXPECT_TRUE(runtime.runtime_trace(refs[2]).has_value());
  EXPECT_TRUE(runtime.trace_store()->get(refs[0]).has_value());  // durable evidence stays
}

TEST_F(TraverseRuntimeTest, MalformedRequestDocumentIsRequestInvalidWithEveryViolation) {
  const RuntimeExecution execution =
      runtime_->execute_document(Value{{"kind", "runtime_request"}, {"request_id", "doc-1"}});
  ASSERT_FALSE(execution.result.completed());
  EXPECT_EQ(execution.result.error->code(), code::kRequestInvalid);
  EXPECT_EQ(execution.result.request_id, "doc-1");
  EXPECT_GE(execution.result.error->details()["violations"].size(), 2u);
  EXPECT_TRUE(runtime_->runtime_trace(execution.result.trace_ref).has_value());
}

TEST_F(TraverseRuntimeTest, ValidRequestDocumentRuns) {
  load_bundle();
  const Value document = Value::parse(R"({
    "kind": "runtime_request", "schema_version": "1.0.0", "request_id": "doc-2",
    "intent": {"capability_id": "demo.runtime.greet-person", "capability_version": "1.0.0"},
    "input": {"name": "Ada"},
    "lookup": {"scope": "public_only", "allow_ambiguity": false},
    "context": {"requested_target": "local"},
    "governing_spec": "006-runtime-request-execution"})");
  const RuntimeExecution execution = runtime_->execute_document(document);
  ASSERT_TRUE(execution.result.completed()) << execution.result.error->message();
  EXPECT_EQ(execution.result.output, (Value{{"greeting", "Hello, Ada!"}}));
  EXPECT_EQ(to_json(execution.result)["execution_id"], "exec_doc-2");
}

// ---- Workflow seam ----

TEST_F(TraverseRuntimeTest, WorkflowBackedCapabilityRunsOnTheDefaultWorkflowEngine) {
  load_bundle();
  const auto result = runtime_->execute_capability(
      request_for("r", "demo.runtime.sum-pair-composite", {{"a", 1}, {"b", 2}}));
  ASSERT_TRUE(result.completed()) << (result.error ? result.error->message() : "");
  ASSERT_TRUE(result.output.has_value());
  EXPECT_EQ(*result.output, (Value{{"sum", 3}}));
}

TEST_F(TraverseRuntimeTest, StepRunnerTracesStepsWithRunIdAndStepIndex) {
  load_bundle();
  const auto steps = runtime_->step_runner();
  StepRequest step;
  step.workflow_run_id = "run-1";
  step.request_id = "outer";
  step.step_index = 2;
  step.workflow_id = "demo.runtime.sum-pair";
  step.workflow_version = "1.0.0";
  step.node_id = "add";
  step.capability_id = "demo.runtime.add-numbers";
  step.capability_version = "1.0.0";
  step.input = Value{{"a", 20}, {"b", 22}};
  const auto outcome = steps->run_step(step);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
  EXPECT_EQ(outcome->output, (Value{{"sum", 42}}));
  auto record = runtime_->trace_store()->get(outcome->trace_id);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_entry.workflow_run_id, "run-1");
  EXPECT_EQ(record->public_entry.step_index, 2u);
  EXPECT_EQ(record->public_entry.execution_id, "exec_outer_step_2");

  step.input = Value{{"a", 1}};  // b missing
  const auto failed = steps->run_step(step);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), code::kRequestInvalid);
  EXPECT_EQ(failed.error().error_class(), "RequestInvalid");
  // A rejected step is recorded too (outcome Rejected), so the engine can point at it.
  ASSERT_TRUE(failed.error().trace_id().has_value());
  auto rejected = runtime_->trace_store()->get(*failed.error().trace_id());
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->public_entry.outcome, TraceOutcome::Rejected);
}

TEST(TraverseRuntimeWorkflowSeam, StepRunnerOutlivingRuntimeFailsCleanly) {
  std::shared_ptr<const StepRunner> steps;
  {
    auto runtime = TraverseRuntime::Builder().build();
    ASSERT_TRUE(runtime.has_value());
    steps = (*runtime)->step_runner();
  }
  StepRequest step;
  step.capability_id = "x.y";
  step.capability_version = "1.0.0";
  const auto outcome = steps->run_step(step);
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code(), code::kExecutionFailed);
  EXPECT_NE(outcome.error().message().find("runtime is gone"), std::string::npos);
}

// A runner that runs the single-node sum-pair workflow through the step runner it was given.
class SingleStepRunner final : public WorkflowRunner {
 public:
  explicit SingleStepRunner(std::shared_ptr<const StepRunner> steps) : steps_(std::move(steps)) {}
  WorkflowRun run(const WorkflowInvocation& invocation) const override {
    const WorkflowNode& node = invocation.workflow->definition.nodes.at(0);
    StepRequest step;
    step.workflow_run_id = "run-x";
    step.request_id = invocation.request_id;
    step.workflow_id = invocation.workflow->definition.id;
    step.workflow_version = invocation.workflow->definition.version;
    step.node_id = node.node_id;
    step.capability_id = node.capability_id;
    step.capability_version = node.capability_version;
    step.input = invocation.input;
    step.scope = invocation.scope;
    WorkflowRun run;
    run.run_id = "run-x";
    run.request_id = invocation.request_id;
    run.evidence = Value{{"kind", "workflow_traversal_evidence"}};
    auto outcome = steps_->run_step(step);
    if (outcome) {
      run.status = WorkflowRunStatus::Completed;
      run.output = outcome->output;
    } else {
      run.status = WorkflowRunStatus::Error;
      run.error = WorkflowRunError{WorkflowFailureReason::StepExecutionFailed,
                                   outcome.error().code(),
                                   outcome.error().error_class(),
                                   outcome.error().message(),
                                   node.node_id,
                                   0,
                                   Value::object()};
    }
    return run;
  }

 private:
  std::shared_ptr<const StepRunner> steps_;
};

TEST(TraverseRuntimeWorkflowSeam, WorkflowBackedCapabilityRunsThroughConfiguredRunner) {
  TraverseRuntime::Builder builder;
  add_bundle_handlers(builder);
  std::size_t seen_parallelism = 0;
  builder.with_native_pool_capacity(3).with_workflow_runner(
      [&seen_parallelism](const WorkflowRunnerDependencies& deps) -> WorkflowRunnerResult {
        seen_parallelism = deps.max_parallelism;
        if (!deps.step_runner || !deps.broker) {
          return std::unexpected(RuntimeBuildError{RuntimeBuildErrorKind::WorkflowRunnerFailed,
                                                   "missing dependencies"});
        }
        return std::make_shared<SingleStepRunner>(deps.step_runner);
      });
  auto built = builder.build();
  ASSERT_TRUE(built.has_value()) << built.error().to_string();
  auto& runtime = **built;
  EXPECT_EQ(seen_parallelism, 3u);
  ASSERT_TRUE(runtime.load_bundle(kBundle).has_value());

  const RuntimeExecution execution =
      runtime.execute(request_for("wf-1", "demo.runtime.sum-pair-composite", {{"a", 4}, {"b", 5}}));
  ASSERT_TRUE(execution.result.completed()) << execution.result.error->message();
  EXPECT_EQ(execution.result.output, (Value{{"sum", 9}}));
  ASSERT_TRUE(execution.trace->workflow_evidence.has_value());
  EXPECT_EQ((*execution.trace->workflow_evidence)["kind"], "workflow_traversal_evidence");
  EXPECT_EQ(execution.trace->workflow_run_id, "run-x");

  TraceQuery query;
  query.workflow_run_id = "run-x";
  auto steps = runtime.trace_store()->list_public(query);
  ASSERT_TRUE(steps.has_value());
  ASSERT_EQ(steps->size(), 2u);  // the step, and the run's own entry
  EXPECT_EQ((*steps)[0].capability_id, "demo.runtime.add-numbers");
  EXPECT_EQ((*steps)[1].capability_id, "demo.runtime.sum-pair-composite");
  EXPECT_EQ((*steps)[1].placement_target, "workflow");

  const auto failed = runtime.execute_capability(
      request_for("wf-2", "demo.runtime.sum-pair-composite", {{"a", 4}}));
  ASSERT_FALSE(failed.completed());
  EXPECT_EQ(failed.error->code(), code::kRequestInvalid);  // outer input check
}

}  // namespace
}  // namespace traverse
