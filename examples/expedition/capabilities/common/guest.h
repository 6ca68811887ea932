/* guest.h — what every expedition capability does around its logic: read the input JSON from
 * stdin, fail cleanly (message on stderr, exit status 2), write one JSON value to stdout and emit
 * its event through the Traverse host ABI (`traverse_host.emit_event`). */
#ifndef EXPEDITION_GUEST_H
#define EXPEDITION_GUEST_H

#include <stddef.h>

#include "json.h"

/* Reads and parses stdin; exits with status 2 if it is not one JSON object. */
const json_value* guest_read_input(void);

/* Writes "<capability>: <message>" to stderr and exits with status 2. */
_Noreturn void guest_fail(const char* message);

/* Required members; a missing or mistyped member fails the guest naming the JSON path. */
const char* guest_string(const json_value* object, const char* key, const char* path);
long long guest_integer(const json_value* object, const char* key, const char* path);
const json_value* guest_object(const json_value* object, const char* key, const char* path);
const json_value* guest_array(const json_value* object, const char* key, const char* path);

/* Writes the writer's JSON to stdout. */
void guest_write_output(const json_writer* w);

/* Emits {"event_id": event_id, "version": "1.0.0", "payload": {"objective_id": objective_id}}.
 * A refusal by the host is reported on stderr; the step's output is unaffected. */
void guest_emit(const char* event_id, const char* objective_id);

/* "obj-" / "plan-" style identifiers: 8 lowercase hex digits of `value`. */
void guest_hex8(unsigned value, char out[9]);

/* FNV-1a 32-bit (offset 0x811c9dc5, prime 0x01000193) over `length` bytes. */
unsigned guest_fnv1a32(const char* bytes, size_t length);

/* The input bytes exactly as read (valid after guest_read_input). */
const char* guest_input_bytes(size_t* length);

/* A growing NUL-terminated string for summaries and labels. Zero-initialise before use. */
typedef struct {
  char* data;
  size_t length;
  size_t capacity;
} guest_text;
void text_append(guest_text* t, const char* text);
void text_append_integer(guest_text* t, long long value);
/* "0.65", "1.0": the same digits jw_hundredths writes. */
void text_append_hundredths(guest_text* t, int hundredths);
/* Appends items joined as "a", "a and b", "a, b and c". */
void text_append_list(guest_text* t, const char* const* items, size_t count);

/* Set by each capability: its name for error messages. */
extern const char* const guest_capability_name;

#endif
