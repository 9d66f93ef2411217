// Wall-clock time: the RTC read once at boot, carried forward by the monotonic uptime, and
// corrected by whatever time reference a layer above hands in (the network's NTP client): a
// step the first time, then slewed, the uptime counter's rate error corrected too
// (kernel/clock_discipline.hpp).
#pragma once

#include <cstdint>

#include "kernel/clock_discipline.hpp"

namespace coronet::wall_clock {

// Reads the RTC (arch/rtc.hpp) and logs the time, or a warning if there is none. Needs the
// calibrated clock and the final page tables; called once by kernel_main.
void init();

// Whether there is a wall time: init() found a working RTC, or a reference set the clock.
bool available();
// UTC Unix seconds now; 0 when !available().
uint64_t unix_seconds();
// UTC Unix nanoseconds now (the same reading with the uptime's resolution); 0 when
// !available(). Goes backwards only when a correction steps the clock.
uint64_t unix_ns();

// A reference measured the true time: it is `true_unix_ns` now. `source` names the reference
// (a string that lives forever, e.g. "ntp") for stats(). Call from coroutine context.
ClockCorrection correct(uint64_t true_unix_ns, const char* source);

struct Stats {
    const char* source;         // "none", "rtc", or the last correction's source
    bool synced;                // a reference has corrected the clock
    uint64_t syncs;             // corrections so far ...
    uint64_t steps;             // ... of which steps
    int64_t last_offset_ns;     // the last one's measured offset (reference minus clock)
    int64_t frequency_ppb;      // the rate correction in force
    int64_t slew_remaining_ns;  // what the slew in progress has yet to work off
    uint64_t since_sync_ns;     // uptime since the last correction (0 when never)
};
Stats stats();

}  // namespace coronet::wall_clock
