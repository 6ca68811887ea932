// Governing spec: 001-artifact-formats
//
// The JSON Schema files under schemas/ (one per artifact kind, installed with the library):
// each compiles with the project's own SchemaValidator, every example artifact in examples/
// validates against the schema of its kind, and a document the loader rejects for a missing
// required field is rejected by the schema too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "contracts_test_support.hpp"
#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/event_contract.hpp"
#include "traverse/contracts/runtime_request.hpp"
#include "traverse/contracts/schema_validator.hpp"
#include "traverse/contracts/workflow_definition.hpp"

namespace traverse {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::string>& schema_files() {
  static const std::map<std::string, std::string> files = {
      {"capability_contract", "capability_contract.schema.json"},
      {"event_contract", "event_contract.schema.json"},
      {"workflow_definition", "workflow_definition.schema.json"},
      {"registry_bundle", "registry_bundle.schema.json"},
      {"capability_package", "capability_package.schema.json"},
      {"runtime_request", "runtime_request.schema.json"},
  };
  return files;
}

std::string describe(const ValidationErrors& errors) {
  std::string text;
  for (const auto& error : errors) {
    text += to_string(error) + "\n";
  }
  return text;
}

SchemaValidator compile_schema(const std::string& kind) {
  const fs::path path = test::source_dir() / "schemas" / schema_files().at(kind);
  auto compiled = SchemaValidator::compile(test::read_json(path));
  if (!compiled) {
    ADD_FAILURE() << path << " does not compile: " << describe(compiled.error());
    return *SchemaValidator::compile(Value::object());
  }
  return std::move(*compiled);
}

// The artifact kind of a document, as the loaders dispatch on it (a bundle has no `kind`).
std::optional<std::string> kind_of(const Value& document) {
  if (!document.is_object()) {
    return std::nullopt;
  }
  if (const auto it = document.find("kind"); it != document.end() && it->is_string()) {
    return it->get<std::string>();
  }
  if (document.contains("bundle_id")) {
    return "registry_bundle";
  }
  return std::nullopt;
}

TEST(ArtifactSchemas, EverySchemaFileCompilesWithTheProjectsValidator) {
  for (const auto& [kind, file] : schema_files()) {
    const fs::path path = test::source_dir() / "schemas" / file;
    ASSERT_TRUE(fs::exists(path)) << path;
    const Value schema = test::read_json(path);
    EXPECT_EQ(schema.value("$schema", ""), "https://json-schema.org/draft/2020-12/schema") << file;
    EXPECT_TRUE(SchemaValidator::compile(schema).has_value()) << file;
  }
}

TEST(ArtifactSchemas, EveryExampleArtifactValidatesAgainstTheSchemaOfItsKind) {
  std::map<std::string, SchemaValidator> validators;
  for (const auto& [kind, file] : schema_files()) {
    validators.emplace(kind, compile_schema(kind));
  }
  std::map<std::string, int> checked;
  for (const auto& entry : fs::recursive_directory_iterator(test::source_dir() / "examples")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") {
      continue;
    }
    const Value document = test::read_json(entry.path());
    const auto kind = kind_of(document);
    if (!kind) {
      continue;  // a plain input document
    }
    const auto validator = validators.find(*kind);
    ASSERT_NE(validator, validators.end()) << entry.path() << ": no schema for kind " << *kind;
    const auto violations = validator->second.validate(document);
    EXPECT_TRUE(violations.empty()) << entry.path() << ":\n" << describe(violations);
    ++checked[*kind];
  }
  // The expedition example holds every kind; the embedding example adds one contract.
  EXPECT_EQ(checked["capability_contract"], 7);
  EXPECT_EQ(checked["event_contract"], 5);
  EXPECT_EQ(checked["workflow_definition"], 1);
  EXPECT_EQ(checked["registry_bundle"], 1);
  EXPECT_EQ(checked["capability_package"], 5);
  EXPECT_GE(checked["runtime_request"], 1);
}

