/* Test hook (arch/testing.hpp): overwrite v0-v31 and set FPCR to round toward zero, restoring
   nothing. Called from an interrupt handler, it proves the trap path saves the FP state. */
#define FPCR_RMODE_TOWARD_ZERO (3 << 22)

    .section .text.testing, "ax", %progbits
    .global arch_testing_scramble_fp_state
    .type arch_testing_scramble_fp_state, %function
arch_testing_scramble_fp_state:
    ldr x0, =0x4049db0012345678
    dup v0.2d, x0
    .irp n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    mov v\n\().16b, v0.16b
    .endr
    mrs x0, fpcr
    orr x0, x0, #FPCR_RMODE_TOWARD_ZERO
    msr fpcr, x0
    ret
    .size arch_testing_scramble_fp_state, . - arch_testing_scramble_fp_state
    .ltorg

/* uint64_t arch_testing_callee_saved_survive(void (*fn)(void*), void* arg, uint64_t seed):
   loads seed-derived patterns into x19-x29 and d8-d15, sets FPCR's rounding mode to toward
   minus infinity, calls fn(arg) (which switches coroutines), then returns a bit per register
   that changed: bits 0-10 x19-x29, bits 11-18 d8-d15, bit 19 FPCR rounding mode. */
#define TEST_RMODE 2                  /* RMode = 0b10: round toward minus infinity */

/* Our caller's x19-x28 and d8-d15 sit at [sp + 16] up to [sp + 160] of our frame: `op` is stp
   to save them, ldp to restore them. */
.macro callee_saved_pairs op
    \op x19, x20, [sp, #16]
    \op x21, x22, [sp, #32]
    \op x23, x24, [sp, #48]
    \op x25, x26, [sp, #64]
    \op x27, x28, [sp, #80]
    \op d8, d9, [sp, #96]
    \op d10, d11, [sp, #112]
    \op d12, d13, [sp, #128]
    \op d14, d15, [sp, #144]
.endm

/* Probe register n, result bit n, holds seed (x2) + n. */
.macro load_x reg, n
    add \reg, x2, #\n
.endm
.macro load_d reg, n
    add x10, x2, #\n
    fmov \reg, x10
.endm
/* Sets bit n of the result (x0) if probe register n no longer holds seed + n. */
.macro check_x reg, n
    add x10, x2, #\n
    cmp \reg, x10
    b.eq 1f
    orr x0, x0, #(1 << \n)
1:
.endm
.macro check_d reg, n
    fmov x11, \reg
    check_x x11, \n
.endm
/* Every probe register with its number, x19-x29 through op_x and d8-d15 through op_d. */
.macro each_probe op_x, op_d
    \op_x x19, 0
    \op_x x20, 1
    \op_x x21, 2
    \op_x x22, 3
    \op_x x23, 4
    \op_x x24, 5
    \op_x x25, 6
    \op_x x26, 7
    \op_x x27, 8
    \op_x x28, 9
    \op_x x29, 10
    \op_d d8, 11
    \op_d d9, 12
    \op_d d10, 13
    \op_d d11, 14
    \op_d d12, 15
    \op_d d13, 16
    \op_d d14, 17
    \op_d d15, 18
.endm

    .global arch_testing_callee_saved_survive
    .type arch_testing_callee_saved_survive, %function
arch_testing_callee_saved_survive:
    stp x29, x30, [sp, #-176]!
    callee_saved_pairs stp
    mrs x9, fpcr
    stp x9, x2, [sp, #160]            /* caller's FPCR, seed */

    mov x9, x0
    mov x0, x1
    each_probe load_x, load_d         /* x29 too: the frame chain is ours to break here */
    mrs x10, fpcr
    bic x10, x10, #(3 << 22)
    orr x10, x10, #(TEST_RMODE << 22)
    msr fpcr, x10
    blr x9

    ldr x2, [sp, #168]
    mov x0, #0
    each_probe check_x, check_d
    mrs x11, fpcr
    ubfx x11, x11, #22, #2
    cmp x11, #TEST_RMODE
    b.eq 2f
    orr x0, x0, #(1 << 19)
2:
    ldr x9, [sp, #160]
    msr fpcr, x9
    callee_saved_pairs ldp
    ldp x29, x30, [sp], #176
    ret
    .size arch_testing_callee_saved_survive, . - arch_testing_callee_saved_survive
