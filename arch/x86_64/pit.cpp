// PIT channel 0 as a free-running rate generator, read with latch commands. Unlike the channel 2
// gate trick this needs no port 0x61, which QEMU's microvm (like Firecracker) does not have.
// The channel's interrupt stays masked at the PIC and the IOAPIC.
#include "arch/x86_64/pit.hpp"

#include "arch/x86_64/port_io.hpp"

namespace coronet::arch::x86_64::pit {
namespace {
constexpr uint16_t kChannel0Data = 0x40;
constexpr uint16_t kCommand = 0x43;
constexpr uint8_t kChannel0Mode2LoHi = 0x34;  // channel 0, lobyte/hibyte, mode 2, binary
constexpr uint8_t kLatchChannel0 = 0x00;

uint16_t read_count() {
    outb(kCommand, kLatchChannel0);
    uint8_t lo = inb(kChannel0Data);
    uint8_t hi = inb(kChannel0Data);
    return static_cast<uint16_t>(lo | (hi << 8));
}
}  // namespace

void wait(uint32_t ticks, void (*during)(void*), void (*after)(void*), void* context) {
    outb(kCommand, kChannel0Mode2LoHi);
    outb(kChannel0Data, 0);  // reload 0 = 65536
    outb(kChannel0Data, 0);
    uint16_t previous = read_count();
    during(context);
    uint32_t elapsed = 0;
    while (elapsed < ticks) {
        uint16_t now = read_count();
        elapsed += static_cast<uint16_t>(previous - now);  // counts down, wraps at 65536
        previous = now;
    }
    after(context);
}

}  // namespace coronet::arch::x86_64::pit
