// Governing spec: 001-artifact-formats
#include "traverse/registry/bundle_registration.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <latch>
#include <thread>
#include <vector>

#include "registry_test_support.hpp"

namespace traverse {
namespace {

using registry_test::event_edge;
using registry_test::make_capability;
using registry_test::make_node;
using registry_test::make_workflow;

EventContract make_event(const std::string& id) {
  EventContract e;
  e.id = id;
  e.version = "1.0.0";
  e.lifecycle = Lifecycle::Active;
  return e;
}

// A private bundle: two step capabilities, a workflow-backed composite, its workflow, an event.
RegistryBundle make_bundle(const std::string& bundle_id = "demo-bundle") {
  RegistryBundle bundle;
  bundle.bundle_id = bundle_id;
  bundle.version = "1.0.0";
  bundle.scope = Scope::Private;
  bundle.manifest_path = "/bundles/demo/manifest.json";
  auto first = make_capability("demo.first", "1.0.0");
  first.emits = {{"demo.first.finished", "1.0.0"}};
  auto second = make_capability("demo.second", "1.0.0");
  auto composite = make_capability("demo.composite", "1.0.0");
  composite.workflow_ref = WorkflowRef{"demo.pipeline", "1.0.0"};
  bundle.capabilities = {first, second, composite};
  for (const auto& c : bundle.capabilities) {
    bundle.capability_entries.push_back({c.id, c.version, "/bundles/demo/" + c.name + ".json"});
  }
  bundle.events = {make_event("demo.first.finished")};
  bundle.event_entries = {{"demo.first.finished", "1.0.0", "/bundles/demo/event.json"}};
  bundle.workflows = {make_workflow(
      "demo.pipeline", "1.0.0",
      {make_node("one", "demo.first", "1.0.0"), make_node("two", "demo.second", "1.0.0")},
      {event_edge("e1", "one", "two", {"demo.first.finished", "1.0.0"})})};
  bundle.workflow_entries = {{"demo.pipeline", "1.0.0", "/bundles/demo/pipeline.json"}};
  return bundle;
}

TEST(BundleRegistration, RegistersCapabilitiesAndWorkflowsAndExposesEvents) {
  CapabilityRegistry capabilities;
  WorkflowRegistry workflows;
  auto result = register_bundle(make_bundle(), capabilities, workflows);
  ASSERT_TRUE(result.has_value()) << ::testing::PrintToString(result.error().size());
  ASSERT_EQ(result->capabilities.size(), 3U);
  ASSERT_EQ(result->workflows.size(), 1U);
  ASSERT_EQ(result->events.size(), 1U);
  EXPECT_EQ(result->events[0].id, "demo.first.finished");
  EXPECT_EQ(capabilities.size(), 3U);
  EXPECT_EQ(workflows.size(), 1U);
  for (const auto& registered : result->capabilities) {
    EXPECT_EQ(registered.status, RegistrationStatus::Registered);
    EXPECT_EQ(registered.record->scope, Scope::Private);
  }
  // The workflow resolved its nodes against the bundle's own (not yet registered) capabilities.
  EXPECT_EQ(result->workflows[0].record->scope, Scope::Private);
  EXPECT_EQ(result->workflows[0].record->origin, "bundle:demo-bundle:demo.pipeline:1.0.0");
}

TEST(BundleRegistration, DefaultArtifactsAreNativeByIdAndWorkflowForComposites) {
  CapabilityRegistry capabilities;
  WorkflowRegistry workflows;
  ASSERT_TRUE(register_bundle(make_bundle(), capabilities, workflows).has_value());
  auto step = capabilities.get(Scope::Private, "demo.first", "1.0.0");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->artifact.kind, ArtifactKind::Native);
  EXPECT_EQ(step->artifact.native_handler_id, "demo.first");
  EXPECT_EQ(step->artifact.origin, "bundle:demo-bundle:demo.first:1.0.0");
  auto composite = capabilities.get(Scope::Private, "demo.composite", "1.0.0");
  ASSERT_NE(composite, nullptr);
  EXPECT_EQ(composite->artifact.kind, ArtifactKind::Workflow);
  EXPECT_EQ(composite->artifact.workflow->workflow_id, "demo.pipeline");
}

TEST(BundleRegistration, ArtifactForOptionChoosesEachCapabilitysArtifact) {
  CapabilityRegistry capabilities;
  WorkflowRegistry workflows;
  BundleRegistrationOptions options;
  options.artifact_for = [](const CapabilityContract& c, const RegistryBundle&) {
    return ArtifactReference::wasm("/wasm/" + c.name + ".wasm", "sha256:00");
  };
  ASSERT_TRUE(register_bundle(make_bundle(), capabilities, workflows, options).has_value());
  auto step = capabilities.get(Scope::Private, "demo.second", "1.0.0");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->artifact.kind, ArtifactKind::Wasm);
  EXPECT_EQ(step->artifact.wasm_path, "/wasm/second.wasm");
  EXPECT_EQ(step->artifact.origin, "bundle:demo-bundle:demo.second:1.0.0");  // filled in
}

