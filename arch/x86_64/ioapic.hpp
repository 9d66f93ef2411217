// I/O APIC (82093AA datasheet): routes GSIs to LAPIC vectors.
#pragma once

#include <cstdint>

namespace coronet::arch::x86_64::ioapic {

inline constexpr uint64_t kDefaultBase = 0xFEC00000;  // QEMU pc/q35/microvm, Firecracker

void init(uint32_t destination_apic_id);
unsigned pin_count();
// Edge-triggered active-high (ISA) or level-triggered active-low (PCI INTx) routing of a GSI.
enum class Trigger : uint8_t { EdgeHigh, LevelLow };
void route(unsigned gsi, unsigned vector, Trigger trigger);
void mask(unsigned gsi);

}  // namespace coronet::arch::x86_64::ioapic
