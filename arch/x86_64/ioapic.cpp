// IOAPIC programming through its select/window register pair.
#include "arch/x86_64/ioapic.hpp"

#include <cstddef>

#include "arch/mmio.hpp"
#include "arch/mmu.hpp"

namespace coronet::arch::x86_64::ioapic {
namespace {

struct IoApicRegs {
    Mmio<uint32_t> select;  // 0x00 IOREGSEL
    uint32_t pad[3];
    Mmio<uint32_t> window;  // 0x10 IOWIN
};
static_assert(offsetof(IoApicRegs, window) == 0x10);

constexpr uint32_t kRegVersion = 0x01;
constexpr uint32_t kRegRedirectionBase = 0x10;
constexpr uint64_t kEntryMasked = 1 << 16;
constexpr uint64_t kEntryLevel = 1 << 15;
constexpr uint64_t kEntryActiveLow = 1 << 13;

uint32_t g_destination = 0;
unsigned g_pins = 0;

IoApicRegs& regs() { return mmio_at<IoApicRegs>(kDefaultBase); }

uint32_t read(uint32_t reg) {
    regs().select.write(reg);
    return regs().window.read();
}
void write(uint32_t reg, uint32_t value) {
    regs().select.write(reg);
    regs().window.write(value);
}
void write_entry(unsigned pin, uint64_t entry) {
    write(kRegRedirectionBase + pin * 2 + 1, static_cast<uint32_t>(entry >> 32));
    write(kRegRedirectionBase + pin * 2, static_cast<uint32_t>(entry));
}

}  // namespace

void init(uint32_t destination_apic_id) {
    (void)mmu::map_mmio(kDefaultBase, kPageSize);  // the register page
    g_destination = destination_apic_id;
    g_pins = ((read(kRegVersion) >> 16) & 0xFF) + 1;
    for (unsigned pin = 0; pin < g_pins; ++pin) write_entry(pin, kEntryMasked);
}

unsigned pin_count() { return g_pins; }

void route(unsigned gsi, unsigned vector, Trigger trigger) {
    if (gsi >= g_pins) return;
    uint64_t entry = vector | (uint64_t(g_destination) << 56);
    if (trigger == Trigger::LevelLow) entry |= kEntryLevel | kEntryActiveLow;
    write_entry(gsi, entry);
}

void mask(unsigned gsi) {
    if (gsi < g_pins) write_entry(gsi, kEntryMasked);
}

}  // namespace coronet::arch::x86_64::ioapic
