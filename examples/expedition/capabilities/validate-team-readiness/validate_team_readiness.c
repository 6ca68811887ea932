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

#include "../common/guest.h"

const char* const guest_capability_name = "validate-team-readiness";

int main(void) {
  const json_value* input = guest_read_input();
  const json_value* team = guest_array(input, "team", "$");
  const json_value* intent = guest_object(input, "intent", "$");
  const json_value* conditions = guest_object(input, "conditions", "$");
  const char* activity = guest_string(intent, "activity", "$.intent");
  const char* risk_level = guest_string(conditions, "risk_level", "$.conditions");
  const char* objective_id = json_string(json_get(input, "objective_id"));
  const int alpine = strcmp(activity, "alpine_ascent") == 0;

  long long experts = 0;
  long long points = 0;
  /* One possible gap per member, in team order. */
  guest_text* member_gaps = calloc(team->count + 1, sizeof *member_gaps);
  if (member_gaps == NULL)
    guest_fail("out of memory");
  size_t member_gap_count = 0;
  for (size_t i = 0; i < team->count; ++i) {
    const json_value* member = team->items[i];
    if (member->type != JSON_OBJECT)
      guest_fail("$.team items must be objects");
    const char* name = guest_string(member, "name", "$.team[]");
    const char* experience = guest_string(member, "experience", "$.team[]");
    const json_value* certifications = guest_array(member, "certifications", "$.team[]");
    long long member_points = strcmp(experience, "expert") == 0         ? 100
                              : strcmp(experience, "intermediate") == 0 ? 70
                                                                        : 40;
    if (strcmp(experience, "expert") == 0)
      ++experts;
    if (alpine && !json_array_has_string(certifications, "glacier-travel")) {
      member_points /= 2;
      text_append(&member_gaps[member_gap_count], name);
      text_append(&member_gaps[member_gap_count], " lacks glacier-travel");
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

  json_writer out;
  jw_init(&out);
  jw_object_begin(&out);
  jw_key(&out, "readiness");
  jw_object_begin(&out);
  jw_key(&out, "experts");
  jw_integer(&out, experts);
  jw_key(&out, "gaps");
  jw_array_begin(&out);
  size_t gap_count = 0;
  if (experts == 0) {
    jw_string(&out, "no expert on the team");
    ++gap_count;
  }
  for (size_t i = 0; i < member_gap_count; ++i) {
    jw_string(&out, member_gaps[i].data);
    ++gap_count;
  }
  if (strcmp(risk_level, "high") == 0 && experts < 2) {
    jw_string(&out, "high-risk conditions call for at least two experts");
    ++gap_count;
  }
  jw_array_end(&out);
  jw_key(&out, "ready");
  jw_bool(&out, gap_count == 0);
  jw_key(&out, "score");
  jw_hundredths(&out, (int)score);
  jw_key(&out, "team_size");
  jw_integer(&out, team_size);
  jw_object_end(&out);
  jw_object_end(&out);

  if (objective_id != NULL)
    guest_emit("expedition.planning.team-readiness-validated", objective_id);
  guest_write_output(&out);
  return 0;
}
