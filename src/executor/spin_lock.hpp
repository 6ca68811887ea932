// src/executor/spin_lock.hpp (internal) — a test-and-test-and-set lock for critical sections of
// a few instructions (the thread pool's queue links).
//
// Spins with a CPU pause, then yields the CPU, so a holder preempted on an oversubscribed machine
// gets to run. Never use it around anything that can block or take long.
//
// Thread safety: lock/unlock from any threads; not recursive.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstdint>

namespace traverse::executor_detail {

class SpinLock {
 public:
  void lock() {
    for (;;) {
      if (!locked_.exchange(true, std::memory_order_acquire)) {
        return;
      }
      for (std::uint32_t spins = 0; locked_.load(std::memory_order_relaxed); ++spins) {
        if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause();
#elif defined(__aarch64__)
          asm volatile("yield" ::: "memory");
#endif
        } else {
          sched_yield();
        }
      }
    }
  }

  void unlock() {
    locked_.store(false, std::memory_order_release);
  }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace traverse::executor_detail
