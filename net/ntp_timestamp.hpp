// NTP timestamps (RFC 5905 section 6) as lwIP's SNTP client exchanges them with the port:
// signed seconds from the start of NTP era 1 (2036-02-07T06:28:16Z), so 1968 to 2104, and a
// 32-bit binary fraction of a second; converted to and from Unix nanoseconds without loss.
#pragma once

#include <cstdint>

#include "lib/time_units.hpp"

namespace coronet::net {

// Unix seconds at the start of NTP era 1 (era 0 began 1900-01-01, 2^32 seconds earlier).
inline constexpr int64_t kNtpEra1UnixSeconds = 2'085'978'496;

struct NtpTimestamp {
    int32_t seconds;    // from the start of era 1
    uint32_t fraction;  // 2^-32 s
};

constexpr int64_t ntp_to_unix_ns(NtpTimestamp t) {
    constexpr int64_t kSecondNs = static_cast<int64_t>(kSecond);
    return (int64_t{t.seconds} + kNtpEra1UnixSeconds) * kSecondNs +
           static_cast<int64_t>((uint64_t{t.fraction} * kSecond) >> 32);
}

// Rounds the fraction up, so that ntp_to_unix_ns() gives back the same nanosecond. Times
// outside 1968-2104 are clamped to its ends.
constexpr NtpTimestamp unix_ns_to_ntp(int64_t unix_ns) {
    constexpr int64_t kSecondNs = static_cast<int64_t>(kSecond);
    int64_t seconds = unix_ns / kSecondNs;
    int64_t rest = unix_ns % kSecondNs;
    if (rest < 0) {
        rest += kSecondNs;
        --seconds;
    }
    seconds -= kNtpEra1UnixSeconds;
    if (seconds < INT32_MIN) return {INT32_MIN, 0};
    if (seconds > INT32_MAX) return {INT32_MAX, UINT32_MAX};
    uint64_t fraction = ((static_cast<uint64_t>(rest) << 32) + kSecond - 1) / kSecond;
    return {static_cast<int32_t>(seconds), static_cast<uint32_t>(fraction)};
}

}  // namespace coronet::net
