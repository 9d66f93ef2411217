// Device interrupt routing: a handler registry over the interrupt controller (IOAPIC, GICv3).
#pragma once

#include <cstdint>

#include "lib/result.hpp"

namespace coronet::arch::irq {

// Interrupt source as the board names it: ISA IRQ/GSI on x86-64, GIC INTID on AArch64.
using Source = uint32_t;
using Handler = void (*)(void* context);

// How a line signals: a rising edge (ISA devices, virtio-mmio), or a level held low until the
// device is acknowledged (PCI INTx). On AArch64 every SPI is level-sensitive already and the
// choice is ignored.
enum class Trigger : uint8_t { Edge, LevelLow };

// Handlers run in interrupt context with interrupts off; they must only acknowledge the device
// and record work for the reactor.
Result<void> attach(Source source, Handler handler, void* context, Trigger trigger = Trigger::Edge);
void detach(Source source);

// Message-signalled interrupts (PCI MSI/MSI-X): a CPU vector of its own for `handler`, and the
// address/data pair the device writes to raise it. Error::Unsupported where the interrupt
// controller takes no messages (AArch64 without an ITS), Error::LimitReached when out of vectors.
struct MsiRoute {
    uint64_t address;
    uint32_t data;
    uint32_t vector;  // for logs and free_msi()
};
Result<MsiRoute> allocate_msi(Handler handler, void* context);
void free_msi(const MsiRoute& route);

struct Stats {
    uint64_t delivered;  // all device and timer interrupts taken
    uint64_t spurious;
};
Stats stats();

}  // namespace coronet::arch::irq
