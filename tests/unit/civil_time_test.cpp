// lib/civil_time: known dates (the epoch, leap days of 2000/2024, 2100 not leap, past 2038),
// round trips over every day of nine centuries, and sweeps checked against the host's gmtime_r
// and timegm.
#include "lib/civil_time.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <random>

namespace civil = coronet::civil;

namespace {

civil::DateTime gmtime_of(int64_t seconds) {
    time_t t = static_cast<time_t>(seconds);
    tm out{};
    EXPECT_NE(gmtime_r(&t, &out), nullptr) << seconds;
    return civil::DateTime{out.tm_year + 1900LL,
                           static_cast<unsigned>(out.tm_mon + 1),
                           static_cast<unsigned>(out.tm_mday),
                           static_cast<unsigned>(out.tm_hour),
                           static_cast<unsigned>(out.tm_min),
                           static_cast<unsigned>(out.tm_sec),
                           static_cast<unsigned>(out.tm_wday)};
}

void expect_same(const civil::DateTime& got, const civil::DateTime& want, int64_t seconds) {
    EXPECT_EQ(got.year, want.year) << seconds;
    EXPECT_EQ(got.month, want.month) << seconds;
    EXPECT_EQ(got.day, want.day) << seconds;
    EXPECT_EQ(got.hour, want.hour) << seconds;
    EXPECT_EQ(got.minute, want.minute) << seconds;
    EXPECT_EQ(got.second, want.second) << seconds;
    EXPECT_EQ(got.weekday, want.weekday) << seconds;
}

int64_t days_of(int64_t y, unsigned m, unsigned d) {
    return civil::days_from_date(civil::Date{y, m, d});
}

}  // namespace

TEST(CivilTime, Epoch) {
    EXPECT_EQ(days_of(1970, 1, 1), 0);
    civil::DateTime t = civil::from_unix_seconds(0);
    EXPECT_EQ(t.year, 1970);
    EXPECT_EQ(t.month, 1u);
    EXPECT_EQ(t.day, 1u);
    EXPECT_EQ(t.hour, 0u);
    EXPECT_EQ(t.weekday, 4u);  // Thursday
    civil::DateTime before = civil::from_unix_seconds(-1);
    EXPECT_EQ(before.year, 1969);
    EXPECT_EQ(before.month, 12u);
    EXPECT_EQ(before.day, 31u);
    EXPECT_EQ(before.hour, 23u);
    EXPECT_EQ(before.minute, 59u);
    EXPECT_EQ(before.second, 59u);
    EXPECT_EQ(before.weekday, 3u);
}

TEST(CivilTime, LeapYears) {
    EXPECT_TRUE(civil::is_leap_year(2000));   // divisible by 400
    EXPECT_FALSE(civil::is_leap_year(2100));  // by 100, not 400
    EXPECT_FALSE(civil::is_leap_year(1900));
    EXPECT_TRUE(civil::is_leap_year(2024));
    EXPECT_FALSE(civil::is_leap_year(2026));
    EXPECT_TRUE(civil::is_leap_year(0));
    EXPECT_TRUE(civil::is_leap_year(-4));
    EXPECT_EQ(civil::days_in_month(2000, 2), 29u);
    EXPECT_EQ(civil::days_in_month(2100, 2), 28u);
    EXPECT_EQ(civil::days_in_month(2024, 2), 29u);
    EXPECT_EQ(civil::days_in_month(2024, 13), 0u);

    // The leap day exists in 2000 and 2024 and sits between 28 Feb and 1 Mar.
    EXPECT_EQ(days_of(2000, 2, 29), days_of(2000, 2, 28) + 1);
    EXPECT_EQ(days_of(2000, 3, 1), days_of(2000, 2, 29) + 1);
    EXPECT_EQ(days_of(2024, 3, 1) - days_of(2024, 2, 28), 2);
    EXPECT_EQ(days_of(2100, 3, 1) - days_of(2100, 2, 28), 1);
    EXPECT_EQ(days_of(2001, 1, 1) - days_of(2000, 1, 1), 366);
    EXPECT_EQ(days_of(2101, 1, 1) - days_of(2100, 1, 1), 365);

    civil::Date leap = civil::date_from_days(days_of(2024, 2, 29));
    EXPECT_EQ(leap.year, 2024);
    EXPECT_EQ(leap.month, 2u);
    EXPECT_EQ(leap.day, 29u);
    civil::Date after = civil::date_from_days(days_of(2100, 2, 28) + 1);
    EXPECT_EQ(after.month, 3u);
    EXPECT_EQ(after.day, 1u);

    EXPECT_TRUE(civil::is_valid(civil::Date{2000, 2, 29}));
    EXPECT_FALSE(civil::is_valid(civil::Date{2100, 2, 29}));
    EXPECT_FALSE(civil::is_valid(civil::Date{2026, 4, 31}));
    EXPECT_FALSE(civil::is_valid(civil::Date{2026, 0, 1}));
    EXPECT_FALSE(civil::is_valid(civil::DateTime{2026, 1, 1, 24, 0, 0, 0}));
    EXPECT_TRUE(civil::is_valid(civil::DateTime{2026, 12, 31, 23, 59, 59, 0}));
}

