// Frame-pointer backtraces: both ABIs keep {previous fp, return address} at fp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace coronet {

// Where a frame pointer may point: walking stops at the first frame outside these ranges.
void backtrace_add_stack_range(uint64_t low, uint64_t high);

struct StackRange {
    uint64_t low, high;
};

// Collects return addresses starting from frame pointer `fp`; returns how many. `extra` is one
// more range to accept (the stack of the coroutine being reported).
size_t backtrace_collect(uint64_t fp, uint64_t* out, size_t max, const StackRange* extra = nullptr);

// Prints "  #n 0xADDR symbol+0xoff" lines; `first_pc` (if non-zero) is frame #0.
void backtrace_print(uint64_t first_pc, uint64_t fp, const StackRange* extra = nullptr);

}  // namespace coronet
