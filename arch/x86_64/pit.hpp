// 8254 PIT channel 0 as a free-running, fixed-frequency reference for calibrating the TSC and
// the LAPIC timer. Its interrupt stays masked at the PIC and the IOAPIC.
#pragma once

#include <cstdint>

namespace coronet::arch::x86_64::pit {

inline constexpr uint64_t kFrequencyHz = 1193182;

// Channel 0 counting down from 65536 over and over (mode 2).
void start_free_running();
// The current count (latched: both bytes belong to the same instant).
uint16_t read_count();

}  // namespace coronet::arch::x86_64::pit
