// PIT channel 0 read with latch commands. Unlike the channel 2 gate trick this needs no port
// 0x61, which QEMU's microvm (like Firecracker) does not have.
#include "arch/x86_64/pit.hpp"

#include "arch/x86_64/port_io.hpp"

namespace coronet::arch::x86_64::pit {
namespace {
constexpr uint16_t kChannel0Data = 0x40;
constexpr uint16_t kCommand = 0x43;
constexpr uint8_t kChannel0Mode2LoHi = 0x34;  // channel 0, lobyte/hibyte, mode 2, binary
constexpr uint8_t kLatchChannel0 = 0x00;
}  // namespace

void start_free_running() {
    outb(kCommand, kChannel0Mode2LoHi);
    outb(kChannel0Data, 0);  // reload 0 = 65536
    outb(kChannel0Data, 0);
}

uint16_t read_count() {
    outb(kCommand, kLatchChannel0);
    uint8_t lo = inb(kChannel0Data);
    uint8_t hi = inb(kChannel0Data);
    return static_cast<uint16_t>(lo | (hi << 8));
}

}  // namespace coronet::arch::x86_64::pit
