/* The expedition capabilities' event and identifier helpers (see expedition.h). */
#include "expedition.h"

#include <stdint.h>

void guest_emit(const char* event_id, const char* objective_id) {
  traverse_writer payload;
  traverse_writer_init(&payload);
  traverse_writer_object_begin(&payload);
  traverse_writer_key(&payload, "objective_id");
  traverse_writer_string(&payload, objective_id);
  traverse_writer_object_end(&payload);
  const int code = traverse_emit_event(event_id, "1.0.0", payload.data);
  traverse_writer_free(&payload);
  if (code != TRAVERSE_EMIT_ACCEPTED) {
    traverse_text message = {0};
    traverse_text_append(&message, "event ");
    traverse_text_append(&message, event_id);
    traverse_text_append(&message, " not emitted: ");
    traverse_text_append(&message, traverse_emit_result_text(code));
    traverse_log(message.data);
  }
}

void guest_hex8(unsigned value, char out[9]) {
  static const char hex[] = "0123456789abcdef";
  for (int i = 7; i >= 0; --i) {
    out[i] = hex[value & 0xF];
    value >>= 4;
  }
  out[8] = '\0';
}

unsigned guest_fnv1a32(const char* bytes, size_t length) {
  uint32_t hash = 0x811c9dc5U;
  for (size_t i = 0; i < length; ++i) {
    hash ^= (unsigned char)bytes[i];
    hash *= 0x01000193U;
  }
  return hash;
}
