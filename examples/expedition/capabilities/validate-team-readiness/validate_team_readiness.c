/* expedition.planning.validate-team-readiness — step 4 of plan-expedition.
 *
 * Input  {team[{name, experience, certifications[]}], intent, conditions} (and objective_id when
 *        the caller passes it)
 * Output {readiness: {ready, team_size, experts, gaps[], score}}
 * gaps, in order: "no expert on the team" when nobody is an expert; for alpine ascents
 * "<name> lacks glacier-travel" per member without that certification (team order);
 * "high-risk conditions call for at least two experts" when risk_level is high and there are
 * fewer than two experts. ready = no gaps.
 * score: each member counts expert 1.0, intermediate 0.7, novice 0.4, halved on an alpine ascent
 * without glacier-travel; score = the mean (to hundredths, halves rounded up), halved again when
 * nobody is an expert.
 * Emits expedition.planning.team-readiness-validated {objective_id} when objective_id is given. */
#include <stdlib.h>
#include <string.h>

#include "../common/expedition.h"

int main(void) {
  traverse_set_name("validate-team-readiness");
  const traverse_json* input = traverse_read_input();
  const traverse_json* team = traverse_require_array(input, "team", "$");
  const traverse_json* intent = traverse_require_object(input, "intent", "$");
  const traverse_json* conditions = traverse_require_object(input, "conditions", "$");
  const char* activity = traverse_require_string(intent, "activity", "$.intent");
  const char* risk_level = traverse_require_string(conditions, "risk_level", "$.conditions");
  const char* objective_id = traverse_json_string(traverse_json_get(input, "objective_id"));
  const int alpine = strcmp(activity, "alpine_ascent") == 0;

  long long experts = 0;
  long long points = 0;
  /* One possible gap per member, in team order. */
  traverse_text* member_gaps = calloc(team->count + 1, sizeof *member_gaps);
  if (member_gaps == NULL)
    traverse_fail("out of memory");
  size_t member_gap_count = 0;
  for (size_t i = 0; i < team->count; ++i) {
    const traverse_json* member = team->items[i];
    if (member->type != TRAVERSE_JSON_OBJECT)
      traverse_fail("$.team items must be objects");
    const char* name = traverse_require_string(member, "name", "$.team[]");
    const char* experience = traverse_require_string(member, "experience", "$.team[]");
    const traverse_json* certifications =
        traverse_require_array(member, "certifications", "$.team[]");
    long long member_points = strcmp(experience, "expert") == 0         ? 100
                              : strcmp(experience, "intermediate") == 0 ? 70
                                                                        : 40;
    if (strcmp(experience, "expert") == 0)
      ++experts;
    if (alpine && !traverse_json_array_has_string(certifications, "glacier-travel")) {
      member_points /= 2;
      traverse_text_append(&member_gaps[member_gap_count], name);
      traverse_text_append(&member_gaps[member_gap_count], " lacks glacier-travel");
      ++member_gap_count;
    }
    points += member_points;
  }

  const long long team_size = (long long)team->count;
  long long score = team_size > 0 ? (2 * points + team_size) / (2 * team_size) : 0;
  if (experts == 0)
    score /= 2;
  if (score > 100)
    score = 100;

  traverse_writer out;
  traverse_writer_init(&out);
  traverse_writer_object_begin(&out);
  traverse_writer_key(&out, "readiness");
  traverse_writer_object_begin(&out);
  traverse_writer_key(&out, "experts");
  traverse_writer_integer(&out, experts);
  traverse_writer_key(&out, "gaps");
  traverse_writer_array_begin(&out);
  size_t gap_count = 0;
  if (experts == 0) {
    traverse_writer_string(&out, "no expert on the team");
    ++gap_count;
  }
  for (size_t i = 0; i < member_gap_count; ++i) {
    traverse_writer_string(&out, member_gaps[i].data);
    ++gap_count;
  }
  if (strcmp(risk_level, "high") == 0 && experts < 2) {
    traverse_writer_string(&out, "high-risk conditions call for at least two experts");
    ++gap_count;
  }
  traverse_writer_array_end(&out);
  traverse_writer_key(&out, "ready");
  traverse_writer_bool(&out, gap_count == 0);
  traverse_writer_key(&out, "score");
  traverse_writer_hundredths(&out, (int)score);
  traverse_writer_key(&out, "team_size");
  traverse_writer_integer(&out, team_size);
  traverse_writer_object_end(&out);
  traverse_writer_object_end(&out);

  if (objective_id != NULL)
    guest_emit("expedition.planning.team-readiness-validated", objective_id);
  traverse_write_output(&out);
  return 0;
}
