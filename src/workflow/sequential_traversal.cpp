// The schema_version 1.0.0 traversal: the reference loop of docs/workflows.md, one node at a time
// on the calling thread.
#include <utility>

#include "traversal.hpp"

namespace traverse::workflow_detail {

WorkflowRun run_sequential(const RunContext& context, Value state) {
  const PreparedWorkflow::Impl& wf = context.workflow;
  const WorkflowDefinition& definition = wf.definition;
  std::vector<NodeEvidence> visits;
  std::set<std::string> consumed;
  std::optional<Value> output;
  std::optional<WorkflowRunError> error;

  std::size_t current = wf.start;
  // The graph is acyclic (checked by prepare), so a walk visits at most every node once; the
  // bound is a second guard, not a semantic limit.
  for (std::size_t step_index = 0; step_index <= definition.nodes.size(); ++step_index) {
    const WorkflowNode& node = definition.nodes[current];
    visits.push_back(enter_node(context, current, step_index));
    NodeEvidence& evidence = visits.back();

    StepResult step =
        invoke_step(context, make_request(context, current, step_index, select_input(state, node)));
    evidence.step.duration_ms = step.duration_ms;
    if (!step.result) {
      error = record_failure(evidence, step.result.error());
      break;
    }
    const StepOutcome& outcome = *step.result;
    update_state(state, node, outcome.output);
    record_success(evidence, outcome);

    std::vector<std::size_t> direct;
    std::vector<std::size_t> event;
    for (const std::size_t e : wf.out_edges[current]) {
      (definition.edges[e].trigger == EdgeTrigger::Direct ? direct : event).push_back(e);
    }
    if (direct.size() > 1) {
      error =
          traversal_error(WorkflowFailureReason::AmbiguousNextEdge, "ambiguous_next_edge",
                          "node \"" + node.node_id + "\" has " + std::to_string(direct.size()) +
                              " direct outgoing edges; schema_version 1.0.0 follows exactly one",
                          node.node_id, step_index);
      break;
    }
    std::optional<std::size_t> next_edge;
    if (direct.size() == 1) {
      next_edge = direct.front();  // direct wins: event edges are not evaluated
    } else if (!event.empty()) {
      EventEdgeEvaluation evaluation =
          evaluate_event_edges(context, current, event, outcome.emitted_events, consumed, evidence);
      if (evaluation.error) {
        evidence.step.status = WorkflowStepStatus::Failed;
        error = std::move(evaluation.error);
        break;
      }
      if (evaluation.taken.size() > 1) {
        std::string edges;
        for (const std::size_t e : evaluation.taken) {
          edges += (edges.empty() ? "" : ", ") + definition.edges[e].edge_id;
        }
        error = traversal_error(
            WorkflowFailureReason::AmbiguousNextEdge, "ambiguous_next_edge",
            "node \"" + node.node_id + "\": more than one event edge was taken (" + edges + ")",
            node.node_id, step_index);
        break;
      }
      if (evaluation.taken.size() == 1) {
        next_edge = evaluation.taken.front();
      }
    }
    if (next_edge) {
      const WorkflowEdge& edge = definition.edges[*next_edge];
      evidence.traversed_edges.push_back(edge_json(edge));
      current = wf.node_index.find(edge.to)->second;
      continue;
    }
    if (wf.terminal[current]) {
      auto final_value = final_output(context, state);
      if (final_value) {
        output = std::move(*final_value);
      } else {
        error = std::move(final_value.error());
      }
      break;
    }
    if (!event.empty()) {
      error = traversal_error(WorkflowFailureReason::MissingRequiredEvent, "missing_required_event",
                              "node \"" + node.node_id +
                                  "\" is not terminal and none of its event edges matched an event",
                              node.node_id, step_index);
    } else {
      error = traversal_error(
          WorkflowFailureReason::TerminalNodeNotReached, "terminal_node_not_reached",
          "node \"" + node.node_id + "\" is not terminal and has no outgoing edge to follow",
          node.node_id, step_index);
    }
    break;
  }
  if (!output && !error) {  // unreachable for an acyclic graph; never report success by accident
    error = traversal_error(WorkflowFailureReason::WorkflowInvalid, "request_invalid",
                            "the traversal visited more nodes than the workflow declares");
  }
  return assemble_run(context, std::move(visits), std::move(output), std::move(error));
}

}  // namespace traverse::workflow_detail