TEST(BundleRegistration, OneBadWorkflowRegistersNothingAndReportsItWithItsFile) {
  CapabilityRegistry capabilities;
  WorkflowRegistry workflows;
  auto bundle = make_bundle();
  auto bad = make_workflow("demo.broken", "1.0.0", {make_node("x", "demo.nowhere", "9.9.9")});
  bundle.workflows.push_back(bad);
  bundle.workflow_entries.push_back({"demo.broken", "1.0.0", "/bundles/demo/broken.json"});

  auto result = register_bundle(bundle, capabilities, workflows);
  ASSERT_FALSE(result.has_value());
  ASSERT_EQ(result.error().size(), 1U);
  EXPECT_EQ(result.error()[0].code(), "MissingReference");
  EXPECT_EQ(result.error()[0].path(), "$.nodes[0]");
  EXPECT_EQ(result.error()[0].file(), "/bundles/demo/broken.json");
  EXPECT_EQ(capabilities.size(), 0U);  // all-or-nothing: not even the good capabilities
  EXPECT_EQ(workflows.size(), 0U);
}

TEST(BundleRegistration, ReportsEveryErrorAcrossCapabilitiesAndWorkflows) {
  CapabilityRegistry capabilities;
  WorkflowRegistry workflows;
  // A different demo.second@1.0.0 is already registered privately.
  auto other = make_capability("demo.second", "1.0.0");
  other.summary = "A conflicting earlier registration of demo.second";
  ASSERT_TRUE(
      capabilities.register_capability(Scope::Private, other, ArtifactReference::native("x"))
          .has_value());
  auto bundle = make_bundle();
  bundle.workflows[0].edges[0].event = EventReference{"demo.never.emitted", "1.0.0"};
  bundle.workflows.push_back(
      make_workflow("demo.broken", "1.0.0", {make_node("x", "demo.nowhere", "1.0.0")}));
  bundle.workflow_entries.push_back({"demo.broken", "1.0.0", "/bundles/demo/broken.json"});

  auto result = register_bundle(bundle, capabilities, workflows);
  ASSERT_FALSE(result.has_value());
  std::vector<std::string> seen;
  for (const auto& e : result.error()) {
    seen.push_back(e.code() + " " + e.path() + " " + e.file());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "InvalidEventEdge $.edges[0].event /bundles/demo/pipeline.json",
                      "MissingReference $.nodes[0] /bundles/demo/broken.json",
                      "ImmutableVersionConflict $ /bundles/demo/second.json"}));
  EXPECT_EQ(capabilities.size(), 1U);  // only the earlier registration
  EXPECT_EQ(workflows.size(), 0U);
}

TEST(BundleRegistration, ConflictWithRegisteredWorkflowRegistersNothing) {
  CapabilityRegistry capabilities;
  WorkflowRegistry workflows;
  ASSERT_TRUE(register_bundle(make_bundle(), capabilities, workflows).has_value());
  auto changed = make_bundle("demo-bundle-v2");
  changed.capabilities.push_back(make_capability("demo.third", "1.0.0"));
  changed.capability_entries.push_back({"demo.third", "1.0.0", "/bundles/demo/third.json"});
  changed.workflows[0].summary = "Changed workflow under the same version";
  auto result = register_bundle(changed, capabilities, workflows);
  ASSERT_FALSE(result.has_value());
  ASSERT_EQ(result.error().size(), 1U);
  EXPECT_EQ(result.error()[0].code(), "ImmutableVersionConflict");
  EXPECT_EQ(result.error()[0].file(), "/bundles/demo/pipeline.json");
  EXPECT_EQ(capabilities.get(Scope::Private, "demo.third", "1.0.0"), nullptr);
  EXPECT_EQ(capabilities.size(), 3U);
}

