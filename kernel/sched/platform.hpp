// What the scheduler needs from the machine it runs on: a clock, a way to idle, stack memory.
// The kernel provides one (kernel_platform.cpp); host tests and benchmarks provide another.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/result.hpp"

namespace coronet::sched {

using Deadline = uint64_t;  // absolute nanoseconds on the platform's monotonic clock
inline constexpr Deadline kForever = ~Deadline(0);

// A stack: usable memory [base, base + size); `guard` bytes below base are inaccessible.
struct StackRegion {
    uintptr_t base;
    size_t size;
    size_t guard;
    uintptr_t top() const { return base + size; }
};

struct Platform {
    uint64_t (*now_ns)();
    // Nothing is runnable: wait until `deadline` (kForever: no timer) or an event source is
    // signalled. Must not sleep if sched::events_pending() is already true (check it with
    // interrupts masked, then halt atomically).
    void (*idle)(Deadline deadline);
    Result<StackRegion> (*allocate_stack)(size_t size);
    void (*release_stack)(const StackRegion& stack);
    // Called in the scheduler's context after a faulting coroutine was abandoned from a fault
    // handler: undo what taking the fault masked (interrupts, blocked signals).
    void (*resumed_from_fault)();
    // A coroutine ran `ran_ns` without yielding (longer than the watchdog limit).
    void (*report_watchdog)(const char* name, uint64_t ran_ns);
    // Pages of the stack that memory backs now (its high-water mark, to a page), where the
    // platform can tell; null: unknown.
    size_t (*stack_pages)(const StackRegion& stack);
    // Gives back the memory behind all but the top `keep_bytes` of a stack kept for reuse; null:
    // the platform cannot.
    void (*trim_stack)(const StackRegion& stack, size_t keep_bytes);
};

}  // namespace coronet::sched
