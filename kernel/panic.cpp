// Panic reporting. A second panic while reporting (a fault in the printer) ends the machine at
// once instead of recursing.
#include "kernel/panic.hpp"

#include <cstdarg>
#include <cstdio>

#include "arch/cpu.hpp"
#include "kernel/backtrace.hpp"
#include "kernel/memory/stack_space.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/symbols.hpp"

namespace coronet {
namespace {

volatile int g_panicking = 0;

// Backtraces of a panic inside a coroutine walk that coroutine's stack too.
void print_backtrace(uint64_t pc, uint64_t fp) {
    StackRange stack;
    const sched::Coroutine* running = sched::current();
    if (running) sched::stack_bounds(running, stack.low, stack.high);
    backtrace_print(pc, fp, running ? &stack : nullptr);
}

PanicAction g_action = PanicAction::Exit;

[[noreturn]] void finish() {
    fflush(stdout);
    // `panic=halt` keeps the machine for a debugger instead of exiting.
    if (g_action == PanicAction::Halt) {
        printf("panic: halted (panic=halt)\n");
        arch::halt_forever();
    }
    arch::exit(kPanicExitCode);
}

void enter() {
    arch::interrupts_disable();
    int depth = g_panicking;
    g_panicking = depth + 1;
    if (depth) {
        printf("\nPANIC: nested panic; stopping\n");
        arch::exit(kPanicExitCode);
    }
}

}  // namespace

void panic(const char* format, ...) {
    enter();
    printf("\nPANIC: ");
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    printf("\n");
    print_backtrace(0, arch::frame_pointer());
    finish();
}

// lib/assert.hpp's hook: in the kernel a broken invariant is a panic.
void assertion_failed(const char* what, const char* file, int line) {
    panic("assertion failed: %s (%s:%d)", what, file, line);
}

// A coroutine that ran into its stack's guard page dies alone: report it, then let the
// scheduler carry on without it. The kernel's own state was not touched by the overflow.
void report_stack_overflow(const arch::FaultReport& report, const sched::Coroutine* victim) {
    SymbolMatch where = kernel_symbols().lookup(report.pc);
    printf("\nSTACK OVERFLOW: coroutine '%s' (id %llu) hit its guard page at 0x%llx, pc 0x%llx",
           sched::name(victim), static_cast<unsigned long long>(sched::id(victim)),
           static_cast<unsigned long long>(report.address),
           static_cast<unsigned long long>(report.pc));
    if (where.name)
        printf(" (%s+0x%llx)", where.name, static_cast<unsigned long long>(where.offset));
    printf("\n");
    StackRange stack;
    sched::stack_bounds(victim, stack.low, stack.high);
    backtrace_print(report.pc, report.fp, &stack);
    printf("coroutine '%s' killed; the kernel keeps running\n", sched::name(victim));
}

// A coroutine whose stack needed one more page when there was no RAM left: it is stopped, and
// what it held comes back when its stack and state are freed.
void report_stack_refused(const arch::FaultReport& report, const sched::Coroutine* victim) {
    printf(
        "\nOUT OF MEMORY: coroutine '%s' (id %llu) needed a stack page at 0x%llx and none was "
        "left; coroutine '%s' killed, the kernel keeps running\n",
        sched::name(victim), static_cast<unsigned long long>(sched::id(victim)),
        static_cast<unsigned long long>(report.address), sched::name(victim));
}

void panic_on_fault(const arch::FaultReport& report) {
    if (report.has_address) {
        if (const sched::Coroutine* victim = sched::guard_fault_owner(report.address)) {
            report_stack_overflow(report, victim);
            sched::abandon_current_after_fault();
        }
        const sched::Coroutine* current = sched::current();
        if (current &&
            memory::classify_stack_fault(report.address) == memory::StackFault::NoMemory) {
            report_stack_refused(report, current);
            sched::abandon_current_after_fault();
        }
    }
    enter();
    SymbolMatch where = kernel_symbols().lookup(report.pc);
    printf("\nPANIC: %s at 0x%llx", report.cause, static_cast<unsigned long long>(report.pc));
    if (where.name)
        printf(" (%s+0x%llx)", where.name, static_cast<unsigned long long>(where.offset));
    printf("\n");
    if (report.has_address)
        printf("fault address: 0x%016llx\n", static_cast<unsigned long long>(report.address));
    printf("cause: %s (code 0x%llx)%s%s\n", report.cause,
           static_cast<unsigned long long>(report.code), report.detail[0] ? ", " : "",
           report.detail);
    if (report.frame) arch::print_registers(*report.frame);
    print_backtrace(report.pc, report.fp);
    finish();
}

void set_panic_action(PanicAction action) { g_action = action; }

}  // namespace coronet
