// Calendar arithmetic over a year that starts on 1 March: the leap day then falls on the last
// day of a year, so every month's first day is a fixed linear function of the month number, and
// the 400-year Gregorian cycle (146097 days, the same in every era) splits into centuries, four-
// year groups and years whose lengths differ only in their final one.
#include "lib/civil_time.hpp"

namespace coronet::civil {
namespace {

constexpr int64_t kDaysPer400Years = 146097;
constexpr int64_t kDaysPer100Years = 36524;  // a cycle's first three; the last has a day more
constexpr int64_t kDaysPer4Years = 1461;     // a century's groups but its last, maybe a day less
constexpr int64_t kDaysPerYear = 365;
// From 0000-03-01 (a cycle's first day) to 1970-01-01: 1969 whole March-years and Mar-Dec 1969.
constexpr int64_t kEpochFromCycleStart = 719468;
constexpr unsigned kEpochWeekday = 4;  // 1970-01-01 was a Thursday

// Division rounding toward minus infinity, so dates before the epoch work like the rest.
constexpr int64_t floor_div(int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
constexpr int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

// Day of the March-based year on which month `m` (0 March .. 11 February) begins: the month
// lengths 31 30 31 30 31 31 30 31 30 31 31 (29) repeat a 153-day, five-month pattern.
constexpr unsigned month_start(unsigned m) { return (153 * m + 2) / 5; }
// The inverse: which March-based month a day of the year falls in.
constexpr unsigned month_of(unsigned day_of_year) { return (5 * day_of_year + 2) / 153; }

static_assert(month_start(1) == 31 && month_start(10) == 306 && month_of(305) == 9 &&
              month_of(306) == 10);

}  // namespace

bool is_leap_year(int64_t year) {
    return floor_mod(year, 4) == 0 && (floor_mod(year, 100) != 0 || floor_mod(year, 400) == 0);
}

unsigned days_in_month(int64_t year, unsigned month) {
    constexpr unsigned kLengths[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) return 0;
    return month == 2 && is_leap_year(year) ? 29 : kLengths[month - 1];
}

bool is_valid(const Date& date) {
    return date.day >= 1 && date.day <= days_in_month(date.year, date.month);
}

bool is_valid(const DateTime& time) {
    return is_valid(Date{time.year, time.month, time.day}) && time.hour < 24 && time.minute < 60 &&
           time.second < 60;
}

int64_t days_from_date(const Date& date) {
    // January and February belong to the March-based year that began the previous March.
    int64_t year = date.year - (date.month <= 2 ? 1 : 0);
    unsigned march_month = date.month >= 3 ? date.month - 3 : date.month + 9;
    int64_t cycle = floor_div(year, 400);
    int64_t year_of_cycle = year - cycle * 400;  // 0-399
    int64_t day_of_cycle = year_of_cycle * kDaysPerYear + year_of_cycle / 4 - year_of_cycle / 100 +
                           month_start(march_month) + date.day - 1;
    return cycle * kDaysPer400Years + day_of_cycle - kEpochFromCycleStart;
}

Date date_from_days(int64_t days) {
    int64_t from_start = days + kEpochFromCycleStart;
    int64_t cycle = floor_div(from_start, kDaysPer400Years);
    int64_t day_of_cycle = from_start - cycle * kDaysPer400Years;  // 0-146096
    // Each min() catches the one extra day at the end of the longer last part.
    int64_t century = day_of_cycle / kDaysPer100Years;
    if (century > 3) century = 3;
    int64_t day_of_century = day_of_cycle - century * kDaysPer100Years;
    int64_t group = day_of_century / kDaysPer4Years;
    int64_t day_of_group = day_of_century - group * kDaysPer4Years;
    int64_t year_of_group = day_of_group / kDaysPerYear;
    if (year_of_group > 3) year_of_group = 3;
    auto day_of_year = static_cast<unsigned>(day_of_group - year_of_group * kDaysPerYear);  // 0-365

    unsigned march_month = month_of(day_of_year);
    Date date;
    date.day = day_of_year - month_start(march_month) + 1;
    date.month = march_month < 10 ? march_month + 3 : march_month - 9;
    date.year = cycle * 400 + century * 100 + group * 4 + year_of_group + (date.month <= 2 ? 1 : 0);
    return date;
}

unsigned weekday_from_days(int64_t days) {
    return static_cast<unsigned>(floor_mod(days + kEpochWeekday, 7));
}

DateTime from_unix_seconds(int64_t seconds) {
    int64_t days = floor_div(seconds, kSecondsPerDay);
    auto second_of_day = static_cast<unsigned>(seconds - days * kSecondsPerDay);
    Date date = date_from_days(days);
    return DateTime{date.year,
                    date.month,
                    date.day,
                    second_of_day / 3600,
                    second_of_day / 60 % 60,
                    second_of_day % 60,
                    weekday_from_days(days)};
}

int64_t to_unix_seconds(const DateTime& time) {
    return days_from_date(Date{time.year, time.month, time.day}) * kSecondsPerDay +
           time.hour * 3600 + time.minute * 60 + time.second;
}

}  // namespace coronet::civil
