/* The expedition capability assess-expedition-conditions compiled natively, for wasm_bench's
 * "direct native C call of the same logic" baseline. The very same C sources as the .wasm module
 * (examples/expedition/capabilities), with stdin/stdout, the emit_event import, exit and the
 * allocator redirected to in-memory buffers (a bump arena reset per call, as a fresh wasm
 * instance would be). Not thread-safe: one call at a time. */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

ssize_t bench_read(int fd, void* out, size_t size);
ssize_t bench_write(int fd, const void* data, size_t size);
void* bench_malloc(size_t size);
void* bench_realloc(void* old, size_t size);
void bench_free(void* memory);
_Noreturn void bench_exit(int status);

#define read bench_read
#define write bench_write
#define malloc bench_malloc
#define realloc bench_realloc
#define free bench_free
#define exit bench_exit
#define main assess_main
#define import_module(x) unused
#define import_name(x) unused
#include "../examples/expedition/capabilities/assess-expedition-conditions/assess_expedition_conditions.c"
#include "../examples/expedition/capabilities/common/expedition.c"
#include "../src/guest/guest.c"
#include "../src/guest/json.c"
#undef read
#undef write
#undef malloc
#undef realloc
#undef free
#undef exit
#undef main

enum { kArenaBytes = 1 << 20, kOutputBytes = 64 * 1024 };
static _Alignas(16) unsigned char arena[kArenaBytes];
static size_t arena_used;
static const char* input_data;
static size_t input_size;
static size_t input_offset;
static char output[kOutputBytes];
static size_t output_length;
static size_t events;
static jmp_buf guest_exited;

void* bench_malloc(size_t size) {
  const size_t rounded = (size + sizeof(size_t) + 15) & ~(size_t)15;
  if (arena_used + rounded > kArenaBytes)
    return NULL;
  unsigned char* block = arena + arena_used;
  arena_used += rounded;
  memcpy(block, &size, sizeof size);
  return block + sizeof(size_t);
}

void* bench_realloc(void* old, size_t size) {
  void* grown = bench_malloc(size);
  if (grown != NULL && old != NULL) {
    size_t old_size = 0;
    memcpy(&old_size, (unsigned char*)old - sizeof(size_t), sizeof old_size);
    memcpy(grown, old, old_size < size ? old_size : size);
  }
  return grown;
}

void bench_free(void* memory) {
  (void)memory;
}

_Noreturn void bench_exit(int status) {
  longjmp(guest_exited, status + 1);
}

ssize_t bench_read(int fd, void* out, size_t size) {
  if (fd != 0)
    return -1;
  const size_t left = input_size - input_offset;
  const size_t n = left < size ? left : size;
  memcpy(out, input_data + input_offset, n);
  input_offset += n;
  return (ssize_t)n;
}

ssize_t bench_write(int fd, const void* data, size_t size) {
  if (fd != 1)
    return (ssize_t)size; /* stderr: dropped */
  if (output_length + size > kOutputBytes)
    return -1;
  memcpy(output + output_length, data, size);
  output_length += size;
  return (ssize_t)size;
}

int32_t traverse_host_emit_event(const char* ptr, int32_t len) {
  (void)ptr;
  (void)len;
  ++events;
  return 0;
}

/* Runs the capability on `input`; returns its exit status and sets *out / *out_length to its
 * stdout (valid until the next call). */
int assess_expedition_conditions_native(const char* input, size_t length, const char** out,
                                        size_t* out_length) {
  arena_used = 0;
  input_data = input;
  input_size = length;
  input_offset = 0;
  input_length = 0; /* guest.c's state, as in a fresh instance */
  input_bytes = NULL;
  output_length = 0;
  int status = setjmp(guest_exited);
  if (status == 0)
    status = assess_main();
  else
    status -= 1;
  *out = output;
  *out_length = output_length;
  return status;
}
