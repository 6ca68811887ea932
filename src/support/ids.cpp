#include "traverse/support/ids.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <random>

namespace traverse {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Writes `value` as exactly `width` decimal digits ending just before `end`; returns the start.
char* put_digits(char* end, std::int64_t value, int width) {
  for (int i = 0; i < width; ++i) {
    *--end = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return end;
}

// Days since 1970-01-01 → (year, month 1..12, day 1..31) in the proleptic Gregorian calendar
// (H. Hinnant's civil_from_days): exact for every date, no table, no time zone lookup.
struct CivilDate {
  std::int64_t year;
  int month;
  int day;
};

CivilDate civil_from_days(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<std::uint64_t>(days - era * 146097);
  const std::uint64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::uint64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::uint64_t shifted_month = (5 * day_of_year + 2) / 153;
  const auto day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  const auto month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  const std::int64_t year = static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2);
  return {year, month, day};
}

// 16 random bytes from a generator per thread: no lock on the hot path, seeded from the OS
// entropy source.
std::array<std::uint8_t, 16> random_bytes() {
  thread_local std::mt19937_64 generator{[] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32U) ^ device();
  }()};
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    std::uint64_t word = generator();
    for (std::size_t j = 0; j < 8; ++j) {
      bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
    }
  }
  return bytes;
}

// Sets the version nibble and the RFC 9562 variant bits, then formats 8-4-4-4-12 lowercase hex.
// Formatted by hand: ids are stamped on every attempt, and printf costs more than the rest.
std::string format_uuid(std::array<std::uint8_t, 16> bytes, std::uint8_t version) {
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0FU) | (static_cast<unsigned>(version) << 4U));
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3FU) | 0x80U);
  std::string text(36, '-');
  std::size_t at = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      ++at;  // the dash already there
    }
    text[at++] = kHexDigits[bytes[i] >> 4U];
    text[at++] = kHexDigits[bytes[i] & 0x0FU];
  }
  return text;
}

}  // namespace

std::string new_uuid_v4() {
  return format_uuid(random_bytes(), 4);
}

std::string new_uuid_v7() {
  std::array<std::uint8_t, 16> bytes = random_bytes();
  const auto millis =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  for (std::size_t i = 0; i < 6; ++i) {  // 48-bit big-endian Unix time in milliseconds
    bytes[i] = static_cast<std::uint8_t>(millis >> (8U * (5U - i)));
  }
  return format_uuid(bytes, 7);
}

std::string rfc3339(std::chrono::system_clock::time_point time) {
  using std::chrono::milliseconds;
  const std::int64_t millis_total =
      std::chrono::duration_cast<milliseconds>(time.time_since_epoch()).count();
  constexpr std::int64_t kMillisPerDay = 86'400'000;
  std::int64_t days = millis_total / kMillisPerDay;
  std::int64_t millis_of_day = millis_total % kMillisPerDay;
  if (millis_of_day < 0) {
    millis_of_day += kMillisPerDay;
    days -= 1;
  }
  const CivilDate date = civil_from_days(days);
  // "YYYY-MM-DDThh:mm:ss.mmmZ", assembled from the end. Years outside 0..9999 (never stamped by
  // a real clock) keep their digits and sign rather than being cut to four.
  char text[40];
  char* end = text + sizeof text;
  char* at = end;
  *--at = 'Z';
  at = put_digits(at, millis_of_day % 1000, 3);
  *--at = '.';
  at = put_digits(at, millis_of_day / 1000 % 60, 2);
  *--at = ':';
  at = put_digits(at, millis_of_day / 60'000 % 60, 2);
  *--at = ':';
  at = put_digits(at, millis_of_day / 3'600'000, 2);
  *--at = 'T';
  at = put_digits(at, date.day, 2);
  *--at = '-';
  at = put_digits(at, date.month, 2);
  *--at = '-';
  std::int64_t year = date.year < 0 ? -date.year : date.year;
  int width = 4;
  for (std::int64_t rest = year / 10000; rest > 0; rest /= 10) {
    ++width;
  }
  at = put_digits(at, year, width);
  if (date.year < 0) {
    *--at = '-';
  }
  return std::string(at, end);
}

std::string rfc3339_now() {
  // An execution stamps several times within the same millisecond (received, started,
  // completed, finished): each thread keeps its last text and reuses it while the millisecond
  // is the same.
  struct LastStamp {
    std::int64_t millis = INT64_MIN;
    std::string text;
  };
  thread_local LastStamp last;
  const auto now = std::chrono::system_clock::now();
  const std::int64_t millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  if (millis != last.millis) {
    last.text = rfc3339(now);
    last.millis = millis;
  }
  return last.text;
}

}  // namespace traverse
