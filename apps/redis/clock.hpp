// The clocks the Redis app measures expiry and idle time on, and its random numbers: the
// kernel's in the image (clock.cpp), settable ones in host tests.
#pragma once

#include <cstdint>

namespace coronet::redis {

// Unix time in milliseconds (time since boot when the appliance has no wall clock).
int64_t unix_time_ms();
// Microseconds of the same clock (TIME).
int64_t unix_time_us();
// Seconds since boot, for idle times.
uint32_t clock_seconds();
// Pseudo-random numbers for RANDOMKEY, SPOP and sampling (not for secrets).
uint64_t random_u64();

}  // namespace coronet::redis
