/* Test hook (arch/testing.hpp): clobber xmm0-15 and set MXCSR to round toward zero. */
    .section .text
    .global arch_testing_scramble_fp_state
    .type arch_testing_scramble_fp_state, @function
arch_testing_scramble_fp_state:
    mov $0x4049db0012345678, %rax
    movq %rax, %xmm0
    pshufd $0x44, %xmm0, %xmm0
    .irp n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    movdqa %xmm0, %xmm\n
    .endr
    sub $8, %rsp
    stmxcsr (%rsp)
    orl $0x6000, (%rsp)          /* RC = 11b: round toward zero */
    ldmxcsr (%rsp)
    add $8, %rsp
    ret
    .size arch_testing_scramble_fp_state, . - arch_testing_scramble_fp_state

/* uint64_t arch_testing_callee_saved_survive(void (*fn)(void*), void* arg, uint64_t seed):
   loads seed-derived patterns into rbx, rbp, r12-r15, sets MXCSR and the x87 control word to
   round-down, calls fn(arg) (which switches coroutines), then returns a bit per register that
   changed: 1 rbx, 2 rbp, 4 r12, 8 r13, 16 r14, 32 r15, 64 MXCSR control, 128 x87 control. */
#define TEST_MXCSR 0x3F80          /* default with RC = 01 (round down) */
#define TEST_FPU_CW 0x077F         /* default with RC = 01 (round down) */
    .global arch_testing_callee_saved_survive
    .type arch_testing_callee_saved_survive, @function
arch_testing_callee_saved_survive:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $24, %rsp                 /* 0: caller MXCSR, 4: caller x87 CW, 8: seed, 16: scratch */
    stmxcsr 0(%rsp)
    fnstcw 4(%rsp)
    movq %rdx, 8(%rsp)
    movq %rdi, %rax
    movq %rsi, %rdi
    movq %rdx, %rbx
    leaq 1(%rdx), %rbp
    leaq 2(%rdx), %r12
    leaq 3(%rdx), %r13
    leaq 4(%rdx), %r14
    leaq 5(%rdx), %r15
    movl $TEST_MXCSR, 16(%rsp)
    ldmxcsr 16(%rsp)
    movw $TEST_FPU_CW, 20(%rsp)
    fldcw 20(%rsp)
    callq *%rax

    xorl %eax, %eax
    movq 8(%rsp), %rdx
    /* Register n was loaded with seed + n: sets bit n of the result if it changed. */
    .macro check reg, n
    leaq \n(%rdx), %rcx
    cmpq %rcx, \reg
    je 1f
    orl $(1 << \n), %eax
1:
    .endm
    check %rbx, 0
    check %rbp, 1
    check %r12, 2
    check %r13, 3
    check %r14, 4
    check %r15, 5
    stmxcsr 16(%rsp)
    movl 16(%rsp), %ecx
    andl $0xFFC0, %ecx             /* control bits only: the low six are sticky status flags */
    cmpl $(TEST_MXCSR & 0xFFC0), %ecx
    je 7f
    orl $64, %eax
7:  fnstcw 20(%rsp)
    cmpw $TEST_FPU_CW, 20(%rsp)
    je 8f
    orl $128, %eax
8:  ldmxcsr 0(%rsp)
    fldcw 4(%rsp)
    addq $24, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size arch_testing_callee_saved_survive, . - arch_testing_callee_saved_survive

    .section .note.GNU-stack, "", @progbits