TEST(BundleRegistration, RegisteringTheSameBundleAgainIsANoOp) {
  CapabilityRegistry capabilities;
  WorkflowRegistry workflows;
  auto first = register_bundle(make_bundle(), capabilities, workflows);
  ASSERT_TRUE(first.has_value());
  auto second = register_bundle(make_bundle(), capabilities, workflows);
  ASSERT_TRUE(second.has_value());
  for (std::size_t i = 0; i < second->capabilities.size(); ++i) {
    EXPECT_EQ(second->capabilities[i].status, RegistrationStatus::AlreadyRegistered);
    EXPECT_EQ(second->capabilities[i].record.get(), first->capabilities[i].record.get());
  }
  EXPECT_EQ(second->workflows[0].status, RegistrationStatus::AlreadyRegistered);
  EXPECT_EQ(capabilities.size(), 3U);
  EXPECT_EQ(workflows.size(), 1U);
}

TEST(BundleRegistration, RepeatedEntryWithDifferentContentIsAConflict) {
  CapabilityRegistry capabilities;
  WorkflowRegistry workflows;
  auto bundle = make_bundle();
  auto twin = bundle.capabilities[1];
  twin.summary = "Same id and version, different content";
  bundle.capabilities.push_back(twin);
  bundle.capability_entries.push_back({twin.id, twin.version, "/bundles/demo/twin.json"});
  auto result = register_bundle(bundle, capabilities, workflows);
  ASSERT_FALSE(result.has_value());
  ASSERT_EQ(result.error().size(), 1U);
  EXPECT_EQ(result.error()[0].code(), "ImmutableVersionConflict");
  EXPECT_EQ(result.error()[0].file(), "/bundles/demo/twin.json");
  EXPECT_EQ(capabilities.size(), 0U);

  // An identical repeat is harmless: registered once.
  auto harmless = make_bundle();
  harmless.capabilities.push_back(harmless.capabilities[1]);
  harmless.capability_entries.push_back(harmless.capability_entries[1]);
  auto ok = register_bundle(harmless, capabilities, workflows);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(capabilities.size(), 3U);
  EXPECT_EQ(ok->capabilities[3].status, RegistrationStatus::AlreadyRegistered);
  EXPECT_EQ(ok->capabilities[3].record.get(), ok->capabilities[1].record.get());
}

TEST(BundleRegistration, BundleBeyondCapacityRegistersNothing) {
  CapabilityRegistry capabilities(CapabilityRegistryLimits{2});
  WorkflowRegistry workflows;
  auto result = register_bundle(make_bundle(), capabilities, workflows);
  ASSERT_FALSE(result.has_value());
  ASSERT_EQ(result.error().size(), 1U);
  EXPECT_EQ(result.error()[0].code(), "CapacityExceeded");
  EXPECT_EQ(capabilities.size(), 0U);
}

TEST(BundleRegistration, PublicBundleWorkflowCannotUsePrivateCapabilities) {
  CapabilityRegistry capabilities;
  WorkflowRegistry workflows;
  auto hidden = make_capability("demo.hidden", "1.0.0");
  ASSERT_TRUE(
      capabilities.register_capability(Scope::Private, hidden, ArtifactReference::native("h"))
          .has_value());
  auto bundle = make_bundle();
  bundle.scope = Scope::Public;
  bundle.workflows[0].nodes[1] = make_node("two", "demo.hidden", "1.0.0");
  auto result = register_bundle(bundle, capabilities, workflows);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error()[0].code(), "MissingReference");
  EXPECT_EQ(result.error()[0].path(), "$.nodes[1]");
}

// Readers polling while a bundle registers never see its workflow without all its capabilities.
TEST(BundleRegistrationConcurrency, ReadersNeverObserveHalfABundle) {
  CapabilityRegistry capabilities;
  WorkflowRegistry workflows;
  constexpr int kReaders = 8;
  constexpr int kBundles = 40;
  std::latch start(kReaders + 1);
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      start.arrive_and_wait();
      bool final_pass = false;
      while (!final_pass) {
        final_pass = done.load(std::memory_order_acquire);
        for (const auto& workflow : workflows.list()) {
          for (const auto& node : workflow->definition.nodes) {
            if (!capabilities.get(Scope::Private, node.capability_id, node.capability_version)) {
              torn.fetch_add(1);
            }
          }
        }
        std::this_thread::yield();  // 2 shared cores: let the writer make progress
      }
    });
  }
  start.arrive_and_wait();
  for (int b = 0; b < kBundles; ++b) {
    auto bundle = make_bundle("bundle-" + std::to_string(b));
    const std::string version = "1." + std::to_string(b) + ".0";
    for (auto& c : bundle.capabilities) {
      c.version = version;
    }
    bundle.capabilities[2].workflow_ref->workflow_version = version;
    bundle.workflows[0].version = version;
    for (auto& node : bundle.workflows[0].nodes) {
      node.capability_version = version;
    }
    auto result = register_bundle(bundle, capabilities, workflows);
    ASSERT_TRUE(result.has_value());
  }
  done.store(true, std::memory_order_release);
  for (auto& reader : readers) {
    reader.join();
  }
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(workflows.size(), static_cast<std::size_t>(kBundles));
  EXPECT_EQ(capabilities.size(), static_cast<std::size_t>(3 * kBundles));
}

