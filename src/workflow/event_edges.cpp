// Event-edge matching (docs/workflows.md): pass 1 over the node's own emitted events, pass 2 over
// the broker's retained events for the edges still unresolved.
#include <algorithm>
#include <expected>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "traversal.hpp"

namespace traverse::workflow_detail {
namespace {

constexpr std::size_t kPollBatch = 256;

// JSON equality as the reference's serde_json Value: an integer never equals a float (1 != 1.0).
bool strict_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    const bool a_int = a.is_number_integer();  // true for signed and unsigned integers
    const bool b_int = b.is_number_integer();
    if (a_int != b_int) {
      return false;
    }
    if (a_int) {
      if (a.is_number_unsigned() && b.is_number_unsigned()) {
        return a.get<std::uint64_t>() == b.get<std::uint64_t>();
      }
      if (a.is_number_unsigned() || b.is_number_unsigned()) {
        const Value& u = a.is_number_unsigned() ? a : b;
        const Value& s = a.is_number_unsigned() ? b : a;
        const auto signed_value = s.get<std::int64_t>();
        return signed_value >= 0 &&
               static_cast<std::uint64_t>(signed_value) == u.get<std::uint64_t>();
      }
      return a.get<std::int64_t>() == b.get<std::int64_t>();
    }
    return a.get<double>() == b.get<double>();
  }
  if (a.type() != b.type()) {
    return false;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) {
      return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!strict_equal(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) {
      return false;
    }
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
      if (ia.key() != ib.key() || !strict_equal(ia.value(), ib.value())) {
        return false;
      }
    }
    return true;
  }
  return a == b;
}

// Resolves a predicate field in an event payload: a leading "payload." is stripped; "payload"
// or "" is the whole payload; otherwise a dot path through objects. nullptr when absent.
const Value* resolve_field(const Value& payload, std::string_view field) {
  if (field == "payload") {
    return &payload;
  }
  if (field.starts_with("payload.")) {
    field.remove_prefix(std::string_view("payload.").size());
  }
  const Value* current = &payload;
  while (!field.empty()) {
    const std::size_t dot = field.find('.');
    const std::string_view segment = field.substr(0, dot);
    if (!current->is_object()) {
      return nullptr;
    }
    const auto it = current->find(std::string(segment));
    if (it == current->end()) {
      return nullptr;
    }
    current = &*it;
    if (dot == std::string_view::npos) {
      break;
    }
    field.remove_prefix(dot + 1);
  }
  return current;
}

struct Candidate {
  std::string record_id;
  TraverseEvent event;
  std::optional<std::string> subscription_id;
  std::optional<std::string> cursor;
};

struct Matcher {
  const RunContext& context;
  const WorkflowNode& node;
  std::set<std::string>& consumed;
  NodeEvidence& evidence;
  std::int64_t wake_order = 0;
  std::vector<std::size_t> taken;

  [[nodiscard]] std::string prefix(std::string_view source) const {
    return context.request_id + ":step:" + std::to_string(evidence.step.step_index) + ":" +
           std::string(source);
  }

  Value base_record(std::string_view source, const WorkflowEdge& edge,
                    std::string recorded_at) const {
    return Value{{"source", source},        {"step_index", evidence.step.step_index},
                 {"node_id", node.node_id}, {"workflow_execution_id", context.execution_id},
                 {"edge_id", edge.edge_id}, {"recorded_at", std::move(recorded_at)}};
  }

