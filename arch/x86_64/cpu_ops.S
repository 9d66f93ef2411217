/* Leaf routines that must be exact instructions. */
    .section .text
/* uintptr_t coronet::arch::frame_pointer(): the caller's rbp. A frameless asm leaf, so the
   chain it returns never contains a frame that is gone once this returns. */
    .global _ZN7coronet4arch13frame_pointerEv
    .type _ZN7coronet4arch13frame_pointerEv, @function
_ZN7coronet4arch13frame_pointerEv:
    movq %rbp, %rax
    ret
    .size _ZN7coronet4arch13frame_pointerEv, . - _ZN7coronet4arch13frame_pointerEv
