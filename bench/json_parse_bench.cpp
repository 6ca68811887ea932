// parse_json (strict SAX parse into our own DOM builder: nesting limit, duplicate keys, memory
// budget) against nlohmann's own DOM parser (Value::parse) on the same text, in the same run.
// The ratio parse_json / Value::parse is the price of the strict checks and the memory account.
//
// Every benchmark also reports the memory one parse leaves allocated (glibc mallinfo2: the heap
// bytes in use, chunk headers included, after minus before) as `dom_bytes` and `dom_factor`
// (dom_bytes / text bytes), next to `text_bytes`; parse_json's benchmarks add `model_bytes`, the
// heap dom_memory.hpp's model counts for the same Value (what the budget is checked against). The
// pathological shapes show what the memory budget (kParseMemoryFactor) has to refuse; the realistic
// ones what it must always accept.
//
// Run: build/release/bench/json_parse_bench (a release build, not under a sanitizer: the
// sanitizers replace malloc, and mallinfo2 then reports nothing).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "traverse/json/dom_memory.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/json/value.hpp"

namespace {

std::string read_example(const char* relative) {
  std::ifstream in(std::string(TRAVERSE_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A runtime request whose input is `members` team members with names, free text and lists (the
// expedition request's shape, scaled up): mostly strings, as real requests are.
std::string large_request(int members) {
  std::string text = R"({"kind": "runtime_request", "schema_version": "1.0.0",
  "request_id": "expedition-plan-large",
  "intent": {"capability_id": "expedition.planning.plan-expedition", "capability_version": "1.0.0"},
  "input": {"objective": "Summit Mont Blanc by the Gouter route", "region": "Mont Blanc massif",
    "start_date": "2027-07-14", "duration_days": 4, "team": [)";
  for (int i = 0; i < members; ++i) {
    if (i != 0) {
      text += ",\n";
    }
    text +=
        R"({"name": "Member )" + std::to_string(i) +
        R"(", "experience": "intermediate", "notes": "Prefers the early start; carries the second rope and the stove.", "certifications": ["wilderness-first-aid", "glacier-travel"], "age": )" +
        std::to_string(20 + i % 40) + "}";
  }
  text += R"(]}, "lookup": {"scope": "prefer_private", "allow_ambiguity": false},
  "context": {"requested_target": "local", "correlation_id": "expedition-demo-001"}})";
  return text;
}

// `[item,item,...]` of about `bytes` bytes.
std::string repeated_array(std::string_view item, std::size_t bytes) {
  std::string text = "[";
  while (text.size() + item.size() + 2 < bytes) {
    if (text.size() > 1) {
      text += ',';
    }
    text += item;
  }
  text += ']';
  return text;
}

std::size_t heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// Heap bytes the parsed Value holds (0 under a sanitizer, whose malloc mallinfo2 cannot see).
template <class Parse>
std::size_t dom_bytes(const std::string& text, Parse parse) {
  malloc_trim(0);
  const std::size_t before = heap_in_use();
  auto value = parse(text);
  const std::size_t after = heap_in_use();
  benchmark::DoNotOptimize(value);
  return after > before ? after - before : 0;
}

void report(benchmark::State& state, const std::string& text, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["text_bytes"] = static_cast<double>(text.size());
  state.counters["dom_bytes"] = static_cast<double>(bytes);
  state.counters["dom_factor"] = static_cast<double>(bytes) / static_cast<double>(text.size());
}

void BM_NlohmannParse(benchmark::State& state, const std::string& text) {
  const auto parse = [](const std::string& t) { return traverse::Value::parse(t, nullptr, false); };
  for (auto _ : state) {
    auto value = parse(text);
    benchmark::DoNotOptimize(value);
  }
  report(state, text, dom_bytes(text, parse));
}

void BM_ParseJson(benchmark::State& state, const std::string& text) {
  const auto parse = [](const std::string& t) { return traverse::parse_json(t); };
  for (auto _ : state) {
    auto value = parse(text);
    if (!value) {
      state.SkipWithError(value.error().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(value);
  }
  report(state, text, dom_bytes(text, parse));
  // The account parse_json keeps (dom_memory.hpp), to compare with the measured dom_bytes.
  if (auto value = parse(text)) {
    state.counters["model_bytes"] = static_cast<double>(traverse::dom_heap_bytes(*value));
  }
}

void register_pair(const std::string& name, std::string text) {
  benchmark::RegisterBenchmark(("NlohmannParse/" + name).c_str(), BM_NlohmannParse, text);
  benchmark::RegisterBenchmark(("ParseJson/" + name).c_str(), BM_ParseJson, std::move(text));
}

// Pathological shapes: measured once each (memory, not speed).
void register_shape(const std::string& name, std::string text) {
  benchmark::RegisterBenchmark(("NlohmannParse/" + name).c_str(), BM_NlohmannParse, text)
      ->Iterations(1);
  benchmark::RegisterBenchmark(("ParseJson/" + name).c_str(), BM_ParseJson, std::move(text))
      ->Iterations(1);
}

const bool registered = [] {
  register_pair("contract_assemble_plan",
                read_example("examples/expedition/contracts/assemble-expedition-plan.json"));
  register_pair("workflow_plan",
                read_example("examples/expedition/workflows/plan-expedition.json"));
  register_pair("bundle", read_example("examples/expedition/bundle.json"));
  register_pair("request_plan", read_example("examples/expedition/requests/plan-expedition.json"));
  register_pair("large_request_1MB", large_request(5000));
  constexpr std::size_t kShapeBytes = std::size_t{8} << 20;
  register_shape("empty_objects_8MB", repeated_array("{}", kShapeBytes));
  register_shape("zeros_8MB", repeated_array("0", kShapeBytes));
  register_shape("empty_arrays_8MB", repeated_array("[]", kShapeBytes));
  register_shape("empty_strings_8MB", repeated_array(R"("")", kShapeBytes));
  register_shape("tiny_records_8MB", repeated_array(R"({"x":1,"y":2})", kShapeBytes));
  register_shape("points_8MB", repeated_array(R"({"lat":51.5072,"lon":-0.1276})", kShapeBytes));
  register_shape("words_8MB", repeated_array(R"("glacier-travel")", kShapeBytes));
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
