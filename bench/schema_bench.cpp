// SchemaValidator: the cost of compiling a contract input schema versus validating against the
// compiled form. validate() walks only the compiled node table, so validating should cost a
// small fraction of compile + validate (the price a validator that re-reads the schema JSON
// on every call would pay).
//
// Run: build/release/bench/schema_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string_view>

#include "traverse/contracts/schema_validator.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/json/value.hpp"

namespace {

// The input schema of the expedition example's "assess conditions" step, plus a few of the other
// keywords contracts use (format, pattern, uniqueItems, $ref).
constexpr std::string_view kSchema = R"({
  "type": "object",
  "required": ["captured_objective", "intent", "team"],
  "additionalProperties": false,
  "definitions": {
    "member": {
      "type": "object",
      "required": ["name", "role", "certified_until"],
      "additionalProperties": false,
      "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 80},
        "role": {"type": "string", "enum": ["lead", "guide", "medic", "member"]},
        "certified_until": {"type": "string", "format": "date"},
        "experience_years": {"type": "integer", "minimum": 0, "maximum": 70}
      }
    }
  },
  "properties": {
    "captured_objective": {
      "type": "object",
      "required": ["objective_id", "title", "region", "start_date", "duration_days"],
      "additionalProperties": false,
      "properties": {
        "objective_id": {"type": "string", "pattern": "^obj-[0-9a-f]{8}$"},
        "title": {"type": "string", "minLength": 1},
        "region": {"type": "string", "minLength": 1},
        "start_date": {"type": "string", "format": "date"},
        "duration_days": {"type": "integer", "minimum": 1, "maximum": 60}
      }
    },
    "intent": {
      "type": "object",
      "required": ["activity", "difficulty", "keywords"],
      "additionalProperties": false,
      "properties": {
        "activity": {"type": "string", "enum": ["alpine_ascent", "trek", "expedition"]},
        "difficulty": {"type": "string", "enum": ["low", "moderate", "high"]},
        "keywords": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}
      }
    },
    "team": {"type": "array", "minItems": 1, "maxItems": 12, "items": {"$ref": "#/definitions/member"}},
    "requested_at": {"type": "string", "format": "date-time"}
  }
})";

constexpr std::string_view kValidInstance = R"({
  "captured_objective": {"objective_id": "obj-1a2b3c4d", "title": "Traverse the ridge",
                         "region": "Alps", "start_date": "2026-07-01", "duration_days": 9},
  "intent": {"activity": "alpine_ascent", "difficulty": "high",
             "keywords": ["glacier", "ridge", "hut"]},
  "team": [
    {"name": "Ada", "role": "lead", "certified_until": "2027-03-31", "experience_years": 12},
    {"name": "Bo", "role": "medic", "certified_until": "2026-12-31"},
    {"name": "Cy", "role": "member", "certified_until": "2028-01-15", "experience_years": 2}
  ],
  "requested_at": "2026-06-01T08:30:00.000Z"
})";

constexpr std::string_view kInvalidInstance = R"({
  "captured_objective": {"objective_id": "objective-7", "title": "", "region": "Alps",
                         "start_date": "2026-02-30", "duration_days": 0},
  "intent": {"activity": "ski", "difficulty": "high", "keywords": ["a", "a"]},
  "team": [{"name": "Ada", "role": "lead"}, {"name": "Bo", "role": "cook",
            "certified_until": "soon", "extra": true}],
  "requested_at": "yesterday"
})";

traverse::Value must_parse(std::string_view text) {
  auto parsed = traverse::parse_json(text);
  if (!parsed)
    std::abort();
  return std::move(*parsed);
}

traverse::SchemaValidator must_compile(const traverse::Value& schema) {
  auto compiled = traverse::SchemaValidator::compile(schema);
  if (!compiled)
    std::abort();
  return std::move(*compiled);
}

void BM_SchemaCompile(benchmark::State& state) {
  const traverse::Value schema = must_parse(kSchema);
  for (auto _ : state) {
    auto compiled = traverse::SchemaValidator::compile(schema);
    benchmark::DoNotOptimize(compiled);
  }
}
BENCHMARK(BM_SchemaCompile);

void BM_SchemaValidateValid(benchmark::State& state) {
  const traverse::SchemaValidator validator = must_compile(must_parse(kSchema));
  const traverse::Value instance = must_parse(kValidInstance);
  for (auto _ : state) {
    auto errors = validator.validate(instance);
    benchmark::DoNotOptimize(errors);
  }
}
BENCHMARK(BM_SchemaValidateValid);

void BM_SchemaIsValid(benchmark::State& state) {
  const traverse::SchemaValidator validator = must_compile(must_parse(kSchema));
  const traverse::Value instance = must_parse(kValidInstance);
  for (auto _ : state) {
    benchmark::DoNotOptimize(validator.is_valid(instance));
  }
}
BENCHMARK(BM_SchemaIsValid);

void BM_SchemaValidateInvalid(benchmark::State& state) {
  const traverse::SchemaValidator validator = must_compile(must_parse(kSchema));
  const traverse::Value instance = must_parse(kInvalidInstance);
  for (auto _ : state) {
    auto errors = validator.validate(instance);
    benchmark::DoNotOptimize(errors);
  }
  state.counters["violations"] = static_cast<double>(validator.validate(instance).size());
}
BENCHMARK(BM_SchemaValidateInvalid);

// What each validation would cost if the schema were processed on every call.
void BM_SchemaCompileThenValidate(benchmark::State& state) {
  const traverse::Value schema = must_parse(kSchema);
  const traverse::Value instance = must_parse(kValidInstance);
  for (auto _ : state) {
    auto compiled = traverse::SchemaValidator::compile(schema);
    auto errors = compiled->validate(instance);
    benchmark::DoNotOptimize(errors);
  }
}
BENCHMARK(BM_SchemaCompileThenValidate);

void BM_CanonicalDump(benchmark::State& state) {
  const traverse::Value instance = must_parse(kValidInstance);
  for (auto _ : state) {
    auto text = traverse::canonical_dump(instance);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_CanonicalDump);

}  // namespace

BENCHMARK_MAIN();
