// Wall-clock time: the RTC read once at boot, carried forward by the monotonic uptime (no
// drift correction, no NTP). Good to the second, which is what the HTTP Date header and log
// stamps need.
#pragma once

#include <cstdint>

namespace coronet::wall_clock {

// Reads the RTC (arch/rtc.hpp) and logs the time, or a warning if there is none. Needs the
// calibrated clock and the final page tables; called once by kernel_main.
void init();

// Whether init() found a working RTC.
bool available();
// UTC Unix seconds now; 0 when !available().
uint64_t unix_seconds();
// UTC Unix nanoseconds now (the same reading with the uptime's resolution); 0 when
// !available().
uint64_t unix_ns();

}  // namespace coronet::wall_clock
