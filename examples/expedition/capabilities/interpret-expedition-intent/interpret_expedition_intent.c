/* expedition.planning.interpret-expedition-intent — step 2 of plan-expedition.
 *
 * Input  {captured_objective}
 * Output {intent: {activity, difficulty, keywords[]}}
 * The title is split into lowercase ASCII words. keywords = the recognised words (summit,
 * ascent, climb, trek, hike, glacier, ridge, traverse) in order of first appearance.
 * activity: "alpine_ascent" if summit/ascent/climb appears, else "trek" if trek/hike appears,
 * else "expedition". difficulty: "high" for an alpine ascent longer than 3 days, "moderate" for
 * other alpine ascents, else "low".
 * Emits expedition.planning.intent-interpreted {objective_id}. */
#include <string.h>

#include "../common/guest.h"

const char* const guest_capability_name = "interpret-expedition-intent";

static const char* const kVocabulary[] = {"summit", "ascent",  "climb", "trek",
                                          "hike",   "glacier", "ridge", "traverse"};
enum { kVocabularySize = sizeof kVocabulary / sizeof kVocabulary[0], kMaxWord = 32 };

static int is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int main(void) {
  const json_value* input = guest_read_input();
  const json_value* captured = guest_object(input, "captured_objective", "$");
  const char* title = guest_string(captured, "title", "$.captured_objective");
  const char* objective_id = guest_string(captured, "objective_id", "$.captured_objective");
  const long long duration_days = guest_integer(captured, "duration_days", "$.captured_objective");

  int found[kVocabularySize] = {0};
  int order[kVocabularySize];
  int keyword_count = 0;
  for (const char* p = title; *p != '\0';) {
    if (!is_letter(*p)) {
      ++p;
      continue;
    }
    char word[kMaxWord + 1];
    size_t length = 0;
    while (is_letter(*p)) {
      if (length < kMaxWord)
        word[length] = (char)(*p | 0x20); /* ASCII lowercase */
      ++length;
      ++p;
    }
    if (length > kMaxWord)
      continue;
    word[length] = '\0';
    for (int i = 0; i < kVocabularySize; ++i) {
      if (!found[i] && strcmp(word, kVocabulary[i]) == 0) {
        found[i] = 1;
        order[keyword_count++] = i;
      }
    }
  }

  const int alpine = found[0] || found[1] || found[2];
  const int trek = found[3] || found[4];
  const char* activity = alpine ? "alpine_ascent" : trek ? "trek" : "expedition";
  const char* difficulty = alpine ? (duration_days > 3 ? "high" : "moderate") : "low";

  json_writer out;
  jw_init(&out);
  jw_object_begin(&out);
  jw_key(&out, "intent");
  jw_object_begin(&out);
  jw_key(&out, "activity");
  jw_string(&out, activity);
  jw_key(&out, "difficulty");
  jw_string(&out, difficulty);
  jw_key(&out, "keywords");
  jw_array_begin(&out);
  for (int i = 0; i < keyword_count; ++i)
    jw_string(&out, kVocabulary[order[i]]);
  jw_array_end(&out);
  jw_object_end(&out);
  jw_object_end(&out);

  guest_emit("expedition.planning.intent-interpreted", objective_id);
  guest_write_output(&out);
  return 0;
}
