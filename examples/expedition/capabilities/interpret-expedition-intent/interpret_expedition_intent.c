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

#include "../common/expedition.h"

static const char* const kVocabulary[] = {"summit", "ascent",  "climb", "trek",
                                          "hike",   "glacier", "ridge", "traverse"};
enum { kVocabularySize = sizeof kVocabulary / sizeof kVocabulary[0], kMaxWord = 32 };

static int is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int main(void) {
  traverse_set_name("interpret-expedition-intent");
  const traverse_json* input = traverse_read_input();
  const traverse_json* captured = traverse_require_object(input, "captured_objective", "$");
  const char* title = traverse_require_string(captured, "title", "$.captured_objective");
  const char* objective_id =
      traverse_require_string(captured, "objective_id", "$.captured_objective");
  const long long duration_days =
      traverse_require_integer(captured, "duration_days", "$.captured_objective");

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

  traverse_writer out;
  traverse_writer_init(&out);
  traverse_writer_object_begin(&out);
  traverse_writer_key(&out, "intent");
  traverse_writer_object_begin(&out);
  traverse_writer_key(&out, "activity");
  traverse_writer_string(&out, activity);
  traverse_writer_key(&out, "difficulty");
  traverse_writer_string(&out, difficulty);
  traverse_writer_key(&out, "keywords");
  traverse_writer_array_begin(&out);
  for (int i = 0; i < keyword_count; ++i)
    traverse_writer_string(&out, kVocabulary[order[i]]);
  traverse_writer_array_end(&out);
  traverse_writer_object_end(&out);
  traverse_writer_object_end(&out);

  guest_emit("expedition.planning.intent-interpreted", objective_id);
  traverse_write_output(&out);
  return 0;
}
