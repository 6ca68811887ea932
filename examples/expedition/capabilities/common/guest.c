/* Input, output, failure and event helpers shared by the expedition capabilities (see guest.h). */
#include "guest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((import_module("traverse_host"), import_name("emit_event"))) int32_t
traverse_host_emit_event(const char* ptr, int32_t len);

static char* input_bytes;
static size_t input_length;

static void write_all(int fd, const char* data, size_t length) {
  while (length > 0) {
    const ssize_t written = write(fd, data, length);
    if (written <= 0)
      return;
    data += written;
    length -= (size_t)written;
  }
}

static void write_text(int fd, const char* text) {
  write_all(fd, text, strlen(text));
}

/* Writes "<capability>: " + the parts + newline to stderr, then exits with status 2. */
static _Noreturn void fail_parts(const char* const* parts, size_t count) {
  write_text(2, guest_capability_name);
  write_text(2, ": ");
  for (size_t i = 0; i < count; ++i)
    write_text(2, parts[i]);
  write_text(2, "\n");
  exit(2);
}

_Noreturn void guest_fail(const char* message) {
  fail_parts(&message, 1);
}

const json_value* guest_read_input(void) {
  size_t capacity = 4096;
  input_bytes = malloc(capacity);
  if (input_bytes == NULL)
    guest_fail("out of memory");
  for (;;) {
    if (input_length == capacity) {
      capacity *= 2;
      char* bigger = realloc(input_bytes, capacity);
      if (bigger == NULL)
        guest_fail("out of memory");
      input_bytes = bigger;
    }
    const ssize_t got = read(0, input_bytes + input_length, capacity - input_length);
    if (got < 0)
      guest_fail("cannot read stdin");
    if (got == 0)
      break;
    input_length += (size_t)got;
  }
  const char* error = NULL;
  const json_value* input = json_parse(input_bytes, input_length, &error);
  if (input == NULL) {
    const char* parts[] = {"input is not JSON: ", error};
    fail_parts(parts, 2);
  }
  if (input->type != JSON_OBJECT)
    guest_fail("input must be a JSON object");
  return input;
}

const char* guest_input_bytes(size_t* length) {
  *length = input_length;
  return input_bytes;
}

static _Noreturn void fail_member(const char* path, const char* key, const char* expected) {
  const char* parts[] = {path, ".", key, " must be ", expected};
  fail_parts(parts, 5);
}

const char* guest_string(const json_value* object, const char* key, const char* path) {
  const char* text = json_string(json_get(object, key));
  if (text == NULL)
    fail_member(path, key, "a string");
  return text;
}

long long guest_integer(const json_value* object, const char* key, const char* path) {
  long long value = 0;
  if (!json_integer(json_get(object, key), &value))
    fail_member(path, key, "an integer");
  return value;
}

const json_value* guest_object(const json_value* object, const char* key, const char* path) {
  const json_value* value = json_get(object, key);
  if (value == NULL || value->type != JSON_OBJECT)
    fail_member(path, key, "an object");
  return value;
}

const json_value* guest_array(const json_value* object, const char* key, const char* path) {
  const json_value* value = json_get(object, key);
  if (value == NULL || value->type != JSON_ARRAY)
    fail_member(path, key, "an array");
  return value;
}

void guest_write_output(const json_writer* w) {
  write_all(1, w->data, w->length);
}

void guest_emit(const char* event_id, const char* objective_id) {
  json_writer event;
  jw_init(&event);
  jw_object_begin(&event);
  jw_key(&event, "event_id");
  jw_string(&event, event_id);
  jw_key(&event, "payload");
  jw_object_begin(&event);
  jw_key(&event, "objective_id");
  jw_string(&event, objective_id);
  jw_object_end(&event);
  jw_key(&event, "version");
  jw_string(&event, "1.0.0");
  jw_object_end(&event);
  const int32_t code = traverse_host_emit_event(event.data, (int32_t)event.length);
  if (code != 0) {
    static const char* const reasons[] = {"accepted", "invalid payload", "undeclared event",
                                          "capability is not subscribable"};
    write_text(2, guest_capability_name);
    write_text(2, ": event ");
    write_text(2, event_id);
    write_text(2, " not emitted: ");
    write_text(2, code < 0 && code >= -3 ? reasons[-code] : "unknown host error");
    write_text(2, "\n");
  }
  free(event.data);
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

void text_append(guest_text* t, const char* text) {
  const size_t length = strlen(text);
  if (t->length + length + 1 > t->capacity) {
    size_t capacity = t->capacity == 0 ? 128 : t->capacity;
    while (t->length + length + 1 > capacity)
      capacity *= 2;
    char* bigger = realloc(t->data, capacity);
    if (bigger == NULL)
      guest_fail("out of memory");
    t->data = bigger;
    t->capacity = capacity;
  }
  memcpy(t->data + t->length, text, length + 1);
  t->length += length;
}

/* Formats with the JSON writer so numbers read the same in summaries and in JSON. */
static void append_written(guest_text* t, const json_writer* w) {
  text_append(t, w->data);
  free(w->data);
}

void text_append_integer(guest_text* t, long long value) {
  json_writer w;
  jw_init(&w);
  jw_integer(&w, value);
  append_written(t, &w);
}

void text_append_hundredths(guest_text* t, int hundredths) {
  json_writer w;
  jw_init(&w);
  jw_hundredths(&w, hundredths);
  append_written(t, &w);
}

void text_append_list(guest_text* t, const char* const* items, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (i > 0)
      text_append(t, i + 1 == count ? " and " : ", ");
    text_append(t, items[i]);
  }
}
