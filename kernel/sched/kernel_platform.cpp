// Kernel implementation of sched::Platform.
#include "kernel/sched/kernel_platform.hpp"

#include "arch/clock.hpp"
#include "arch/cpu.hpp"
#include "arch/fault.hpp"
#include "arch/mmu.hpp"
#include "kernel/log.hpp"
#include "kernel/memory/memory.hpp"
#include "kernel/sched/scheduler.hpp"
#include "lib/align.hpp"
#include "lib/time_units.hpp"

namespace coronet::sched {
namespace {

void idle(Deadline deadline) {
    arch::InterruptGuard masked;
    // Checked with interrupts masked: a signal() after this point wakes the halt below.
    if (events_pending()) return;
    if (deadline != kForever) arch::clock::arm_timer(deadline);
    arch::wait_for_interrupt();
}

Result<StackRegion> allocate_stack(size_t size) {
    uint64_t pages = pages_for(size) + 1;  // the guard page below
    uint64_t base = TRY(memory::allocate_pages(pages));
    if (auto guarded = arch::mmu::make_guard(base, kPageSize); !guarded) {
        memory::free_pages(base, pages);
        return guarded.error();
    }
    return StackRegion{base + kPageSize, size, kPageSize};
}

void release_stack(const StackRegion& stack) {
    uint64_t base = stack.base - stack.guard;
    (void)arch::mmu::release_guard(base, stack.guard);
    memory::free_pages(base, pages_for(stack.size) + 1);
}

void resumed_from_fault() {
    arch::fault_abandoned();
    arch::interrupts_enable();
}

void report_watchdog(const char* name, uint64_t ran_ns) {
    LOG_WARN("watchdog: coroutine '%s' ran %llu ms without yielding", name,
             static_cast<unsigned long long>(ns_to_ms(ran_ns)));
}

}  // namespace

void init_kernel_platform() {
    // The timer only has to wake the halted CPU; the loop itself fires due timers.
    arch::clock::set_timer_handler(nullptr);
    init(Platform{
        .now_ns = arch::clock::now_ns,
        .idle = idle,
        .allocate_stack = allocate_stack,
        .release_stack = release_stack,
        .resumed_from_fault = resumed_from_fault,
        .report_watchdog = report_watchdog,
        .measure_stack_use = true,
    });
}

}  // namespace coronet::sched
