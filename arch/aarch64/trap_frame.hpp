// The AArch64 trap frame, shared by vectors.S and C++: everything the interrupted code can see
// (all GPRs, SP, PC, PSTATE and the full FP/SIMD state) plus the syndrome registers. Every
// offset the asm uses is pinned by a static_assert below.
#pragma once

#define TRAP_X0_OFFSET 0
#define TRAP_X30_OFFSET (30 * 8)
#define TRAP_SP_OFFSET (31 * 8)
#define TRAP_ELR_OFFSET (TRAP_SP_OFFSET + 8)
#define TRAP_SPSR_OFFSET (TRAP_ELR_OFFSET + 8)
#define TRAP_ESR_OFFSET (TRAP_SPSR_OFFSET + 8)
#define TRAP_FAR_OFFSET (TRAP_ESR_OFFSET + 8)
#define TRAP_KIND_OFFSET (TRAP_FAR_OFFSET + 8)
#define TRAP_FRAME_RECORD_OFFSET (TRAP_KIND_OFFSET + 16)
#define TRAP_FPCR_OFFSET (TRAP_FRAME_RECORD_OFFSET + 16)
#define TRAP_FPSR_OFFSET (TRAP_FPCR_OFFSET + 8)
#define TRAP_Q_OFFSET (TRAP_FPSR_OFFSET + 8)
#define TRAP_FRAME_SIZE (TRAP_Q_OFFSET + 32 * 16)

/* The vector a frame came through (its slot in the VBAR_EL1 table, D1.10.2), a flag the stub
   sets when it moved to the emergency stack because the interrupted SP was unusable, and one
   for IRQ frames, which always live on the interrupt stack. */
#define TRAP_KIND_SP0_SYNC 0
#define TRAP_KIND_SP0_IRQ 1
#define TRAP_KIND_SP0_FIQ 2
#define TRAP_KIND_SP0_SERROR 3
#define TRAP_KIND_SPX_SYNC 4
#define TRAP_KIND_SPX_IRQ 5
#define TRAP_KIND_SPX_FIQ 6
#define TRAP_KIND_SPX_SERROR 7
#define TRAP_KIND_LOWER64_SYNC 8
#define TRAP_KIND_LOWER64_IRQ 9
#define TRAP_KIND_LOWER64_FIQ 10
#define TRAP_KIND_LOWER64_SERROR 11
#define TRAP_KIND_LOWER32_SYNC 12
#define TRAP_KIND_LOWER32_IRQ 13
#define TRAP_KIND_LOWER32_FIQ 14
#define TRAP_KIND_LOWER32_SERROR 15
#define TRAP_KIND_MASK 0xff
#define TRAP_KIND_EMERGENCY_BIT 8
#define TRAP_KIND_EMERGENCY (1 << TRAP_KIND_EMERGENCY_BIT)
#define TRAP_KIND_IRQ_STACK_BIT 9
#define TRAP_KIND_IRQ_STACK (1 << TRAP_KIND_IRQ_STACK_BIT)

/* A synchronous exception needs this much stack below the frame for its C handler (the panic
   path with printf and a backtrace); with less, the stub switches to the emergency stack. */
#define TRAP_SYNC_HANDLER_RESERVE 4096

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>

namespace coronet::arch {

struct alignas(16) TrapFrame {
    uint64_t x[31];    // x0-x30
    uint64_t sp;       // the interrupted SP_EL1
    uint64_t elr;      // interrupted PC (or the faulting instruction)
    uint64_t spsr;     // interrupted PSTATE
    uint64_t esr;      // ESR_EL1: meaningful for synchronous exceptions and SErrors
    uint64_t far;      // FAR_EL1: meaningful for aborts
    uint64_t kind;     // TRAP_KIND_* | TRAP_KIND_EMERGENCY
    uint64_t padding;  // keeps frame_record 16-byte aligned
    // {x29, elr}: an AAPCS64 frame record, so frame-pointer backtraces taken inside a handler
    // continue into the interrupted code. x29 points here while the handler runs.
    uint64_t frame_record[2];
    uint64_t fpcr;
    uint64_t fpsr;
    __uint128_t q[32];  // q0-q31: the full SIMD&FP register file
};

static_assert(offsetof(TrapFrame, x) == TRAP_X0_OFFSET);
static_assert(offsetof(TrapFrame, x[30]) == TRAP_X30_OFFSET);
static_assert(offsetof(TrapFrame, sp) == TRAP_SP_OFFSET);
static_assert(offsetof(TrapFrame, elr) == TRAP_ELR_OFFSET);
static_assert(offsetof(TrapFrame, spsr) == TRAP_SPSR_OFFSET);
static_assert(offsetof(TrapFrame, esr) == TRAP_ESR_OFFSET);
static_assert(offsetof(TrapFrame, far) == TRAP_FAR_OFFSET);
static_assert(offsetof(TrapFrame, kind) == TRAP_KIND_OFFSET);
static_assert(offsetof(TrapFrame, frame_record) == TRAP_FRAME_RECORD_OFFSET);
static_assert(offsetof(TrapFrame, fpcr) == TRAP_FPCR_OFFSET);
static_assert(offsetof(TrapFrame, fpsr) == TRAP_FPSR_OFFSET);
static_assert(offsetof(TrapFrame, q) == TRAP_Q_OFFSET);
static_assert(sizeof(TrapFrame) == TRAP_FRAME_SIZE);
static_assert(TRAP_FRAME_SIZE % 16 == 0 && TRAP_Q_OFFSET % 16 == 0);
// stp/ldp immediates: 7-bit signed, scaled by 8 (X) or 16 (Q).
static_assert(TRAP_FPCR_OFFSET <= 504 && TRAP_Q_OFFSET + 30 * 16 <= 1008);

}  // namespace coronet::arch
#endif
