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
    .global arch_testing_callee_saved_survive
    .type arch_testing_callee_saved_survive, %function
arch_testing_callee_saved_survive:
    stp x29, x30, [sp, #-176]!
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    stp x23, x24, [sp, #48]
    stp x25, x26, [sp, #64]
    stp x27, x28, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mrs x9, fpcr
    stp x9, x2, [sp, #160]            /* caller's FPCR, seed */

    mov x9, x0
    mov x0, x1
    add x19, x2, #0
    add x20, x2, #1
    add x21, x2, #2
    add x22, x2, #3
    add x23, x2, #4
    add x24, x2, #5
    add x25, x2, #6
    add x26, x2, #7
    add x27, x2, #8
    add x28, x2, #9
    add x10, x2, #11
    fmov d8, x10
    add x10, x2, #12
    fmov d9, x10
    add x10, x2, #13
    fmov d10, x10
    add x10, x2, #14
    fmov d11, x10
    add x10, x2, #15
    fmov d12, x10
    add x10, x2, #16
    fmov d13, x10
    add x10, x2, #17
    fmov d14, x10
    add x10, x2, #18
    fmov d15, x10
    mrs x10, fpcr
    bic x10, x10, #(3 << 22)
    orr x10, x10, #(TEST_RMODE << 22)
    msr fpcr, x10
    add x29, x2, #10                  /* x29 too: the frame chain is ours to break here */
    blr x9

    ldr x2, [sp, #168]
    mov x0, #0
    .macro check_x reg, offset, bit
    add x10, x2, #\offset
    cmp \reg, x10
    b.eq 1f
    orr x0, x0, #(1 << \bit)
1:
    .endm
    .macro check_d reg, offset, bit
    add x10, x2, #\offset
    fmov x11, \reg
    cmp x11, x10
    b.eq 1f
    orr x0, x0, #(1 << \bit)
1:
    .endm
    check_x x19, 0, 0
    check_x x20, 1, 1
    check_x x21, 2, 2
    check_x x22, 3, 3
    check_x x23, 4, 4
    check_x x24, 5, 5
    check_x x25, 6, 6
    check_x x26, 7, 7
    check_x x27, 8, 8
    check_x x28, 9, 9
    check_x x29, 10, 10
    check_d d8, 11, 11
    check_d d9, 12, 12
    check_d d10, 13, 13
    check_d d11, 14, 14
    check_d d12, 15, 15
    check_d d13, 16, 16
    check_d d14, 17, 17
    check_d d15, 18, 18
    mrs x11, fpcr
    ubfx x11, x11, #22, #2
    cmp x11, #TEST_RMODE
    b.eq 2f
    orr x0, x0, #(1 << 19)
2:
    ldr x9, [sp, #160]
    msr fpcr, x9
    ldp d14, d15, [sp, #144]
    ldp d12, d13, [sp, #128]
    ldp d10, d11, [sp, #112]
    ldp d8, d9, [sp, #96]
    ldp x27, x28, [sp, #80]
    ldp x25, x26, [sp, #64]
    ldp x23, x24, [sp, #48]
    ldp x21, x22, [sp, #32]
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #176
    ret
    .size arch_testing_callee_saved_survive, . - arch_testing_callee_saved_survive
