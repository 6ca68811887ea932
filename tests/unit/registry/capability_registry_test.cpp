// Governing spec: 001-artifact-formats
#include "traverse/registry/capability_registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "registry_test_support.hpp"

namespace traverse {
namespace {

using registry_test::make_capability;

ArtifactReference native_of(const CapabilityContract& c) {
  return ArtifactReference::native(c.id);
}

CapabilityRecordPtr must_register(CapabilityRegistry& registry, Scope scope,
                                  const CapabilityContract& contract) {
  auto result = registry.register_capability(scope, contract, native_of(contract));
  EXPECT_TRUE(result.has_value()) << (result ? "" : to_string(result.error()));
  return result ? result->record : nullptr;
}

TEST(CapabilityRegistry, RegisterThenFindExactReturnsContractAndArtifact) {
  CapabilityRegistry registry;
  const auto contract = make_capability("demo.greet", "1.0.0");
  auto result = registry.register_capability(
      Scope::Public, contract,
      ArtifactReference::wasm("/m/greet.wasm", "fnv1a64:0011223344556677"));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, RegistrationStatus::Registered);

  auto found = registry.find_exact("demo.greet", "1.0.0");
  ASSERT_TRUE(found.has_value()) << to_string(found.error());
  EXPECT_EQ((*found)->contract.id, "demo.greet");
  EXPECT_EQ((*found)->scope, Scope::Public);
  EXPECT_EQ((*found)->artifact.kind, ArtifactKind::Wasm);
  EXPECT_EQ((*found)->artifact.wasm_path, "/m/greet.wasm");
  EXPECT_EQ((*found)->artifact.wasm_digest, "fnv1a64:0011223344556677");
  EXPECT_EQ((*found)->semver, *parse_semver("1.0.0"));
  EXPECT_EQ(registry.size(), 1U);
}

TEST(CapabilityRegistry, IdenticalReRegistrationIsANoOpReturningTheExistingRecord) {
  CapabilityRegistry registry;
  const auto contract = make_capability("demo.greet", "1.0.0");
  auto first = registry.register_capability(Scope::Public, contract, native_of(contract));
  // Same contract and implementation; only the informational origin differs.
  auto second = registry.register_capability(
      Scope::Public, contract, ArtifactReference::native("demo.greet", "bundle:other:x:1"));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, RegistrationStatus::AlreadyRegistered);
  EXPECT_EQ(second->record.get(), first->record.get());
  EXPECT_EQ(registry.size(), 1U);
}

TEST(CapabilityRegistry, DifferentContractUnderSameVersionIsImmutableVersionConflict) {
  CapabilityRegistry registry;
  const auto original = make_capability("demo.greet", "1.0.0");
  must_register(registry, Scope::Public, original);
  auto changed = original;
  changed.summary = "A different summary for the same version";

  auto result = registry.register_capability(Scope::Public, changed, native_of(changed));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), RegistryErrorCode::ImmutableVersionConflict);
  EXPECT_NE(result.error().message().find("demo.greet@1.0.0"), std::string::npos);
  // The registered version is untouched.
  EXPECT_EQ((*registry.find_exact("demo.greet", "1.0.0"))->contract.summary, original.summary);
  EXPECT_EQ(registry.size(), 1U);
}

TEST(CapabilityRegistry, DocumentDifferenceIsAConflictButEvidenceAloneIsNot) {
  CapabilityRegistry registry;
  auto original = make_capability("demo.greet", "1.0.0");
  original.document["evidence"] = Value::array({Value{{"evidence_id", "e1"}}});
  must_register(registry, Scope::Public, original);

  auto new_evidence = original;
  new_evidence.document["evidence"] = Value::array({Value{{"evidence_id", "e2"}}});
  auto same = registry.register_capability(Scope::Public, new_evidence, native_of(new_evidence));
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(same->status, RegistrationStatus::AlreadyRegistered);

  auto extra_field = original;
  extra_field.document["tags"] = Value::array({"new"});
  auto conflict = registry.register_capability(Scope::Public, extra_field, native_of(extra_field));
  ASSERT_FALSE(conflict.has_value());
  EXPECT_EQ(conflict.error().kind(), RegistryErrorCode::ImmutableVersionConflict);
}

