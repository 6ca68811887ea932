// Governing spec: 030-workflow-engine
// WorkflowEngine event edges (docs/workflows.md): (event_id, version) matching, payload predicates,
// the node's own events then the broker's, consumption and the synthetic evidence records.
#include <gtest/gtest.h>

#include "traverse/events/event_catalog.hpp"
#include "traverse/events/in_process_broker.hpp"
#include "traverse/workflow/workflow_engine.hpp"
#include "workflow_test_support.hpp"

namespace traverse {
namespace {

using namespace workflow_test;

constexpr const char* kReviewed = "test.review.completed";

// a --(event kReviewed [predicate])--> b, b terminal; a emits whatever `emitted` says.
struct EventFlow {
  std::shared_ptr<FakeStepRunner> runner = std::make_shared<FakeStepRunner>();
  Doc doc;

  explicit EventFlow(std::vector<TraverseEvent> emitted,
                     std::optional<Value> predicate = std::nullopt) {
    runner->on("test.review", [emitted](const StepRequest&) {
      return ok(Value{{"reviewed", true}}, emitted);
    });
    runner->on("test.publish", [](const StepRequest&) { return ok(Value{{"published", true}}); });
    doc.nodes.push_back(node("a", "test.review", {}, {"reviewed"}));
    doc.nodes.push_back(node("b", "test.publish", {}, {"published"}));
    doc.edges.push_back(on_event("a-b", "a", "b", kReviewed, "1.0.0", std::move(predicate)));
    doc.start = "a";
    doc.terminals = {"b"};
  }

