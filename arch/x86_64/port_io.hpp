// Inline port I/O for x86-64 arch code (kernel code goes through arch/port_io.hpp).
#pragma once

#include <cstdint>

namespace coronet::arch::x86_64 {

// One `in`/`out` for every width: the register the value lives in (al, ax or eax) picks the
// byte, word or doubleword instruction.
template <typename T>
inline T port_in(uint16_t port) {
    static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4);
    T v;
    asm volatile("in %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
template <typename T>
inline void port_out(uint16_t port, T v) {
    static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4);
    asm volatile("out %0, %1" : : "a"(v), "Nd"(port));
}

inline uint8_t inb(uint16_t port) { return port_in<uint8_t>(port); }
inline uint16_t inw(uint16_t port) { return port_in<uint16_t>(port); }
inline uint32_t inl(uint16_t port) { return port_in<uint32_t>(port); }
inline void outb(uint16_t port, uint8_t v) { port_out(port, v); }
inline void outw(uint16_t port, uint16_t v) { port_out(port, v); }
inline void outl(uint16_t port, uint32_t v) { port_out(port, v); }

inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t(hi) << 32) | lo;
}
inline void wrmsr(uint32_t msr, uint64_t v) {
    asm volatile("wrmsr" : : "c"(msr), "a"(uint32_t(v)), "d"(uint32_t(v >> 32)));
}
inline uint64_t rdtsc() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t(hi) << 32) | lo;
}
inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t& a, uint32_t& b, uint32_t& c,
                  uint32_t& d) {
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(subleaf));
}

}  // namespace coronet::arch::x86_64