TEST(CapabilityRegistry, SameContractWithDifferentArtifactIsImmutableVersionConflict) {
  CapabilityRegistry registry;
  const auto contract = make_capability("demo.greet", "1.0.0");
  ASSERT_TRUE(registry
                  .register_capability(Scope::Public, contract,
                                       ArtifactReference::wasm("/a.wasm", "fnv1a64:01"))
                  .has_value());
  auto result = registry.register_capability(Scope::Public, contract,
                                             ArtifactReference::wasm("/a.wasm", "fnv1a64:02"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), RegistryErrorCode::ImmutableVersionConflict);
  EXPECT_NE(result.error().message().find("fnv1a64:01"), std::string::npos);
}

TEST(CapabilityRegistry, ScopesAreIndependentRegistrations) {
  CapabilityRegistry registry;
  auto pub = make_capability("demo.greet", "1.0.0");
  auto priv = pub;
  priv.summary = "Private variant of the greeting capability";
  must_register(registry, Scope::Public, pub);
  must_register(registry, Scope::Private, priv);
  EXPECT_EQ(registry.size(), 2U);
  EXPECT_EQ(registry.get(Scope::Public, "demo.greet", "1.0.0")->contract.summary, pub.summary);
  EXPECT_EQ(registry.get(Scope::Private, "demo.greet", "1.0.0")->contract.summary, priv.summary);
}

TEST(CapabilityRegistry, RejectsMalformedRegistrationsWithInvalidArgument) {
  CapabilityRegistry registry;
  auto bad_version = make_capability("demo.greet", "1.0");
  auto r1 = registry.register_capability(Scope::Public, bad_version, native_of(bad_version));
  ASSERT_FALSE(r1.has_value());
  EXPECT_EQ(r1.error().kind(), RegistryErrorCode::InvalidArgument);
  EXPECT_NE(r1.error().message().find("'1.0'"), std::string::npos);

  auto no_id = make_capability("", "1.0.0");
  EXPECT_EQ(registry.register_capability(Scope::Public, no_id, ArtifactReference::native("h"))
                .error()
                .kind(),
            RegistryErrorCode::InvalidArgument);

  const auto ok = make_capability("demo.greet", "1.0.0");
  EXPECT_EQ(
      registry.register_capability(Scope::Public, ok, ArtifactReference::native("")).error().kind(),
      RegistryErrorCode::InvalidArgument);
  EXPECT_EQ(registry.register_capability(Scope::Public, ok, ArtifactReference::wasm("", "d"))
                .error()
                .kind(),
            RegistryErrorCode::InvalidArgument);
  ArtifactReference workflow_without_ref;
  workflow_without_ref.kind = ArtifactKind::Workflow;
  EXPECT_EQ(registry.register_capability(Scope::Public, ok, workflow_without_ref).error().kind(),
            RegistryErrorCode::InvalidArgument);
  EXPECT_EQ(registry.size(), 0U);
}

class CapabilityRangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* version : {"1.0.0", "1.2.0", "1.2.5", "1.10.0", "2.0.0", "2.1.0-beta.1"}) {
      must_register(registry_, Scope::Public, make_capability("demo.plan", version));
    }
  }
  std::string pick(const std::string& range) {
    auto found = registry_.find_in_range("demo.plan", range);
    return found ? (*found)->contract.version : "error " + to_string(found.error());
  }
  CapabilityRegistry registry_;
};

TEST_F(CapabilityRangeTest, RangeLookupSelectsHighestMatchingVersionBySemverPrecedence) {
  EXPECT_EQ(pick("^1.2"), "1.10.0");  // 1.10.0 > 1.2.5 numerically, not lexically
  EXPECT_EQ(pick("~1.2.3"), "1.2.5");
  EXPECT_EQ(pick("~1.2"), "1.2.5");
  EXPECT_EQ(pick(">=1.0.0 <2.0.0"), "1.10.0");
  EXPECT_EQ(pick("<1.2.0"), "1.0.0");
  EXPECT_EQ(pick("^2"), "2.0.0");  // the prerelease 2.1.0-beta.1 is not matched by ^2
  EXPECT_EQ(pick("1.2.0"), "1.2.0");
}

TEST_F(CapabilityRangeTest, RangeMatchingNothingIsNotFoundListingRegisteredVersions) {
  auto found = registry_.find_in_range("demo.plan", "^3");
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().kind(), RegistryErrorCode::NotFound);
  EXPECT_NE(found.error().message().find("demo.plan@1.10.0"), std::string::npos);
}