  // One matching pass of `candidates` against `edges` (edge indices sorted by edge_id).
  void pass(std::string_view source, const std::vector<Candidate>& candidates,
            const std::vector<std::size_t>& edges) {
    const WorkflowDefinition& wf = context.workflow.definition;
    const std::string at = prefix(source);
    if (candidates.empty()) {
      for (const std::size_t e : edges) {
        const WorkflowEdge& edge = wf.edges[e];
        Value record = base_record(source, edge, at + ":no_event:" + edge.edge_id);
        record["result"] = "not_matched";
        record["reason"] = "required event was not emitted";
        evidence.match_records.push_back(std::move(record));
      }
      return;
    }
    for (std::size_t k = 0; k < candidates.size(); ++k) {
      const Candidate& candidate = candidates[k];
      const std::string event_at = at + ":event:" + std::to_string(k);
      for (const std::size_t e : edges) {
        const WorkflowEdge& edge = wf.edges[e];
        Value record = base_record(source, edge, event_at + ":match:" + edge.edge_id);
        record["record_id"] = candidate.record_id;
        record["event_id"] = candidate.event.event_type;
        record["version"] = candidate.event.version;
        if (candidate.subscription_id) {
          record["subscription_id"] = *candidate.subscription_id;
        }
        if (candidate.cursor) {
          record["cursor"] = *candidate.cursor;
        }
        if (!edge.event || candidate.event.event_type != edge.event->event_id ||
            candidate.event.version != edge.event->version) {
          record["result"] = "not_matched";
          record["reason"] = "event id/version did not match the waiting edge";
          evidence.match_records.push_back(std::move(record));
          continue;
        }
        if (edge.predicate) {
          const Value* actual = resolve_field(candidate.event.data, edge.predicate->field);
          if (actual == nullptr || !strict_equal(*actual, edge.predicate->equals)) {
            record["result"] = "not_matched";
            record["predicate_result"] = "failed";
            record["reason"] =
                "predicate " + edge.predicate->field +
                " == " + canonical_dump(edge.predicate->equals) + " did not hold (found " +
                (actual == nullptr ? std::string("no value") : canonical_dump(*actual)) + ")";
            evidence.match_records.push_back(std::move(record));
            continue;
          }
          record["predicate_result"] = "passed";
        }
        const std::string key =
            candidate.record_id + "|" + context.execution_id + "|" + edge.edge_id;
        if (consumed.contains(key)) {
          record["result"] = "already_consumed";
          record["reason"] = "the event was already consumed by this edge in this traversal";
          evidence.match_records.push_back(std::move(record));
          continue;
        }
        consumed.insert(key);
        record["result"] = "matched";
        evidence.match_records.push_back(std::move(record));
        evidence.wake_decisions.push_back(
            Value{{"decision_type", "event_wake"},
                  {"workflow_execution_id", context.execution_id},
                  {"edge_id", edge.edge_id},
                  {"from_node_id", edge.from},
                  {"to_node_id", edge.to},
                  {"record_id", candidate.record_id},
                  {"wake_order", ++wake_order},
                  {"result", "taken"},
                  {"recorded_at", event_at + ":wake:" + edge.edge_id}});
        evidence.consumptions.push_back(
            Value{{"consumption_key", key},
                  {"record_id", candidate.record_id},
                  {"workflow_execution_id", context.execution_id},
                  {"edge_id", edge.edge_id},
                  {"consumed_at", event_at + ":match:" + edge.edge_id}});
        if (std::find(taken.begin(), taken.end(), e) == taken.end()) {
          taken.push_back(e);
        }
      }
    }
  }
};

// The waiting edges' records in the evidence, in (workflow_execution_id, edge_id) order (the
// execution id is the same for every edge of a run); returns the edges in that order.
std::vector<std::size_t> record_waiting_edges(const RunContext& context,
                                              const std::vector<std::size_t>& event_edges,
                                              NodeEvidence& evidence) {
  const WorkflowDefinition& wf = context.workflow.definition;
  std::vector<std::size_t> waiting = event_edges;
  std::sort(waiting.begin(), waiting.end(), [&](std::size_t a, std::size_t b) {
    return wf.edges[a].edge_id < wf.edges[b].edge_id;
  });
  for (const std::size_t e : waiting) {
    const WorkflowEdge& edge = wf.edges[e];
    Value record{{"workflow_execution_id", context.execution_id},
                 {"edge_id", edge.edge_id},
                 {"from_node_id", edge.from},
                 {"to_node_id", edge.to}};
    if (edge.event) {
      record["event_ref"] =
          Value{{"event_id", edge.event->event_id}, {"version", edge.event->version}};
    }
    if (edge.predicate) {
      record["predicate"] =
          Value{{"field", edge.predicate->field}, {"equals", edge.predicate->equals}};
    }
    evidence.waiting_edges.push_back(std::move(record));
  }
  return waiting;
}

// The broker's retained events of the types `unresolved` edges wait for, read from the start
// (each type's scan bounded by kMaxBrokerEventsPerScan, with a warning when cut).
class BrokerScan {
 public:
  BrokerScan(const RunContext& context, const WorkflowNode& node, NodeEvidence& evidence)
      : context_(context), node_(node), evidence_(evidence) {}

