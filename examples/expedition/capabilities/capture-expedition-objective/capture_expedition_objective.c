/* expedition.planning.capture-expedition-objective — step 1 of plan-expedition.
 *
 * Input  {objective, region, start_date, duration_days}
 * Output {objective_id, captured_objective: {objective_id, title, region, start_date,
 *         duration_days}}
 * objective_id = "obj-" + 8 hex digits of FNV-1a-32 over the input bytes (Traverse feeds the
 * canonical JSON, so equal inputs give equal ids); title = the objective text trimmed.
 * Emits expedition.planning.objective-captured {objective_id}. */
#include <string.h>

#include "../common/expedition.h"

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int main(void) {
  traverse_set_name("capture-expedition-objective");
  const traverse_json* input = traverse_read_input();
  const char* objective = traverse_require_string(input, "objective", "$");
  const char* region = traverse_require_string(input, "region", "$");
  const char* start_date = traverse_require_string(input, "start_date", "$");
  const long long duration_days = traverse_require_integer(input, "duration_days", "$");
  if (duration_days < 1)
    traverse_fail("$.duration_days must be at least 1");

  size_t begin = 0;
  size_t end = strlen(objective);
  while (begin < end && is_space(objective[begin]))
    ++begin;
  while (end > begin && is_space(objective[end - 1]))
    --end;
  if (begin == end)
    traverse_fail("$.objective must not be blank");

  size_t input_length = 0;
  const char* input_bytes = traverse_input_bytes(&input_length);
  char objective_id[13] = "obj-";
  guest_hex8(guest_fnv1a32(input_bytes, input_length), objective_id + 4);

  traverse_writer out;
  traverse_writer_init(&out);
  traverse_writer_object_begin(&out);
  traverse_writer_key(&out, "captured_objective");
  traverse_writer_object_begin(&out);
  traverse_writer_key(&out, "duration_days");
  traverse_writer_integer(&out, duration_days);
  traverse_writer_key(&out, "objective_id");
  traverse_writer_string(&out, objective_id);
  traverse_writer_key(&out, "region");
  traverse_writer_string(&out, region);
  traverse_writer_key(&out, "start_date");
  traverse_writer_string(&out, start_date);
  traverse_writer_key(&out, "title");
  traverse_writer_string_n(&out, objective + begin, end - begin);
  traverse_writer_object_end(&out);
  traverse_writer_key(&out, "objective_id");
  traverse_writer_string(&out, objective_id);
  traverse_writer_object_end(&out);

  guest_emit("expedition.planning.objective-captured", objective_id);
  traverse_write_output(&out);
  return 0;
}
