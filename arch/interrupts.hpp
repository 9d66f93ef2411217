// Device interrupt routing: a handler registry over the interrupt controller (IOAPIC, GICv3).
#pragma once

#include <cstdint>

#include "lib/result.hpp"

namespace coronet::arch::irq {

// Interrupt source as the board names it: ISA IRQ/GSI on x86-64, GIC INTID on AArch64.
using Source = uint32_t;
using Handler = void (*)(void* context);

// Handlers run in interrupt context with interrupts off; they must only acknowledge the device
// and record work for the reactor.
Result<void> attach(Source source, Handler handler, void* context);
void detach(Source source);

struct Stats {
    uint64_t delivered;  // all device and timer interrupts taken
    uint64_t spurious;
};
Stats stats();

}  // namespace coronet::arch::irq
