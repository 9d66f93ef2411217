// sched::Platform on Linux, for host tests and benchmarks: CLOCK_MONOTONIC, nanosleep idle,
// mmap'ed stacks with a PROT_NONE guard page (or plain heap stacks, for 100 000 at once: each
// guard splits a mapping and Linux caps mappings per process at ~65 000).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernel/sched/platform.hpp"

namespace coronet::host {

struct HostPlatformOptions {
    bool guard_pages = true;
    // stack_pages() from mincore (resident pages) and, with guard pages, the kernel's trim of
    // cached stacks (madvise)
    bool measure_stack_use = true;
};

// Installs the platform (sched::init) and, with guard pages, a SIGSEGV handler on an alternate
// stack that turns a guard-page hit into sched::abandon_current_after_fault().
void init_scheduler(const HostPlatformOptions& options = {});

// Watchdog reports received so far ("name:ms").
const std::vector<std::string>& watchdog_reports();

uint64_t monotonic_ns();

}  // namespace coronet::host
