// GICv3 interrupt controller (Arm IHI 0069): distributor, this CPU's redistributor and the
// system-register CPU interface. Interrupts are identified by INTID: SGIs 0-15, PPIs 16-31,
// SPIs 32-1019.
#pragma once

#include <cstdint>

namespace coronet::arch::aarch64::gic {

inline constexpr uint32_t kFirstPpi = 16;
inline constexpr uint32_t kFirstSpi = 32;
inline constexpr uint32_t kIntidLimit = 1020;  // 1020-1023 are special INTIDs
inline constexpr uint32_t kSpuriousIntid = 1023;

// Finds the GIC in the device tree and brings it up with every interrupt disabled. Returns false
// (having printed why) if there is no usable GICv3.
bool init(const void* fdt);
bool ready();

// Number of INTIDs the distributor implements (SGIs/PPIs included).
uint32_t intid_limit();

// Group 1, default priority, routed to this CPU (SPIs), enabled.
void enable(uint32_t intid);
// Disabled, and the disable has taken effect (RWP) when this returns.
void disable(uint32_t intid);

// The IRQ vector's handler: acknowledges, dispatches (irq::dispatch) and ends every pending
// group 1 interrupt.
void handle_irq();

}  // namespace coronet::arch::aarch64::gic

namespace coronet::arch::aarch64::irq_registry {
// Called by the GIC for each acknowledged INTID, and once per IRQ exception that found none.
void dispatch(uint32_t intid);
void count_spurious();
}  // namespace coronet::arch::aarch64::irq_registry