TEST_F(CapabilityRangeTest, UnparsableRangeIsInvalidRange) {
  for (const char* bad : {"^x.y", "not a range", ">=1.0.0 <"}) {
    auto found = registry_.find_in_range("demo.plan", bad);
    ASSERT_FALSE(found.has_value()) << bad;
    EXPECT_EQ(found.error().kind(), RegistryErrorCode::InvalidRange) << bad;
  }
  auto exact = registry_.find_exact("demo.plan", "one");
  ASSERT_FALSE(exact.has_value());
  EXPECT_EQ(exact.error().kind(), RegistryErrorCode::InvalidRange);
}

TEST_F(CapabilityRangeTest, RangeSkipsVersionsThatAreNotRunnable) {
  must_register(registry_, Scope::Public, make_capability("demo.plan", "1.11.0", Lifecycle::Draft));
  EXPECT_EQ(pick("^1"), "1.10.0");
  auto only_draft = registry_.find_in_range("demo.plan", ">=1.11.0 <2.0.0");
  ASSERT_FALSE(only_draft.has_value());
  EXPECT_EQ(only_draft.error().kind(), RegistryErrorCode::NotRunnable);
  EXPECT_NE(only_draft.error().message().find("demo.plan@1.11.0 (draft)"), std::string::npos);
}

TEST_F(CapabilityRangeTest, IdOnlyLookupWithSeveralVersionsIsAmbiguousAndListsThem) {
  auto found = registry_.find_by_id("demo.plan");
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().kind(), RegistryErrorCode::Ambiguous);
  for (const char* key : {"demo.plan@1.0.0", "demo.plan@1.10.0", "demo.plan@2.0.0"}) {
    EXPECT_NE(found.error().message().find(key), std::string::npos) << key;
  }
}

TEST(CapabilityRegistry, IdOnlyLookupReturnsTheSingleEligibleVersion) {
  CapabilityRegistry registry;
  must_register(registry, Scope::Public, make_capability("demo.one", "1.0.0", Lifecycle::Retired));
  must_register(registry, Scope::Public, make_capability("demo.one", "1.1.0"));
  auto found = registry.find_by_id("demo.one");  // the retired version is not eligible
  ASSERT_TRUE(found.has_value()) << to_string(found.error());
  EXPECT_EQ((*found)->contract.version, "1.1.0");

  auto missing = registry.find_by_id("demo.none");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind(), RegistryErrorCode::NotFound);
  EXPECT_NE(missing.error().message().find("demo.none"), std::string::npos);
}

TEST(CapabilityRegistry, LifecycleGateAllowsOnlyActiveAndDeprecated) {
  CapabilityRegistry registry;
  const std::pair<const char*, Lifecycle> cases[] = {{"1.0.0", Lifecycle::Draft},
                                                     {"2.0.0", Lifecycle::Active},
                                                     {"3.0.0", Lifecycle::Deprecated},
                                                     {"4.0.0", Lifecycle::Retired},
                                                     {"5.0.0", Lifecycle::Archived}};
  for (const auto& [version, lifecycle] : cases) {
    must_register(registry, Scope::Public, make_capability("demo.life", version, lifecycle));
  }
  for (const auto& [version, lifecycle] : cases) {
    auto found = registry.find_exact("demo.life", version);
    if (is_runnable(lifecycle)) {
      EXPECT_TRUE(found.has_value()) << version;
    } else {
      ASSERT_FALSE(found.has_value()) << version;
      EXPECT_EQ(found.error().kind(), RegistryErrorCode::NotRunnable) << version;
      EXPECT_NE(found.error().message().find(std::string(to_string(lifecycle))), std::string::npos);
    }
    // With the gate off every lifecycle resolves.
    auto ungated = registry.resolve({"demo.life", version, std::nullopt, LookupScope::PreferPrivate,
                                     /*require_runnable=*/false});
    EXPECT_TRUE(ungated.has_value()) << version;
  }
}

TEST(CapabilityRegistry, PublicOnlyLookupNeverSeesPrivateRegistrations) {
  CapabilityRegistry registry;
  must_register(registry, Scope::Private, make_capability("demo.secret", "1.0.0"));
  auto found = registry.find_exact("demo.secret", "1.0.0", LookupScope::PublicOnly);
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().kind(), RegistryErrorCode::NotFound);
  EXPECT_NE(found.error().message().find("public_only"), std::string::npos);
  EXPECT_TRUE(registry.find_exact("demo.secret", "1.0.0", LookupScope::PreferPrivate).has_value());
}

