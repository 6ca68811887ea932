#include "traverse/workflow/workflow_engine.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "traversal.hpp"
#include "traverse/support/ids.hpp"

namespace traverse {
namespace {

using workflow_detail::RunContext;

ValidationError problem(std::string code, std::string path, std::string message) {
  return ValidationError{std::move(code), std::move(path), std::move(message), {}};
}

std::string index_path(std::string_view base, std::size_t i) {
  return std::string(base) + "[" + std::to_string(i) + "]";
}

// Compiles `schema`; errors are re-rooted at `where` (e.g. "$.inputs.schema").
std::optional<SchemaValidator> compile_schema(const Value& schema, const std::string& where,
                                              ValidationErrors& errors) {
  auto compiled = SchemaValidator::compile(schema);
  if (compiled) {
    return std::move(*compiled);
  }
  for (ValidationError error : compiled.error()) {
    error.rebase_path(where);
    errors.push_back(std::move(error));
  }
  return std::nullopt;
}

using PreparedImpl = PreparedWorkflow::Impl;

// The version and node count the engine can run; nothing else is checked when these fail.
ValidationErrors check_shape(const WorkflowDefinition& wf) {
  ValidationErrors errors;
  if (wf.schema_version != "1.0.0" && wf.schema_version != "1.1.0") {
    errors.push_back(problem(
        "InvalidLiteral", "$.schema_version",
        "schema_version must be \"1.0.0\" or \"1.1.0\", got \"" + wf.schema_version + "\""));
  }
  if (wf.nodes.empty()) {
    errors.push_back(
        problem("MissingRequiredField", "$.nodes", "a workflow needs at least one node"));
  }
  if (wf.nodes.size() > kMaxWorkflowNodes) {
    errors.push_back(problem("CapacityExceeded", "$.nodes",
                             "a workflow may have at most " + std::to_string(kMaxWorkflowNodes) +
                                 " nodes, got " + std::to_string(wf.nodes.size())));
  }
  return errors;
}

// node_index, the edges into and out of each node, and the direct in-degree.
void index_nodes_and_edges(PreparedImpl& impl, ValidationErrors& errors) {
  const WorkflowDefinition& wf = impl.definition;
  const std::size_t n = wf.nodes.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (!impl.node_index.emplace(wf.nodes[i].node_id, i).second) {
      errors.push_back(problem("DuplicateItem", index_path("$.nodes", i) + ".node_id",
                               "node_id \"" + wf.nodes[i].node_id + "\" is declared twice"));
    }
  }
  impl.out_edges.assign(n, {});
  impl.in_edges.assign(n, {});
  impl.direct_in_count.assign(n, 0);
  for (std::size_t e = 0; e < wf.edges.size(); ++e) {
    const WorkflowEdge& edge = wf.edges[e];
    const std::string path = index_path("$.edges", e);
    const auto from = impl.node_index.find(edge.from);
    const auto to = impl.node_index.find(edge.to);
    if (from == impl.node_index.end()) {
      errors.push_back(problem("InvalidEdgeReference", path + ".from",
                               "edge endpoint \"" + edge.from + "\" is not a declared node_id"));
    }
    if (to == impl.node_index.end()) {
      errors.push_back(problem("InvalidEdgeReference", path + ".to",
                               "edge endpoint \"" + edge.to + "\" is not a declared node_id"));
    }
    if (edge.trigger == EdgeTrigger::Event && !edge.event) {
      errors.push_back(problem("InvalidEventEdge", path + ".event",
                               "an event edge must name its event {event_id, version}"));
    }
    if (from != impl.node_index.end() && to != impl.node_index.end()) {
      impl.out_edges[from->second].push_back(e);
      impl.in_edges[to->second].push_back(e);
      if (edge.trigger == EdgeTrigger::Direct) {
        ++impl.direct_in_count[to->second];
      }
    }
  }
}

// The start node and the terminal flags.
void resolve_endpoints(PreparedImpl& impl, ValidationErrors& errors) {
  const WorkflowDefinition& wf = impl.definition;
  if (const auto start = impl.node_index.find(wf.start_node); start != impl.node_index.end()) {
    impl.start = start->second;
  } else {
    errors.push_back(problem("InvalidStartNode", "$.start_node",
                             "start_node \"" + wf.start_node + "\" is not a declared node_id"));
  }
  impl.terminal.assign(wf.nodes.size(), false);
  for (std::size_t i = 0; i < wf.terminal_nodes.size(); ++i) {
    if (const auto t = impl.node_index.find(wf.terminal_nodes[i]); t != impl.node_index.end()) {
      impl.terminal[t->second] = true;
    } else {
      errors.push_back(
          problem("InvalidTerminalNode", index_path("$.terminal_nodes", i),
                  "terminal node \"" + wf.terminal_nodes[i] + "\" is not a declared node_id"));
    }
  }
}

// Kahn's algorithm over every edge, ties broken by node_id (the registration order).
void order_topologically(PreparedImpl& impl, ValidationErrors& errors) {
  const WorkflowDefinition& wf = impl.definition;
  const std::size_t n = wf.nodes.size();
  std::vector<std::size_t> in_degree(n, 0);
  std::set<std::pair<std::string, std::size_t>> frontier;
  for (std::size_t i = 0; i < n; ++i) {
    in_degree[i] = impl.in_edges[i].size();
    if (in_degree[i] == 0) {
      frontier.emplace(wf.nodes[i].node_id, i);
    }
  }
  while (!frontier.empty()) {
    const std::size_t node = frontier.begin()->second;
    frontier.erase(frontier.begin());
    impl.topo_order.push_back(node);
    for (const std::size_t e : impl.out_edges[node]) {
      const std::size_t to = impl.node_index.at(wf.edges[e].to);
      if (--in_degree[to] == 0) {
        frontier.emplace(wf.nodes[to].node_id, to);
      }
    }
  }
  if (impl.topo_order.size() != n) {
    errors.push_back(problem("DeterministicCycleNotAllowed", "$.edges",
                             "the edges form a cycle; a workflow graph must be acyclic"));
  }
}

// Ancestor sets, built in topological order: a node's ancestors are its predecessors and theirs.
// Stored as declaration indices sorted by topological position.
void compute_ancestors(PreparedImpl& impl) {
  const WorkflowDefinition& wf = impl.definition;
  const std::size_t n = wf.nodes.size();
  std::vector<std::vector<bool>> is_ancestor(n, std::vector<bool>(n, false));
  for (const std::size_t node : impl.topo_order) {
    for (const std::size_t e : impl.in_edges[node]) {
      const std::size_t from = impl.node_index.at(wf.edges[e].from);
      is_ancestor[node][from] = true;
      for (std::size_t a = 0; a < n; ++a) {
        if (is_ancestor[from][a]) {
          is_ancestor[node][a] = true;
        }
      }
    }
  }
  impl.ancestors.assign(n, {});
  for (std::size_t node = 0; node < n; ++node) {
    for (const std::size_t a : impl.topo_order) {
      if (is_ancestor[node][a]) {
        impl.ancestors[node].push_back(a);
      }
    }
  }
}

}  // namespace

