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

#include "../common/expedition.h"

enum { kMaxHazards = 8 };

static int month_of(const char* date) {
  /* YYYY-MM-DD */
  if (strlen(date) < 7 || date[4] != '-' || date[5] < '0' || date[5] > '1' || date[6] < '0' ||
      date[6] > '9') {
    traverse_fail("$.captured_objective.start_date must be a date (YYYY-MM-DD)");
  }
  const int month = (date[5] - '0') * 10 + (date[6] - '0');
  if (month < 1 || month > 12)
    traverse_fail("$.captured_objective.start_date has no valid month");
  return month;
}

int main(void) {
  traverse_set_name("assess-expedition-conditions");
  const traverse_json* input = traverse_read_input();
  const traverse_json* captured = traverse_require_object(input, "captured_objective", "$");
  const traverse_json* intent = traverse_require_object(input, "intent", "$");
  const char* objective_id =
      traverse_require_string(captured, "objective_id", "$.captured_objective");
  const char* region = traverse_require_string(captured, "region", "$.captured_objective");
  const char* start_date = traverse_require_string(captured, "start_date", "$.captured_objective");
  const long long duration_days =
      traverse_require_integer(captured, "duration_days", "$.captured_objective");
  const char* activity = traverse_require_string(intent, "activity", "$.intent");
  const char* difficulty = traverse_require_string(intent, "difficulty", "$.intent");

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

  traverse_text summary = {0};
  traverse_text_append(&summary, season_title);
  traverse_text_append(&summary, " conditions in ");
  traverse_text_append(&summary, region);
  traverse_text_append(&summary, ": ");
  traverse_text_append(&summary, risk_level);
  traverse_text_append(&summary, " risk (pressure ");
  traverse_text_append_hundredths(&summary, (int)pressure);
  traverse_text_append(&summary, "); main hazards: ");
  traverse_text_append_list(&summary, hazards, hazard_count);
  traverse_text_append(&summary, ".");

  traverse_writer out;
  traverse_writer_init(&out);
  traverse_writer_object_begin(&out);
  traverse_writer_key(&out, "conditions");
  traverse_writer_object_begin(&out);
  traverse_writer_key(&out, "hazards");
  traverse_writer_array_begin(&out);
  for (size_t i = 0; i < hazard_count; ++i)
    traverse_writer_string(&out, hazards[i]);
  traverse_writer_array_end(&out);
  traverse_writer_key(&out, "pressure_score");
  traverse_writer_hundredths(&out, (int)pressure);
  traverse_writer_key(&out, "risk_level");
  traverse_writer_string(&out, risk_level);
  traverse_writer_key(&out, "season");
  traverse_writer_string(&out, season);
  traverse_writer_key(&out, "summary");
  traverse_writer_string(&out, summary.data);
  traverse_writer_object_end(&out);
  traverse_writer_object_end(&out);

  guest_emit("expedition.planning.conditions-assessed", objective_id);
  traverse_write_output(&out);
  return 0;
}
