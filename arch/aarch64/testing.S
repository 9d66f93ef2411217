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
