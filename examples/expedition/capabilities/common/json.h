/* json.h — a tiny JSON reader and writer for the expedition capabilities (wasm32-wasip1 guests).
 *
 * The reader parses one document into a tree of json_value nodes allocated with malloc; a guest
 * runs once and exits, so nothing is freed. The writer appends compact JSON to a growing buffer,
 * escaping strings exactly as Traverse's canonical form does (only '"', '\\' and control
 * characters; non-ASCII stays UTF-8). Numbers: the reader keeps integers; the writer prints
 * integers and fixed-point hundredths ("0.65", "1.0"). */
#ifndef EXPEDITION_JSON_H
#define EXPEDITION_JSON_H

#include <stddef.h>

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value json_value;
struct json_value {
  json_type type;
  int boolean;        /* JSON_BOOL */
  int is_integer;     /* JSON_NUMBER: no fraction or exponent */
  long long integer;  /* JSON_NUMBER when is_integer */
  char* string;       /* JSON_STRING: decoded UTF-8, NUL-terminated */
  size_t count;       /* JSON_ARRAY / JSON_OBJECT: number of items */
  json_value** items; /* JSON_ARRAY items / JSON_OBJECT values */
  char** keys;        /* JSON_OBJECT keys (decoded, NUL-terminated) */
};

/* Parses exactly one JSON value (whitespace around it allowed). Returns NULL on error and points
 * *error at a static description. Nesting deeper than 64 levels is an error. */
json_value* json_parse(const char* text, size_t length, const char** error);

/* The member `key` of an object, or NULL (also when `object` is not an object). */
const json_value* json_get(const json_value* object, const char* key);
/* The string of a JSON_STRING value, or NULL. */
const char* json_string(const json_value* value);
/* Whether `value` is an integer; stores it in *out. */
int json_integer(const json_value* value, long long* out);
/* Whether `value` is a JSON array containing the string `text`. */
int json_array_has_string(const json_value* array, const char* text);

typedef struct {
  char* data;
  size_t length;
  size_t capacity;
  int depth;
  int first[64]; /* per open container: no member written yet */
  int after_key; /* a key was written; the next value needs no comma */
} json_writer;

void jw_init(json_writer* w);
void jw_object_begin(json_writer* w);
void jw_object_end(json_writer* w);
void jw_array_begin(json_writer* w);
void jw_array_end(json_writer* w);
void jw_key(json_writer* w, const char* key);
void jw_string(json_writer* w, const char* text);
void jw_string_n(json_writer* w, const char* text, size_t length);
void jw_integer(json_writer* w, long long value);
void jw_bool(json_writer* w, int value);
/* A number given in hundredths: 65 -> 0.65, 100 -> 1.0, 5 -> 0.05 (always a decimal point). */
void jw_hundredths(json_writer* w, int hundredths);

#endif
