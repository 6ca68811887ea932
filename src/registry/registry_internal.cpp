#include "registry_internal.hpp"

#include "traverse/support/digest.hpp"

namespace traverse::registry_internal {
namespace {

Value event_refs_json(const std::vector<EventReference>& refs) {
  Value out = Value::array();
  for (const auto& ref : refs) {
    out.push_back(Value{{"event_id", ref.event_id}, {"version", ref.version}});
  }
  return out;
}

Value targets_json(const std::vector<ExecutionTarget>& targets) {
  Value out = Value::array();
  for (const auto target : targets) {
    out.push_back(std::string(to_string(target)));
  }
  return out;
}

Value without_evidence(const Value& document) {
  Value copy = document;
  if (copy.is_object()) {
    copy.erase("evidence");
  }
  return copy;
}

std::string digest_of(const Value& value) {
  return "sha256:" + sha256_hex(canonical_dump(value));
}

}  // namespace

std::string_view lookup_scope_name(LookupScope scope) {
  return scope == LookupScope::PublicOnly ? "public_only" : "prefer_private";
}

std::string scope_note(LookupScope scope) {
  return scope == LookupScope::PublicOnly
             ? " (lookup scope public_only: private records are not visible)"
             : std::string();
}

std::vector<Scope> scopes_for(LookupScope scope) {
  if (scope == LookupScope::PublicOnly) {
    return {Scope::Public};
  }
  return {Scope::Private, Scope::Public};
}

std::string capability_fingerprint(const CapabilityContract& c) {
  Value v = Value::object();
  v["document"] = without_evidence(c.document);
  v["id"] = c.id;
  v["namespace"] = c.namespace_name;
  v["name"] = c.name;
  v["version"] = c.version;
  v["lifecycle"] = std::string(to_string(c.lifecycle));
  v["owner"] = Value{{"team", c.owner.team}, {"contact", c.owner.contact}};
  v["summary"] = c.summary;
  v["description"] = c.description;
  v["inputs"] = c.input_schema;
  v["outputs"] = c.output_schema;
  v["emits"] = event_refs_json(c.emits);
  v["consumes"] = event_refs_json(c.consumes);
  v["service_type"] = std::string(to_string(c.service_type));
  v["event_trigger"] = c.event_trigger ? Value(*c.event_trigger) : Value(nullptr);
  v["permitted_targets"] = targets_json(c.permitted_targets);
  v["preferred_targets"] = targets_json(c.preferred_targets);
  v["binary_format"] = c.binary_format;
  v["entrypoint"] = Value{{"kind", c.entrypoint_kind}, {"command", c.entrypoint_command}};
  v["constraints"] = Value{{"host_api_access", c.constraints.host_api_access},
                           {"network_access", c.constraints.network_access},
                           {"filesystem_access", c.constraints.filesystem_access}};
  v["exception_refs"] = c.exception_refs;
  v["workflow_ref"] = c.workflow_ref ? Value{{"workflow_id", c.workflow_ref->workflow_id},
                                             {"workflow_version", c.workflow_ref->workflow_version}}
                                     : Value(nullptr);
  v["artifact_type"] = c.artifact_type;
  return digest_of(v);
}

std::string workflow_fingerprint(const WorkflowDefinition& w) {
  Value v = Value::object();
  v["document"] = w.document;
  v["schema_version"] = w.schema_version;
  v["id"] = w.id;
  v["name"] = w.name;
  v["version"] = w.version;
  v["lifecycle"] = std::string(to_string(w.lifecycle));
  v["owner"] = Value{{"team", w.owner.team}, {"contact", w.owner.contact}};
  v["summary"] = w.summary;
  v["inputs"] = w.input_schema;
  v["outputs"] = w.output_schema;
  Value nodes = Value::array();
  for (const auto& node : w.nodes) {
    nodes.push_back(
        Value{{"node_id", node.node_id},
              {"capability_id", node.capability_id},
              {"capability_version", node.capability_version},
              {"from_workflow_input", node.from_workflow_input},
              {"to_workflow_state", node.to_workflow_state},
              {"publish_to_state_as",
               node.publish_to_state_as ? Value(*node.publish_to_state_as) : Value(nullptr)}});
  }
  v["nodes"] = std::move(nodes);
  Value edges = Value::array();
  for (const auto& edge : w.edges) {
    Value e{{"edge_id", edge.edge_id},
            {"from", edge.from},
            {"to", edge.to},
            {"trigger", edge.trigger == EdgeTrigger::Direct ? "direct" : "event"}};
    e["event"] = edge.event
                     ? Value{{"event_id", edge.event->event_id}, {"version", edge.event->version}}
                     : Value(nullptr);
    e["predicate"] =
        edge.predicate ? Value{{"field", edge.predicate->field}, {"equals", edge.predicate->equals}}
                       : Value(nullptr);
    edges.push_back(std::move(e));
  }
  v["edges"] = std::move(edges);
  v["start_node"] = w.start_node;
  v["terminal_nodes"] = w.terminal_nodes;
  v["output_projection"] = w.output_projection;
  v["tags"] = w.tags;
  return digest_of(v);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += ", ";
    }
    out += item;
  }
  return out;
}

}  // namespace traverse::registry_internal
