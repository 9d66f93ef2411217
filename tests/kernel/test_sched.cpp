// Coroutines inside the kernel: timers in deadline order at scale, stack overflow contained,
// the idle loop halting, the watchdog, and the blocking primitives with real interrupts.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "kernel/memory/memory.hpp"
#include "kernel/memory/stack_space.hpp"
#include "kernel/sched/channel.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/align.hpp"
#include "lib/time_units.hpp"
#include "tests/kernel/ktest.hpp"

using namespace coronet;

namespace {

struct Sleeper {
    uint64_t deadline;
    uint64_t woke_at;
    uint32_t order;
};

constexpr int kSleepers = 10000;
Sleeper* g_sleepers = nullptr;
uint32_t g_wake_counter = 0;

void sleeper_main(void* argument) {
    auto* s = static_cast<Sleeper*>(argument);
    sched::sleep_until(s->deadline);
    s->woke_at = sched::now();
    s->order = g_wake_counter++;
}

}  // namespace

KTEST(sched_sleepers, "10 000 coroutines sleeping on random deadlines wake in deadline order") {
    g_sleepers = static_cast<Sleeper*>(calloc(kSleepers, sizeof(Sleeper)));
    KCHECK(g_sleepers != nullptr);
    if (!g_sleepers) return;
    // Spawning 10 000 takes ~150 ms under TCG: every deadline must still be ahead afterwards.
    constexpr uint64_t kLead = 600 * kMillisecond;
    uint64_t start = sched::now() + kLead;
    uint64_t seed = 12345;
    for (int i = 0; i < kSleepers; ++i) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        g_sleepers[i].deadline = start + (seed >> 16) % kSecond;
        auto spawned = sched::spawn(sleeper_main, &g_sleepers[i],
                                    {.name = "sleeper", .stack_size = 4096, .detached = true});
        KCHECK(spawned.ok());
        if (!spawned) return;
    }
    uint64_t spawned_at = sched::now();
    printf("ktest: spawned in %llu ms\n",
           static_cast<unsigned long long>((spawned_at + kLead - start) / kMillisecond));
    KCHECK(spawned_at < start);
    sched::Stats during = sched::stats();
    printf("ktest: %llu coroutines alive, %llu KiB of stacks\n",
           static_cast<unsigned long long>(during.alive),
           static_cast<unsigned long long>(during.stack_bytes >> 10));
    KCHECK(during.alive == kSleepers);
    sched::run_until_idle();
    printf("ktest: ran in %llu ms\n",
           static_cast<unsigned long long>((sched::now() - spawned_at) / kMillisecond));

    // Sorted by deadline (ties in spawn order), the wake order must be strictly increasing.
    uint32_t* by_deadline = static_cast<uint32_t*>(calloc(kSleepers, sizeof(uint32_t)));
    KCHECK(by_deadline != nullptr);
    if (!by_deadline) return;
    for (uint32_t i = 0; i < kSleepers; ++i) by_deadline[i] = i;
    std::sort(by_deadline, by_deadline + kSleepers, [](uint32_t a, uint32_t b) {
        return g_sleepers[a].deadline < g_sleepers[b].deadline ||
               (g_sleepers[a].deadline == g_sleepers[b].deadline && a < b);
    });
    int out_of_order = 0, early = 0;
    uint64_t worst_late = 0;
    for (int i = 0; i < kSleepers; ++i) {
        const Sleeper& s = g_sleepers[by_deadline[i]];
        if (s.woke_at < s.deadline) ++early;
        if (s.woke_at - s.deadline > worst_late) worst_late = s.woke_at - s.deadline;
        if (i > 0 && g_sleepers[by_deadline[i - 1]].order > s.order) ++out_of_order;
    }
    free(by_deadline);
    printf("ktest: woke %u, out of order %d, early %d, worst lateness %llu us\n", g_wake_counter,
           out_of_order, early, static_cast<unsigned long long>(ns_to_us(worst_late)));
    KCHECK(g_wake_counter == kSleepers);
    KCHECK(out_of_order == 0);
    KCHECK(early == 0);
    KCHECK(sched::stats().alive == 0);
    free(g_sleepers);
}

namespace {

volatile int g_depth = 0;

[[gnu::noinline]] int recurse_forever(int n) {
    volatile char frame[256];
    frame[0] = static_cast<char>(n);
    g_depth = n;
    if (n > (1 << 30)) return 0;  // never: the guard page stops it long before
    return recurse_forever(n + 1) + frame[0];
}

void overflow_main(void*) { recurse_forever(0); }

int g_survivor_runs = 0;
void survivor_main(void*) {
    for (int i = 0; i < 3; ++i) {
        ++g_survivor_runs;
        sched::yield();
    }
}

}  // namespace

