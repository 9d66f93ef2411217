// Time units: every duration and deadline in Coronet is a uint64_t count of nanoseconds
// (sched::Deadline). Spell durations with these, e.g. `30 * kSecond`, never with raw zeros.
#pragma once

#include <cstdint>

namespace coronet {

inline constexpr uint64_t kNanosecond = 1;
inline constexpr uint64_t kMicrosecond = 1000 * kNanosecond;
inline constexpr uint64_t kMillisecond = 1000 * kMicrosecond;
inline constexpr uint64_t kSecond = 1000 * kMillisecond;

constexpr uint64_t us_to_ns(uint64_t us) { return us * kMicrosecond; }
constexpr uint64_t ms_to_ns(uint64_t ms) { return ms * kMillisecond; }
constexpr uint64_t s_to_ns(uint64_t s) { return s * kSecond; }
// Truncating: a partial unit does not count.
constexpr uint64_t ns_to_us(uint64_t ns) { return ns / kMicrosecond; }
constexpr uint64_t ns_to_ms(uint64_t ns) { return ns / kMillisecond; }
constexpr uint64_t ns_to_s(uint64_t ns) { return ns / kSecond; }

}  // namespace coronet
