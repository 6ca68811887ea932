/* traverse/guest.h — the Traverse guest SDK for WebAssembly capabilities written in C.
 *
 * A capability is a wasm32-wasip1 command module: main() reads one JSON value (the input,
 * canonical JSON: compact, keys sorted) from stdin and writes exactly one JSON value to stdout.
 * This header covers everything around the capability's own logic:
 *   - input:   traverse_read_input() parses stdin; traverse_require_*() read members or fail
 *              naming the JSON path;
 *   - output:  a JSON writer (traverse_writer_*) and traverse_write_output();
 *   - events:  traverse_emit_event() through the host ABI 1.0.0 import traverse_host.emit_event;
 *   - logging: traverse_log() and traverse_fail() (stderr; exit status 2);
 *   - JSON:    a small reader (traverse_json_*) and a growing text buffer (traverse_text_*).
 *
 * Build (the command `traverse package build` runs; docs/wasm-capabilities-in-c.md):
 *   clang --target=wasm32-wasi -std=c11 -O2 -g0 -Wall -Wextra -Wconversion -Werror \
 *         -I<prefix>/include my_capability.c -L<prefix>/lib/wasm32-wasi -ltraverse_guest \
 *         -Wl,--strip-all -o my_capability.wasm
 *
 * Memory: a guest runs once and exits, so parsed values and writer buffers are allocated with
 * malloc and may simply be left to the process exit (traverse_writer_free() exists for loops).
 * An allocation failure ends the guest through traverse_fail("out of memory").
 * Thread safety: none needed (a guest is single-threaded). */
#ifndef TRAVERSE_GUEST_H
#define TRAVERSE_GUEST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- JSON values (reader) ---- */

typedef enum {
  TRAVERSE_JSON_NULL,
  TRAVERSE_JSON_BOOL,
  TRAVERSE_JSON_NUMBER,
  TRAVERSE_JSON_STRING,
  TRAVERSE_JSON_ARRAY,
  TRAVERSE_JSON_OBJECT
} traverse_json_type;

typedef struct traverse_json traverse_json;
struct traverse_json {
  traverse_json_type type;
  int boolean;           /* TRAVERSE_JSON_BOOL */
  int is_integer;        /* TRAVERSE_JSON_NUMBER without fraction or exponent, fits int64 */
  long long integer;     /* TRAVERSE_JSON_NUMBER when is_integer */
  double number;         /* TRAVERSE_JSON_NUMBER, always */
  char* string;          /* TRAVERSE_JSON_STRING: decoded UTF-8, NUL-terminated */
  size_t count;          /* TRAVERSE_JSON_ARRAY / _OBJECT: number of items */
  traverse_json** items; /* array items / object values */
  char** keys;           /* object keys (decoded, NUL-terminated), parallel to items */
};

/* Parses exactly one JSON value (whitespace around it allowed). NULL on error, with *error (if
 * not NULL) pointing at a static description. Nesting deeper than 64 levels is an error. */
traverse_json* traverse_json_parse(const char* text, size_t length, const char** error);

/* The member `key` of an object, or NULL (also when `object` is NULL or not an object). */
const traverse_json* traverse_json_get(const traverse_json* object, const char* key);
/* The text of a string value, or NULL. */
const char* traverse_json_string(const traverse_json* value);
/* 1 and *out set when `value` is an integer, else 0. */
int traverse_json_integer(const traverse_json* value, long long* out);
/* 1 and *out set when `value` is a number (integer or not), else 0. */
int traverse_json_number(const traverse_json* value, double* out);
/* 1 and *out set when `value` is true or false, else 0. */
int traverse_json_bool(const traverse_json* value, int* out);
/* Whether `array` is an array containing the string `text`. */
int traverse_json_array_has_string(const traverse_json* array, const char* text);

/* ---- JSON writer ---- */

/* Appends compact JSON to a growing NUL-terminated buffer. Strings are escaped as Traverse's
 * canonical form does (only '"', '\\' and control characters; non-ASCII stays UTF-8). Keys are
 * written in the order given: write them sorted to produce canonical JSON. Zero-initialise or
 * call traverse_writer_init before use. */
