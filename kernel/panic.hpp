// panic(): for broken invariants and CPU faults. Prints the cause, registers and a symbolized
// backtrace, then ends the machine with kPanicExitCode (tests see it as QEMU's exit status).
#pragma once

#include "arch/fault.hpp"
#include "lib/assert.hpp"  // CORONET_ASSERT; in the kernel a failed one panics (panic.cpp)

namespace coronet {

inline constexpr int kPanicExitCode = 3;

[[noreturn]] void panic(const char* format, ...) __attribute__((format(printf, 1, 2)));

// What a panic does once it has reported: end the machine (the default), or halt it for a
// debugger (boot option `panic=halt`, applied by kernel_main).
enum class PanicAction : unsigned char { Exit, Halt };
void set_panic_action(PanicAction action);

// Installed as the arch's fault handler.
[[noreturn]] void panic_on_fault(const arch::FaultReport& report);

}  // namespace coronet