TEST(CapabilityRegistry, PreferPrivateTakesPrivateFirstThenFallsBackToPublic) {
  CapabilityRegistry registry;
  auto pub = make_capability("demo.mix", "1.0.0");
  auto priv = pub;
  priv.summary = "Private override of the mixed capability";
  must_register(registry, Scope::Public, pub);
  must_register(registry, Scope::Private, priv);
  must_register(registry, Scope::Public, make_capability("demo.mix", "1.1.0"));

  auto exact = registry.find_exact("demo.mix", "1.0.0", LookupScope::PreferPrivate);
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ((*exact)->scope, Scope::Private);
  auto public_only = registry.find_exact("demo.mix", "1.0.0", LookupScope::PublicOnly);
  ASSERT_TRUE(public_only.has_value());
  EXPECT_EQ((*public_only)->scope, Scope::Public);
  // 1.1.0 exists only publicly: PreferPrivate falls back to it, and it is the highest in range.
  auto ranged = registry.find_in_range("demo.mix", "^1", LookupScope::PreferPrivate);
  ASSERT_TRUE(ranged.has_value());
  EXPECT_EQ((*ranged)->contract.version, "1.1.0");
  EXPECT_EQ((*ranged)->scope, Scope::Public);
}

TEST(CapabilityRegistry, QueryWithBothVersionAndRangeIsInvalidArgument) {
  CapabilityRegistry registry;
  auto found = registry.resolve({"demo.x", "1.0.0", "^1", LookupScope::PreferPrivate, true});
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().kind(), RegistryErrorCode::InvalidArgument);
}

TEST(CapabilityRegistry, ListIsSortedByIdThenSemverThenScope) {
  CapabilityRegistry registry;
  must_register(registry, Scope::Public, make_capability("b.cap", "1.10.0"));
  must_register(registry, Scope::Private, make_capability("b.cap", "1.2.0"));
  must_register(registry, Scope::Public, make_capability("b.cap", "1.2.0"));
  must_register(registry, Scope::Public, make_capability("a.cap", "2.0.0"));
  std::vector<std::string> seen;
  for (const auto& record : registry.list()) {
    seen.push_back(record->key() + ":" + std::string(to_string(record->scope)));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a.cap@2.0.0:public", "b.cap@1.2.0:public",
                                            "b.cap@1.2.0:private", "b.cap@1.10.0:public"}));
}

TEST(CapabilityRegistry, RegistrationBeyondTheBoundIsCapacityExceeded) {
  CapabilityRegistry registry(CapabilityRegistryLimits{2});
  must_register(registry, Scope::Public, make_capability("demo.a", "1.0.0"));
  must_register(registry, Scope::Public, make_capability("demo.b", "1.0.0"));
  const auto third = make_capability("demo.c", "1.0.0");
  auto result = registry.register_capability(Scope::Public, third, native_of(third));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), RegistryErrorCode::CapacityExceeded);
  EXPECT_EQ(registry.size(), 2U);
  // An identical re-registration adds nothing, so it still succeeds when full.
  const auto again = make_capability("demo.a", "1.0.0");
  EXPECT_TRUE(registry.register_capability(Scope::Public, again, native_of(again)).has_value());
}

TEST(CapabilityRegistry, CheckRegistrationPredictsWithoutRegistering) {
  CapabilityRegistry registry;
  const auto contract = make_capability("demo.greet", "1.0.0");
  CapabilityRegistration registration{Scope::Public, contract, native_of(contract)};
  EXPECT_EQ(registry.check_registration(registration).value(), RegistrationStatus::Registered);
  EXPECT_EQ(registry.size(), 0U);
  must_register(registry, Scope::Public, contract);
  EXPECT_EQ(registry.check_registration(registration).value(),
            RegistrationStatus::AlreadyRegistered);
}

