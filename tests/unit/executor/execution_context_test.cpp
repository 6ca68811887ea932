// Governing spec: 047-thread-pool-executor
#include "traverse/executor/execution_context.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string_view>

namespace traverse {
namespace {

// True when `text` has the shape of `pattern`, where '9' is a decimal digit, 'x' a lowercase hex
// digit, and every other character stands for itself.
bool has_shape(std::string_view text, std::string_view pattern) {
  if (text.size() != pattern.size()) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool ok = pattern[i] == '9'   ? std::isdigit(c) != 0
                    : pattern[i] == 'x' ? (std::isdigit(c) != 0 || (c >= 'a' && c <= 'f'))
                                        : text[i] == pattern[i];
    if (!ok) {
      return false;
    }
  }
  return true;
}

ExecutorCapability subscribable_capability() {
  ExecutorCapability capability;
  capability.capability_id = "core.action-item.transition";
  capability.capability_version = "1.2.0";
  capability.service_type = ServiceType::Subscribable;
  capability.emits = {{"core.action-item.status-transitioned", "1.0.0"}};
  return capability;
}

TEST(ExecutionContext, ExposesIdentityAndRuntimeConfig) {
  const auto capability = subscribable_capability();
  ExecutionContext context(capability, "exec-7", "trace-9", Value{{"region", "eu"}});
  EXPECT_EQ(context.capability_id(), "core.action-item.transition");
  EXPECT_EQ(context.capability_version(), "1.2.0");
  EXPECT_EQ(context.execution_id(), "exec-7");
  EXPECT_EQ(context.trace_id(), "trace-9");
  EXPECT_EQ(&context.capability(), &capability);
  EXPECT_EQ(context.runtime_config(), (Value{{"region", "eu"}}));
  EXPECT_TRUE(context.emitted_events().empty());
}

TEST(ExecutionContext, RuntimeConfigDefaultsToEmptyObject) {
  const auto capability = subscribable_capability();
  ExecutionContext context(capability, "e", "t");
  EXPECT_EQ(context.runtime_config(), Value::object());
}

TEST(ExecutionContext, EmitBuildsTheEventTheReferenceHostBuilds) {
  const auto capability = subscribable_capability();
  ExecutionContext context(capability, "e", "t");
  const Value payload = {{"action_item_id", "a-1"}, {"to_status", "done"}};
  auto event = context.emit("core.action-item.status-transitioned", "1.0.0", payload);
  ASSERT_TRUE(event.has_value());
  EXPECT_TRUE(has_shape(event->id, "xxxxxxxx-xxxx-4xxx-xxxx-xxxxxxxxxxxx")) << event->id;
  EXPECT_NE(std::string_view("89ab").find(event->id[19]), std::string_view::npos);  // variant
  EXPECT_EQ(event->source, "traverse-runtime/core.action-item.transition");
  EXPECT_EQ(event->event_type, "core.action-item.status-transitioned");
  EXPECT_EQ(event->datacontenttype, "application/json");
  EXPECT_TRUE(has_shape(event->time, "9999-99-99T99:99:99.999Z")) << event->time;
  EXPECT_EQ(event->data, payload);
  EXPECT_EQ(event->owner, "core.action-item.transition");
  EXPECT_EQ(event->version, "1.0.0");
  EXPECT_EQ(event->lifecycle_status, Lifecycle::Active);
  EXPECT_EQ(event->ordering_scope, "core.action-item.transition");
  EXPECT_EQ(event->deduplication_id,
            "core.action-item.transition:core.action-item.status-transitioned:1.0.0");
  EXPECT_FALSE(event->correlation_id.has_value());
  EXPECT_FALSE(event->causation_id.has_value());
  EXPECT_FALSE(event->subject_id.has_value());
  EXPECT_FALSE(event->actor_id.has_value());
  ASSERT_EQ(context.emitted_events().size(), 1U);
  EXPECT_EQ(context.emitted_events()[0], *event);
}

TEST(ExecutionContext, EventsKeepEmissionOrderAndUniqueIds) {
  const auto capability = subscribable_capability();
  ExecutionContext context(capability, "e", "t");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(context.emit("core.action-item.status-transitioned", "1.0.0", Value{{"n", i}}));
  }
  const auto& events = context.emitted_events();
  ASSERT_EQ(events.size(), 3U);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(events[static_cast<std::size_t>(i)].data, (Value{{"n", i}}));
  }
  EXPECT_NE(events[0].id, events[1].id);
  EXPECT_NE(events[1].id, events[2].id);
}

TEST(ExecutionContext, EmitFromNonSubscribableCapabilityIsNotSubscribable) {
  for (auto type : {ServiceType::Stateless, ServiceType::Stateful}) {
    auto capability = subscribable_capability();
    capability.service_type = type;
    ExecutionContext context(capability, "e", "t");
    // Checked first: even a declared event, or an empty one, is refused for this reason.
    EXPECT_EQ(context.emit("core.action-item.status-transitioned", "1.0.0", Value::object()),
              std::unexpected(EmitError::NotSubscribable));
    EXPECT_EQ(context.emit("", "", Value::object()), std::unexpected(EmitError::NotSubscribable));
    EXPECT_TRUE(context.emitted_events().empty());
  }
}

TEST(ExecutionContext, EmitOfUndeclaredEventOrVersionIsUndeclaredEvent) {
  const auto capability = subscribable_capability();
  ExecutionContext context(capability, "e", "t");
  EXPECT_EQ(context.emit("core.other-event", "1.0.0", Value::object()),
            std::unexpected(EmitError::UndeclaredEvent));
  EXPECT_EQ(context.emit("core.action-item.status-transitioned", "2.0.0", Value::object()),
            std::unexpected(EmitError::UndeclaredEvent));
  EXPECT_TRUE(context.emitted_events().empty());
}

TEST(ExecutionContext, EmitWithEmptyIdOrVersionIsInvalidPayload) {
  const auto capability = subscribable_capability();
  ExecutionContext context(capability, "e", "t");
  EXPECT_EQ(context.emit("", "1.0.0", Value::object()), std::unexpected(EmitError::InvalidPayload));
  EXPECT_EQ(context.emit("core.action-item.status-transitioned", "", Value::object()),
            std::unexpected(EmitError::InvalidPayload));
  EXPECT_EQ(context.emit("core.action-item.status-transitioned", "1.0.0",
                         Value(Value::value_t::discarded)),
            std::unexpected(EmitError::InvalidPayload));
  EXPECT_TRUE(context.emitted_events().empty());
}

TEST(EmitError, NumericValuesAreTheHostAbiReturnCodes) {
  EXPECT_EQ(static_cast<int>(EmitError::InvalidPayload), -1);
  EXPECT_EQ(static_cast<int>(EmitError::UndeclaredEvent), -2);
  EXPECT_EQ(static_cast<int>(EmitError::NotSubscribable), -3);
  EXPECT_EQ(to_string(EmitError::InvalidPayload), "InvalidPayload");
  EXPECT_EQ(to_string(EmitError::UndeclaredEvent), "UndeclaredEvent");
  EXPECT_EQ(to_string(EmitError::NotSubscribable), "NotSubscribable");
}

}  // namespace
}  // namespace traverse
