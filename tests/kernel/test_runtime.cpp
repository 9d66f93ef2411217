// The C++ runtime and the FP-in-interrupts rule: constructors ran, statics initialise once,
// virtual dispatch and new/delete work, and FP state survives interrupts that use FP too.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>

#include "arch/clock.hpp"
#include "arch/cpu.hpp"
#include "arch/interrupts.hpp"
#include "arch/testing.hpp"
#include "lib/time_units.hpp"
#include "tests/kernel/ktest.hpp"

using namespace coronet;

namespace {

struct ConstructedAtBoot {
    ConstructedAtBoot() : value(0xC0FFEE) {}
    uint32_t value;
};
ConstructedAtBoot g_constructed;

int g_static_inits = 0;
int next_id() {
    static int base = ++g_static_inits * 100;  // function-local static: initialised once
    return base++;
}

struct Shape {
    virtual ~Shape() = default;
    virtual int sides() const = 0;
};
int g_destroyed = 0;
struct Triangle final : Shape {
    ~Triangle() override { ++g_destroyed; }
    int sides() const override { return 3; }
};

}  // namespace

KTEST(runtime, "global constructors, statics, virtual calls, new/delete, libstdc++ headers") {
    KCHECK(g_constructed.value == 0xC0FFEE);
    KCHECK(next_id() == 100 && next_id() == 101 && g_static_inits == 1);

    Shape* shape = new Triangle();
    KCHECK(shape->sides() == 3);
    delete shape;
    KCHECK(g_destroyed == 1);

    std::array<int, 6> values = {5, 3, 9, 1, 7, 2};
    std::sort(values.begin(), values.end());
    KCHECK(values[0] == 1 && values[5] == 9);
    std::optional<int> maybe;
    KCHECK(!maybe.has_value());

    char text[64];
    snprintf(text, sizeof text, "%.3f %lld %s", 3.14159, -1234567890123LL, "ok");
    KCHECK(std::strcmp(text, "3.142 -1234567890123 ok") == 0);
}

namespace {

constexpr uint64_t kStormIntervalNs = 20 * kMicrosecond;  // many interrupts per computation
volatile uint64_t g_storm_count = 0;
volatile bool g_storm_running = false;
volatile double g_handler_sink = 0;  // keeps the handler's FP work from being optimised away

void storm_handler() {
    // FP work in interrupt context must not leak into the interrupted code: the handler leaves
    // every FP/SIMD register and the rounding mode scrambled, and the trap path must undo it.
    double x = static_cast<double>(g_storm_count) * 1.0000001;
    for (int i = 0; i < 8; ++i) x = x * 0.5 + 3.25;
    g_handler_sink = x;
    arch::testing::scramble_fp_state();
    g_storm_count = g_storm_count + 1;
    if (g_storm_running) arch::clock::arm_timer(arch::clock::now_ns() + kStormIntervalNs);
}

// Leibniz series for pi, with four accumulators so several FP values stay live in registers.
[[gnu::noipa]] double series(int terms) {  // noipa: recomputed each call, never folded
    double a = 0, b = 0, c = 0, d = 0;
    for (int k = 0; k + 3 < terms; k += 4) {
        a += 1.0 / (2.0 * k + 1.0);
        b -= 1.0 / (2.0 * k + 3.0);
        c += 1.0 / (2.0 * k + 5.0);
        d -= 1.0 / (2.0 * k + 7.0);
    }
    return (a + b + c + d) * 4.0;
}

}  // namespace

KTEST(fp_interrupts, "FP/SIMD state survives an interrupt storm whose handler also uses FP") {
    constexpr int kTerms = 20000;
    constexpr uint64_t kMinInterrupts = 200;
    KCHECK(arch::interrupts_enabled());
    double reference;
    {
        arch::InterruptGuard quiet;
        reference = series(kTerms);
    }
    arch::clock::set_timer_handler(storm_handler);
    g_storm_running = true;
    arch::clock::arm_timer(arch::clock::now_ns() + kStormIntervalNs);
    // Keep computing until plenty of interrupts have landed mid-computation (bounded in time).
    bool all_equal = true;
    int rounds = 0;
    uint64_t give_up = arch::clock::now_ns() + 5 * kSecond;
    while ((g_storm_count < kMinInterrupts || rounds < 3) && arch::clock::now_ns() < give_up) {
        double value = series(kTerms);
        if (std::memcmp(&value, &reference, sizeof value) != 0) all_equal = false;
        ++rounds;
    }
    g_storm_running = false;
    arch::clock::disarm_timer();
    arch::clock::set_timer_handler(nullptr);
    printf("ktest: %llu timer interrupts during %d FP rounds\n",
           static_cast<unsigned long long>(g_storm_count), rounds);
    KCHECK(g_storm_count >= kMinInterrupts);
    KCHECK(all_equal);
}
