/* expedition.planning.assess-expedition-conditions — step 3 of plan-expedition.
 *
 * Input  {captured_objective, intent}
 * Output {conditions: {season, risk_level, pressure_score, hazards[], summary}}
 * season from the start month: Dec-Feb winter, Mar-May spring, Jun-Aug summer, Sep-Nov autumn.
 * hazards: by activity (alpine_ascent: crevasses, rockfall, altitude sickness; trek: river
 * crossings, weather exposure; expedition: remoteness), then by season (winter: avalanches,
 * extreme cold; spring: wet snow avalanches; summer: afternoon thunderstorms; autumn: early
 * snowfall, short daylight), then "fatigue on a long itinerary" beyond 5 days.
 * pressure_score = difficulty (low 0.2, moderate 0.4, high 0.6) + season (winter 0.3, spring
 * 0.1, summer 0.0, autumn 0.1) + 0.05 per day beyond 3, at most 1.0; always printed with a
 * decimal point. risk_level: below 0.4 low, below 0.7 moderate, else high.
 * Emits expedition.planning.conditions-assessed {objective_id}. */
#include <string.h>

#include "../common/guest.h"

const char* const guest_capability_name = "assess-expedition-conditions";

enum { kMaxHazards = 8 };

static int month_of(const char* date) {
  /* YYYY-MM-DD */
  if (strlen(date) < 7 || date[4] != '-' || date[5] < '0' || date[5] > '1' || date[6] < '0' ||
      date[6] > '9') {
    guest_fail("$.captured_objective.start_date must be a date (YYYY-MM-DD)");
  }
  const int month = (date[5] - '0') * 10 + (date[6] - '0');
  if (month < 1 || month > 12)
    guest_fail("$.captured_objective.start_date has no valid month");
  return month;
}

int main(void) {
  const json_value* input = guest_read_input();
  const json_value* captured = guest_object(input, "captured_objective", "$");
  const json_value* intent = guest_object(input, "intent", "$");
  const char* objective_id = guest_string(captured, "objective_id", "$.captured_objective");
  const char* region = guest_string(captured, "region", "$.captured_objective");
  const char* start_date = guest_string(captured, "start_date", "$.captured_objective");
  const long long duration_days = guest_integer(captured, "duration_days", "$.captured_objective");
  const char* activity = guest_string(intent, "activity", "$.intent");
  const char* difficulty = guest_string(intent, "difficulty", "$.intent");

  const int month = month_of(start_date);
  const char* season = month == 12 || month <= 2 ? "winter"
                       : month <= 5              ? "spring"
                       : month <= 8              ? "summer"
                                                 : "autumn";
  const char* season_title = season[0] == 'w'   ? "Winter"
                             : season[0] == 's' ? (season[1] == 'p' ? "Spring" : "Summer")
                                                : "Autumn";

  const char* hazards[kMaxHazards];
  size_t hazard_count = 0;
  if (strcmp(activity, "alpine_ascent") == 0) {
    hazards[hazard_count++] = "crevasses";
    hazards[hazard_count++] = "rockfall";
    hazards[hazard_count++] = "altitude sickness";
  } else if (strcmp(activity, "trek") == 0) {
    hazards[hazard_count++] = "river crossings";
    hazards[hazard_count++] = "weather exposure";
  } else {
    hazards[hazard_count++] = "remoteness";
  }
  if (strcmp(season, "winter") == 0) {
    hazards[hazard_count++] = "avalanches";
    hazards[hazard_count++] = "extreme cold";
  } else if (strcmp(season, "spring") == 0) {
    hazards[hazard_count++] = "wet snow avalanches";
  } else if (strcmp(season, "summer") == 0) {
    hazards[hazard_count++] = "afternoon thunderstorms";
  } else {
    hazards[hazard_count++] = "early snowfall";
    hazards[hazard_count++] = "short daylight";
  }
  if (duration_days > 5)
    hazards[hazard_count++] = "fatigue on a long itinerary";

  long long pressure = strcmp(difficulty, "high") == 0       ? 60
                       : strcmp(difficulty, "moderate") == 0 ? 40
                                                             : 20;
  pressure += strcmp(season, "winter") == 0 ? 30 : strcmp(season, "summer") == 0 ? 0 : 10;
  if (duration_days > 3)
    pressure += (duration_days - 3) * 5;
  if (pressure > 100)
    pressure = 100;
  const char* risk_level = pressure < 40 ? "low" : pressure < 70 ? "moderate" : "high";

  guest_text summary = {0};
  text_append(&summary, season_title);
  text_append(&summary, " conditions in ");
  text_append(&summary, region);
  text_append(&summary, ": ");
  text_append(&summary, risk_level);
  text_append(&summary, " risk (pressure ");
  text_append_hundredths(&summary, (int)pressure);
  text_append(&summary, "); main hazards: ");
  text_append_list(&summary, hazards, hazard_count);
  text_append(&summary, ".");

  json_writer out;
  jw_init(&out);
  jw_object_begin(&out);
  jw_key(&out, "conditions");
  jw_object_begin(&out);
  jw_key(&out, "hazards");
  jw_array_begin(&out);
  for (size_t i = 0; i < hazard_count; ++i)
    jw_string(&out, hazards[i]);
  jw_array_end(&out);
  jw_key(&out, "pressure_score");
  jw_hundredths(&out, (int)pressure);
  jw_key(&out, "risk_level");
  jw_string(&out, risk_level);
  jw_key(&out, "season");
  jw_string(&out, season);
  jw_key(&out, "summary");
  jw_string(&out, summary.data);
  jw_object_end(&out);
  jw_object_end(&out);

  guest_emit("expedition.planning.conditions-assessed", objective_id);
  guest_write_output(&out);
  return 0;
}