const WorkflowDefinition& PreparedWorkflow::definition() const {
  return impl_->definition;
}

std::vector<std::string> PreparedWorkflow::topological_order() const {
  std::vector<std::string> ids;
  ids.reserve(impl_->topo_order.size());
  for (const std::size_t node : impl_->topo_order) {
    ids.push_back(impl_->definition.nodes[node].node_id);
  }
  return ids;
}

WorkflowEngine::WorkflowEngine(std::shared_ptr<const StepRunner> runner,
                               WorkflowEngineOptions options)
    : runner_(std::move(runner)), options_(std::move(options)) {}

std::string WorkflowConfigError::to_string() const {
  return std::string(kind_ == Kind::MissingStepRunner ? "MissingStepRunner"
                                                      : "InvalidParallelism") +
         ": " + message_;
}

std::expected<WorkflowEngine, WorkflowConfigError> WorkflowEngine::create(
    std::shared_ptr<const StepRunner> runner, WorkflowEngineOptions options) {
  if (!runner) {
    return std::unexpected(WorkflowConfigError{WorkflowConfigError::Kind::MissingStepRunner, 0,
                                               "a workflow engine needs a step runner"});
  }
  if (options.max_parallelism < 1 || options.max_parallelism > kMaxWorkflowParallelism) {
    return std::unexpected(WorkflowConfigError{
        WorkflowConfigError::Kind::InvalidParallelism, options.max_parallelism,
        "max_parallelism must be in 1..=" + std::to_string(kMaxWorkflowParallelism) + ", got " +
            std::to_string(options.max_parallelism)});
  }
  return WorkflowEngine(std::move(runner), std::move(options));
}