typedef struct {
  char* data;
  size_t length;
  size_t capacity;
  int depth;
  int first[64]; /* per open container: no member written yet */
  int after_key; /* a key was written; the next value needs no comma */
} traverse_writer;

void traverse_writer_init(traverse_writer* w);
void traverse_writer_free(traverse_writer* w);
void traverse_writer_object_begin(traverse_writer* w);
void traverse_writer_object_end(traverse_writer* w);
void traverse_writer_array_begin(traverse_writer* w);
void traverse_writer_array_end(traverse_writer* w);
void traverse_writer_key(traverse_writer* w, const char* key);
void traverse_writer_string(traverse_writer* w, const char* text);
void traverse_writer_string_n(traverse_writer* w, const char* text, size_t length);
void traverse_writer_integer(traverse_writer* w, long long value);
void traverse_writer_bool(traverse_writer* w, int value);
void traverse_writer_null(traverse_writer* w);
/* A number given in hundredths: 65 -> 0.65, 100 -> 1.0, 5 -> 0.05 (always a decimal point). */
void traverse_writer_hundredths(traverse_writer* w, int hundredths);
/* A value already serialised as JSON (copied as is; the caller vouches for its validity). */
void traverse_writer_raw(traverse_writer* w, const char* json);

/* ---- Input, output, failure, logging ---- */

/* Names the capability in log and failure lines ("<name>: <message>"). Default "capability". */
void traverse_set_name(const char* name);

/* Reads and parses the whole of stdin; fails the guest (exit 2) unless it is one JSON object. */
const traverse_json* traverse_read_input(void);
/* The input bytes exactly as read (valid after traverse_read_input), e.g. to hash them. */
const char* traverse_input_bytes(size_t* length);

/* Required members of `object`: a missing or mistyped member fails the guest with
 * "<path>.<key> must be a string" (path is the JSON path of `object`, e.g. "$"). */
const char* traverse_require_string(const traverse_json* object, const char* key, const char* path);
long long traverse_require_integer(const traverse_json* object, const char* key, const char* path);
const traverse_json* traverse_require_object(const traverse_json* object, const char* key,
                                             const char* path);
const traverse_json* traverse_require_array(const traverse_json* object, const char* key,
                                            const char* path);

/* Writes the writer's JSON to stdout (the capability's output; write exactly one value). */
void traverse_write_output(const traverse_writer* w);

/* Writes "<name>: <message>" and a newline to stderr. The runtime shows stderr only when the
 * guest fails (its tail is part of the ExecutionFailed message). */
void traverse_log(const char* message);

/* Logs the message and exits with status 2: the runtime reports ExecutionFailed. */
_Noreturn void traverse_fail(const char* message);

/* ---- Events ---- */

/* Result codes of traverse_emit_event (the host's answer). */
enum {
  TRAVERSE_EMIT_ACCEPTED = 0,
  TRAVERSE_EMIT_INVALID_PAYLOAD = -1,
  TRAVERSE_EMIT_UNDECLARED_EVENT = -2, /* not in the contract's `emits` */
  TRAVERSE_EMIT_NOT_SUBSCRIBABLE = -3, /* the contract's service_type is not subscribable */
};

/* Emits {"event_id": event_id, "payload": <payload_json>, "version": version} through
 * traverse_host.emit_event. `payload_json` is one JSON object (e.g. a writer's data) or NULL for
 * {}. Returns a TRAVERSE_EMIT_* code; the event is published only if the whole run succeeds. */
int traverse_emit_event(const char* event_id, const char* version, const char* payload_json);
/* A short English description of a traverse_emit_event code. */
const char* traverse_emit_result_text(int code);

/* ---- Text ---- */

/* A growing NUL-terminated string (for summaries and labels). Zero-initialise before use. */
typedef struct {
  char* data;
  size_t length;
  size_t capacity;
} traverse_text;
void traverse_text_append(traverse_text* t, const char* text);
void traverse_text_append_integer(traverse_text* t, long long value);
/* "0.65", "1.0": the same digits traverse_writer_hundredths writes. */
void traverse_text_append_hundredths(traverse_text* t, int hundredths);
/* Appends items joined as "a", "a and b", "a, b and c". */
void traverse_text_append_list(traverse_text* t, const char* const* items, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* TRAVERSE_GUEST_H */