// 8 readers resolve "^1" while a writer registers ascending versions: every reader sees a
// consistent record each time, and the versions it sees never go backwards (registrations are
// atomic and the registry only grows).
TEST(CapabilityRegistryConcurrency, EightReadersWhileRegisteringSeeConsistentMonotonicState) {
  CapabilityRegistry registry;
  must_register(registry, Scope::Public, make_capability("demo.hot", "1.0.0"));
  constexpr int kVersions = 200;
  constexpr int kReaders = 8;
  std::latch start(kReaders + 1);
  std::atomic<bool> writer_done{false};
  std::atomic<int> inconsistencies{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      start.arrive_and_wait();
      SemVer last = *parse_semver("1.0.0");
      // Keep reading until the writer is done, then once more to observe the final state.
      bool final_pass = false;
      while (!final_pass) {
        final_pass = writer_done.load(std::memory_order_acquire);
        auto found = registry.find_in_range("demo.hot", "^1");
        if (!found || (*found)->contract.version != (*found)->semver.to_string() ||
            (*found)->semver < last) {
          inconsistencies.fetch_add(1);
          continue;
        }
        last = (*found)->semver;
        (void)registry.list();
        std::this_thread::yield();  // 2 shared cores: let the writer make progress
      }
      if (last != *parse_semver("1." + std::to_string(kVersions) + ".0")) {
        inconsistencies.fetch_add(1);
      }
    });
  }
  start.arrive_and_wait();
  for (int v = 1; v <= kVersions; ++v) {
    must_register(registry, Scope::Public,
                  make_capability("demo.hot", "1." + std::to_string(v) + ".0"));
  }
  writer_done.store(true, std::memory_order_release);
  for (auto& reader : readers) {
    reader.join();
  }
  EXPECT_EQ(inconsistencies.load(), 0);
  EXPECT_EQ(registry.size(), static_cast<std::size_t>(kVersions + 1));
}

// Four writers race to register the same 50 contracts: each key is registered exactly once and
// every other attempt reports AlreadyRegistered.
TEST(CapabilityRegistryConcurrency, RacingIdenticalRegistrationsRegisterEachKeyOnce) {
  CapabilityRegistry registry;
  constexpr int kWriters = 4;
  constexpr int kKeys = 50;
  std::latch start(kWriters);
  std::atomic<int> registered{0};
  std::atomic<int> already{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      start.arrive_and_wait();
      for (int k = 0; k < kKeys; ++k) {
        const auto contract = make_capability("demo.k" + std::to_string(k), "1.0.0");
        auto result = registry.register_capability(Scope::Public, contract, native_of(contract));
        if (!result) {
          failed.fetch_add(1);
        } else if (result->status == RegistrationStatus::Registered) {
          registered.fetch_add(1);
        } else {
          already.fetch_add(1);
        }
      }
    });
  }
  for (auto& writer : writers) {
    writer.join();
  }
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(registered.load(), kKeys);
  EXPECT_EQ(already.load(), kKeys * (kWriters - 1));
  EXPECT_EQ(registry.size(), static_cast<std::size_t>(kKeys));
}

TEST(ArtifactReference, DefaultArtifactIsWorkflowForCompositesElseNativeNamedById) {
  auto plain = make_capability("demo.step", "1.0.0");
  auto native = default_artifact_for(plain, "bundle:b:demo.step:1.0.0");
  EXPECT_EQ(native.kind, ArtifactKind::Native);
  EXPECT_EQ(native.native_handler_id, "demo.step");
  EXPECT_EQ(native.origin, "bundle:b:demo.step:1.0.0");

  auto composite = make_capability("demo.plan", "1.0.0");
  composite.workflow_ref = WorkflowRef{"plan", "1.0.0"};
  auto workflow = default_artifact_for(composite);
  EXPECT_EQ(workflow.kind, ArtifactKind::Workflow);
  ASSERT_TRUE(workflow.workflow.has_value());
  EXPECT_EQ(workflow.workflow->workflow_id, "plan");
  EXPECT_EQ(workflow.describe(), "workflow plan@1.0.0");
}

TEST(ArtifactReference, SameImplementationIgnoresOriginAndNormalisesPaths) {
  auto a = ArtifactReference::wasm("/x/./m.wasm", "sha256:ab", "one");
  auto b = ArtifactReference::wasm("/x/m.wasm", "sha256:ab", "two");
  EXPECT_TRUE(a.same_implementation(b));
  EXPECT_FALSE(a.same_implementation(ArtifactReference::wasm("/x/m.wasm", "sha256:cd")));
  EXPECT_FALSE(a.same_implementation(ArtifactReference::native("m")));
}

TEST(RegistryError, ToStringNamesTheCode) {
  EXPECT_EQ(to_string(RegistryError{RegistryErrorCode::Ambiguous, "two versions"}),
            "Ambiguous: two versions");
  EXPECT_EQ(to_string(RegistryErrorCode::ImmutableVersionConflict), "ImmutableVersionConflict");
}

}  // namespace
}  // namespace traverse
