// Layout of a suspended AArch64 context on its own stack, shared by switch.S and C++.
// From the saved stack pointer upwards: x19-x28, x29 (fp), x30 (resume address), d8-d15, FPCR
// (+8 bytes pad: SP stays 16-byte aligned, SCTLR_EL1.SA checks it).
#pragma once

#define CONTEXT_X19 0
#define CONTEXT_X21 16
#define CONTEXT_X23 32
#define CONTEXT_X25 48
#define CONTEXT_X27 64
#define CONTEXT_X29 80
#define CONTEXT_X30 88
#define CONTEXT_D8 96
#define CONTEXT_D10 112
#define CONTEXT_D12 128
#define CONTEXT_D14 144
#define CONTEXT_FPCR 160
#define CONTEXT_FRAME_SIZE 176

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>

namespace coronet::arch {

struct SuspendedContext {
    uint64_t x19, x20, x21, x22, x23, x24, x25, x26, x27, x28;
    uint64_t x29;   // frame pointer
    uint64_t x30;   // resume address: the switch branches here
    uint64_t d[8];  // d8-d15: the low 64 bits of v8-v15
    uint64_t fpcr;
    uint64_t pad;
};
static_assert(offsetof(SuspendedContext, x19) == CONTEXT_X19);
static_assert(offsetof(SuspendedContext, x21) == CONTEXT_X21);
static_assert(offsetof(SuspendedContext, x23) == CONTEXT_X23);
static_assert(offsetof(SuspendedContext, x25) == CONTEXT_X25);
static_assert(offsetof(SuspendedContext, x27) == CONTEXT_X27);
static_assert(offsetof(SuspendedContext, x29) == CONTEXT_X29);
static_assert(offsetof(SuspendedContext, x30) == CONTEXT_X30);
static_assert(offsetof(SuspendedContext, d[0]) == CONTEXT_D8);
static_assert(offsetof(SuspendedContext, d[2]) == CONTEXT_D10);
static_assert(offsetof(SuspendedContext, d[4]) == CONTEXT_D12);
static_assert(offsetof(SuspendedContext, d[6]) == CONTEXT_D14);
static_assert(offsetof(SuspendedContext, fpcr) == CONTEXT_FPCR);
static_assert(sizeof(SuspendedContext) == CONTEXT_FRAME_SIZE);
static_assert(CONTEXT_FRAME_SIZE % 16 == 0);
// ldp/stp immediates: 7-bit signed, scaled by 8.
static_assert(CONTEXT_FRAME_SIZE <= 504);

}  // namespace coronet::arch
#endif
