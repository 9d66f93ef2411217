// System register access for AArch64 arch code. Register names must be literal in the asm, so
// these are macros; registers the assembler does not know under -march=armv8-a get S-encodings.
#pragma once

#include <cstdint>

#define READ_SYSREG(reg)                              \
    ({                                                \
        uint64_t _value;                              \
        asm volatile("mrs %0, " #reg : "=r"(_value)); \
        _value;                                       \
    })

#define WRITE_SYSREG(reg, value) \
    asm volatile("msr " #reg ", %0" : : "r"(static_cast<uint64_t>(value)) : "memory")

// Registers newer than ARMv8.0 (Arm ARM encodings op0_op1_Cn_Cm_op2).
#define SYSREG_RNDR s3_3_c2_c4_0  // FEAT_RNG random number

namespace coronet::arch::aarch64 {

inline void isb() { asm volatile("isb" ::: "memory"); }
inline void dsb_sy() { asm volatile("dsb sy" ::: "memory"); }
inline void dsb_ishst() { asm volatile("dsb ishst" ::: "memory"); }

// Field extraction for ID registers and syndromes.
constexpr uint64_t bits(uint64_t value, unsigned low, unsigned width) {
    return (value >> low) & ((width == 64) ? ~0ULL : ((1ULL << width) - 1));
}

}  // namespace coronet::arch::aarch64
