// Coroutine stacks in the MMU's window (arch/mmu.hpp): each stack is a run of virtual pages with
// an unmapped guard below it, and RAM backs only the pages that were touched. The top page is
// mapped when the stack is reserved (the new coroutine's first frame goes there); every other
// page is mapped by the missing-page resolver the first time the coroutine reaches it, and goes
// back to the page allocator when the stack is trimmed or released.
//
// Stacks of one size share a part of the window of their own (a size class), laid out as
// equal slots [guard | stack], so that a faulting address alone says which slot and which part
// of it was touched.
#pragma once

#include <cstdint>

#include "lib/result.hpp"

namespace coronet::memory {

// Virtual space below every stack that is never mapped: a frame that jumps over this much
// would miss it, so it is generous (it costs no RAM).
inline constexpr uint64_t kStackGuardBytes = 16 * 1024;
inline constexpr unsigned kStackSizeClasses = 16;

struct VirtualStack {
    uint64_t base;   // lowest usable address
    uint64_t size;   // usable bytes, whole pages
    uint64_t guard;  // unmapped bytes below base
    uint64_t top() const { return base + size; }
};

// A stack of at least `size` bytes (rounded up to pages) with its top page mapped.
// OutOfMemory: no RAM for the top page or its page tables; InvalidArgument: a size of 0, or more
// distinct sizes than kStackSizeClasses.
Result<VirtualStack> reserve_stack(uint64_t size);
// Gives back the RAM of every page below the top `keep_bytes` (rounded up to pages).
void trim_stack(const VirtualStack& stack, uint64_t keep_bytes);
// Gives back all its RAM and its place in the window.
void release_stack(const VirtualStack& stack);
// Pages of the stack that RAM backs now: its high-water mark, to a page.
uint64_t stack_pages_mapped(const VirtualStack& stack);

// For arch::set_missing_page_resolver: maps a zeroed page when `address` is inside a reserved
// stack (not its guard) and RAM is available.
bool map_missing_stack_page(uint64_t address);

enum class StackFault : uint8_t {
    NotAStack,  // outside every reserved stack
    Guard,      // below a stack: an overflow
    NoMemory,   // inside a stack, and no RAM was left to back the page
};
StackFault classify_stack_fault(uint64_t address);

struct StackSpaceStats {
    uint64_t stacks;         // reserved now (in use or cached by the scheduler)
    uint64_t pages_mapped;   // RAM pages backing stacks now
    uint64_t page_faults;    // pages mapped on first touch, ever
    uint64_t refused_pages;  // touches that found no RAM (the coroutine was stopped)
    uint64_t virtual_bytes;  // window space handed out (slots ever used, guards included)
    uint64_t table_pages;    // page-table pages the window has taken
};
StackSpaceStats stack_space_stats();

}  // namespace coronet::memory
