// Layout of a suspended x86-64 context on its own stack, shared by switch.S and C++.
// From the saved stack pointer upwards: MXCSR, x87 control word (+2 bytes pad), r15, r14, r13,
// r12, rbx, rbp, resume address.
#pragma once

#define CONTEXT_MXCSR 0
#define CONTEXT_FPU_CW 4
#define CONTEXT_R15 8
#define CONTEXT_R14 16
#define CONTEXT_R13 24
#define CONTEXT_R12 32
#define CONTEXT_RBX 40
#define CONTEXT_RBP 48
#define CONTEXT_RESUME 56
#define CONTEXT_FRAME_SIZE 64

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>

namespace coronet::arch {

struct SuspendedContext {
    uint32_t mxcsr;
    uint16_t fpu_control;
    uint16_t pad;
    uint64_t r15, r14, r13, r12, rbx, rbp;
    uint64_t resume;
};
static_assert(offsetof(SuspendedContext, mxcsr) == CONTEXT_MXCSR);
static_assert(offsetof(SuspendedContext, fpu_control) == CONTEXT_FPU_CW);
static_assert(offsetof(SuspendedContext, r15) == CONTEXT_R15);
static_assert(offsetof(SuspendedContext, r14) == CONTEXT_R14);
static_assert(offsetof(SuspendedContext, r13) == CONTEXT_R13);
static_assert(offsetof(SuspendedContext, r12) == CONTEXT_R12);
static_assert(offsetof(SuspendedContext, rbx) == CONTEXT_RBX);
static_assert(offsetof(SuspendedContext, rbp) == CONTEXT_RBP);
static_assert(offsetof(SuspendedContext, resume) == CONTEXT_RESUME);
static_assert(sizeof(SuspendedContext) == CONTEXT_FRAME_SIZE);

}  // namespace coronet::arch
#endif