std::expected<PreparedWorkflow, ValidationErrors> WorkflowEngine::prepare(
    const WorkflowDefinition& definition) {
  auto impl = std::make_shared<PreparedWorkflow::Impl>();
  impl->definition = definition;
  impl->parallel = impl->definition.is_parallel();
  ValidationErrors errors = check_shape(impl->definition);
  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
  }
  index_nodes_and_edges(*impl, errors);
  resolve_endpoints(*impl, errors);
  order_topologically(*impl, errors);
  impl->input_validator = compile_schema(impl->definition.input_schema, "$.inputs.schema", errors);
  impl->output_validator =
      compile_schema(impl->definition.output_schema, "$.outputs.schema", errors);
  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
  }
  impl->topo_position.assign(impl->topo_order.size(), 0);
  for (std::size_t pos = 0; pos < impl->topo_order.size(); ++pos) {
    impl->topo_position[impl->topo_order[pos]] = pos;
  }
  if (impl->parallel) {
    compute_ancestors(*impl);
  }
  return PreparedWorkflow(std::move(impl));
}

WorkflowRun WorkflowEngine::run(const WorkflowDefinition& definition, const Value& input,
                                const WorkflowRunOptions& options) const {
  auto prepared = prepare(definition);
  if (prepared) {
    return run(*prepared, input, options);
  }
  const ValidationErrors& errors = prepared.error();
  std::string message = "workflow " + definition.key() +
                        " cannot be run: " + std::to_string(errors.size()) + " problem(s)";
  if (!errors.empty()) {
    message += "; first: " + to_string(errors.front());
  }
  auto error = workflow_detail::traversal_error(
      WorkflowFailureReason::WorkflowInvalid, "request_invalid", std::move(message), std::nullopt,
      std::nullopt, workflow_detail::violations_json(errors));
  WorkflowRun run = rejected_workflow_run(options.request_id, definition.id, definition.version,
                                          std::move(error));
  run.evidence["workflow_schema_version"] = definition.schema_version;
  return run;
}

WorkflowRun WorkflowEngine::run(const PreparedWorkflow& workflow, const Value& input,
                                const WorkflowRunOptions& options) const {
  return start(workflow, input, options).wait();
}

Completion<WorkflowRun> WorkflowEngine::start(const PreparedWorkflow& workflow, const Value& input,
                                              const WorkflowRunOptions& options) const {
  const PreparedWorkflow::Impl& impl = *workflow.impl_;
  std::string run_id = new_uuid_v4();
  std::string request_id = options.request_id.empty() ? run_id : options.request_id;
  auto run = std::make_shared<workflow_detail::RunState>(workflow.impl_, runner_, options_.broker,
                                                         options_.scheduler, std::move(run_id),
                                                         std::move(request_id), options.scope);
  const RunContext& context = run->context;

  // The raw input is checked against the workflow input schema (reference: WorkflowInvalid).
  if (impl.input_validator) {
    ValidationErrors violations = impl.input_validator->validate(input);
    if (!violations.empty()) {
      std::string message = "workflow input does not match the input schema of " +
                            impl.definition.key() + ": " + to_string(violations.front());
      if (violations.size() > 1) {
        message += " (and " + std::to_string(violations.size() - 1) + " more)";
      }
      auto error = workflow_detail::traversal_error(
          WorkflowFailureReason::WorkflowInvalid, "request_invalid", std::move(message),
          std::nullopt, std::nullopt, workflow_detail::violations_json(violations));
      return Completion<WorkflowRun>::fulfilled(
          workflow_detail::assemble_run(context, {}, std::nullopt, std::move(error)));
    }
  }
  Value state = input.is_object() ? input : Value{{"input", input}};
  CompletionPromise<WorkflowRun> promise;
  Completion<WorkflowRun> completion = promise.completion();
  if (impl.parallel) {
    workflow_detail::start_parallel(std::move(run), std::move(state), options_.max_parallelism,
                                    std::move(promise));
  } else {
    workflow_detail::start_sequential(std::move(run), std::move(state), std::move(promise));
  }
  return completion;
}

WorkflowRun rejected_workflow_run(std::string_view request_id, std::string_view workflow_id,
                                  std::string_view workflow_version, WorkflowRunError error) {
  // The evidence is assembled exactly as for a traversal that stopped before its first step.
  class NoSteps final : public StepRunner {
   public:
    std::expected<StepOutcome, StepFailure> run_step(const StepRequest&) const override {
      return std::unexpected(StepFailure{});
    }
  };
  PreparedWorkflow::Impl empty;
  empty.definition.id = workflow_id;
  empty.definition.version = workflow_version;
  const NoSteps no_steps;
  const std::string run_id = new_uuid_v4();
  const std::string request = request_id.empty() ? run_id : std::string(request_id);
  const RunContext context{empty,
                           no_steps,
                           nullptr,
                           run_id,
                           request,
                           "workflow_exec_" + request,
                           LookupScope::PublicOnly};
  return workflow_detail::assemble_run(context, {}, std::nullopt, std::move(error));
}

}  // namespace traverse
