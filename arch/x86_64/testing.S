/* Test hook (arch/testing.hpp): clobber xmm0-15 and set MXCSR to round toward zero. */
    .section .text
    .global arch_testing_scramble_fp_state
    .type arch_testing_scramble_fp_state, @function
arch_testing_scramble_fp_state:
    mov $0x4049db0012345678, %rax
    movq %rax, %xmm0
    pshufd $0x44, %xmm0, %xmm0
    movdqa %xmm0, %xmm1
    movdqa %xmm0, %xmm2
    movdqa %xmm0, %xmm3
    movdqa %xmm0, %xmm4
    movdqa %xmm0, %xmm5
    movdqa %xmm0, %xmm6
    movdqa %xmm0, %xmm7
    movdqa %xmm0, %xmm8
    movdqa %xmm0, %xmm9
    movdqa %xmm0, %xmm10
    movdqa %xmm0, %xmm11
    movdqa %xmm0, %xmm12
    movdqa %xmm0, %xmm13
    movdqa %xmm0, %xmm14
    movdqa %xmm0, %xmm15
    sub $8, %rsp
    stmxcsr (%rsp)
    orl $0x6000, (%rsp)          /* RC = 11b: round toward zero */
    ldmxcsr (%rsp)
    add $8, %rsp
    ret
    .size arch_testing_scramble_fp_state, . - arch_testing_scramble_fp_state
