// What picolibc needs from the system below it: exit, assert, and the stack protector's hooks.
// (stdout is in console.cpp, sbrk in memory.cpp.)
#include <cstdint>

#include "arch/cpu.hpp"
#include "kernel/panic.hpp"

extern "C" {

[[noreturn]] void _exit(int code) { coronet::arch::exit(code); }

[[noreturn]] void __assert_func(const char* file, int line, const char* function,
                                const char* expression) {
    coronet::panic("assert(%s) failed in %s at %s:%d", expression, function ? function : "?", file,
                   line);
}

// Seeded by the arch entry code from RDRAND/RNDR (or the cycle counter) before anything it
// protects can return; the non-zero default only guards the first instructions.
uintptr_t __stack_chk_guard = 0x595e9fbd94fda766ULL;

[[noreturn]] void __stack_chk_fail() {
    coronet::panic("stack smashing detected (stack protector)");
}
}
