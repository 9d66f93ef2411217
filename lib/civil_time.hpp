// Civil time in UTC: the proleptic Gregorian calendar against a count of days or seconds since
// 1970-01-01, as Unix time counts them (no leap seconds). Pure arithmetic, shared by the RTC
// drivers (calendar registers -> Unix seconds) and the HTTP Date header (the other way).
#pragma once

#include <cstdint>

namespace coronet::civil {

inline constexpr int64_t kSecondsPerDay = 86400;

struct Date {
    int64_t year;    // astronomical numbering: year 0 is 1 BC
    unsigned month;  // 1-12
    unsigned day;    // 1-31
};

// Broken-down UTC, what gmtime() gives but with a plain year and 1-based month.
struct DateTime {
    int64_t year;
    unsigned month;    // 1-12
    unsigned day;      // 1-31
    unsigned hour;     // 0-23
    unsigned minute;   // 0-59
    unsigned second;   // 0-59
    unsigned weekday;  // 0 Sunday .. 6 Saturday
};

bool is_leap_year(int64_t year);
unsigned days_in_month(int64_t year, unsigned month);  // 0 for a month outside 1-12
// Whether the fields name a real calendar date (and, for DateTime, a time of day).
bool is_valid(const Date& date);
bool is_valid(const DateTime& time);

// Days since 1970-01-01 (negative before). The date must be valid.
int64_t days_from_date(const Date& date);
Date date_from_days(int64_t days);
unsigned weekday_from_days(int64_t days);

// Unix seconds <-> broken-down UTC. to_unix_seconds ignores `weekday` and needs a valid time.
DateTime from_unix_seconds(int64_t seconds);
int64_t to_unix_seconds(const DateTime& time);

}  // namespace coronet::civil
