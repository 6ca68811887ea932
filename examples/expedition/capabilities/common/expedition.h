/* expedition.h — what the five expedition capabilities share beyond the Traverse guest SDK
 * (traverse/guest.h): their event shape and their identifier scheme. */
#ifndef EXPEDITION_H
#define EXPEDITION_H

#include <stddef.h>

#include "traverse/guest.h"

/* Emits {"event_id": event_id, "version": "1.0.0", "payload": {"objective_id": objective_id}}.
 * A refusal by the host is logged on stderr; the step's output is unaffected. */
void guest_emit(const char* event_id, const char* objective_id);

/* "obj-" / "plan-" style identifiers: 8 lowercase hex digits of `value`. */
void guest_hex8(unsigned value, char out[9]);

/* FNV-1a 32-bit (offset 0x811c9dc5, prime 0x01000193) over `length` bytes. */
unsigned guest_fnv1a32(const char* bytes, size_t length);

#endif
