// Legacy 8259A pair: SeaBIOS leaves it on vectors 8-15, over the CPU exceptions. We move it to
// 0x20-0x2F and mask every line; the IOAPIC delivers device interrupts instead.
#include "arch/x86_64/pic.hpp"

#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/port_io.hpp"

namespace coronet::arch::x86_64::pic {
namespace {
constexpr uint16_t kMasterCommand = 0x20, kMasterData = 0x21;
constexpr uint16_t kSlaveCommand = 0xA0, kSlaveData = 0xA1;
constexpr uint8_t kIcw1InitWithIcw4 = 0x11;
constexpr uint8_t kIcw4Mode8086 = 0x01;
constexpr uint8_t kMaskAll = 0xFF;
}  // namespace

void disable() {
    outb(kMasterCommand, kIcw1InitWithIcw4);
    outb(kSlaveCommand, kIcw1InitWithIcw4);
    outb(kMasterData, kLegacyPicBase);
    outb(kSlaveData, kLegacyPicBase + 8);
    outb(kMasterData, 4);  // slave on IRQ2
    outb(kSlaveData, 2);   // cascade identity
    outb(kMasterData, kIcw4Mode8086);
    outb(kSlaveData, kIcw4Mode8086);
    outb(kMasterData, kMaskAll);
    outb(kSlaveData, kMaskAll);
}

}  // namespace coronet::arch::x86_64::pic
