// 8254 PIT as a fixed-frequency reference for calibrating the TSC and LAPIC timer.
#pragma once

#include <cstdint>

namespace coronet::arch::x86_64::pit {

inline constexpr uint64_t kFrequencyHz = 1193182;

// Busy-waits `ticks` PIT ticks; `during` runs just after the count starts and `after` as soon as
// it has elapsed, so callers can sample counters at both edges.
void wait(uint32_t ticks, void (*during)(void*), void (*after)(void*), void* context);

}  // namespace coronet::arch::x86_64::pit
