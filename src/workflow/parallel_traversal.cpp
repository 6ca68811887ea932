// The schema_version 1.1.0 traversal (D7): a DAG whose ready nodes run concurrently, at most
// max_parallelism at once, each as a task on the engine's scheduler (see workflow_engine.hpp).
// The run has no thread of its own: whichever thread finishes a step records it and starts the
// nodes that became ready; the last one to finish assembles the run and fulfils its promise.
//
// Node readiness: a node waits until every incoming edge is resolved (its source completed, or
// will never run). It then runs if at least one incoming edge was taken and every incoming
// *direct* edge was taken (all direct predecessors completed); otherwise it is skipped and its
// own outgoing edges resolve as not taken. When a node completes, all its direct edges are taken
// (fan-out); a node without direct edges takes every event edge that matched (docs/workflows.md).
#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>

#include "traversal.hpp"

namespace traverse::workflow_detail {
namespace {

enum class NodeState { Waiting, Ready, Running, Completed, Failed, Skipped };

class ParallelTraversal : public std::enable_shared_from_this<ParallelTraversal> {
 public:
  ParallelTraversal(std::shared_ptr<RunState> run, Value initial_state, std::size_t max_parallelism,
                    CompletionPromise<WorkflowRun> promise)
      : run_(std::move(run)),
        context_(run_->context),
        wf_(context_.workflow),
        definition_(wf_.definition),
        initial_state_(std::move(initial_state)),
        max_parallelism_(std::max<std::size_t>(1, max_parallelism)),
        state_(definition_.nodes.size(), NodeState::Waiting),
        resolved_in_(definition_.nodes.size(), 0),
        taken_in_(definition_.nodes.size(), 0),
        direct_taken_in_(definition_.nodes.size(), 0),
        outputs_(definition_.nodes.size()),
        evidence_(definition_.nodes.size()),
        promise_(std::move(promise)) {}

  void begin() {
    std::unique_lock lock(mutex_);
    mark_ready(wf_.start);
    launch(lock);
  }

 private:
  // Starts ready nodes while slots are free; fulfils the promise when nothing runs any more.
  // REQUIRES: `lock` holds mutex_ (it is released when the run ends).
  void launch(std::unique_lock<std::mutex>& lock) {
    while (!stopping_ && !ready_.empty() && running_ < max_parallelism_) {
      const std::size_t node = wf_.topo_order[*ready_.begin()];
      ready_.erase(ready_.begin());
      StepRequest request = start(node);
      if (!run_->scheduler) {
        // No scheduler: the step runs here, on the calling thread, one at a time.
        complete(node, invoke_step(context_, request));
        continue;
      }
      ++running_;
      auto self = shared_from_this();
      auto posted = run_->scheduler->post([self, node, request = std::move(request)] {
        self->step_finished(node, invoke_step(self->context_, request));
      });
      if (!posted) {
        --running_;
        complete(node, refused_step(posted.error()));
      }
    }
    if (running_ != 0 || finished_) {
      return;
    }
    finished_ = true;
    WorkflowRun run = finish();
    lock.unlock();
    promise_.fulfil(std::move(run));
  }

  // A step task's end: runs on the thread that ran the step.
  void step_finished(std::size_t node, StepResult result) {
    std::unique_lock lock(mutex_);
    --running_;
    complete(node, std::move(result));
    launch(lock);
  }

  // Builds the node's request: its input comes from the workflow input and the outputs of its
  // completed ancestors, merged in topological order — never from concurrently running siblings.
  StepRequest start(std::size_t node) {
    const WorkflowNode& n = definition_.nodes[node];
    const std::size_t step_index = wf_.topo_position[node];
    state_[node] = NodeState::Running;
    evidence_[node] = enter_node(context_, node, step_index);
    Value view = select_input(initial_state_, n);
    for (const std::size_t ancestor : wf_.ancestors[node]) {
      if (!outputs_[ancestor]) {
        continue;
      }
      const WorkflowNode& a = definition_.nodes[ancestor];
      const Value& output = *outputs_[ancestor];
      if (!output.is_object()) {
        continue;
      }
      const auto wanted = [&](const std::string& key) {
        return std::find(n.from_workflow_input.begin(), n.from_workflow_input.end(), key) !=
               n.from_workflow_input.end();
      };
      for (const std::string& key : a.to_workflow_state) {
        if (wanted(key)) {
          if (const auto it = output.find(key); it != output.end()) {
            view[key] = *it;
          }
        }
      }
      if (a.publish_to_state_as && wanted(*a.publish_to_state_as)) {
        view[*a.publish_to_state_as] = output;
      }
    }
    return make_request(context_, node, step_index, std::move(view));
  }

  void fail(WorkflowRunError error) {
    failures_.push_back(std::move(error));
    stopping_ = true;
  }

