// NTP era-1 timestamps to Unix nanoseconds and back: known instants, the sub-second fraction,
// exact round trips, and the ends of the range lwIP's client can represent.
#include "net/ntp_timestamp.hpp"

#include <gtest/gtest.h>

namespace coronet::net {
namespace {

TEST(NtpTimestamp, EraOneStartsIn2036) {
    EXPECT_EQ(ntp_to_unix_ns({0, 0}), kNtpEra1UnixSeconds * 1'000'000'000);
    // 1970-01-01 is 2 208 988 800 s into era 0, i.e. that much minus 2^32 into era 1.
    EXPECT_EQ(ntp_to_unix_ns({static_cast<int32_t>(2'208'988'800LL - (1LL << 32)), 0}), 0);
    NtpTimestamp epoch = unix_ns_to_ntp(0);
    EXPECT_EQ(epoch.seconds, -kNtpEra1UnixSeconds);
    EXPECT_EQ(epoch.fraction, 0u);
}

TEST(NtpTimestamp, FractionIsBinary) {
    int32_t s = -300'000'000;  // some time in 2026
    EXPECT_EQ(ntp_to_unix_ns({s, 0x80000000u}) - ntp_to_unix_ns({s, 0}), 500'000'000);
    EXPECT_EQ(ntp_to_unix_ns({s, 0xFFFFFFFFu}) - ntp_to_unix_ns({s, 0}), 999'999'999);
    EXPECT_EQ(unix_ns_to_ntp(ntp_to_unix_ns({s, 0}) + 250'000'000).fraction, 0x40000000u);
}

TEST(NtpTimestamp, RoundTripsEveryNanosecond) {
    const int64_t base = 1'767'225'600LL * 1'000'000'000LL;  // 2026-01-01
    for (int64_t ns : {0LL, 1LL, 2LL, 3LL, 232LL, 233LL, 499'999'999LL, 500'000'000LL,
                       999'999'998LL, 999'999'999LL}) {
        NtpTimestamp t = unix_ns_to_ntp(base + ns);
        EXPECT_EQ(ntp_to_unix_ns(t), base + ns) << ns;
    }
    for (int64_t ns = 0; ns < 1'000'000'000; ns += 999'983) {
        EXPECT_EQ(ntp_to_unix_ns(unix_ns_to_ntp(base + ns)), base + ns) << ns;
    }
}

TEST(NtpTimestamp, BeforeTheUnixEpochAndOutOfRange) {
    EXPECT_EQ(ntp_to_unix_ns(unix_ns_to_ntp(-1)), -1);
    EXPECT_EQ(unix_ns_to_ntp(-1).seconds, -kNtpEra1UnixSeconds - 1);
    EXPECT_EQ(unix_ns_to_ntp(INT64_MAX).seconds, INT32_MAX);
    EXPECT_EQ(unix_ns_to_ntp(INT64_MIN).seconds, INT32_MIN);
}

}  // namespace
}  // namespace coronet::net
