// apps/http/date: IMF-fixdate against RFC 9110's example and the host's strftime over a sweep,
// the four-digit-year clamp, and the buffer-size contract.
#include "apps/http/date.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <random>
#include <string>

using coronet::http::format_http_date;
using coronet::http::kHttpDateLength;
using coronet::http::kLatestHttpDate;

namespace {

std::string format(uint64_t seconds) {
    char out[30];
    size_t n = format_http_date(seconds, out);
    EXPECT_EQ(n, kHttpDateLength);
    EXPECT_EQ(out[n], '\0');
    return std::string(out, n);
}

// The reference: strftime in the C locale (English names) on the host's gmtime_r.
std::string strftime_date(uint64_t seconds) {
    time_t t = static_cast<time_t>(seconds);
    tm broken{};
    gmtime_r(&t, &broken);
    char out[64];
    size_t n = strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S GMT", &broken);
    return std::string(out, n);
}

}  // namespace

TEST(HttpDate, Rfc9110Example) { EXPECT_EQ(format(784111777), "Sun, 06 Nov 1994 08:49:37 GMT"); }

TEST(HttpDate, KnownInstants) {
    EXPECT_EQ(format(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(format(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
    EXPECT_EQ(format(1709164800), "Thu, 29 Feb 2024 00:00:00 GMT");
    EXPECT_EQ(format(2147483647), "Tue, 19 Jan 2038 03:14:07 GMT");
    EXPECT_EQ(format(2147483648), "Tue, 19 Jan 2038 03:14:08 GMT");
    EXPECT_EQ(format(4107542400), "Mon, 01 Mar 2100 00:00:00 GMT");  // 2100 has no 29 Feb
    EXPECT_EQ(format(4107542399), "Sun, 28 Feb 2100 23:59:59 GMT");
}

TEST(HttpDate, YearsPast9999AreClamped) {
    EXPECT_EQ(format(kLatestHttpDate), "Fri, 31 Dec 9999 23:59:59 GMT");
    EXPECT_EQ(format(kLatestHttpDate + 1), "Fri, 31 Dec 9999 23:59:59 GMT");
    EXPECT_EQ(format(UINT64_MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(HttpDate, SmallBufferIsRefused) {
    char out[kHttpDateLength] = {'x'};
    EXPECT_EQ(format_http_date(0, out, sizeof out), 0u);
    EXPECT_EQ(out[0], 'x');
    EXPECT_EQ(format_http_date(0, nullptr, 64), 0u);
    char room[64];
    EXPECT_EQ(format_http_date(0, room, sizeof room), kHttpDateLength);
}

TEST(HttpDate, MatchesStrftime) {
    // Every 7 hours and 13 minutes for 200 years from 1970, then random instants up to 9999.
    for (uint64_t s = 0; s < 200ULL * 366 * 86400; s += 7 * 3600 + 13 * 60 + 17) {
        ASSERT_EQ(format(s), strftime_date(s)) << s;
    }
    std::mt19937_64 random(29);
    std::uniform_int_distribution<uint64_t> seconds(0, kLatestHttpDate);
    for (int i = 0; i < 100000; ++i) {
        uint64_t s = seconds(random);
        ASSERT_EQ(format(s), strftime_date(s)) << s;
    }
}
