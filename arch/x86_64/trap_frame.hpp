// The x86-64 trap frame, shared by vectors.S and C++: what the stub saves below the CPU's
// interrupt frame. Every offset the asm uses is pinned by a static_assert.
#pragma once

#define TRAP_FXSAVE_SIZE 512
#define TRAP_GPR_OFFSET TRAP_FXSAVE_SIZE
#define TRAP_VECTOR_OFFSET (TRAP_GPR_OFFSET + 15 * 8)
#define TRAP_ERROR_OFFSET (TRAP_VECTOR_OFFSET + 8)
#define TRAP_RIP_OFFSET (TRAP_ERROR_OFFSET + 8)
#define TRAP_RSP_OFFSET (TRAP_RIP_OFFSET + 24)
#define TRAP_FRAME_SIZE (TRAP_RIP_OFFSET + 40)

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>

namespace coronet::arch {

struct alignas(16) TrapFrame {
    // Full FP/SIMD state (fxsave64): interrupts may land in SSE code, and handlers may use SSE.
    uint8_t fxsave[TRAP_FXSAVE_SIZE];
    // Pushed by the common stub, last pushed first.
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    // Pushed by the per-vector stub (a zero error code where the CPU pushes none).
    uint64_t vector;
    uint64_t error_code;
    // Pushed by the CPU.
    uint64_t rip, cs, rflags, rsp, ss;
};

static_assert(offsetof(TrapFrame, r15) == TRAP_GPR_OFFSET);
static_assert(offsetof(TrapFrame, vector) == TRAP_VECTOR_OFFSET);
static_assert(offsetof(TrapFrame, error_code) == TRAP_ERROR_OFFSET);
static_assert(offsetof(TrapFrame, rip) == TRAP_RIP_OFFSET);
static_assert(offsetof(TrapFrame, rsp) == TRAP_RSP_OFFSET);
static_assert(sizeof(TrapFrame) == TRAP_FRAME_SIZE);
static_assert(TRAP_FRAME_SIZE % 16 == 0);

}  // namespace coronet::arch
#endif