TEST(CivilTime, KnownInstants) {
    // 2^31 seconds: where a signed 32-bit time_t ends.
    civil::DateTime y2038 = civil::from_unix_seconds(2147483648LL);
    expect_same(y2038, civil::DateTime{2038, 1, 19, 3, 14, 8, 2}, 2147483648LL);
    // 2^32 seconds: where an unsigned 32-bit counter ends.
    expect_same(civil::from_unix_seconds(4294967296LL), civil::DateTime{2106, 2, 7, 6, 28, 16, 0},
                4294967296LL);
    // RFC 9110's example date.
    expect_same(civil::from_unix_seconds(784111777), civil::DateTime{1994, 11, 6, 8, 49, 37, 0},
                784111777);
    EXPECT_EQ(civil::to_unix_seconds(civil::DateTime{1994, 11, 6, 8, 49, 37, 0}), 784111777);
    EXPECT_EQ(civil::to_unix_seconds(civil::DateTime{2000, 3, 1, 0, 0, 0, 0}), 951868800);
    EXPECT_EQ(civil::to_unix_seconds(civil::DateTime{9999, 12, 31, 23, 59, 59, 0}), 253402300799LL);
}

TEST(CivilTime, EveryDayRoundTrips) {
    // 1600-03-01 .. 2500-12-31: four 400-year cycle boundaries, every kind of century year.
    int64_t first = days_of(1600, 3, 1), last = days_of(2500, 12, 31);
    civil::Date previous = civil::date_from_days(first - 1);
    for (int64_t day = first; day <= last; ++day) {
        civil::Date date = civil::date_from_days(day);
        ASSERT_TRUE(civil::is_valid(date)) << day;
        ASSERT_EQ(civil::days_from_date(date), day);
        // Consecutive: the next day of the month, or the 1st of the next month/year.
        bool next_day = date.year == previous.year && date.month == previous.month &&
                        date.day == previous.day + 1;
        bool next_month =
            date.day == 1 && previous.day == civil::days_in_month(previous.year, previous.month) &&
            ((date.year == previous.year && date.month == previous.month + 1) ||
             (date.year == previous.year + 1 && date.month == 1 && previous.month == 12));
        ASSERT_TRUE(next_day || next_month) << day;
        previous = date;
    }
}

TEST(CivilTime, MatchesGmtimeEveryHourAroundTheEpochAnd2038) {
    for (int64_t base : {int64_t{0}, int64_t{2147483648LL}, int64_t{951782400} /* 2000-02-29 */}) {
        for (int64_t s = base - 3 * 366 * 86400; s <= base + 3 * 366 * 86400; s += 3599) {
            expect_same(civil::from_unix_seconds(s), gmtime_of(s), s);
            if (HasFailure()) return;
        }
    }
}

TEST(CivilTime, MatchesGmtimeAndTimegmOnRandomInstants) {
    std::mt19937_64 random(20261124);
    // Years 1000 to 9999 (the HTTP date range) and a few beyond.
    std::uniform_int_distribution<int64_t> seconds(-30610224000LL, 253402300799LL);
    std::uniform_int_distribution<int64_t> far(-62167219200LL, 32503680000LL * 10);
    for (int i = 0; i < 200000; ++i) {
        int64_t s = i % 10 == 0 ? far(random) : seconds(random);
        civil::DateTime got = civil::from_unix_seconds(s);
        expect_same(got, gmtime_of(s), s);
        tm broken{};
        broken.tm_year = static_cast<int>(got.year - 1900);
        broken.tm_mon = static_cast<int>(got.month) - 1;
        broken.tm_mday = static_cast<int>(got.day);
        broken.tm_hour = static_cast<int>(got.hour);
        broken.tm_min = static_cast<int>(got.minute);
        broken.tm_sec = static_cast<int>(got.second);
        EXPECT_EQ(static_cast<int64_t>(timegm(&broken)), s);
        EXPECT_EQ(civil::to_unix_seconds(got), s);
        if (HasFailure()) return;
    }
}
