// Interrupt controller bring-up (8259 off, LAPIC + IOAPIC on) and the handler registry:
// GSI n is delivered on vector 0x30 + n; MSI vectors are handed out from 0x80 up.
#include "arch/interrupts.hpp"

#include "arch/cpu.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/interrupts.hpp"
#include "arch/x86_64/ioapic.hpp"
#include "arch/x86_64/lapic.hpp"
#include "arch/x86_64/pic.hpp"

namespace coronet::arch {
namespace {

using namespace x86_64;

constexpr unsigned kMaxGsi = kMsiVectorBase - kIoApicVectorBase;
constexpr unsigned kMsiVectors = kTimerVector - kMsiVectorBase;
// Intel SDM vol. 3, 11.11.1: the message address selects the LAPIC by ID (physical mode).
constexpr uint64_t kMsiAddressBase = 0xFEE00000;
constexpr unsigned kMsiDestinationShift = 12;

struct Slot {
    irq::Handler handler;
    void* context;
};
Slot g_slots[kMaxGsi];
Slot g_msi_slots[kMsiVectors];
VectorHandler g_vector_handlers[256];
irq::Stats g_stats;

}  // namespace

void init_interrupt_controller(const BootInfo&) {
    pic::disable();
    lapic::init();
    ioapic::init(lapic::id());
}

namespace x86_64 {

void set_vector_handler(unsigned vector, VectorHandler handler) {
    g_vector_handlers[vector & 0xFF] = handler;
}

void dispatch_interrupt(unsigned vector) {
    if (vector == kSpuriousVector) {
        ++g_stats.spurious;
        return;  // spurious interrupts get no EOI
    }
    ++g_stats.delivered;
    if (g_vector_handlers[vector]) {
        g_vector_handlers[vector]();
    } else if (vector >= kIoApicVectorBase && vector < kIoApicVectorBase + kMaxGsi) {
        Slot& slot = g_slots[vector - kIoApicVectorBase];
        if (slot.handler) slot.handler(slot.context);
        else ++g_stats.spurious;
    } else if (vector >= kMsiVectorBase && vector < kMsiVectorBase + kMsiVectors) {
        Slot& slot = g_msi_slots[vector - kMsiVectorBase];
        if (slot.handler) slot.handler(slot.context);
        else ++g_stats.spurious;
    } else {
        ++g_stats.spurious;
    }
    lapic::eoi();
}

}  // namespace x86_64

namespace irq {

Result<void> attach(Source source, Handler handler, void* context, Trigger trigger) {
    if (source >= kMaxGsi || source >= ioapic::pin_count() || !handler)
        return Error::InvalidArgument;
    if (g_slots[source].handler) return Error::Busy;
    InterruptGuard guard;
    g_slots[source] = {handler, context};
    ioapic::route(
        source, kIoApicVectorBase + source,
        trigger == Trigger::LevelLow ? ioapic::Trigger::LevelLow : ioapic::Trigger::EdgeHigh);
    return {};
}

void detach(Source source) {
    if (source >= kMaxGsi) return;
    InterruptGuard guard;
    ioapic::mask(source);
    g_slots[source] = {};
}

Result<MsiRoute> allocate_msi(Handler handler, void* context) {
    if (!handler) return Error::InvalidArgument;
    InterruptGuard guard;
    for (unsigned i = 0; i < kMsiVectors; ++i) {
        if (g_msi_slots[i].handler) continue;
        g_msi_slots[i] = {handler, context};
        unsigned vector = kMsiVectorBase + i;
        // Data: fixed delivery, edge, the vector (SDM 11.11.2).
        return MsiRoute{kMsiAddressBase | (uint64_t(lapic::id()) << kMsiDestinationShift), vector,
                        vector};
    }
    return Error::LimitReached;
}

void free_msi(const MsiRoute& route) {
    if (route.vector < kMsiVectorBase || route.vector >= kMsiVectorBase + kMsiVectors) return;
    InterruptGuard guard;
    g_msi_slots[route.vector - kMsiVectorBase] = {};
}

Stats stats() { return g_stats; }

}  // namespace irq
}  // namespace coronet::arch
