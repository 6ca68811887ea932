// The schema_version 1.0.0 traversal: the reference loop of docs/workflows.md, one node at a time.
// With a scheduler each step is a task on it and the next node is chosen by the task that ran
// the previous one, so a run occupies no thread while it waits; without one the loop runs on the
// calling thread.
#include <memory>
#include <utility>

#include "traversal.hpp"

namespace traverse::workflow_detail {
namespace {

class SequentialTraversal : public std::enable_shared_from_this<SequentialTraversal> {
 public:
  SequentialTraversal(std::shared_ptr<RunState> run, Value state,
                      CompletionPromise<WorkflowRun> promise)
      : run_(std::move(run)),
        context_(run_->context),
        wf_(context_.workflow),
        definition_(wf_.definition),
        state_(std::move(state)),
        promise_(std::move(promise)),
        current_(wf_.start) {}

  void begin() {
    if (!run_->scheduler) {
      // On the calling thread: the whole walk, one step after the other.
      while (true) {
        StepRequest request = enter();
        if (!handle(invoke_step(context_, request))) {
          break;
        }
      }
      finish();
      return;
    }
    dispatch();
  }

 private:
  // Posts the current node's step; the task handles its result and posts the next one.
  void dispatch() {
    StepRequest request = enter();
    auto self = shared_from_this();
    auto posted = run_->scheduler->post([self, request = std::move(request)] {
      if (self->handle(invoke_step(self->context_, request))) {
        self->dispatch();
      } else {
        self->finish();
      }
    });
    if (!posted) {
      handle(refused_step(posted.error()));
      finish();
    }
  }

  // Enters the current node: its evidence and the request for its step.
  StepRequest enter() {
    const WorkflowNode& node = definition_.nodes[current_];
    visits_.push_back(enter_node(context_, current_, step_index_));
    return make_request(context_, current_, step_index_, select_input(state_, node));
  }

  // Records the step's result and chooses the next node. True: run the new current node.
  bool handle(StepResult step) {
    const WorkflowNode& node = definition_.nodes[current_];
    NodeEvidence& evidence = visits_.back();
    evidence.step.duration_ms = step.duration_ms;
    if (!step.result) {
      error_ = record_failure(evidence, step.result.error());
      return false;
    }
    const StepOutcome& outcome = *step.result;
    update_state(state_, node, outcome.output);
    record_success(evidence, outcome);

    std::vector<std::size_t> direct;
    std::vector<std::size_t> event;
    for (const std::size_t e : wf_.out_edges[current_]) {
      (definition_.edges[e].trigger == EdgeTrigger::Direct ? direct : event).push_back(e);
    }
    if (direct.size() > 1) {
      error_ =
          traversal_error(WorkflowFailureReason::AmbiguousNextEdge, "ambiguous_next_edge",
                          "node \"" + node.node_id + "\" has " + std::to_string(direct.size()) +
                              " direct outgoing edges; schema_version 1.0.0 follows exactly one",
                          node.node_id, step_index_);
      return false;
    }
    std::optional<std::size_t> next_edge;
    if (direct.size() == 1) {
      next_edge = direct.front();  // direct wins: event edges are not evaluated
    } else if (!event.empty()) {
      EventEdgeEvaluation evaluation = evaluate_event_edges(
          context_, current_, event, outcome.emitted_events, consumed_, evidence);
      if (evaluation.error) {
        evidence.step.status = WorkflowStepStatus::Failed;
        error_ = std::move(evaluation.error);
        return false;
      }
      if (evaluation.taken.size() > 1) {
        std::string edges;
        for (const std::size_t e : evaluation.taken) {
          edges += (edges.empty() ? "" : ", ") + definition_.edges[e].edge_id;
        }
        error_ = traversal_error(
            WorkflowFailureReason::AmbiguousNextEdge, "ambiguous_next_edge",
            "node \"" + node.node_id + "\": more than one event edge was taken (" + edges + ")",
            node.node_id, step_index_);
        return false;
      }
      if (evaluation.taken.size() == 1) {
        next_edge = evaluation.taken.front();
      }
    }
    if (next_edge) {
      const WorkflowEdge& edge = definition_.edges[*next_edge];
      evidence.traversed_edges.push_back(edge_json(edge));
      current_ = wf_.node_index.find(edge.to)->second;
      // The graph is acyclic (checked by prepare), so a walk visits at most every node once;
      // the bound is a second guard, not a semantic limit.
      return ++step_index_ <= definition_.nodes.size();
    }
    if (wf_.terminal[current_]) {
      auto final_value = final_output(context_, state_);
      if (final_value) {
        output_ = std::move(*final_value);
      } else {
        error_ = std::move(final_value.error());
      }
      return false;
    }
    if (!event.empty()) {
      error_ =
          traversal_error(WorkflowFailureReason::MissingRequiredEvent, "missing_required_event",
                          "node \"" + node.node_id +
                              "\" is not terminal and none of its event edges matched an "
                              "event",
                          node.node_id, step_index_);
    } else {
      error_ = traversal_error(
          WorkflowFailureReason::TerminalNodeNotReached, "terminal_node_not_reached",
          "node \"" + node.node_id + "\" is not terminal and has no outgoing edge to follow",
          node.node_id, step_index_);
    }
    return false;
  }

  void finish() {
    if (!output_ &&
        !error_) {  // unreachable for an acyclic graph; never report success by accident
      error_ = traversal_error(WorkflowFailureReason::WorkflowInvalid, "request_invalid",
                               "the traversal visited more nodes than the workflow declares");
    }
    WorkflowRun run =
        assemble_run(context_, std::move(visits_), std::move(output_), std::move(error_));
    promise_.fulfil(std::move(run));
  }

  const std::shared_ptr<RunState> run_;
  const RunContext& context_;
  const PreparedWorkflow::Impl& wf_;
  const WorkflowDefinition& definition_;
  // Touched by one step's thread at a time: each step is handed over through the scheduler's
  // queue, which orders the previous step's writes before the next step's reads.
  Value state_;
  CompletionPromise<WorkflowRun> promise_;
  std::vector<NodeEvidence> visits_;
  std::set<std::string> consumed_;
  std::optional<Value> output_;
  std::optional<WorkflowRunError> error_;
  std::size_t current_;
  std::size_t step_index_ = 0;
};

}  // namespace

void start_sequential(std::shared_ptr<RunState> run, Value state,
                      CompletionPromise<WorkflowRun> promise) {
  std::make_shared<SequentialTraversal>(std::move(run), std::move(state), std::move(promise))
      ->begin();
}

}  // namespace traverse::workflow_detail