  WorkflowRun run(std::shared_ptr<EventBroker> broker = nullptr) {
    WorkflowRunOptions options;
    options.request_id = "req";
    return make_engine(runner, 1, std::move(broker)).run(parse(doc), Value::object(), options);
  }
};

std::shared_ptr<InProcessBroker> broker_knowing(const std::string& type) {
  auto catalog = std::make_shared<EventCatalog>();
  EXPECT_TRUE(catalog->register_entry(EventCatalogEntry{type, "test", "1.0.0", Lifecycle::Active})
                  .has_value());
  auto broker = InProcessBroker::create({}, catalog);
  EXPECT_TRUE(broker.has_value());
  return *broker;
}

TEST(WorkflowEventEdges, EdgeWithoutPredicateFollowsTheNodesOwnEvent) {
  EventFlow flow({event(kReviewed, "1.0.0", Value{{"status", "approved"}})});
  const WorkflowRun run = flow.run();
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(flow.runner->calls("test.publish"), 1);
  EXPECT_EQ(visited(run), (std::vector<std::string>{"a:completed", "b:completed"}));

  const Value& ev = run.evidence;
  EXPECT_EQ(ev["traversed_edges"][0],
            (Value{{"edge_id", "a-b"},
                   {"from", "a"},
                   {"to", "b"},
                   {"trigger", "event"},
                   {"event", {{"event_id", kReviewed}, {"version", "1.0.0"}}}}));
  EXPECT_EQ(ev["emitted_events"][0]["event_id"], kReviewed);
  EXPECT_EQ(ev["emitted_events"][0]["node_id"], "a");
  EXPECT_EQ(
      ev["waiting_edges"],
      (Value::array({Value{{"workflow_execution_id", "workflow_exec_req"},
                           {"edge_id", "a-b"},
                           {"from_node_id", "a"},
                           {"to_node_id", "b"},
                           {"event_ref", {{"event_id", kReviewed}, {"version", "1.0.0"}}}}})));
  ASSERT_EQ(ev["event_match_records"].size(), 1U);
  const Value& match = ev["event_match_records"][0];
  EXPECT_EQ(match["record_id"], "event_record_0");
  EXPECT_EQ(match["source"], "local");
  EXPECT_EQ(match["result"], "matched");
  EXPECT_FALSE(match.contains("predicate_result"));
  EXPECT_EQ(match["recorded_at"], "req:step:0:local:event:0:match:a-b");
  ASSERT_EQ(ev["event_wake_decisions"].size(), 1U);
  EXPECT_EQ(ev["event_wake_decisions"][0],
            (Value{{"decision_type", "event_wake"},
                   {"workflow_execution_id", "workflow_exec_req"},
                   {"edge_id", "a-b"},
                   {"from_node_id", "a"},
                   {"to_node_id", "b"},
                   {"record_id", "event_record_0"},
                   {"wake_order", 1},
                   {"result", "taken"},
                   {"recorded_at", "req:step:0:local:event:0:wake:a-b"}}));
  EXPECT_EQ(ev["event_consumptions"],
            (Value::array({Value{{"consumption_key", "event_record_0|workflow_exec_req|a-b"},
                                 {"record_id", "event_record_0"},
                                 {"workflow_execution_id", "workflow_exec_req"},
                                 {"edge_id", "a-b"},
                                 {"consumed_at", "req:step:0:local:event:0:match:a-b"}}})));
}

TEST(WorkflowEventEdges, PredicateOnAPayloadFieldSelectsTheEdge) {
  EventFlow flow({event(kReviewed, "1.0.0", Value{{"decision", {{"status", "approved"}}}})},
                 Value{{"field", "payload.decision.status"}, {"equals", "approved"}});
  const WorkflowRun run = flow.run();
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(run.evidence["event_match_records"][0]["predicate_result"], "passed");
  EXPECT_EQ(run.evidence["waiting_edges"][0]["predicate"],
            (Value{{"field", "payload.decision.status"}, {"equals", "approved"}}));

  // Without the "payload." prefix the path is the same.
  EventFlow bare({event(kReviewed, "1.0.0", Value{{"decision", {{"status", "approved"}}}})},
                 Value{{"field", "decision.status"}, {"equals", "approved"}});
  EXPECT_TRUE(bare.run().completed());

  // "payload" is the whole payload.
  EventFlow whole({event(kReviewed, "1.0.0", Value("done"))},
                  Value{{"field", "payload"}, {"equals", "done"}});
  EXPECT_TRUE(whole.run().completed());
}

TEST(WorkflowEventEdges, PredicateMismatchLeavesTheEdgeWaitingAndTheRunMissesItsEvent) {
  EventFlow flow({event(kReviewed, "1.0.0", Value{{"status", "rejected"}})},
                 Value{{"field", "payload.status"}, {"equals", "approved"}});
  const WorkflowRun run = flow.run();
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::MissingRequiredEvent);
  EXPECT_EQ(run.error->code(), "missing_required_event");
  EXPECT_EQ(run.error->node_id(), "a");
  EXPECT_EQ(flow.runner->calls("test.publish"), 0);
  EXPECT_EQ(visited(run), (std::vector<std::string>{"a:completed"}));
  const Value& match = run.evidence["event_match_records"][0];
  EXPECT_EQ(match["result"], "not_matched");
  EXPECT_EQ(match["predicate_result"], "failed");
  EXPECT_NE(match["reason"].get<std::string>().find("\"rejected\""), std::string::npos);
  EXPECT_TRUE(run.evidence["event_wake_decisions"].empty());
  EXPECT_TRUE(run.evidence["event_consumptions"].empty());
  EXPECT_EQ(run.evidence["result"]["failure_reason"], "missing_required_event");
}

TEST(WorkflowEventEdges, PredicateComparesJsonStrictlyAndMissingFieldsDoNotMatch) {
  // The reference compares serde_json values: an integer never equals a float.
  EventFlow float_vs_int({event(kReviewed, "1.0.0", Value{{"level", 1.0}})},
                         Value{{"field", "level"}, {"equals", 1}});
  EXPECT_FALSE(float_vs_int.run().completed());
  EventFlow int_vs_int({event(kReviewed, "1.0.0", Value{{"level", 1}})},
                       Value{{"field", "level"}, {"equals", 1}});
  EXPECT_TRUE(int_vs_int.run().completed());
  EventFlow missing({event(kReviewed, "1.0.0", Value{{"other", 1}})},
                    Value{{"field", "payload.level"}, {"equals", nullptr}});
  EXPECT_FALSE(missing.run().completed());
  EventFlow objects({event(kReviewed, "1.0.0", Value{{"o", {{"x", 1}, {"y", {1, 2}}}}})},
                    Value{{"field", "o"}, {"equals", {{"y", {1, 2}}, {"x", 1}}}});
  EXPECT_TRUE(objects.run().completed());
}

TEST(WorkflowEventEdges, EventOfAnotherVersionDoesNotMatch) {
  EventFlow flow({event(kReviewed, "2.0.0", Value::object())});
  const WorkflowRun run = flow.run();
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::MissingRequiredEvent);
  EXPECT_EQ(run.evidence["event_match_records"][0]["reason"],
            "event id/version did not match the waiting edge");
}

