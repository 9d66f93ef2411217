/* AArch64 cooperative context switch (AAPCS64).
 *
 * Saved: x19-x28 (callee-saved GPRs), x29 (frame pointer), x30 (the resume address), sp (stored
 * in *save_sp), d8-d15 (AAPCS64 makes only the low 64 bits of v8-v15 callee-saved) and FPCR
 * (callee-saved control state: rounding mode, flush-to-zero and default-NaN must not leak
 * between coroutines). Not saved: x0-x18, the upper halves of v8-v15, v0-v7, v16-v31 and FPSR
 * (cumulative flags), all caller-saved or undefined across a call, so dead here.
 *
 * The resume is `br x30`, not `ret`: a `ret` is predicted by the return stack, whose top is the
 * caller's own return address, wrong on every switch to another context; `br` goes through the
 * indirect predictor, which can learn the targets (the x86-64 side pops and jumps for the same
 * reason). FPCR is written only when it differs: MSR FPCR may serialise on some cores.
 *
 * SP is SP_EL1 throughout (PSTATE.SPSel stays 1): the exception vectors rely on it.
 */
#include "arch/aarch64/context_frame.hpp"

    .cfi_sections .debug_frame

/* Stores a register pair at [sp + off] and tells unwinders so. The loaded frame has the same
   layout, so the rules stay true while the other context's registers are restored. */
.macro save_pair a, b, off
    stp \a, \b, [sp, #\off]
    .cfi_rel_offset \a, \off
    .cfi_rel_offset \b, \off + 8
.endm

    .section .text.context, "ax", %progbits
    .global coronet_context_switch
    .type coronet_context_switch, %function
coronet_context_switch:                 /* x0 = uintptr_t* save_sp, x1 = load_sp */
    .cfi_startproc
    sub sp, sp, #CONTEXT_FRAME_SIZE
    .cfi_adjust_cfa_offset CONTEXT_FRAME_SIZE
    stp x29, x30, [sp, #CONTEXT_X29]
    .cfi_rel_offset x29, CONTEXT_X29
    .cfi_rel_offset x30, CONTEXT_X30
    save_pair x19, x20, CONTEXT_X19
    save_pair x21, x22, CONTEXT_X21
    save_pair x23, x24, CONTEXT_X23
    save_pair x25, x26, CONTEXT_X25
    save_pair x27, x28, CONTEXT_X27
    save_pair d8, d9, CONTEXT_D8
    save_pair d10, d11, CONTEXT_D10
    save_pair d12, d13, CONTEXT_D12
    save_pair d14, d15, CONTEXT_D14
    mrs x2, fpcr
    str x2, [sp, #CONTEXT_FPCR]
    mov x3, sp
    str x3, [x0]

    mov sp, x1
    ldr x3, [sp, #CONTEXT_FPCR]
    cmp x2, x3
    b.eq 1f
    msr fpcr, x3
1:  ldp d8, d9, [sp, #CONTEXT_D8]
    ldp d10, d11, [sp, #CONTEXT_D10]
    ldp d12, d13, [sp, #CONTEXT_D12]
    ldp d14, d15, [sp, #CONTEXT_D14]
    ldp x19, x20, [sp, #CONTEXT_X19]
    ldp x21, x22, [sp, #CONTEXT_X21]
    ldp x23, x24, [sp, #CONTEXT_X23]
    ldp x25, x26, [sp, #CONTEXT_X25]
    ldp x27, x28, [sp, #CONTEXT_X27]
    ldp x29, x30, [sp, #CONTEXT_X29]
    add sp, sp, #CONTEXT_FRAME_SIZE
    .cfi_adjust_cfa_offset -CONTEXT_FRAME_SIZE
    .irp reg, x19, x20, x21, x22, x23, x24, x25, x26, x27, x28, x29, x30, d8, d9, d10, d11, d12, d13, d14, d15
    .cfi_restore \reg
    .endr
    br x30
    .cfi_endproc
    .size coronet_context_switch, . - coronet_context_switch

/* First frame of every context: context_init() leaves entry in x19 and its argument in x20,
 * x29 = 0 and sp = the 16-byte aligned stack top. The return address is undefined for
 * unwinders and the frame pointer is zero, so gdb's and the panic handler's backtraces end
 * here. */
    .global coronet_context_trampoline
    .type coronet_context_trampoline, %function
coronet_context_trampoline:
    .cfi_startproc
    .cfi_undefined x30
    mov x29, xzr
    mov x0, x20
    blr x19
    bl coronet_context_entry_returned
    udf #0
    .cfi_endproc
    .size coronet_context_trampoline, . - coronet_context_trampoline
