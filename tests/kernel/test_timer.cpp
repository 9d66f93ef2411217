// Clock and one-shot timer: the interrupt arrives at the requested deadline, not early and not
// much later (the tolerance allows for TCG scheduling noise on a loaded 2-core host).
#include <cstdint>

#include "arch/clock.hpp"
#include "arch/cpu.hpp"
#include "arch/interrupts.hpp"
#include "lib/time_units.hpp"
#include "tests/kernel/ktest.hpp"

using namespace coronet;

namespace {

volatile uint64_t g_fired_at = 0;
volatile int g_fired_count = 0;

void on_timer() {
    g_fired_at = arch::clock::now_ns();
    g_fired_count = g_fired_count + 1;
}

// Halts until the timer fires (a timer that never fires hangs here; the host's timeout fails
// the test). Returns whether it fired by `limit_ns`.
bool wait_for_timer(uint64_t limit_ns) {
    arch::InterruptGuard guard;
    while (g_fired_count == 0) arch::wait_for_interrupt();
    return g_fired_at <= limit_ns;
}

// Spins with interrupts enabled until `until_ns`: for checking that nothing fires.
bool fired_while_spinning(uint64_t until_ns) {
    while (arch::clock::now_ns() < until_ns) {}
    return g_fired_count != 0;
}

// Calibration error over the longest interval.
constexpr uint64_t kEarlyToleranceNs = 200 * kMicrosecond;
constexpr uint64_t kLateToleranceNs = 30 * kMillisecond;

}  // namespace

KTEST(timer, "one-shot timer interrupts fire at the requested deadline") {
    uint64_t hz = arch::clock::frequency_hz();
    printf("ktest: counter %llu Hz\n", static_cast<unsigned long long>(hz));
    KCHECK(hz >= 1000000);

    uint64_t a = arch::clock::now_ns();
    uint64_t b = arch::clock::now_ns();
    KCHECK(b >= a);

    arch::clock::set_timer_handler(on_timer);
    uint64_t delivered_before = arch::irq::stats().delivered;
    const uint64_t delays_ms[] = {1, 5, 20, 50, 120};
    for (uint64_t delay_ms : delays_ms) {
        g_fired_count = 0;
        uint64_t deadline = arch::clock::now_ns() + delay_ms * kMillisecond;
        arch::clock::arm_timer(deadline);
        bool fired = wait_for_timer(deadline + 2000 * kMillisecond);
        KCHECK(fired);
        KCHECK(g_fired_count == 1);
        int64_t error_ns = static_cast<int64_t>(g_fired_at) - static_cast<int64_t>(deadline);
        printf("ktest: deadline +%llu ms fired %+lld us from the deadline\n",
               static_cast<unsigned long long>(delay_ms),
               static_cast<long long>(error_ns / static_cast<int64_t>(kMicrosecond)));
        KCHECK(error_ns >= -static_cast<int64_t>(kEarlyToleranceNs));
        KCHECK(error_ns <= static_cast<int64_t>(kLateToleranceNs));
    }
    KCHECK(arch::irq::stats().delivered >= delivered_before + 5);

    // A deadline in the past fires at once.
    g_fired_count = 0;
    arch::clock::arm_timer(arch::clock::now_ns() - kMillisecond);
    KCHECK(wait_for_timer(arch::clock::now_ns() + 500 * kMillisecond));

    // Re-arming replaces the deadline; disarming stops it.
    g_fired_count = 0;
    arch::clock::arm_timer(arch::clock::now_ns() + 5 * kMillisecond);
    arch::clock::arm_timer(arch::clock::now_ns() + 40 * kMillisecond);
    uint64_t replaced_deadline = arch::clock::now_ns() + 40 * kMillisecond;
    KCHECK(wait_for_timer(arch::clock::now_ns() + 2000 * kMillisecond));
    KCHECK(g_fired_at + kEarlyToleranceNs + kMillisecond >= replaced_deadline);

    g_fired_count = 0;
    arch::clock::arm_timer(arch::clock::now_ns() + 10 * kMillisecond);
    arch::clock::disarm_timer();
    KCHECK(!fired_while_spinning(arch::clock::now_ns() + 50 * kMillisecond));
    arch::clock::set_timer_handler(nullptr);
}
