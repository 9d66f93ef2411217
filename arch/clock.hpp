// Monotonic clock and one-shot timer of the CPU (TSC + LAPIC timer, or the generic timer).
#pragma once

#include <cstdint>

namespace coronet::arch::clock {

uint64_t ticks();  // raw free-running counter; usable before init()

// Calibrates the counter (and the timer) and enables the timer interrupt. Needs interrupts
// initialised; leaves the timer disarmed.
void init();

uint64_t frequency_hz();
uint64_t ticks_to_ns(uint64_t ticks);
uint64_t now_ns();  // since the counter's zero (not since boot)

// One-shot timer: at `deadline_ns` (now_ns() scale) the handler runs in interrupt context.
// Arming again replaces the previous deadline; a deadline in the past fires at once.
using TimerHandler = void (*)();
void set_timer_handler(TimerHandler handler);
void arm_timer(uint64_t deadline_ns);
void disarm_timer();

}  // namespace coronet::arch::clock
