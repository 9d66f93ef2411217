// CORONET_ASSERT: an invariant check that says what broke and where. lib/ cannot reach the
// kernel's panic(), so it calls a hook every program linking lib provides: the kernel
// (kernel/panic.cpp) panics; host tests (tests/host/assert_failed.cpp) print and abort.
#pragma once

namespace coronet {

// `what` is the failed condition's text (or a message); file/line are the caller's.
[[noreturn]] void assertion_failed(const char* what, const char* file, int line);

}  // namespace coronet

// `CORONET_ASSERT(p && "why p cannot be null")` prints the reason with the condition.
#define CORONET_ASSERT(cond)                                        \
    do {                                                            \
        if (!(cond)) [[unlikely]]                                   \
            ::coronet::assertion_failed(#cond, __FILE__, __LINE__); \
    } while (0)

// Marks a point control never reaches (after a switch that never comes back, ...).
#define CORONET_UNREACHABLE(why) \
    ::coronet::assertion_failed("unreachable: " why, __FILE__, __LINE__)
