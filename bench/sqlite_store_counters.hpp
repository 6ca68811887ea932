// bench/sqlite_store_counters.hpp — what a SqliteTraceStore did during a benchmark, as Google
// Benchmark counters (shared by the benchmarks that write traces to SQLite).
#pragma once

#include <benchmark/benchmark.h>

#include "traverse/trace/sqlite_trace_store.hpp"

namespace traverse::bench {

// On the benchmark's thread 0: the counters of `store` between `before` (taken before this
// thread's loop) and now — the group-commit batch (entries_per_commit) and the checkpoints of
// each kind. The other threads run at the same time, so these describe the whole run. Nothing
// when `store` is null or committed nothing.
inline void report_sqlite_counters(benchmark::State& state, const SqliteTraceStore* store,
                                   const SqliteTraceStoreStats& before) {
  if (store == nullptr || state.thread_index() != 0) {
    return;
  }
  const SqliteTraceStoreStats after = store->stats();
  if (after.commits <= before.commits) {
    return;
  }
  state.counters["entries_per_commit"] =
      static_cast<double>(after.committed_entries - before.committed_entries) /
      static_cast<double>(after.commits - before.commits);
  state.counters["inline_checkpoints"] =
      static_cast<double>(after.inline_checkpoints - before.inline_checkpoints);
  state.counters["background_checkpoints"] =
      static_cast<double>(after.background_checkpoints - before.background_checkpoints);
}

}  // namespace traverse::bench
