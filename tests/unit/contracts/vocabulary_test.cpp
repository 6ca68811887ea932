// Governing spec: 001-artifact-formats
#include "traverse/contracts/vocabulary.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(Vocabulary, LifecycleRoundTripsAndOnlyActiveOrDeprecatedRun) {
  for (const auto lifecycle : {Lifecycle::Draft, Lifecycle::Active, Lifecycle::Deprecated,
                               Lifecycle::Retired, Lifecycle::Archived}) {
    EXPECT_EQ(parse_lifecycle(to_string(lifecycle)), lifecycle);
  }
  EXPECT_EQ(to_string(Lifecycle::Deprecated), "deprecated");
  EXPECT_FALSE(parse_lifecycle("Active").has_value());
  EXPECT_FALSE(parse_lifecycle("").has_value());
  EXPECT_TRUE(is_runnable(Lifecycle::Active));
  EXPECT_TRUE(is_runnable(Lifecycle::Deprecated));
  EXPECT_FALSE(is_runnable(Lifecycle::Draft));
  EXPECT_FALSE(is_runnable(Lifecycle::Retired));
  EXPECT_FALSE(is_runnable(Lifecycle::Archived));
}

TEST(Vocabulary, ExecutionTargetSpellingsAndDebugNames) {
  const std::pair<ExecutionTarget, std::pair<const char*, const char*>> table[] = {
      {ExecutionTarget::Local, {"local", "Local"}},
      {ExecutionTarget::Browser, {"browser", "Browser"}},
      {ExecutionTarget::Edge, {"edge", "Edge"}},
      {ExecutionTarget::Cloud, {"cloud", "Cloud"}},
      {ExecutionTarget::Worker, {"worker", "Worker"}},
      {ExecutionTarget::Device, {"device", "Device"}}};
  for (const auto& [target, names] : table) {
    EXPECT_EQ(to_string(target), names.first);
    EXPECT_EQ(debug_name(target), names.second);
    EXPECT_EQ(parse_execution_target(names.first), target);
    EXPECT_FALSE(parse_execution_target(names.second).has_value()) << "Debug name is not JSON";
  }
}

TEST(Vocabulary, ServiceTypeAndScopeSpellings) {
  EXPECT_EQ(parse_service_type("stateless"), ServiceType::Stateless);
  EXPECT_EQ(parse_service_type("subscribable"), ServiceType::Subscribable);
  EXPECT_EQ(parse_service_type("stateful"), ServiceType::Stateful);
  EXPECT_FALSE(parse_service_type("stateful ").has_value());
  EXPECT_EQ(to_string(ServiceType::Subscribable), "subscribable");
  EXPECT_EQ(parse_scope("public"), Scope::Public);
  EXPECT_EQ(parse_scope("private"), Scope::Private);
  EXPECT_FALSE(parse_scope("shared").has_value());
  EXPECT_EQ(to_string(Scope::Private), "private");
}

}  // namespace
}  // namespace traverse