  // The candidates, or the run's error when the broker cannot be read.
  std::expected<std::vector<Candidate>, WorkflowRunError> read(
      const std::vector<std::size_t>& unresolved) {
    const WorkflowDefinition& wf = context_.workflow.definition;
    std::set<std::string> types;
    for (const std::size_t e : unresolved) {
      if (wf.edges[e].event) {
        types.insert(wf.edges[e].event->event_id);
      }
    }
    std::vector<Candidate> candidates;
    for (const std::string& type : types) {
      if (auto error = read_type(type, candidates)) {
        return std::unexpected(std::move(*error));
      }
    }
    return candidates;
  }

 private:
  std::optional<WorkflowRunError> read_type(const std::string& type,
                                            std::vector<Candidate>& candidates) {
    auto subscription = context_.broker->subscribe(type, "0");
    if (!subscription) {
      return broker_error(subscription.error(), type);
    }
    const std::string& id = subscription->subscription_id;
    std::size_t read = 0;
    std::optional<EventError> poll_error;
    while (true) {
      auto poll = context_.broker->poll(id, kPollBatch);
      if (!poll) {
        poll_error = poll.error();
        break;
      }
      for (BrokerEvent& item : poll->events) {
        candidates.push_back(Candidate{"broker:" + type + ":" + item.cursor, std::move(item.event),
                                       id, item.cursor});
      }
      read += poll->events.size();
      if (poll->events.size() < kPollBatch) {
        break;
      }
      if (read >= kMaxBrokerEventsPerScan) {
        evidence_.warnings.push_back(WorkflowWarning{
            "event_broker_scan_truncated", "node \"" + node_.node_id +
                                               "\": stopped reading events of type \"" + type +
                                               "\" after " + std::to_string(read) + " events"});
        break;
      }
    }
    if (auto cancelled = context_.broker->cancel(id); !cancelled) {
      evidence_.warnings.push_back(
          WorkflowWarning{"event_broker_subscription_cleanup_failed",
                          "node \"" + node_.node_id + "\": could not cancel subscription " + id +
                              " on \"" + type + "\": " + cancelled.error().message()});
    }
    if (poll_error) {
      return broker_error(*poll_error, type);
    }
    return std::nullopt;
  }

  [[nodiscard]] WorkflowRunError broker_error(const EventError& error,
                                              const std::string& type) const {
    const bool unregistered = error.kind() == EventErrorKind::UnregisteredEventType;
    const auto reason = unregistered ? WorkflowFailureReason::EventSubscriptionFailed
                                     : WorkflowFailureReason::EventBrokerUnavailable;
    return traversal_error(reason, unregistered ? "request_invalid" : "event_broker_unavailable",
                           "node \"" + node_.node_id + "\": cannot read events of type \"" + type +
                               "\" from the broker: " + error.message(),
                           node_.node_id, evidence_.step.step_index,
                           Value{{"event_type", type}, {"broker_error", to_string(error.kind())}});
  }

  const RunContext& context_;
  const WorkflowNode& node_;
  NodeEvidence& evidence_;
};

}  // namespace

EventEdgeEvaluation evaluate_event_edges(const RunContext& context, std::size_t node,
                                         const std::vector<std::size_t>& event_edges,
                                         const std::vector<TraverseEvent>& emitted,
                                         std::set<std::string>& consumed, NodeEvidence& evidence) {
  const WorkflowDefinition& wf = context.workflow.definition;
  const std::vector<std::size_t> waiting = record_waiting_edges(context, event_edges, evidence);
  Matcher matcher{context, wf.nodes[node], consumed, evidence, 0, {}};

  // Pass 1: the node's own emitted events.
  std::vector<Candidate> local;
  local.reserve(emitted.size());
  for (std::size_t i = 0; i < emitted.size(); ++i) {
    local.push_back(
        Candidate{"event_record_" + std::to_string(i), emitted[i], std::nullopt, std::nullopt});
  }
  matcher.pass("local", local, waiting);

  // Pass 2: the broker, for the edges pass 1 did not resolve.
  std::vector<std::size_t> unresolved;
  for (const std::size_t e : waiting) {
    if (std::find(matcher.taken.begin(), matcher.taken.end(), e) == matcher.taken.end()) {
      unresolved.push_back(e);
    }
  }
  EventEdgeEvaluation evaluation;
  if (!unresolved.empty() && context.broker != nullptr) {
    auto from_broker = BrokerScan(context, wf.nodes[node], evidence).read(unresolved);
    if (!from_broker) {
      evaluation.error = std::move(from_broker.error());
      return evaluation;
    }
    matcher.pass("broker", *from_broker, unresolved);
  }
  evaluation.taken = std::move(matcher.taken);
  return evaluation;
}

}  // namespace traverse::workflow_detail