const std::filesystem::path kSourceDir = TRAVERSE_SOURCE_DIR;

TEST(BundleRegistrationFromDisk, ExpeditionBundleRegistersSixCapabilitiesAndItsWorkflow) {
  auto bundle = load_registry_bundle(kSourceDir / "examples/expedition/bundle.json");
  ASSERT_TRUE(bundle.has_value()) << to_string(bundle.error().front());
  CapabilityRegistry capabilities;
  WorkflowRegistry workflows;
  auto result = register_bundle(*bundle, capabilities, workflows);
  ASSERT_TRUE(result.has_value()) << to_string(result.error().front());
  EXPECT_EQ(capabilities.size(), 6U);
  EXPECT_EQ(workflows.size(), 1U);
  EXPECT_EQ(result->events.size(), 5U);
  auto workflow = workflows.find_exact("plan-expedition", "1.0.0");
  ASSERT_TRUE(workflow.has_value());
  EXPECT_EQ((*workflow)->participating_capabilities.size(), 5U);
  // The composite runs the workflow; it is private, so public-only lookups do not see it.
  auto composite = capabilities.find_exact("expedition.planning.plan-expedition", "1.0.0");
  ASSERT_TRUE(composite.has_value());
  EXPECT_EQ((*composite)->artifact.kind, ArtifactKind::Workflow);
  EXPECT_EQ(capabilities
                .find_exact("expedition.planning.plan-expedition", "1.0.0", LookupScope::PublicOnly)
                .error()
                .kind(),
            RegistryErrorCode::NotFound);
}

TEST(BundleRegistrationFromDisk, BundleWithOneBrokenWorkflowRegistersNothing) {
  const auto manifest = kSourceDir / "tests/data/registry/bad-workflow-bundle/manifest.json";
  auto bundle = load_registry_bundle(manifest);
  ASSERT_TRUE(bundle.has_value()) << to_string(bundle.error().front());
  CapabilityRegistry capabilities;
  WorkflowRegistry workflows;
  auto result = register_bundle(*bundle, capabilities, workflows);
  ASSERT_FALSE(result.has_value());
  ASSERT_EQ(result.error().size(), 1U);
  const ValidationError& error = result.error()[0];
  EXPECT_EQ(error.code(), "MissingReference");
  EXPECT_EQ(error.path(), "$.nodes[2]");
  EXPECT_EQ(std::filesystem::path(error.file()).filename(), "plan-expedition-broken.json");
  EXPECT_NE(error.message().find("expedition.planning.assess-expedition-conditions@1.1.0"),
            std::string::npos);
  EXPECT_EQ(capabilities.size(), 0U);  // the six valid capabilities were not registered either
  EXPECT_EQ(workflows.size(), 0U);
}

TEST(PackageRegistration, RegistersPublicWasmArtifactWithFnvDigest) {
  CapabilityRegistry capabilities;
  CapabilityPackage package;
  package.package_id = "demo.greet-package";
  package.version = "1.0.0";
  package.contract = make_capability("demo.greet", "1.0.0");
  package.binary_path = "/pkgs/greet/greet.wasm";
  package.binary_digest = "fnv1a64:0123456789abcdef";
  auto result = register_package(package, capabilities);
  ASSERT_TRUE(result.has_value()) << to_string(result.error());
  const auto& record = *result->record;
  EXPECT_EQ(record.scope, Scope::Public);
  EXPECT_EQ(record.artifact.kind, ArtifactKind::Wasm);
  EXPECT_EQ(record.artifact.wasm_path, "/pkgs/greet/greet.wasm");
  EXPECT_EQ(record.artifact.wasm_digest, "fnv1a64:0123456789abcdef");
  EXPECT_EQ(record.artifact.origin, "capability-package:demo.greet-package:1.0.0");
  // Same package twice: no-op; a rebuilt binary under the same version: conflict.
  EXPECT_EQ(register_package(package, capabilities)->status, RegistrationStatus::AlreadyRegistered);
  package.binary_digest = "fnv1a64:fedcba9876543210";
  EXPECT_EQ(register_package(package, capabilities).error().kind(),
            RegistryErrorCode::ImmutableVersionConflict);
}

}  // namespace
}  // namespace traverse
