// Linux implementation of sched::Platform.
#include "tests/host/host_platform.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "kernel/sched/scheduler.hpp"
#include "lib/align.hpp"
#include "lib/time_units.hpp"

namespace coronet::host {
namespace {

HostPlatformOptions g_options;
std::vector<std::string> g_reports;
alignas(16) char g_signal_stack[64 * 1024];

void idle(sched::Deadline deadline) {
    if (sched::events_pending()) return;
    uint64_t now = monotonic_ns();
    // Naps of at most 1 ms: a signal() from another thread (standing in for an interrupt) is
    // noticed within a millisecond, and "no deadline" cannot hang a test.
    uint64_t wait = deadline > now ? deadline - now : 0;
    if (wait > kMillisecond) wait = kMillisecond;
    timespec ts{static_cast<time_t>(wait / kSecond), static_cast<long>(wait % kSecond)};
    nanosleep(&ts, nullptr);
}

Result<sched::StackRegion> allocate_stack(size_t size) {
    if (!g_options.guard_pages) {
        void* memory = aligned_alloc(kPageSize, size);
        if (!memory) return Error::OutOfMemory;
        return sched::StackRegion{reinterpret_cast<uintptr_t>(memory), size, 0};
    }
    void* memory =
        mmap(nullptr, size + kPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return Error::OutOfMemory;
    if (mprotect(memory, kPageSize, PROT_NONE) != 0) {
        munmap(memory, size + kPageSize);
        return Error::OutOfMemory;
    }
    return sched::StackRegion{reinterpret_cast<uintptr_t>(memory) + kPageSize, size, kPageSize};
}

void release_stack(const sched::StackRegion& stack) {
    if (stack.guard == 0) {
        free(reinterpret_cast<void*>(stack.base));
        return;
    }
    munmap(reinterpret_cast<void*>(stack.base - stack.guard), stack.size + stack.guard);
}

// Resident pages of the stack (mincore): what the kernel counts as mapped pages.
size_t stack_pages(const sched::StackRegion& stack) {
    unsigned char resident[256];
    size_t pages = stack.size / kPageSize, counted = 0;
    for (size_t first = 0; first < pages; first += sizeof resident) {
        size_t n = pages - first < sizeof resident ? pages - first : sizeof resident;
        if (mincore(reinterpret_cast<void*>(stack.base + first * kPageSize), n * kPageSize,
                    resident) != 0)
            return 0;
        for (size_t i = 0; i < n; ++i) counted += resident[i] & 1;
    }
    return counted;
}

// Drops the pages below the top `keep_bytes` (they read back as zeroes), as the kernel unmaps.
void trim_stack(const sched::StackRegion& stack, size_t keep_bytes) {
    size_t keep = align_up(keep_bytes, kPageSize);
    if (keep < stack.size)
        madvise(reinterpret_cast<void*>(stack.base), stack.size - keep, MADV_DONTNEED);
}

void resumed_from_fault() {
    // We left the SIGSEGV handler by switching stacks: unblock the signal it had blocked.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGSEGV);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

void report_watchdog(const char* name, uint64_t ran_ns) {
    g_reports.push_back(std::string(name) + ":" + std::to_string(ns_to_ms(ran_ns)));
}

void on_segv(int, siginfo_t* info, void*) {
    if (sched::guard_fault_owner(reinterpret_cast<uint64_t>(info->si_addr)))
        sched::abandon_current_after_fault();
    signal(SIGSEGV, SIG_DFL);  // any other fault: crash as usual
}

}  // namespace

uint64_t monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * kSecond + static_cast<uint64_t>(ts.tv_nsec);
}

const std::vector<std::string>& watchdog_reports() { return g_reports; }

void init_scheduler(const HostPlatformOptions& options) {
    g_options = options;
    g_reports.clear();
    sched::init(sched::Platform{
        .now_ns = monotonic_ns,
        .idle = idle,
        .allocate_stack = allocate_stack,
        .release_stack = release_stack,
        .resumed_from_fault = resumed_from_fault,
        .report_watchdog = report_watchdog,
        .stack_pages = options.measure_stack_use ? stack_pages : nullptr,
        .trim_stack = options.guard_pages && options.measure_stack_use ? trim_stack : nullptr,
    });
    if (options.guard_pages) {
        stack_t alt{};
        alt.ss_sp = g_signal_stack;
        alt.ss_size = sizeof g_signal_stack;
        sigaltstack(&alt, nullptr);
        struct sigaction action {};
        action.sa_sigaction = on_segv;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&action.sa_mask);
        sigaction(SIGSEGV, &action, nullptr);
    }
}

}  // namespace coronet::host
