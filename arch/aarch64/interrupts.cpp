// Interrupt controller bring-up and the handler registry, keyed by GIC INTID.
#include "arch/interrupts.hpp"

#include <cstdio>

#include "arch/aarch64/gicv3.hpp"
#include "arch/cpu.hpp"

namespace coronet::arch {
namespace {

constexpr uint32_t kMaxIntid = 1020;

struct Slot {
    irq::Handler handler;
    void* context;
};
Slot g_slots[kMaxIntid];
irq::Stats g_stats;

}  // namespace

void init_interrupt_controller(const BootInfo& info) {
    if (!aarch64::gic::init(info.device_tree)) {
        printf("\nFATAL: no usable GICv3: interrupts cannot work\n");
        exit(3);
    }
}

namespace aarch64::irq_registry {

void dispatch(uint32_t intid) {
    Slot& slot = g_slots[intid];
    if (slot.handler) {
        ++g_stats.delivered;
        slot.handler(slot.context);
        return;
    }
    // Enabled but nobody listens (a detach racing a pending interrupt): silence it.
    ++g_stats.spurious;
    gic::disable(intid);
}

void count_spurious() { ++g_stats.spurious; }

}  // namespace aarch64::irq_registry

namespace irq {

Result<void> attach(Source source, Handler handler, void* context, Trigger) {
    if (!handler) return Error::InvalidArgument;
    if (!aarch64::gic::ready()) return Error::Unsupported;
    if (source >= aarch64::gic::intid_limit() || source >= kMaxIntid) return Error::InvalidArgument;
    InterruptGuard guard;
    if (g_slots[source].handler) return Error::Busy;
    g_slots[source] = {handler, context};
    aarch64::gic::enable(source);
    return {};
}

void detach(Source source) {
    if (source >= kMaxIntid || !aarch64::gic::ready()) return;
    InterruptGuard guard;
    aarch64::gic::disable(source);
    g_slots[source] = {};
}

// MSIs on a GICv3 need an ITS (LPIs), which QEMU virt's default GIC has but we do not drive.
Result<MsiRoute> allocate_msi(Handler, void*) { return Error::Unsupported; }
void free_msi(const MsiRoute&) {}

Stats stats() {
    InterruptGuard guard;
    return g_stats;
}

}  // namespace irq
}  // namespace coronet::arch
