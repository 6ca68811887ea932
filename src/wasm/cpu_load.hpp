// How busy the machine's CPUs are right now: read by the host (whether to poll a worker instead
// of sleeping) and by the compile child (how many compiler processes to run at once).
// Thread-safe (no state).
#pragma once

#include <sched.h>

#include <algorithm>
#include <cstdio>

namespace traverse::wasm_internal {

// The number of CPUs this process may run on (at least 1).
inline int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof set, &set) == 0 ? std::max(CPU_COUNT(&set), 1) : 1;
}

// Threads runnable now, the caller included: the fourth field of /proc/loadavg
// ("running/total"), the kernel's instantaneous count. The load averages lag by a minute: a
// machine that just became idle still looks busy, and one that just became busy looks idle.
// -1 if unreadable.
inline int runnable_threads_now() {
  std::FILE* file = std::fopen("/proc/loadavg", "re");
  if (file == nullptr)
    return -1;
  double averages[3] = {0, 0, 0};
  int running = -1;
  int total = 0;
  if (std::fscanf(file, "%lf %lf %lf %d/%d", &averages[0], &averages[1], &averages[2], &running,
                  &total) != 5)
    running = -1;
  std::fclose(file);
  return running;
}

}  // namespace traverse::wasm_internal
