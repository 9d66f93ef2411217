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
// The access clock: ticks of kAccessTick since boot (wraps after about 16 months; differences
// are taken modulo 2^32). LRU eviction compares keys by it, OBJECT IDLETIME reports it.
inline constexpr uint32_t kAccessTicksPerSecond = 100;
uint32_t access_clock();
// Pseudo-random numbers for RANDOMKEY, SPOP and sampling (not for secrets).
uint64_t random_u64();

}  // namespace coronet::redis