KTEST(stack_overflow,
      "a coroutine overflowing its stack is named and killed; the kernel keeps running") {
    uint64_t mapped_before = memory::stack_space_stats().pages_mapped;
    for (int round = 0; round < 2; ++round) {
        auto victim =
            sched::spawn(overflow_main, nullptr, {.name = "overflower", .stack_size = 16384});
        auto survivor = sched::spawn(survivor_main, nullptr, {.name = "survivor"});
        KCHECK(victim.ok() && survivor.ok());
        if (!victim || !survivor) return;
        sched::run_until_idle();
        KCHECK(sched::join(*victim).error() == Error::Reset);
        KCHECK(sched::join(*survivor).ok());
    }
    printf("ktest: overflowed at depth %d; survivor ran %d times\n", g_depth, g_survivor_runs);
    KCHECK(g_survivor_runs == 6);
    KCHECK(sched::stats().faults == 2);
    // The kernel is intact: allocation, timers and new coroutines still work.
    void* block = malloc(1 << 20);
    KCHECK(block != nullptr);
    free(block);
    auto after = sched::spawn([] { sched::sleep_for(10 * kMillisecond); }, {.name = "after"});
    KCHECK(after.ok());
    sched::run_until_idle();
    KCHECK(sched::join(*after).ok());
    // The dead coroutines' stacks gave their pages back: a cached stack keeps only its top page.
    KCHECK(memory::stack_space_stats().pages_mapped <=
           mapped_before + sched::stats().stacks_cached);
}

KTEST(idle_halts, "with every coroutine asleep the CPU halts instead of spinning") {
    sched::Stats before = sched::stats();
    uint64_t start = sched::now();
    auto sleeper =
        sched::spawn([] { sched::sleep_for(500 * kMillisecond); }, {.name = "long-sleeper"});
    KCHECK(sleeper.ok());
    sched::run_until_idle();
    uint64_t wall = sched::now() - start;
    sched::Stats after = sched::stats();
    uint64_t idle = after.idle_ns - before.idle_ns;
    uint64_t idle_calls = after.idle_calls - before.idle_calls;
    printf("ktest: %llu ms wall, %llu ms halted in %llu idle calls\n",
           static_cast<unsigned long long>(wall / kMillisecond),
           static_cast<unsigned long long>(idle / kMillisecond),
           static_cast<unsigned long long>(idle_calls));
    KCHECK(wall >= 500 * kMillisecond);
    KCHECK(idle * 10 >= wall * 9);  // at least 90 % of the time halted
    KCHECK(idle_calls <= 10);       // a spinning loop would enter idle thousands of times
    KCHECK(sched::join(*sleeper).ok());
}

namespace {

// Runs a coroutine that spins for `busy_ns` without yielding; true when it finished and the
// watchdog reported it exactly once.
bool hog_reported_once(const char* name, uint64_t busy_ns) {
    uint64_t reports = sched::stats().watchdog_reports;
    auto hog = sched::spawn(
        [busy_ns] {
            uint64_t until = sched::now() + busy_ns;
            while (sched::now() < until) {}
        },
        {.name = name});
    if (!hog) return false;
    sched::run_until_idle();
    return sched::join(*hog).ok() && sched::stats().watchdog_reports == reports + 1;
}

}  // namespace

KTEST(watchdog, "a coroutine running too long without yielding is reported by name") {
    sched::set_watchdog(20 * kMillisecond);
    KCHECK(hog_reported_once("cpu-hog", 60 * kMillisecond));
    sched::set_watchdog(sched::kDefaultWatchdogNs);
}

KTEST(watchdog_option, "watchdog_ms= on the command line sets the watchdog's limit") {
    // Run with watchdog_ms=10: a 30 ms hog, under the 50 ms default, must be reported.
    KCHECK(hog_reported_once("slow-hog", 30 * kMillisecond));
}

namespace {
sched::Channel<int, 4> g_channel;
sched::Event g_ready;
int g_received_sum = 0;
}  // namespace

KTEST(sched_primitives, "channels, events, wait timeouts and join with real timer interrupts") {
    auto producer = sched::spawn(
        [] {
            (void)g_ready.wait();
            for (int i = 1; i <= 100; ++i) (void)g_channel.send(i);
            g_channel.close();
        },
        {.name = "producer"});
    auto consumer = sched::spawn(
        [] {
            g_ready.set();
            while (auto value = g_channel.receive()) g_received_sum += *value;
        },
        {.name = "consumer"});
    auto timeout = sched::spawn(
        [] {
            sched::WaitQueue nobody;
            uint64_t start = sched::now();
            auto result = nobody.wait(start + 30 * kMillisecond);
            uint64_t waited = sched::now() - start;
            if (result.error() != Error::Timeout || waited < 30 * kMillisecond) abort();
        },
        {.name = "timeout"});
    KCHECK(producer.ok() && consumer.ok() && timeout.ok());
    sched::run_until_idle();
    KCHECK(g_received_sum == 5050);
    KCHECK(sched::join(*producer).ok());
    KCHECK(sched::join(*consumer).ok());
    KCHECK(sched::join(*timeout).ok());
}
