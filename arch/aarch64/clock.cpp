// The generic timer (Arm ARM D11): CNTVCT_EL0 as the clock, the EL1 virtual timer
// (CNTV_CVAL_EL0/CNTV_CTL_EL0) as the one-shot timer. The virtual timer works the same whether
// we were entered at EL1 or EL2, and needs no EL2 permission.
#include "arch/clock.hpp"

#include <libfdt.h>

#include <cstdio>

#include "arch/aarch64/device_tree.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/cpu.hpp"
#include "arch/interrupts.hpp"
#include "lib/time_units.hpp"

namespace coronet::arch::clock {
namespace {

// CNTV_CTL_EL0 (D17.11.19).
constexpr uint64_t kCtlEnable = 1 << 0;
constexpr uint64_t kCtlMask = 1 << 1;
// The "arm,armv8-timer" node lists secure physical, non-secure physical, virtual, hypervisor.
constexpr int kVirtualTimerIndex = 2;
constexpr uint32_t kDefaultVirtualTimerIntid = 27;

uint64_t g_frequency = 0;
uint32_t g_intid = kDefaultVirtualTimerIntid;
TimerHandler g_handler = nullptr;

// Rounds up, so that a deadline never fires before now_ns() has reached it.
uint64_t ns_to_ticks(uint64_t ns, uint64_t f) {
    uint64_t seconds = ns / kSecond, rest = ns % kSecond;
    if (seconds > ~0ULL / f) return ~0ULL;
    uint64_t ticks = seconds * f;
    uint64_t fraction = (rest * f + kSecond - 1) / kSecond;  // rest * f < 2^64 for f < 18 GHz
    return ticks + fraction < ticks ? ~0ULL : ticks + fraction;
}

// Level-sensitive: the timer keeps its line asserted while CVAL <= count, so it is masked
// before the handler (which may re-arm) runs.
void on_timer_interrupt(void*) {
    WRITE_SYSREG(cntv_ctl_el0, kCtlMask);
    aarch64::isb();
    if (g_handler) g_handler();
}

uint64_t frequency_from_device_tree(const aarch64::dt::Node& node) {
    if (!node.valid()) return 0;
    int len = 0;
    const auto* prop = static_cast<const uint8_t*>(
        fdt_getprop(aarch64::dt::blob(), node.offset, "clock-frequency", &len));
    if (!prop || len != 4) return 0;
    return uint64_t(prop[0]) << 24 | uint64_t(prop[1]) << 16 | uint64_t(prop[2]) << 8 | prop[3];
}

}  // namespace

uint64_t ticks() {
    aarch64::isb();  // no reading the counter ahead of earlier instructions
    return READ_SYSREG(cntvct_el0);
}

void init() {
    const aarch64::dt::Node& node = aarch64::dt::inventory().timer;
    if (frequency_hz() == 0)
        g_frequency = frequency_from_device_tree(node);  // firmware left CNTFRQ unset
    if (g_frequency == 0) {
        printf("\nFATAL: generic timer frequency unknown (CNTFRQ_EL0 is 0, no clock-frequency)\n");
        exit(3);
    }
    if (node.valid()) {
        int intid = aarch64::dt::interrupt_intid(node, kVirtualTimerIndex);
        if (intid >= 0) g_intid = static_cast<uint32_t>(intid);
    }
    disarm_timer();
    auto attached = irq::attach(g_intid, on_timer_interrupt, nullptr);
    if (!attached) {
        printf("\nFATAL: cannot attach the timer interrupt %u: %s\n", g_intid,
               error_name(attached.error()));
        exit(3);
    }
}

// CNTFRQ_EL0 is set by firmware before we run, so the clock (and log timestamps) work before
// init(); init() only adds the device tree fallback for firmware that left it 0.
uint64_t frequency_hz() {
    if (g_frequency == 0) g_frequency = READ_SYSREG(cntfrq_el0) & 0xffffffff;
    return g_frequency;
}

uint64_t ticks_to_ns(uint64_t t) {
    uint64_t f = frequency_hz();
    if (f == 0) return 0;
    // Split so that nothing overflows: t = q * f + r with r < f.
    uint64_t q = t / f, r = t % f;
    return q * kSecond + r * kSecond / f;
}

uint64_t now_ns() { return ticks_to_ns(ticks()); }

void set_timer_handler(TimerHandler handler) { g_handler = handler; }

void arm_timer(uint64_t deadline_ns) {
    InterruptGuard guard;
    uint64_t f = frequency_hz();
    if (f == 0) return;  // no counter frequency: init() has already stopped the machine
    WRITE_SYSREG(cntv_cval_el0, ns_to_ticks(deadline_ns, f));
    WRITE_SYSREG(cntv_ctl_el0, kCtlEnable);
    aarch64::isb();
}

void disarm_timer() {
    WRITE_SYSREG(cntv_ctl_el0, kCtlMask);
    aarch64::isb();
}

}  // namespace coronet::arch::clock
