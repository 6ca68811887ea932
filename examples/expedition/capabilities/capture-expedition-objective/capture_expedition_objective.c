/* expedition.planning.capture-expedition-objective — step 1 of plan-expedition.
 *
 * Input  {objective, region, start_date, duration_days}
 * Output {objective_id, captured_objective: {objective_id, title, region, start_date,
 *         duration_days}}
 * objective_id = "obj-" + 8 hex digits of FNV-1a-32 over the input bytes (Traverse feeds the
 * canonical JSON, so equal inputs give equal ids); title = the objective text trimmed.
 * Emits expedition.planning.objective-captured {objective_id}. */
#include <string.h>

#include "../common/guest.h"

const char* const guest_capability_name = "capture-expedition-objective";

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int main(void) {
  const json_value* input = guest_read_input();
  const char* objective = guest_string(input, "objective", "$");
  const char* region = guest_string(input, "region", "$");
  const char* start_date = guest_string(input, "start_date", "$");
  const long long duration_days = guest_integer(input, "duration_days", "$");
  if (duration_days < 1)
    guest_fail("$.duration_days must be at least 1");

  size_t begin = 0;
  size_t end = strlen(objective);
  while (begin < end && is_space(objective[begin]))
    ++begin;
  while (end > begin && is_space(objective[end - 1]))
    --end;
  if (begin == end)
    guest_fail("$.objective must not be blank");

  size_t input_length = 0;
  const char* input_bytes = guest_input_bytes(&input_length);
  char objective_id[13] = "obj-";
  guest_hex8(guest_fnv1a32(input_bytes, input_length), objective_id + 4);

  json_writer out;
  jw_init(&out);
  jw_object_begin(&out);
  jw_key(&out, "captured_objective");
  jw_object_begin(&out);
  jw_key(&out, "duration_days");
  jw_integer(&out, duration_days);
  jw_key(&out, "objective_id");
  jw_string(&out, objective_id);
  jw_key(&out, "region");
  jw_string(&out, region);
  jw_key(&out, "start_date");
  jw_string(&out, start_date);
  jw_key(&out, "title");
  jw_string_n(&out, objective + begin, end - begin);
  jw_object_end(&out);
  jw_key(&out, "objective_id");
  jw_string(&out, objective_id);
  jw_object_end(&out);

  guest_emit("expedition.planning.objective-captured", objective_id);
  guest_write_output(&out);
  return 0;
}
