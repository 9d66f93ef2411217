// Cooperative context switch between stacks (arch/<arch>/switch.S). Only the ABI's
// callee-saved state is saved: everything else is dead across a call by definition.
#pragma once

#include <cstddef>
#include <cstdint>

namespace coronet::arch {

using ContextEntry = void (*)(void* argument);

// Lays out a fresh stack so that the first switch to the returned stack pointer calls
// entry(argument) with an ABI-aligned stack, a zero frame pointer (backtraces end there) and
// default FP control state. `entry` must never return; if it does, the trampoline calls
// context_entry_returned(), which the scheduler defines (and which must not return either).
uintptr_t context_init(void* stack_top, ContextEntry entry, void* argument);

}  // namespace coronet::arch

extern "C" {
// Saves the callee-saved state on the current stack, stores the stack pointer in *save_sp,
// then resumes the context whose stack pointer is `load_sp`.
void coronet_context_switch(uintptr_t* save_sp, uintptr_t load_sp);
[[noreturn]] void coronet_context_entry_returned();
}
