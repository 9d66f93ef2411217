// Pushes and pops that keep the unwind info (CFI) true, for switch.S and vectors.S: gdb and the
// panic backtrace step through a frame only if every stack move and saved register is described.
#pragma once

/* Assembler, not C++, to the end of the file: */
/* clang-format off */
#ifdef __ASSEMBLER__
/* pushq, moving the CFA and recording where the register was saved. */
.macro push_cfi reg
    pushq \reg
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset \reg, 0
.endm
#endif