TEST(WorkflowEventEdges, NoEventAndNoBrokerIsMissingRequiredEvent) {
  EventFlow flow({});
  const WorkflowRun run = flow.run();
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::MissingRequiredEvent);
  const Value& match = run.evidence["event_match_records"][0];
  EXPECT_EQ(match["result"], "not_matched");
  EXPECT_EQ(match["reason"], "required event was not emitted");
  EXPECT_EQ(match["recorded_at"], "req:step:0:local:no_event:a-b");
  EXPECT_FALSE(match.contains("record_id"));
}

TEST(WorkflowEventEdges, TerminalNodeWhoseEventEdgeDidNotMatchCompletes) {
  EventFlow flow({});
  flow.doc.terminals = {"a", "b"};
  const WorkflowRun run = flow.run();
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(visited(run), (std::vector<std::string>{"a:completed"}));
  EXPECT_EQ(*run.output, (Value{{"reviewed", true}}));
}

TEST(WorkflowEventEdges, DirectEdgeWinsAndEventEdgesAreNotEvaluated) {
  EventFlow flow({event(kReviewed, "1.0.0", Value::object())});
  flow.doc.nodes.push_back(node("c", "test.publish", {}, {}));
  flow.doc.edges.push_back(direct("a-c", "a", "c"));
  flow.doc.terminals = {"b", "c"};
  const WorkflowRun run = flow.run();
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(visited(run), (std::vector<std::string>{"a:completed", "c:completed"}));
  EXPECT_EQ(traversed(run), (std::vector<std::string>{"a-c"}));
  EXPECT_TRUE(run.evidence["waiting_edges"].empty());
  EXPECT_TRUE(run.evidence["event_match_records"].empty());
}

TEST(WorkflowEventEdges, TwoEventEdgesTakenInA100WorkflowAreAmbiguous) {
  EventFlow flow({event(kReviewed, "1.0.0", Value::object())});
  flow.doc.schema_version = "1.1.0";  // the parser allows a second event edge only in 1.1.0
  flow.doc.nodes.push_back(node("c", "test.publish", {}, {"other"}));
  flow.doc.edges.push_back(on_event("a-c", "a", "c", kReviewed));
  flow.doc.terminals = {"b", "c"};
  WorkflowDefinition definition = parse(flow.doc);
  definition.schema_version = "1.0.0";
  const WorkflowRun run = make_engine(flow.runner).run(definition, Value::object());
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::AmbiguousNextEdge);
  EXPECT_NE(run.error->message().find("a-b, a-c"), std::string::npos);
  EXPECT_EQ(run.evidence["event_wake_decisions"].size(), 2U);
  EXPECT_EQ(run.evidence["event_wake_decisions"][1]["wake_order"], 2);
  EXPECT_EQ(flow.runner->calls("test.publish"), 0);
}

TEST(WorkflowEventEdges, BrokerRetainedEventSatisfiesTheEdgeWhenTheNodeEmittedNone) {
  auto broker = broker_knowing(kReviewed);
  ASSERT_TRUE(broker->publish(event(kReviewed, "1.0.0", Value{{"status", "rejected"}}, "e1")));
  ASSERT_TRUE(broker->publish(event(kReviewed, "1.0.0", Value{{"status", "approved"}}, "e2")));
  EventFlow flow({}, Value{{"field", "payload.status"}, {"equals", "approved"}});
  const WorkflowRun run = flow.run(broker);
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(flow.runner->calls("test.publish"), 1);

  const Value& records = run.evidence["event_match_records"];
  ASSERT_EQ(records.size(), 3U);  // local: no event; broker: cursor 1 mismatch, cursor 2 match
  EXPECT_EQ(records[0]["source"], "local");
  EXPECT_EQ(records[0]["reason"], "required event was not emitted");
  EXPECT_EQ(records[1]["record_id"], std::string("broker:") + kReviewed + ":1");
  EXPECT_EQ(records[1]["predicate_result"], "failed");
  EXPECT_EQ(records[2]["record_id"], std::string("broker:") + kReviewed + ":2");
  EXPECT_EQ(records[2]["source"], "broker");
  EXPECT_EQ(records[2]["cursor"], "2");
  EXPECT_EQ(records[2]["result"], "matched");
  EXPECT_EQ(records[2]["recorded_at"], "req:step:0:broker:event:1:match:a-b");
  const std::string subscription = records[2]["subscription_id"].get<std::string>();
  EXPECT_FALSE(subscription.empty());
  EXPECT_EQ(run.evidence["event_consumptions"][0]["consumption_key"],
            std::string("broker:") + kReviewed + ":2|workflow_exec_req|a-b");
  // The engine's subscription was cancelled after reading.
  auto poll = broker->poll(subscription, 1);
  ASSERT_FALSE(poll.has_value());
  EXPECT_EQ(poll.error().kind(), EventErrorKind::SubscriptionNotFound);
}

