// Kernel implementation of sched::Platform.
#include "kernel/sched/kernel_platform.hpp"

#include "arch/clock.hpp"
#include "arch/cpu.hpp"
#include "arch/fault.hpp"
#include "kernel/log.hpp"
#include "kernel/memory/stack_space.hpp"
#include "kernel/sched/scheduler.hpp"
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

memory::VirtualStack virtual_stack(const StackRegion& stack) {
    return {stack.base, stack.size, stack.guard};
}

Result<StackRegion> allocate_stack(size_t size) {
    memory::VirtualStack stack = TRY(memory::reserve_stack(size));
    return StackRegion{stack.base, stack.size, stack.guard};
}

void release_stack(const StackRegion& stack) { memory::release_stack(virtual_stack(stack)); }

size_t stack_pages(const StackRegion& stack) {
    return memory::stack_pages_mapped(virtual_stack(stack));
}

void trim_stack(const StackRegion& stack, size_t keep_bytes) {
    memory::trim_stack(virtual_stack(stack), keep_bytes);
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
        .stack_pages = stack_pages,
        .trim_stack = trim_stack,
    });
}

}  // namespace coronet::sched
