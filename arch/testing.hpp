// Register-level hooks for in-guest tests (tests/kernel): things only the arch can do.
#pragma once

namespace coronet::arch::testing {

// Overwrites every FP/SIMD register with a pattern and switches the FP rounding mode to
// round-toward-zero (MXCSR / FPCR), without restoring anything: an interrupt handler calling
// this proves the trap path saves and restores the interrupted FP state.
extern "C" void arch_testing_scramble_fp_state();
inline void scramble_fp_state() { arch_testing_scramble_fp_state(); }

}  // namespace coronet::arch::testing
