/* expedition.planning.assemble-expedition-plan — step 5 of plan-expedition.
 *
 * Input  {objective_id, captured_objective, intent, conditions, readiness}
 * Output {plan_id, recommended_route_style, summary,
 *         plan: {plan_id, objective_id, status, itinerary[{day, activity}], checklist[]}}
 * plan_id = "plan-" + the 8 hex digits of objective_id. recommended_route_style:
 * "guided_rope_team" (ready, high difficulty), "standard_rope_team" (ready),
 * "skills_course_first" (not ready). status: "ready" or "needs_attention".
 * itinerary, one entry per day: a one-day plan is "Single-day outing: <title>"; otherwise day 1
 * "Approach: travel to <region> and check equipment", the last day "Descent and debrief", and in
 * between for an alpine ascent "Summit day: <title>" on the day before the last, "Acclimatise and
 * rehearse rope work" on day 2 and "Climb towards high camp" otherwise; for a trek "Trek stage
 * N"; else "Expedition day N".
 * checklist: "Confirm the weather forecast for <region>", "Share the itinerary and emergency
 * contacts", for alpine ascents "Pack crampons, ice axe, harness and rope", then "Brief the
 * team on <hazard>" per hazard and "Resolve: <gap>" per readiness gap.
 * summary: "Plan <plan_id>: <title> in <region> over <N> day(s) is ready|needs attention (<K>
 * readiness gap(s)); recommended route style <style>."
 * Emits expedition.planning.plan-assembled {objective_id}. */
#include <string.h>

#include "../common/guest.h"

const char* const guest_capability_name = "assemble-expedition-plan";

enum { kMaxDays = 366 };

static void write_day(json_writer* out, long long day, const char* activity) {
  jw_object_begin(out);
  jw_key(out, "activity");
  jw_string(out, activity);
  jw_key(out, "day");
  jw_integer(out, day);
  jw_object_end(out);
}

int main(void) {
  const json_value* input = guest_read_input();
  const char* objective_id = guest_string(input, "objective_id", "$");
  const json_value* captured = guest_object(input, "captured_objective", "$");
  const json_value* intent = guest_object(input, "intent", "$");
  const json_value* conditions = guest_object(input, "conditions", "$");
  const json_value* readiness = guest_object(input, "readiness", "$");
  const char* title = guest_string(captured, "title", "$.captured_objective");
  const char* region = guest_string(captured, "region", "$.captured_objective");
  const long long days = guest_integer(captured, "duration_days", "$.captured_objective");
  const char* activity = guest_string(intent, "activity", "$.intent");
  const char* difficulty = guest_string(intent, "difficulty", "$.intent");
  const json_value* hazards = guest_array(conditions, "hazards", "$.conditions");
  const json_value* gaps = guest_array(readiness, "gaps", "$.readiness");
  const json_value* ready_value = json_get(readiness, "ready");
  if (ready_value == NULL || ready_value->type != JSON_BOOL) {
    guest_fail("$.readiness.ready must be a boolean");
  }
  const int ready = ready_value->boolean;
  if (strncmp(objective_id, "obj-", 4) != 0 || strlen(objective_id) != 12) {
    guest_fail("$.objective_id must be \"obj-\" followed by 8 hex digits");
  }
  if (days < 1 || days > kMaxDays)
    guest_fail("$.captured_objective.duration_days is out of range");

  char plan_id[14] = "plan-";
  memcpy(plan_id + 5, objective_id + 4, 9);
  const char* style = !ready                            ? "skills_course_first"
                      : strcmp(difficulty, "high") == 0 ? "guided_rope_team"
                                                        : "standard_rope_team";
  const int alpine = strcmp(activity, "alpine_ascent") == 0;
  const int trek = strcmp(activity, "trek") == 0;

  guest_text summary = {0};
  text_append(&summary, "Plan ");
  text_append(&summary, plan_id);
  text_append(&summary, ": ");
  text_append(&summary, title);
  text_append(&summary, " in ");
  text_append(&summary, region);
  text_append(&summary, " over ");
  text_append_integer(&summary, days);
  text_append(&summary, days == 1 ? " day " : " days ");
  if (ready) {
    text_append(&summary, "is ready");
  } else {
    text_append(&summary, "needs attention (");
    text_append_integer(&summary, (long long)gaps->count);
    text_append(&summary, gaps->count == 1 ? " readiness gap)" : " readiness gaps)");
  }
  text_append(&summary, "; recommended route style ");
  text_append(&summary, style);
  text_append(&summary, ".");

  json_writer out;
  jw_init(&out);
  jw_object_begin(&out);
  jw_key(&out, "plan");
  jw_object_begin(&out);

  jw_key(&out, "checklist");
  jw_array_begin(&out);
  {
    guest_text item = {0};
    text_append(&item, "Confirm the weather forecast for ");
    text_append(&item, region);
    jw_string(&out, item.data);
  }
  jw_string(&out, "Share the itinerary and emergency contacts");
  if (alpine)
    jw_string(&out, "Pack crampons, ice axe, harness and rope");
  for (size_t i = 0; i < hazards->count; ++i) {
    const char* hazard = json_string(hazards->items[i]);
    if (hazard == NULL)
      continue;
    guest_text item = {0};
    text_append(&item, "Brief the team on ");
    text_append(&item, hazard);
    jw_string(&out, item.data);
  }
  for (size_t i = 0; i < gaps->count; ++i) {
    const char* gap = json_string(gaps->items[i]);
    if (gap == NULL)
      continue;
    guest_text item = {0};
    text_append(&item, "Resolve: ");
    text_append(&item, gap);
    jw_string(&out, item.data);
  }
  jw_array_end(&out);

  jw_key(&out, "itinerary");
  jw_array_begin(&out);
  if (days == 1) {
    guest_text single = {0};
    text_append(&single, "Single-day outing: ");
    text_append(&single, title);
    write_day(&out, 1, single.data);
  } else {
    guest_text approach = {0};
    text_append(&approach, "Approach: travel to ");
    text_append(&approach, region);
    text_append(&approach, " and check equipment");
    write_day(&out, 1, approach.data);
    for (long long day = 2; day < days; ++day) {
      guest_text label = {0};
      if (alpine) {
        if (day == days - 1) {
          text_append(&label, "Summit day: ");
          text_append(&label, title);
        } else {
          text_append(&label,
                      day == 2 ? "Acclimatise and rehearse rope work" : "Climb towards high camp");
        }
      } else {
        text_append(&label, trek ? "Trek stage " : "Expedition day ");
        text_append_integer(&label, trek ? day - 1 : day);
      }
      write_day(&out, day, label.data);
    }
    write_day(&out, days, "Descent and debrief");
  }
  jw_array_end(&out);

  jw_key(&out, "objective_id");
  jw_string(&out, objective_id);
  jw_key(&out, "plan_id");
  jw_string(&out, plan_id);
  jw_key(&out, "status");
  jw_string(&out, ready ? "ready" : "needs_attention");
  jw_object_end(&out);

  jw_key(&out, "plan_id");
  jw_string(&out, plan_id);
  jw_key(&out, "recommended_route_style");
  jw_string(&out, style);
  jw_key(&out, "summary");
  jw_string(&out, summary.data);
  jw_object_end(&out);

  guest_emit("expedition.planning.plan-assembled", objective_id);
  guest_write_output(&out);
  return 0;
}
