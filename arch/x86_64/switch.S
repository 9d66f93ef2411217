/* x86-64 cooperative context switch (System V ABI).
 *
 * Saved: rbx, rbp, r12-r15 (callee-saved GPRs), rsp (stored in *save_sp), MXCSR and the x87
 * control word (callee-saved control state: rounding modes and exception masks must not leak
 * between coroutines). Not saved: rax, rcx, rdx, rsi, rdi, r8-r11 and all xmm/x87 data
 * registers, which the ABI makes caller-saved, so they are dead across this call.
 *
 * The resume address is popped and jumped to rather than `ret`urned to: a `ret` onto another
 * stack always mispredicts against the return-stack buffer.
 */
#include "arch/x86_64/cfi_push.hpp"
#include "arch/x86_64/context_frame.hpp"

    .section .text
    .global coronet_context_switch
    .type coronet_context_switch, @function
coronet_context_switch:                 /* rdi = uintptr_t* save_sp, rsi = load_sp */
    .cfi_startproc
    push_cfi %rbp
    push_cfi %rbx
    push_cfi %r12
    push_cfi %r13
    push_cfi %r14
    push_cfi %r15
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    stmxcsr CONTEXT_MXCSR(%rsp)
    fnstcw CONTEXT_FPU_CW(%rsp)
    movq %rsp, (%rdi)

    movq %rsi, %rsp
    ldmxcsr CONTEXT_MXCSR(%rsp)
    fldcw CONTEXT_FPU_CW(%rsp)
    movq CONTEXT_R15(%rsp), %r15
    movq CONTEXT_R14(%rsp), %r14
    movq CONTEXT_R13(%rsp), %r13
    movq CONTEXT_R12(%rsp), %r12
    movq CONTEXT_RBX(%rsp), %rbx
    movq CONTEXT_RBP(%rsp), %rbp
    movq CONTEXT_RESUME(%rsp), %rcx
    leaq CONTEXT_FRAME_SIZE(%rsp), %rsp
    jmpq *%rcx
    .cfi_endproc
    .size coronet_context_switch, . - coronet_context_switch

/* First frame of every context: context_init() leaves entry in r12 and its argument in r13.
 * The return address is undefined for unwinders and rbp is zero, so gdb's and the panic
 * handler's backtraces end here. */
    .global coronet_context_trampoline
    .type coronet_context_trampoline, @function
coronet_context_trampoline:
    .cfi_startproc
    .cfi_undefined %rip
    xorl %ebp, %ebp
    movq %r13, %rdi
    subq $8, %rsp                       /* rsp was 16n+8 here; calls need it 16-aligned */
    callq *%r12
    callq coronet_context_entry_returned
    ud2
    .cfi_endproc
    .size coronet_context_trampoline, . - coronet_context_trampoline

    .section .note.GNU-stack, "", @progbits