  void complete(std::size_t node, StepResult step) {
    NodeEvidence& evidence = *evidence_[node];
    evidence.step.duration_ms = step.duration_ms;
    if (!step.result) {
      state_[node] = NodeState::Failed;
      fail(record_failure(evidence, step.result.error()));
      return;
    }
    StepOutcome& outcome = *step.result;
    record_success(evidence, outcome);
    state_[node] = NodeState::Completed;
    const WorkflowNode& n = definition_.nodes[node];

    std::vector<std::size_t> direct;
    std::vector<std::size_t> event;
    for (const std::size_t e : wf_.out_edges[node]) {
      (definition_.edges[e].trigger == EdgeTrigger::Direct ? direct : event).push_back(e);
    }
    std::vector<std::size_t> taken;
    if (!direct.empty()) {
      taken = direct;  // fan-out; direct edges win over event edges, as in 1.0.0
    } else if (!event.empty()) {
      EventEdgeEvaluation evaluation =
          evaluate_event_edges(context_, node, event, outcome.emitted_events, consumed_, evidence);
      if (evaluation.error) {
        evidence.step.status = WorkflowStepStatus::Failed;
        state_[node] = NodeState::Failed;
        fail(std::move(*evaluation.error));
        return;
      }
      taken = std::move(evaluation.taken);
      std::sort(taken.begin(), taken.end());  // declaration order in the evidence
    }
    outputs_[node] = std::move(outcome.output);
    for (const std::size_t e : taken) {
      evidence.traversed_edges.push_back(edge_json(definition_.edges[e]));
    }
    if (taken.empty() && !wf_.terminal[node]) {
      const std::size_t step_index = evidence.step.step_index;
      if (!event.empty()) {
        fail(traversal_error(WorkflowFailureReason::MissingRequiredEvent, "missing_required_event",
                             "node \"" + n.node_id +
                                 "\" is not terminal and none of its event edges matched "
                                 "an event",
                             n.node_id, step_index));
      } else {
        fail(traversal_error(
            WorkflowFailureReason::TerminalNodeNotReached, "terminal_node_not_reached",
            "node \"" + n.node_id + "\" is not terminal and has no outgoing edge to follow",
            n.node_id, step_index));
      }
      return;
    }
    if (stopping_) {
      return;  // nothing new starts; no need to resolve successors
    }
    for (const std::size_t e : wf_.out_edges[node]) {
      resolve(e, std::find(taken.begin(), taken.end(), e) != taken.end());
    }
  }

  // Resolves edge `e`; a target whose incoming edges are all resolved becomes ready or skipped
  // (a skipped node resolves its own outgoing edges as not taken).
  void resolve(std::size_t first_edge, bool first_taken) {
    std::vector<std::pair<std::size_t, bool>> pending{{first_edge, first_taken}};
    while (!pending.empty()) {
      const auto [e, taken] = pending.back();
      pending.pop_back();
      const WorkflowEdge& edge = definition_.edges[e];
      const std::size_t to = wf_.node_index.find(edge.to)->second;
      ++resolved_in_[to];
      if (taken) {
        ++taken_in_[to];
        if (edge.trigger == EdgeTrigger::Direct) {
          ++direct_taken_in_[to];
        }
      }
      if (resolved_in_[to] != wf_.in_edges[to].size()) {
        continue;
      }
      if (taken_in_[to] > 0 && direct_taken_in_[to] == wf_.direct_in_count[to]) {
        mark_ready(to);
      } else {
        state_[to] = NodeState::Skipped;
        for (const std::size_t out : wf_.out_edges[to]) {
          pending.emplace_back(out, false);
        }
      }
    }
  }

  void mark_ready(std::size_t node) {
    state_[node] = NodeState::Ready;
    ready_.insert(wf_.topo_position[node]);
  }

  WorkflowRun finish() {
    std::vector<NodeEvidence> nodes;
    for (const std::size_t node : wf_.topo_order) {
      if (evidence_[node]) {
        nodes.push_back(std::move(*evidence_[node]));
      }
    }
    std::optional<WorkflowRunError> error;
    std::optional<Value> output;
    if (!failures_.empty()) {
      // The failure with the lowest step index is the run's failure, whatever finished first.
      auto first =
          std::min_element(failures_.begin(), failures_.end(),
                           [](const WorkflowRunError& a, const WorkflowRunError& b) {
                             return a.step_index().value_or(0) < b.step_index().value_or(0);
                           });
      error = std::move(*first);
    } else {
      Value state = initial_state_;
      for (const std::size_t node : wf_.topo_order) {
        if (outputs_[node]) {
          update_state(state, definition_.nodes[node], *outputs_[node]);
        }
      }
      auto final_value = final_output(context_, state);
      if (final_value) {
        output = std::move(*final_value);
      } else {
        error = std::move(final_value.error());
      }
    }
    return assemble_run(context_, std::move(nodes), std::move(output), std::move(error));
  }

  const std::shared_ptr<RunState> run_;
  const RunContext& context_;
  const PreparedWorkflow::Impl& wf_;
  const WorkflowDefinition& definition_;
  const Value initial_state_;
  const std::size_t max_parallelism_;
  // Everything below is guarded by mutex_ (held by whichever thread records a step).
  std::mutex mutex_;
  std::size_t running_ = 0;  // steps posted and not yet recorded
  bool finished_ = false;
  std::vector<NodeState> state_;
  std::vector<std::size_t> resolved_in_;
  std::vector<std::size_t> taken_in_;
  std::vector<std::size_t> direct_taken_in_;
  std::vector<std::optional<Value>> outputs_;
  std::vector<std::optional<NodeEvidence>> evidence_;
  std::set<std::size_t> ready_;  // topological positions
  std::set<std::string> consumed_;
  std::vector<WorkflowRunError> failures_;
  bool stopping_ = false;
  CompletionPromise<WorkflowRun> promise_;
};

}  // namespace

void start_parallel(std::shared_ptr<RunState> run, Value state, std::size_t max_parallelism,
                    CompletionPromise<WorkflowRun> promise) {
  std::make_shared<ParallelTraversal>(std::move(run), std::move(state), max_parallelism,
                                      std::move(promise))
      ->begin();
}

}  // namespace traverse::workflow_detail
