// Kernel memory: the physical page allocator over the boot memory map, and the heap picolibc's
// malloc grows into: sbrk maps RAM pages, wherever they are, into the heap's part of the MMU's
// window. There is no split at boot: stacks, page tables, device buffers and the heap all take
// pages from the allocator as they need them.
#pragma once

#include <cstdint>

#include "arch/boot_info.hpp"
#include "arch/mmu.hpp"
#include "lib/result.hpp"

namespace coronet::memory {

void init(const BootInfo& info);

Result<uint64_t> allocate_pages(uint64_t count, uint64_t align_pages = 1);
void free_pages(uint64_t address, uint64_t count);
// A zeroed page; panics when memory is exhausted (for page tables during bring-up).
uint64_t allocate_zeroed_page();
// A zeroed page, or 0 when memory is exhausted.
uint64_t allocate_zeroed_page_or_zero();

// Pages of the MMU's window (arch/mmu.hpp): backs `va` with a zeroed RAM page, taking any page
// table it needs from `tables`; false with no RAM left (then nothing new is mapped).
bool back_window_page(uint64_t va, arch::mmu::TableSource tables);
// Unmaps [start, end) and frees the RAM that backed it; returns how many pages were backed.
uint64_t unback_window_range(uint64_t start, uint64_t end);

// The page allocator and the window's page tables are edited from coroutine stacks, whose pages
// may not be mapped yet: a missing-page fault in the middle of an edit would make the resolver
// edit them too. Called first by every such edit, this touches the stack below it so that those
// faults are taken before anything is edited (edits need less than this much stack).
inline constexpr uint64_t kEditStackBytes = 3 * 1024;
void ready_stack_for_edits();
// While one exists, the missing-page resolver is running: ready_stack_for_edits() does nothing.
struct FaultScope {
    FaultScope();
    ~FaultScope();
};

// How the kernel divides the MMU's window: the lower half holds coroutine stacks
// (stack_space.hpp), the upper half the heap.
inline constexpr uint64_t kStackWindowBase = arch::mmu::kWindowBase;
inline constexpr uint64_t kStackWindowSize = arch::mmu::kWindowSize / 2;
inline constexpr uint64_t kHeapWindowBase = kStackWindowBase + kStackWindowSize;
inline constexpr uint64_t kHeapWindowSize = arch::mmu::kWindowSize / 2;

// Free memory: pages the allocator has plus heap malloc holds but does not use.
uint64_t free_bytes();
// What is kept back for work already accepted (connections open, data stored): with less than
// this free, servers refuse new connections and new work. RAM / 32, within [512 KiB, 32 MiB].
uint64_t reserve_bytes();
bool short_of_memory();
// A server refused something because memory was short (for /status).
void count_refusal();

struct Stats {
    uint64_t ram_bytes;     // all RAM the memory map reports
    uint64_t kernel_bytes;  // the loaded image
    uint64_t pages_free;
    uint64_t pages_total;       // managed by the page allocator
    uint64_t heap_bytes;        // RAM mapped into the heap (what malloc was given through sbrk)
    uint64_t heap_used;         // bytes malloc has in use
    uint64_t heap_refusals;     // sbrk calls that found no RAM
    uint64_t heap_table_pages;  // page tables mapping the heap's half of the window
    uint64_t refusals;          // work refused by servers because memory was short
};
Stats stats();

}  // namespace coronet::memory
