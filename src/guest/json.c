/* The Traverse guest SDK: the JSON reader and writer (traverse/guest.h). */
#include <stdlib.h>
#include <string.h>

#include "traverse/guest.h"

enum { kMaxDepth = 64 };

typedef struct {
  const char* p;
  const char* end;
  const char* error;
} reader;

static void* allocate(size_t size) {
  void* memory = malloc(size == 0 ? 1 : size);
  if (memory == NULL)
    abort();
  return memory;
}

static void skip_space(reader* r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
    ++r->p;
}

static traverse_json* new_value(traverse_json_type type) {
  traverse_json* value = allocate(sizeof *value);
  memset(value, 0, sizeof *value);
  value->type = type;
  return value;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int read_hex4(reader* r, unsigned* out) {
  unsigned value = 0;
  if (r->end - r->p < 4)
    return 0;
  for (int i = 0; i < 4; ++i) {
    const int digit = hex_digit(r->p[i]);
    if (digit < 0)
      return 0;
    value = value * 16 + (unsigned)digit;
  }
  r->p += 4;
  *out = value;
  return 1;
}

static size_t put_utf8(char* out, unsigned code) {
  if (code < 0x80) {
    out[0] = (char)code;
    return 1;
  }
  if (code < 0x800) {
    out[0] = (char)(0xC0 | (code >> 6));
    out[1] = (char)(0x80 | (code & 0x3F));
    return 2;
  }
  if (code < 0x10000) {
    out[0] = (char)(0xE0 | (code >> 12));
    out[1] = (char)(0x80 | ((code >> 6) & 0x3F));
    out[2] = (char)(0x80 | (code & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (code >> 18));
  out[1] = (char)(0x80 | ((code >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((code >> 6) & 0x3F));
  out[3] = (char)(0x80 | (code & 0x3F));
  return 4;
}

/* r->p is at the opening quote. The decoded text is never longer than the encoded one. */
static char* parse_string(reader* r) {
  ++r->p;
  const char* start = r->p;
  size_t length = 0;
  while (r->p < r->end && *r->p != '"') {
    if (*r->p == '\\' && r->end - r->p < 2)
      break;
    r->p += *r->p == '\\' ? 2 : 1;
  }
  if (r->p >= r->end) {
    r->error = "unterminated string";
    return NULL;
  }
  const char* stop = r->p;
  ++r->p;
  char* out = allocate((size_t)(stop - start) + 1);
  reader in = {start, stop, NULL};
  while (in.p < in.end) {
    char c = *in.p++;
    if (c != '\\') {
      out[length++] = c;
      continue;
    }
    if (in.p >= in.end)
      break;
    c = *in.p++;
    switch (c) {
      case 'n':
        out[length++] = '\n';
        break;
      case 't':
        out[length++] = '\t';
        break;
      case 'r':
        out[length++] = '\r';
        break;
      case 'b':
        out[length++] = '\b';
        break;
      case 'f':
        out[length++] = '\f';
        break;
      case 'u': {
        unsigned code = 0;
        if (!read_hex4(&in, &code)) {
          r->error = "bad \\u escape";
          return NULL;
        }
        if (code >= 0xD800 && code < 0xDC00 && in.end - in.p >= 6 && in.p[0] == '\\' &&
            in.p[1] == 'u') {
          unsigned low = 0;
          in.p += 2;
          if (!read_hex4(&in, &low) || low < 0xDC00 || low > 0xDFFF) {
            r->error = "bad surrogate pair";
            return NULL;
          }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        length += put_utf8(out + length, code);
        break;
      }
      default:
        out[length++] = c;
        break; /* '"', '\\', '/' */
    }
  }
  out[length] = '\0';
  return out;
}

static traverse_json* parse_value(reader* r, int depth);

static traverse_json* parse_container(reader* r, int depth, int is_object) {
  traverse_json* value = new_value(is_object ? TRAVERSE_JSON_OBJECT : TRAVERSE_JSON_ARRAY);
  size_t capacity = 0;
  const char close = is_object ? '}' : ']';
  ++r->p;
  skip_space(r);
  if (r->p < r->end && *r->p == close) {
    ++r->p;
    return value;
  }
  for (;;) {
    char* key = NULL;
    if (is_object) {
      skip_space(r);
      if (r->p >= r->end || *r->p != '"') {
        r->error = "expected an object key";
        return NULL;
      }
      key = parse_string(r);
      if (key == NULL)
        return NULL;
      skip_space(r);
      if (r->p >= r->end || *r->p != ':') {
        r->error = "expected ':'";
        return NULL;
      }
      ++r->p;
    }
    traverse_json* item = parse_value(r, depth + 1);
    if (item == NULL)
      return NULL;
    if (value->count == capacity) {
      capacity = capacity == 0 ? 4 : capacity * 2;
      traverse_json** items = allocate(capacity * sizeof *items);
      char** keys = allocate(capacity * sizeof *keys);
      if (value->count > 0) {
        memcpy(items, value->items, value->count * sizeof *items);
        memcpy(keys, value->keys, value->count * sizeof *keys);
      }
      value->items = items;
      value->keys = keys;
    }
    value->items[value->count] = item;
    value->keys[value->count] = key;
    ++value->count;
    skip_space(r);
    if (r->p < r->end && *r->p == ',') {
      ++r->p;
      continue;
    }
    if (r->p < r->end && *r->p == close) {
      ++r->p;
      return value;
    }
    r->error = is_object ? "expected ',' or '}'" : "expected ',' or ']'";
    return NULL;
  }
}

/* The value of a JSON number token (close to, not always exactly, the nearest double: no
 * strtod, which would pull wasi-libc's stdio and its file imports into every guest). */
static double decimal_to_double(const char* p, const char* end) {
  int negative = 0;
  if (p < end && *p == '-') {
    negative = 1;
    ++p;
  }
  double mantissa = 0.0;
  int exponent = 0;
  for (; p < end && *p >= '0' && *p <= '9'; ++p)
    mantissa = mantissa * 10.0 + (*p - '0');
  if (p < end && *p == '.') {
    for (++p; p < end && *p >= '0' && *p <= '9'; ++p) {
      mantissa = mantissa * 10.0 + (*p - '0');
      --exponent;
    }
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    int sign = 1;
    if (p < end && (*p == '+' || *p == '-')) {
      sign = *p == '-' ? -1 : 1;
      ++p;
    }
    int e = 0;
    for (; p < end && *p >= '0' && *p <= '9'; ++p)
      e = e < 10000 ? e * 10 + (*p - '0') : e;
    exponent += sign * e;
  }
  for (; exponent > 0; --exponent)
    mantissa *= 10.0;
  for (; exponent < 0; ++exponent)
    mantissa /= 10.0;
  return negative ? -mantissa : mantissa;
}

static traverse_json* parse_number(reader* r) {
  traverse_json* value = new_value(TRAVERSE_JSON_NUMBER);
  const char* const start = r->p;
  int negative = 0;
  unsigned long long magnitude = 0;
  int overflow = 0;
  if (r->p < r->end && *r->p == '-') {
    negative = 1;
    ++r->p;
  }
  if (r->p >= r->end || *r->p < '0' || *r->p > '9') {
    r->error = "bad number";
    return NULL;
  }
  while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
    const unsigned digit = (unsigned)(*r->p - '0');
    if (magnitude > (9223372036854775807ULL - digit) / 10)
      overflow = 1;
    magnitude = magnitude * 10 + digit;
    ++r->p;
  }
  value->is_integer = !overflow;
  while (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E' || *r->p == '+' ||
                           *r->p == '-' || (*r->p >= '0' && *r->p <= '9'))) {
    value->is_integer = 0;
    ++r->p;
  }
  if (value->is_integer)
    value->integer = negative ? -(long long)magnitude : (long long)magnitude;
  value->number = decimal_to_double(start, r->p);
  return value;
}

static int match_literal(reader* r, const char* literal) {
  const size_t length = strlen(literal);
  if ((size_t)(r->end - r->p) < length || memcmp(r->p, literal, length) != 0)
    return 0;
  r->p += length;
  return 1;
}

static traverse_json* parse_value(reader* r, int depth) {
  if (depth > kMaxDepth) {
    r->error = "nesting too deep";
    return NULL;
  }
  skip_space(r);
  if (r->p >= r->end) {
    r->error = "unexpected end of input";
    return NULL;
  }
  switch (*r->p) {
    case '{':
      return parse_container(r, depth, 1);
    case '[':
      return parse_container(r, depth, 0);
    case '"': {
      traverse_json* value = new_value(TRAVERSE_JSON_STRING);
      value->string = parse_string(r);
      return value->string == NULL ? NULL : value;
    }
    case 't':
    case 'f': {
      traverse_json* value = new_value(TRAVERSE_JSON_BOOL);
      value->boolean = *r->p == 't';
      if (match_literal(r, value->boolean ? "true" : "false"))
        return value;
      r->error = "bad literal";
      return NULL;
    }
    case 'n':
      if (match_literal(r, "null"))
        return new_value(TRAVERSE_JSON_NULL);
      r->error = "bad literal";
      return NULL;
    default:
      return parse_number(r);
  }
}

traverse_json* traverse_json_parse(const char* text, size_t length, const char** error) {
  reader r = {text, text + length, NULL};
  traverse_json* value = parse_value(&r, 0);
  if (value != NULL) {
    skip_space(&r);
    if (r.p != r.end) {
      r.error = "trailing characters after the JSON value";
      value = NULL;
    }
  }
  if (value == NULL && error != NULL)
    *error = r.error != NULL ? r.error : "invalid JSON";
  return value;
}

const traverse_json* traverse_json_get(const traverse_json* object, const char* key) {
  if (object == NULL || object->type != TRAVERSE_JSON_OBJECT)
    return NULL;
  for (size_t i = 0; i < object->count; ++i) {
    if (strcmp(object->keys[i], key) == 0)
      return object->items[i];
  }
  return NULL;
}

const char* traverse_json_string(const traverse_json* value) {
  return value != NULL && value->type == TRAVERSE_JSON_STRING ? value->string : NULL;
}

int traverse_json_integer(const traverse_json* value, long long* out) {
  if (value == NULL || value->type != TRAVERSE_JSON_NUMBER || !value->is_integer)
    return 0;
  *out = value->integer;
  return 1;
}

int traverse_json_number(const traverse_json* value, double* out) {
  if (value == NULL || value->type != TRAVERSE_JSON_NUMBER)
    return 0;
  *out = value->number;
  return 1;
}

int traverse_json_bool(const traverse_json* value, int* out) {
  if (value == NULL || value->type != TRAVERSE_JSON_BOOL)
    return 0;
  *out = value->boolean;
  return 1;
}

int traverse_json_array_has_string(const traverse_json* array, const char* text) {
  if (array == NULL || array->type != TRAVERSE_JSON_ARRAY)
    return 0;
  for (size_t i = 0; i < array->count; ++i) {
    const char* item = traverse_json_string(array->items[i]);
    if (item != NULL && strcmp(item, text) == 0)
      return 1;
  }
  return 0;
}

/* --- writer --- */

static void append(traverse_writer* w, const char* text, size_t length) {
  if (w->length + length + 1 > w->capacity) {
    size_t capacity = w->capacity == 0 ? 256 : w->capacity;
    while (w->length + length + 1 > capacity)
      capacity *= 2;
    char* data = allocate(capacity);
    if (w->length > 0)
      memcpy(data, w->data, w->length);
    free(w->data);
    w->data = data;
    w->capacity = capacity;
  }
  memcpy(w->data + w->length, text, length);
  w->length += length;
  w->data[w->length] = '\0';
}

static void append_char(traverse_writer* w, char c) {
  append(w, &c, 1);
}

/* Separates a new value from the previous member of its container. */
static void before_value(traverse_writer* w) {
  if (w->after_key) {
    w->after_key = 0;
    return;
  }
  if (w->depth > 0) {
    if (!w->first[w->depth - 1])
      append_char(w, ',');
    w->first[w->depth - 1] = 0;
  }
}

void traverse_writer_init(traverse_writer* w) {
  memset(w, 0, sizeof *w);
}

static void open_container(traverse_writer* w, char c) {
  before_value(w);
  append_char(w, c);
  if (w->depth < 64)
    w->first[w->depth] = 1;
  ++w->depth;
}

static void close_container(traverse_writer* w, char c) {
  --w->depth;
  append_char(w, c);
}

void traverse_writer_object_begin(traverse_writer* w) {
  open_container(w, '{');
}
void traverse_writer_object_end(traverse_writer* w) {
  close_container(w, '}');
}
void traverse_writer_array_begin(traverse_writer* w) {
  open_container(w, '[');
}
void traverse_writer_array_end(traverse_writer* w) {
  close_container(w, ']');
}

static void write_escaped(traverse_writer* w, const char* text, size_t length) {
  static const char hex[] = "0123456789abcdef";
  append_char(w, '"');
  for (size_t i = 0; i < length; ++i) {
    const unsigned char c = (unsigned char)text[i];
    switch (c) {
      case '"':
        append(w, "\\\"", 2);
        break;
      case '\\':
        append(w, "\\\\", 2);
        break;
      case '\n':
        append(w, "\\n", 2);
        break;
      case '\t':
        append(w, "\\t", 2);
        break;
      case '\r':
        append(w, "\\r", 2);
        break;
      case '\b':
        append(w, "\\b", 2);
        break;
      case '\f':
        append(w, "\\f", 2);
        break;
      default:
        if (c < 0x20) {
          const char escape[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
          append(w, escape, 6);
        } else {
          append_char(w, (char)c);
        }
    }
  }
  append_char(w, '"');
}

void traverse_writer_key(traverse_writer* w, const char* key) {
  before_value(w);
  write_escaped(w, key, strlen(key));
  append_char(w, ':');
  w->after_key = 1;
}

void traverse_writer_string_n(traverse_writer* w, const char* text, size_t length) {
  before_value(w);
  write_escaped(w, text, length);
}

void traverse_writer_string(traverse_writer* w, const char* text) {
  traverse_writer_string_n(w, text, strlen(text));
}

void traverse_writer_integer(traverse_writer* w, long long value) {
  char digits[24];
  size_t length = 0;
  unsigned long long magnitude =
      value < 0 ? (unsigned long long)(-(value + 1)) + 1 : (unsigned long long)value;
  do {
    digits[length++] = (char)('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude > 0);
  before_value(w);
  if (value < 0)
    append_char(w, '-');
  while (length > 0)
    append_char(w, digits[--length]);
}

void traverse_writer_bool(traverse_writer* w, int value) {
  before_value(w);
  if (value) {
    append(w, "true", 4);
  } else {
    append(w, "false", 5);
  }
}

void traverse_writer_null(traverse_writer* w) {
  before_value(w);
  append(w, "null", 4);
}

void traverse_writer_raw(traverse_writer* w, const char* json) {
  before_value(w);
  append(w, json, strlen(json));
}

void traverse_writer_free(traverse_writer* w) {
  free(w->data);
  traverse_writer_init(w);
}

void traverse_writer_hundredths(traverse_writer* w, int hundredths) {
  char text[32];
  size_t length = 0;
  if (hundredths < 0) {
    text[length++] = '-';
    hundredths = -hundredths;
  }
  const int whole = hundredths / 100;
  const int tenths = (hundredths / 10) % 10;
  const int cents = hundredths % 10;
  traverse_writer digits;
  traverse_writer_init(&digits);
  traverse_writer_integer(&digits, whole);
  memcpy(text + length, digits.data, digits.length);
  length += digits.length;
  free(digits.data);
  text[length++] = '.';
  text[length++] = (char)('0' + tenths);
  if (cents != 0)
    text[length++] = (char)('0' + cents);
  before_value(w);
  append(w, text, length);
}
