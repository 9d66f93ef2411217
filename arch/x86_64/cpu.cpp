// x86-64 CPU operations: interrupt flag, halting, the debug-exit port, RDRAND, CPUID brand.
#include "arch/cpu.hpp"

#include <cstring>

#include "arch/port_io.hpp"
#include "arch/x86_64/port_io.hpp"

namespace coronet::arch {
namespace {
// QEMU's isa-debug-exit device (board.json adds it): writing v exits QEMU with (v << 1) | 1.
constexpr uint16_t kDebugExitPort = 0xF4;
constexpr uint32_t kRflagsInterrupt = 1 << 9;
constexpr uint32_t kCpuidRdrand = 1 << 30;
}  // namespace

const char* name() { return "x86_64"; }

void describe_cpu(char* buf, size_t len) {
    uint32_t regs[12];
    uint32_t max_ext, b, c, d;
    x86_64::cpuid(0x80000000, 0, max_ext, b, c, d);
    if (max_ext < 0x80000004 || len == 0) {
        if (len) std::strncpy(buf, "unknown x86-64", len - 1), buf[len - 1] = '\0';
        return;
    }
    for (uint32_t i = 0; i < 3; ++i) {
        x86_64::cpuid(0x80000002 + i, 0, regs[i * 4], regs[i * 4 + 1], regs[i * 4 + 2],
                      regs[i * 4 + 3]);
    }
    char brand[49];
    std::memcpy(brand, regs, 48);
    brand[48] = '\0';
    const char* start = brand;
    while (*start == ' ') ++start;
    std::strncpy(buf, start, len - 1);
    buf[len - 1] = '\0';
}

void interrupts_enable() { asm volatile("sti" ::: "memory"); }
void interrupts_disable() { asm volatile("cli" ::: "memory"); }

bool interrupts_enabled() {
    uint64_t flags;
    asm volatile("pushfq; popq %0" : "=r"(flags));
    return flags & kRflagsInterrupt;
}

void wait_for_interrupt() {
    // STI's one-instruction shadow covers the HLT: an interrupt pending at the STI wakes it.
    asm volatile("sti; hlt; cli" ::: "memory");
}

void halt_forever() {
    for (;;) asm volatile("cli; hlt");
}

void exit(int code) {
    x86_64::outl(kDebugExitPort, static_cast<uint32_t>(code));
    halt_forever();  // no exit device on this machine
}

bool hardware_random(uint64_t& out) {
    uint32_t a, b, c, d;
    x86_64::cpuid(1, 0, a, b, c, d);
    if (!(c & kCpuidRdrand)) return false;
    for (int attempt = 0; attempt < 10; ++attempt) {
        unsigned char ok;
        asm volatile("rdrand %0; setc %1" : "=r"(out), "=qm"(ok));
        if (ok) return true;
    }
    return false;
}

// frame_pointer() is in cpu_ops.S: it must not have a frame of its own.

uint8_t port_in8(uint16_t port) { return x86_64::inb(port); }
void port_out8(uint16_t port, uint8_t value) { x86_64::outb(port, value); }
uint16_t port_in16(uint16_t port) { return x86_64::inw(port); }
void port_out16(uint16_t port, uint16_t value) { x86_64::outw(port, value); }
uint32_t port_in32(uint16_t port) { return x86_64::inl(port); }
void port_out32(uint16_t port, uint32_t value) { x86_64::outl(port, value); }

}  // namespace coronet::arch
