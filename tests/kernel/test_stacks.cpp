// Demand-paged coroutine stacks: RAM for exactly the pages a coroutine touches, given back when
// stacks are cached or released, and a hundred thousand idle coroutines at a page each.
#include <cstdint>
#include <cstdio>

#include "kernel/memory/memory.hpp"
#include "kernel/memory/stack_space.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/align.hpp"
#include "lib/time_units.hpp"
#include "tests/kernel/ktest.hpp"

using namespace coronet;

namespace {

constexpr size_t kTouchedPages = 9;

struct Probe {
    uint64_t pages_at_start;
    uint64_t pages_after;
    uint64_t expected_after;
    uint64_t faults_taken;
};

// Writes a buffer spanning kTouchedPages pages below this frame, then reads how many of its
// stack's pages are backed and how many it should be: every page from the top of the stack down
// to the lowest byte written (nothing in between is left untouched).
[[gnu::noinline]] void touch_pages(Probe& probe) {
    volatile char buffer[kTouchedPages * kPageSize];
    uint64_t faults = memory::stack_space_stats().page_faults;
    for (size_t i = sizeof buffer; i > 0; --i) buffer[i - 1] = static_cast<char>(i);
    probe.faults_taken = memory::stack_space_stats().page_faults - faults;
    uint64_t low, high;
    sched::stack_bounds(sched::current(), low, high);
    auto lowest = reinterpret_cast<uint64_t>(&buffer[0]);
    probe.expected_after = (high - align_down(lowest, kPageSize)) / kPageSize;
    probe.pages_after = sched::stack_high_water(sched::current()) / kPageSize;
}

void toucher_main(void* argument) {
    auto* probe = static_cast<Probe*>(argument);
    probe->pages_at_start = sched::stack_high_water(sched::current()) / kPageSize;
    touch_pages(*probe);
}

constexpr uint64_t kIdleCount = 100000;

struct Idle {
    sched::Event release;
    uint64_t started = 0;
    uint64_t bytes_each = 0;
};

void idle_main(void* argument) {
    auto* idle = static_cast<Idle*>(argument);
    ++idle->started;
    (void)idle->release.wait();
}

uint64_t used_pages() {
    memory::Stats m = memory::stats();
    return m.pages_total - m.pages_free;
}

KTEST(stack_pages, "a stack is backed only where it was touched, and gives its pages back") {
    memory::StackSpaceStats before = memory::stack_space_stats();
    Probe probe{};
    auto toucher = sched::spawn(toucher_main, &probe, {.name = "toucher", .stack_size = 64 * 1024});
    KCHECK(toucher.ok());
    if (!toucher) return;
    sched::run_until_idle();
    KCHECK(sched::join(*toucher).ok());
    printf("ktest: %llu page(s) at start, %llu after touching %zu (expected %llu), %llu faults\n",
           static_cast<unsigned long long>(probe.pages_at_start),
           static_cast<unsigned long long>(probe.pages_after), kTouchedPages,
           static_cast<unsigned long long>(probe.expected_after),
           static_cast<unsigned long long>(probe.faults_taken));
    KCHECK(probe.pages_at_start == 1);  // a new coroutine runs on its top page
    KCHECK(probe.pages_after == probe.expected_after);
    KCHECK(probe.faults_taken >= kTouchedPages - 1 && probe.faults_taken <= kTouchedPages + 1);
    // Its stack went to the cache keeping its top page; the rest is RAM again.
    KCHECK(memory::stack_space_stats().pages_mapped <= before.pages_mapped + 1);

    // More stacks than the cache holds, each deep for a while: afterwards only the cached ones
    // keep a page, the others gave everything back.
    constexpr int kMany = 600;
    static Probe probes[kMany];
    sched::Coroutine* many[kMany];
    for (int i = 0; i < kMany; ++i) {
        auto spawned = sched::spawn(toucher_main, &probes[i], {.name = "deep"});
        KCHECK(spawned.ok());
        if (!spawned) return;
        many[i] = *spawned;
    }
    sched::run_until_idle();
    for (sched::Coroutine* c : many) KCHECK(sched::join(c).ok());
    memory::StackSpaceStats after = memory::stack_space_stats();
    sched::Stats s = sched::stats();
    printf("ktest: %d deep coroutines done: %llu stack pages mapped, %llu stacks cached\n", kMany,
           static_cast<unsigned long long>(after.pages_mapped),
           static_cast<unsigned long long>(s.stacks_cached));
    KCHECK(s.stacks_cached <= sched::kStackCacheLimit);
    KCHECK(after.pages_mapped <= before.pages_mapped + s.stacks_cached);
}

// Spawns the idle coroutines, measures once all have started, then lets them finish.
void idle_test_main(void* argument) {
    auto* idle = static_cast<Idle*>(argument);
    uint64_t used_before = used_pages();
    uint64_t heap_before = memory::stats().heap_used;
    for (uint64_t i = 0; i < kIdleCount; ++i) {
        auto spawned = sched::spawn(idle_main, idle, {.name = "idle", .detached = true});
        KCHECK(spawned.ok());
        if (!spawned) break;
    }
    while (idle->started < kIdleCount) sched::yield();
    memory::Stats m = memory::stats();
    // Heap pages malloc holds but does not use are not the coroutines'.
    uint64_t bytes = (used_pages() - used_before) * kPageSize - (m.heap_bytes - m.heap_used);
    idle->bytes_each = bytes / kIdleCount;
    printf(
        "ktest: %llu idle coroutines: %llu KiB in all, %llu bytes each (%llu stack pages, "
        "control blocks %llu bytes each)\n",
        static_cast<unsigned long long>(kIdleCount), static_cast<unsigned long long>(bytes >> 10),
        static_cast<unsigned long long>(idle->bytes_each),
        static_cast<unsigned long long>(memory::stack_space_stats().pages_mapped),
        static_cast<unsigned long long>((m.heap_used - heap_before) / kIdleCount));
    KCHECK(sched::stats().alive >= kIdleCount);
    idle->release.set();
}

}  // namespace

KTEST(idle_coroutines, "100 000 idle coroutines with 64 KiB stacks cost about a page each") {
    sched::set_watchdog(0);  // spawning them all in one go is the point here
    static Idle idle;
    auto test = sched::spawn(idle_test_main, &idle, {.name = "idle-test"});
    KCHECK(test.ok());
    if (!test) return;
    sched::run_until_idle();
    KCHECK(sched::join(*test).ok());
    KCHECK(idle.started == kIdleCount);
    KCHECK(idle.bytes_each <= kPageSize + 1024);  // the top page, the control block, tables
    KCHECK(sched::stats().alive == 0);
    // Gone again: the pages of every stack but the cached ones, and the page tables left empty.
    memory::StackSpaceStats after = memory::stack_space_stats();
    printf("ktest: all finished: %llu stack pages and %llu page tables left\n",
           static_cast<unsigned long long>(after.pages_mapped),
           static_cast<unsigned long long>(after.table_pages));
    KCHECK(after.pages_mapped <= sched::stats().stacks_cached + 16);
    KCHECK(after.table_pages <= 64);
}
