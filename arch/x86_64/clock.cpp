// TSC as the monotonic counter, LAPIC timer as the one-shot; both calibrated against the PIT
// in one window at boot (kCalibrationMs: a shorter window costs accuracy, a longer boot time).
#include "arch/clock.hpp"

#include "arch/cpu.hpp"

#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/interrupts.hpp"
#include "arch/x86_64/lapic.hpp"
#include "arch/x86_64/pit.hpp"
#include "arch/x86_64/port_io.hpp"

namespace coronet::arch::clock {
namespace {

using namespace x86_64;

constexpr uint64_t kCalibrationMs = 5;
constexpr uint32_t kLapicMaxCount = 0xFFFFFFFF;

uint64_t g_tsc_hz = 0;
uint64_t g_lapic_hz = 0;
uint64_t g_deadline_ns = 0;
bool g_armed = false;
TimerHandler g_handler = nullptr;

struct Sample {
    uint64_t tsc0, tsc1;
    uint32_t lapic0, lapic1;
};

uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) / c);
}

void program(uint64_t deadline_ns) {
    uint64_t now = now_ns();
    uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;
    uint64_t count = mul_div(delta, g_lapic_hz, 1000000000);
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
    Sample s{};
    lapic::timer_start(kLapicMaxCount);
    uint32_t pit_ticks = static_cast<uint32_t>(pit::kFrequencyHz * kCalibrationMs / 1000);
    pit::wait(
        pit_ticks,
        [](void* c) {
            auto* sample = static_cast<Sample*>(c);
            sample->lapic0 = lapic::timer_current();
            sample->tsc0 = rdtsc();
        },
        [](void* c) {
            auto* sample = static_cast<Sample*>(c);
            sample->tsc1 = rdtsc();
            sample->lapic1 = lapic::timer_current();
        },
        &s);
    lapic::timer_stop();
    g_tsc_hz = mul_div(s.tsc1 - s.tsc0, pit::kFrequencyHz, pit_ticks);
    g_lapic_hz = mul_div(s.lapic0 - s.lapic1, pit::kFrequencyHz, pit_ticks);
}

uint64_t frequency_hz() { return g_tsc_hz; }

uint64_t ticks_to_ns(uint64_t t) { return g_tsc_hz ? mul_div(t, 1000000000, g_tsc_hz) : 0; }

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
