/* Small leaf routines that must be exact instructions: the caller's frame pointer, and the
   semihosting trap whose address the exception handler recognises. */

    .section .text.cpu_ops, "ax", %progbits

/* uintptr_t coronet::arch::frame_pointer(): the caller's x29. A leaf in asm does not touch x29,
   so no frame record of this function can end up in the chain it returns. */
    .global _ZN7coronet4arch13frame_pointerEv
    .type _ZN7coronet4arch13frame_pointerEv, %function
_ZN7coronet4arch13frame_pointerEv:
    mov x0, x29
    ret
    .size _ZN7coronet4arch13frame_pointerEv, . - _ZN7coronet4arch13frame_pointerEv

/* uint64_t aarch64_semihost_call(uint64_t operation, uint64_t parameter): the A64 semihosting
   trap (HLT #0xF000, ARM DUI 0471 / semihosting spec 2.2). Without a semihosting host it is an
   undefined instruction; aarch64_trap recognises aarch64_semihost_trap and returns ~0 here. */
    .global aarch64_semihost_call
    .type aarch64_semihost_call, %function
aarch64_semihost_call:
    .global aarch64_semihost_trap
aarch64_semihost_trap:
    hlt #0xf000
    ret
    .size aarch64_semihost_call, . - aarch64_semihost_call
