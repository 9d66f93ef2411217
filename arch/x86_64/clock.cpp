// TSC as the monotonic counter, LAPIC timer as the one-shot; both calibrated against the PIT
// in one window at boot (kCalibrationMs: a shorter window costs accuracy, a longer boot time).
// Under emulation on a busy host the vCPU can pause anywhere: each PIT read is bracketed by
// TSC reads, and a window with a loose bracket or a long pause (which could hide a wrap of the
// PIT's 16-bit counter) is measured again.
#include "arch/clock.hpp"

#include "arch/cpu.hpp"

#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/interrupts.hpp"
#include "arch/x86_64/lapic.hpp"
#include "arch/x86_64/pit.hpp"
#include "arch/x86_64/port_io.hpp"
#include "lib/time_units.hpp"

namespace coronet::arch::clock {
namespace {

using namespace x86_64;

constexpr uint64_t kCalibrationNs = 5 * kMillisecond;
constexpr int kCalibrationAttempts = 8;
// Parts per 10 000 of the window: 1 % (0.5 % in the result).
constexpr uint64_t kMaxUncertainty = 100;
constexpr uint64_t kMaxPause = 1000;  // one gap between PIT reads over 10 % of the window
constexpr uint32_t kLapicMaxCount = 0xFFFFFFFF;

uint64_t g_tsc_hz = 0;
uint64_t g_lapic_hz = 0;
uint64_t g_deadline_ns = 0;
bool g_armed = false;
TimerHandler g_handler = nullptr;

// One PIT read with the TSC read just before and just after it.
struct Bracket {
    uint64_t before, after;
    uint16_t count;
    uint64_t middle() const { return before + (after - before) / 2; }
    uint64_t width() const { return after - before; }
};

Bracket bracketed_read() {
    Bracket b;
    b.before = rdtsc();
    b.count = pit::read_count();
    b.after = rdtsc();
    return b;
}

uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) / c);
}

void program(uint64_t deadline_ns) {
    uint64_t now = now_ns();
    uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;
    uint64_t count = mul_div(delta, g_lapic_hz, kSecond);
    if (count == 0) count = 1;
    if (count > kLapicMaxCount) count = kLapicMaxCount;  // the interrupt re-arms for the rest
    lapic::timer_start(static_cast<uint32_t>(count));
}

void on_timer_interrupt() {
    if (!g_armed) return;
    if (now_ns() < g_deadline_ns) {
        program(g_deadline_ns);
        return;
    }
    g_armed = false;
    if (g_handler) g_handler();
}

}  // namespace

uint64_t ticks() { return rdtsc(); }

void init() {
    lapic::timer_set_vector(kTimerVector);
    set_vector_handler(kTimerVector, on_timer_interrupt);
    uint32_t wanted = static_cast<uint32_t>(pit::kFrequencyHz * kCalibrationNs / kSecond);
    uint64_t best_error = ~0ULL;
    for (int attempt = 0; attempt < kCalibrationAttempts; ++attempt) {
        pit::start_free_running();
        lapic::timer_start(kLapicMaxCount);
        Bracket first = bracketed_read();
        uint32_t lapic_first = lapic::timer_current();
        Bracket last = first;
        uint32_t elapsed = 0;
        uint64_t longest_pause = 0;
        while (elapsed < wanted) {
            Bracket next = bracketed_read();
            if (next.after - last.after > longest_pause) longest_pause = next.after - last.after;
            // The counter counts down and wraps at 65536.
            elapsed += static_cast<uint16_t>(last.count - next.count);
            last = next;
        }
        uint32_t lapic_last = lapic::timer_current();
        lapic::timer_stop();
        uint64_t window = last.middle() - first.middle();
        if (window == 0) continue;
        // Worst of: the two brackets' uncertainty, and the longest pause, as parts per 10 000.
        uint64_t uncertainty = (first.width() + last.width()) * 10000 / window;
        uint64_t pause = longest_pause * 10000 / window;
        uint64_t error = uncertainty > pause / 10 ? uncertainty : pause / 10;
        if (error < best_error) {
            best_error = error;
            g_tsc_hz = mul_div(window, pit::kFrequencyHz, elapsed);
            g_lapic_hz = mul_div(lapic_first - lapic_last, pit::kFrequencyHz, elapsed);
        }
        if (uncertainty <= kMaxUncertainty && pause <= kMaxPause) break;
    }
}

uint64_t frequency_hz() { return g_tsc_hz; }

uint64_t ticks_to_ns(uint64_t t) { return g_tsc_hz ? mul_div(t, kSecond, g_tsc_hz) : 0; }

uint64_t now_ns() { return ticks_to_ns(rdtsc()); }

void set_timer_handler(TimerHandler handler) { g_handler = handler; }

void arm_timer(uint64_t deadline_ns) {
    InterruptGuard guard;
    g_deadline_ns = deadline_ns;
    g_armed = true;
    program(deadline_ns);
}

void disarm_timer() {
    InterruptGuard guard;
    g_armed = false;
    lapic::timer_stop();
}

}  // namespace coronet::arch::clock
