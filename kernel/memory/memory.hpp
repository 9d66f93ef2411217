// Kernel memory: the physical page allocator over the boot memory map, and the heap picolibc's
// malloc grows into (sbrk over one contiguous region carved out at boot).
#pragma once

#include <cstdint>

#include "arch/boot_info.hpp"
#include "lib/result.hpp"

namespace coronet::memory {

// Share of free RAM given to the heap at boot; the rest stays with the page allocator
// (coroutine stacks, page tables, device buffers).
inline constexpr uint64_t kHeapPercent = 50;

void init(const BootInfo& info);

Result<uint64_t> allocate_pages(uint64_t count, uint64_t align_pages = 1);
void free_pages(uint64_t address, uint64_t count);
// A zeroed page; panics when memory is exhausted (for page tables during bring-up).
uint64_t allocate_zeroed_page();

struct Stats {
    uint64_t ram_bytes;     // all RAM the memory map reports
    uint64_t kernel_bytes;  // the loaded image
    uint64_t pages_free;
    uint64_t pages_total;  // managed by the page allocator
    uint64_t heap_bytes;   // heap region size
    uint64_t heap_used;    // bytes malloc has in use
    uint64_t heap_grown;   // bytes handed to malloc via sbrk
};
Stats stats();

}  // namespace coronet::memory