// The ```json blocks of a document under docs/.
std::vector<Value> json_blocks(const std::string& doc) {
  std::ifstream in(test::source_dir() / "docs" / doc);
  std::vector<Value> blocks;
  std::string block;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (!inside && line == "```json") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      auto parsed = parse_json(block);
      EXPECT_TRUE(parsed.has_value()) << doc << ": a json block does not parse:\n" << block;
      if (parsed) {
        blocks.push_back(std::move(*parsed));
      }
    } else if (inside) {
      block += line + "\n";
    }
  }
  return blocks;
}

// Whether the artifact's own loader accepts `document` (kinds that need no other files).
bool loader_accepts(const std::string& kind, const Value& document, std::string& errors) {
  ValidationErrors found;
  if (kind == "capability_contract") {
    if (auto parsed = parse_capability_contract(document); !parsed) {
      found = parsed.error();
    }
  } else if (kind == "event_contract") {
    if (auto parsed = parse_event_contract(document); !parsed) {
      found = parsed.error();
    }
  } else if (kind == "workflow_definition") {
    if (auto parsed = parse_workflow_definition(document); !parsed) {
      found = parsed.error();
    }
  } else if (kind == "runtime_request") {
    if (auto parsed = parse_runtime_request(document); !parsed) {
      found = parsed.error();
    }
  }
  errors = describe(found);
  return found.empty();
}

TEST(ArtifactSchemas, EveryTemplateInTheDocsValidatesAgainstItsSchemaAndLoader) {
  std::map<std::string, int> checked;
  for (const std::string doc : {"formats.md", "getting-started.md"}) {
    for (const Value& document : json_blocks(doc)) {
      const auto kind = kind_of(document);
      if (!kind) {
        continue;  // e.g. a workflow input
      }
      const auto violations = compile_schema(*kind).validate(document);
      EXPECT_TRUE(violations.empty()) << doc << " " << *kind << ":\n" << describe(violations);
      std::string errors;
      EXPECT_TRUE(loader_accepts(*kind, document, errors)) << doc << " " << *kind << ":\n"
                                                           << errors;
      ++checked[*kind];
    }
  }
  // formats.md has one template per kind; getting-started.md adds a workflow and a bundle.
  EXPECT_EQ(checked.size(), schema_files().size());
  EXPECT_EQ(checked["workflow_definition"], 2);
  EXPECT_EQ(checked["registry_bundle"], 2);
}

TEST(ArtifactSchemas, SchemaAndLoaderBothRejectAContractWithoutItsSummary) {
  Value contract =
      test::read_json(test::expedition_dir() / "contracts" / "capture-expedition-objective.json");
  contract.erase("summary");
  EXPECT_FALSE(parse_capability_contract(contract).has_value());
  const auto violations = compile_schema("capability_contract").validate(contract);
  ASSERT_EQ(violations.size(), 1U) << describe(violations);
  EXPECT_EQ(violations.front().path(), "$.summary");
}

TEST(ArtifactSchemas, PackageSchemaRejectsADigestThatIsNotFnv1a64) {
  Value package = test::read_json(test::expedition_dir() / "capabilities" /
                                  "capture-expedition-objective" / "package.json");
  package["binary"]["expected_digest"] = "sha256:00";
  const auto violations = compile_schema("capability_package").validate(package);
  ASSERT_EQ(violations.size(), 1U) << describe(violations);
  EXPECT_EQ(violations.front().path(), "$.binary.expected_digest");
}

TEST(ArtifactSchemas, WorkflowSchemaAcceptsBothSchemaVersionsAndNoOther) {
  Value workflow = test::read_json(test::expedition_dir() / "workflows" / "plan-expedition.json");
  const SchemaValidator validator = compile_schema("workflow_definition");
  workflow["schema_version"] = "1.1.0";
  EXPECT_TRUE(validator.is_valid(workflow));
  workflow["schema_version"] = "2.0.0";
  EXPECT_FALSE(validator.is_valid(workflow));
}

}  // namespace
}  // namespace traverse
