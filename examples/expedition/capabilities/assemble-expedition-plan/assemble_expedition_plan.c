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

#include "../common/expedition.h"

enum { kMaxDays = 366 };

static void write_day(traverse_writer* out, long long day, const char* activity) {
  traverse_writer_object_begin(out);
  traverse_writer_key(out, "activity");
  traverse_writer_string(out, activity);
  traverse_writer_key(out, "day");
  traverse_writer_integer(out, day);
  traverse_writer_object_end(out);
}

int main(void) {
  traverse_set_name("assemble-expedition-plan");
  const traverse_json* input = traverse_read_input();
  const char* objective_id = traverse_require_string(input, "objective_id", "$");
  const traverse_json* captured = traverse_require_object(input, "captured_objective", "$");
  const traverse_json* intent = traverse_require_object(input, "intent", "$");
  const traverse_json* conditions = traverse_require_object(input, "conditions", "$");
  const traverse_json* readiness = traverse_require_object(input, "readiness", "$");
  const char* title = traverse_require_string(captured, "title", "$.captured_objective");
  const char* region = traverse_require_string(captured, "region", "$.captured_objective");
  const long long days =
      traverse_require_integer(captured, "duration_days", "$.captured_objective");
  const char* activity = traverse_require_string(intent, "activity", "$.intent");
  const char* difficulty = traverse_require_string(intent, "difficulty", "$.intent");
  const traverse_json* hazards = traverse_require_array(conditions, "hazards", "$.conditions");
  const traverse_json* gaps = traverse_require_array(readiness, "gaps", "$.readiness");
  const traverse_json* ready_value = traverse_json_get(readiness, "ready");
  if (ready_value == NULL || ready_value->type != TRAVERSE_JSON_BOOL) {
    traverse_fail("$.readiness.ready must be a boolean");
  }
  const int ready = ready_value->boolean;
  if (strncmp(objective_id, "obj-", 4) != 0 || strlen(objective_id) != 12) {
    traverse_fail("$.objective_id must be \"obj-\" followed by 8 hex digits");
  }
  if (days < 1 || days > kMaxDays)
    traverse_fail("$.captured_objective.duration_days is out of range");

  char plan_id[14] = "plan-";
  memcpy(plan_id + 5, objective_id + 4, 9);
  const char* style = !ready                            ? "skills_course_first"
                      : strcmp(difficulty, "high") == 0 ? "guided_rope_team"
                                                        : "standard_rope_team";
  const int alpine = strcmp(activity, "alpine_ascent") == 0;
  const int trek = strcmp(activity, "trek") == 0;

  traverse_text summary = {0};
  traverse_text_append(&summary, "Plan ");
  traverse_text_append(&summary, plan_id);
  traverse_text_append(&summary, ": ");
  traverse_text_append(&summary, title);
  traverse_text_append(&summary, " in ");
  traverse_text_append(&summary, region);
  traverse_text_append(&summary, " over ");
  traverse_text_append_integer(&summary, days);
  traverse_text_append(&summary, days == 1 ? " day " : " days ");
  if (ready) {
    traverse_text_append(&summary, "is ready");
  } else {
    traverse_text_append(&summary, "needs attention (");
    traverse_text_append_integer(&summary, (long long)gaps->count);
    traverse_text_append(&summary, gaps->count == 1 ? " readiness gap)" : " readiness gaps)");
  }
  traverse_text_append(&summary, "; recommended route style ");
  traverse_text_append(&summary, style);
  traverse_text_append(&summary, ".");

  traverse_writer out;
  traverse_writer_init(&out);
  traverse_writer_object_begin(&out);
  traverse_writer_key(&out, "plan");
  traverse_writer_object_begin(&out);

  traverse_writer_key(&out, "checklist");
  traverse_writer_array_begin(&out);
  {
    traverse_text item = {0};
    traverse_text_append(&item, "Confirm the weather forecast for ");
    traverse_text_append(&item, region);
    traverse_writer_string(&out, item.data);
  }
  traverse_writer_string(&out, "Share the itinerary and emergency contacts");
  if (alpine)
    traverse_writer_string(&out, "Pack crampons, ice axe, harness and rope");
  for (size_t i = 0; i < hazards->count; ++i) {
    const char* hazard = traverse_json_string(hazards->items[i]);
    if (hazard == NULL)
      continue;
    traverse_text item = {0};
    traverse_text_append(&item, "Brief the team on ");
    traverse_text_append(&item, hazard);
    traverse_writer_string(&out, item.data);
  }
  for (size_t i = 0; i < gaps->count; ++i) {
    const char* gap = traverse_json_string(gaps->items[i]);
    if (gap == NULL)
      continue;
    traverse_text item = {0};
    traverse_text_append(&item, "Resolve: ");
    traverse_text_append(&item, gap);
    traverse_writer_string(&out, item.data);
  }
  traverse_writer_array_end(&out);

  traverse_writer_key(&out, "itinerary");
  traverse_writer_array_begin(&out);
  if (days == 1) {
    traverse_text single = {0};
    traverse_text_append(&single, "Single-day outing: ");
    traverse_text_append(&single, title);
    write_day(&out, 1, single.data);
  } else {
    traverse_text approach = {0};
    traverse_text_append(&approach, "Approach: travel to ");
    traverse_text_append(&approach, region);
    traverse_text_append(&approach, " and check equipment");
    write_day(&out, 1, approach.data);
    for (long long day = 2; day < days; ++day) {
      traverse_text label = {0};
      if (alpine) {
        if (day == days - 1) {
          traverse_text_append(&label, "Summit day: ");
          traverse_text_append(&label, title);
        } else {
          traverse_text_append(
              &label, day == 2 ? "Acclimatise and rehearse rope work" : "Climb towards high camp");
        }
      } else {
        traverse_text_append(&label, trek ? "Trek stage " : "Expedition day ");
        traverse_text_append_integer(&label, trek ? day - 1 : day);
      }
      write_day(&out, day, label.data);
    }
    write_day(&out, days, "Descent and debrief");
  }
  traverse_writer_array_end(&out);

  traverse_writer_key(&out, "objective_id");
  traverse_writer_string(&out, objective_id);
  traverse_writer_key(&out, "plan_id");
  traverse_writer_string(&out, plan_id);
  traverse_writer_key(&out, "status");
  traverse_writer_string(&out, ready ? "ready" : "needs_attention");
  traverse_writer_object_end(&out);

  traverse_writer_key(&out, "plan_id");
  traverse_writer_string(&out, plan_id);
  traverse_writer_key(&out, "recommended_route_style");
  traverse_writer_string(&out, style);
  traverse_writer_key(&out, "summary");
  traverse_writer_string(&out, summary.data);
  traverse_writer_object_end(&out);

  guest_emit("expedition.planning.plan-assembled", objective_id);
  traverse_write_output(&out);
  return 0;
}
