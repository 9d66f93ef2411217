// Register-level hooks for in-guest tests (tests/kernel): things only the arch can do.
#pragma once

namespace coronet::arch::testing {

// Overwrites every FP/SIMD register with a pattern and switches the FP rounding mode to
// round-toward-zero (MXCSR / FPCR), without restoring anything: an interrupt handler calling
// this proves the trap path saves and restores the interrupted FP state.
extern "C" void arch_testing_scramble_fp_state();
inline void scramble_fp_state() { arch_testing_scramble_fp_state(); }

// Loads distinct patterns into every callee-saved register and a non-default FP rounding mode,
// calls fn(argument) (which should switch coroutines), and returns a bit mask of what did not
// survive (0: all preserved). Bits are per arch; see arch/<arch>/testing.S.
extern "C" uint64_t arch_testing_callee_saved_survive(void (*fn)(void*), void* argument,
                                                      uint64_t seed);

}  // namespace coronet::arch::testing
