// How busy the machine's CPUs are right now: read by the host (whether to poll a worker instead
// of sleeping) and by the compile child (how many compiler processes to run at once).
// Thread-safe (the only state is /proc/loadavg, opened once per process, close-on-exec).
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

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
// -1 if unreadable. The host reads it on its call path (at most once a millisecond), so the
// file stays open (one descriptor for the process's life) and each reading is one pread.
inline int runnable_threads_now() {
  static const int fd = ::open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  char text[128];
  const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
  if (got <= 0)
    return -1;
  // "0.52 0.58 0.59 2/345 12345": past the three averages.
  const char* field = text;
  const char* const end = text + got;
  for (int spaces = 0; spaces < 3; ++spaces) {
    field =
        static_cast<const char*>(std::memchr(field, ' ', static_cast<std::size_t>(end - field)));
    if (field == nullptr)
      return -1;
    ++field;
  }
  int running = 0;
  const auto parsed = std::from_chars(field, end, running);
  return parsed.ec == std::errc{} && parsed.ptr != end && *parsed.ptr == '/' ? running : -1;
}

}  // namespace traverse::wasm_internal