TEST(WorkflowEventEdges, UnregisteredEventTypeAtTheBrokerIsEventSubscriptionFailed) {
  auto broker = broker_knowing("test.something.else-happened");
  EventFlow flow({});
  const WorkflowRun run = flow.run(broker);
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::EventSubscriptionFailed);
  EXPECT_EQ(run.error->code(), "request_invalid");
  EXPECT_EQ(run.error->node_id(), "a");
  EXPECT_EQ(visited(run), (std::vector<std::string>{"a:failed"}));
  EXPECT_EQ(run.evidence["result"]["failure_reason"], "event_subscription_failed");
}

// A broker whose operations fail on demand; every call is counted.
class ScriptedBroker final : public EventBroker {
 public:
  std::optional<EventError> subscribe_error;
  std::optional<EventError> cancel_error;
  std::atomic<int> subscribes{0};

  std::expected<PublishReceipt, EventError> publish(const TraverseEvent&) override {
    return PublishReceipt{"1", false};
  }
  std::expected<PublishReceipt, EventError> publish_with_cursor(const TraverseEvent&,
                                                                std::uint64_t) override {
    return PublishReceipt{"1", false};
  }
  std::expected<Subscription, EventError> subscribe(std::string_view type, std::string_view from,
                                                    std::optional<std::string>) override {
    ++subscribes;
    if (subscribe_error) {
      return std::unexpected(*subscribe_error);
    }
    return Subscription{"sub-1", std::string(type), std::string(from), std::nullopt};
  }
  std::expected<SubscriptionPoll, EventError> poll(std::string_view id, std::size_t) override {
    return SubscriptionPoll{std::string(id), kReviewed, "0", {}, 0};
  }
  std::expected<void, EventError> cancel(std::string_view) override {
    if (cancel_error) {
      return std::unexpected(*cancel_error);
    }
    return {};
  }
};

TEST(WorkflowEventEdges, OtherBrokerErrorsAreEventBrokerUnavailable) {
  auto broker = std::make_shared<ScriptedBroker>();
  broker->subscribe_error = EventError::capacity_exceeded("too many subscriptions");
  EventFlow flow({});
  const WorkflowRun run = flow.run(broker);
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::EventBrokerUnavailable);
  EXPECT_EQ(run.error->code(), "event_broker_unavailable");
  EXPECT_EQ(run.error->details()["broker_error"], "CapacityExceeded");
  EXPECT_EQ(visited(run), (std::vector<std::string>{"a:failed"}));
}

TEST(WorkflowEventEdges, FailedSubscriptionCleanupIsAWarningNotAFailure) {
  auto broker = std::make_shared<ScriptedBroker>();
  broker->cancel_error = EventError::subscription_not_found("sub-1");
  EventFlow flow({});
  flow.doc.terminals = {"a", "b"};
  const WorkflowRun run = flow.run(broker);
  ASSERT_TRUE(run.completed()) << run.error->message();
  ASSERT_EQ(run.warnings.size(), 1U);
  EXPECT_EQ(run.warnings[0].code, "event_broker_subscription_cleanup_failed");
}

TEST(WorkflowEventEdges, BrokerIsNotAskedWhenTheNodesOwnEventResolvedTheEdge) {
  auto broker = std::make_shared<ScriptedBroker>();
  EventFlow flow({event(kReviewed, "1.0.0", Value::object())});
  ASSERT_TRUE(flow.run(broker).completed());
  EXPECT_EQ(broker->subscribes.load(), 0);
}

}  // namespace
}  // namespace traverse
