/* The Traverse guest SDK: input, output, failure, logging, events and text (traverse/guest.h). */
#include "traverse/guest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((import_module("traverse_host"), import_name("emit_event"))) int32_t
traverse_host_emit_event(const char* ptr, int32_t len);

static const char* capability_name = "capability";
static char* input_bytes;
static size_t input_length;

void traverse_set_name(const char* name) {
  capability_name = name != NULL ? name : "capability";
}

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

/* Writes "<name>: " + the parts + newline to stderr. */
static void log_parts(const char* const* parts, size_t count) {
  write_text(2, capability_name);
  write_text(2, ": ");
  for (size_t i = 0; i < count; ++i)
    write_text(2, parts[i]);
  write_text(2, "\n");
}

static _Noreturn void fail_parts(const char* const* parts, size_t count) {
  log_parts(parts, count);
  exit(2);
}

void traverse_log(const char* message) {
  log_parts(&message, 1);
}

_Noreturn void traverse_fail(const char* message) {
  fail_parts(&message, 1);
}

const traverse_json* traverse_read_input(void) {
  size_t capacity = 4096;
  input_bytes = malloc(capacity);
  if (input_bytes == NULL)
    traverse_fail("out of memory");
  for (;;) {
    if (input_length == capacity) {
      capacity *= 2;
      char* bigger = realloc(input_bytes, capacity);
      if (bigger == NULL)
        traverse_fail("out of memory");
      input_bytes = bigger;
    }
    const ssize_t got = read(0, input_bytes + input_length, capacity - input_length);
    if (got < 0)
      traverse_fail("cannot read stdin");
    if (got == 0)
      break;
    input_length += (size_t)got;
  }
  const char* error = NULL;
  const traverse_json* input = traverse_json_parse(input_bytes, input_length, &error);
  if (input == NULL) {
    const char* parts[] = {"input is not JSON: ", error};
    fail_parts(parts, 2);
  }
  if (input->type != TRAVERSE_JSON_OBJECT)
    traverse_fail("input must be a JSON object");
  return input;
}

const char* traverse_input_bytes(size_t* length) {
  *length = input_length;
  return input_bytes;
}

static _Noreturn void fail_member(const char* path, const char* key, const char* expected) {
  const char* parts[] = {path, ".", key, " must be ", expected};
  fail_parts(parts, 5);
}

const char* traverse_require_string(const traverse_json* object, const char* key,
                                    const char* path) {
  const char* text = traverse_json_string(traverse_json_get(object, key));
  if (text == NULL)
    fail_member(path, key, "a string");
  return text;
}

long long traverse_require_integer(const traverse_json* object, const char* key, const char* path) {
  long long value = 0;
  if (!traverse_json_integer(traverse_json_get(object, key), &value))
    fail_member(path, key, "an integer");
  return value;
}

const traverse_json* traverse_require_object(const traverse_json* object, const char* key,
                                             const char* path) {
  const traverse_json* value = traverse_json_get(object, key);
  if (value == NULL || value->type != TRAVERSE_JSON_OBJECT)
    fail_member(path, key, "an object");
  return value;
}

const traverse_json* traverse_require_array(const traverse_json* object, const char* key,
                                            const char* path) {
  const traverse_json* value = traverse_json_get(object, key);
  if (value == NULL || value->type != TRAVERSE_JSON_ARRAY)
    fail_member(path, key, "an array");
  return value;
}

void traverse_write_output(const traverse_writer* w) {
  write_all(1, w->data, w->length);
}

int traverse_emit_event(const char* event_id, const char* version, const char* payload_json) {
  traverse_writer event;
  traverse_writer_init(&event);
  traverse_writer_object_begin(&event);
  traverse_writer_key(&event, "event_id");
  traverse_writer_string(&event, event_id);
  traverse_writer_key(&event, "payload");
  traverse_writer_raw(&event, payload_json != NULL ? payload_json : "{}");
  traverse_writer_key(&event, "version");
  traverse_writer_string(&event, version);
  traverse_writer_object_end(&event);
  const int32_t code = traverse_host_emit_event(event.data, (int32_t)event.length);
  traverse_writer_free(&event);
  return (int)code;
}

const char* traverse_emit_result_text(int code) {
  switch (code) {
    case TRAVERSE_EMIT_ACCEPTED:
      return "accepted";
    case TRAVERSE_EMIT_INVALID_PAYLOAD:
      return "invalid payload";
    case TRAVERSE_EMIT_UNDECLARED_EVENT:
      return "undeclared event";
    case TRAVERSE_EMIT_NOT_SUBSCRIBABLE:
      return "capability is not subscribable";
    default:
      return "unknown host error";
  }
}

void traverse_text_append(traverse_text* t, const char* text) {
  const size_t length = strlen(text);
  if (t->length + length + 1 > t->capacity) {
    size_t capacity = t->capacity == 0 ? 128 : t->capacity;
    while (t->length + length + 1 > capacity)
      capacity *= 2;
    char* bigger = realloc(t->data, capacity);
    if (bigger == NULL)
      traverse_fail("out of memory");
    t->data = bigger;
    t->capacity = capacity;
  }
  memcpy(t->data + t->length, text, length + 1);
  t->length += length;
}

/* Formats with the JSON writer so numbers read the same in text and in JSON. */
static void append_written(traverse_text* t, traverse_writer* w) {
  traverse_text_append(t, w->data);
  traverse_writer_free(w);
}

void traverse_text_append_integer(traverse_text* t, long long value) {
  traverse_writer w;
  traverse_writer_init(&w);
  traverse_writer_integer(&w, value);
  append_written(t, &w);
}

void traverse_text_append_hundredths(traverse_text* t, int hundredths) {
  traverse_writer w;
  traverse_writer_init(&w);
  traverse_writer_hundredths(&w, hundredths);
  append_written(t, &w);
}

void traverse_text_append_list(traverse_text* t, const char* const* items, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (i > 0)
      traverse_text_append(t, i + 1 == count ? " and " : ", ");
    traverse_text_append(t, items[i]);
  }
}
