// The pause between two polls of the host–worker socket, shared by both sides of the round trip.
// Thread-safe (no state).
#pragma once

namespace traverse::wasm_internal {

// The CPU's spin-wait hint, 64 times (a fraction of a microsecond). Not sched_yield: a yielding
// thread loses its place and waits milliseconds on a busy machine; host and worker poll only
// when the CPUs are not contended.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  for (int i = 0; i < 64; ++i)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
  for (int i = 0; i < 64; ++i)
    asm volatile("yield");
#endif
}

}  // namespace traverse::wasm_internal
