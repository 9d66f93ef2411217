// Page tables: identity map of RAM with the kernel image W^X, MMIO mapped on request.
#pragma once

#include <cstdint>

#include "arch/boot_info.hpp"
#include "lib/align.hpp"
#include "lib/result.hpp"

namespace coronet::arch::mmu {

// Replaces the boot mapping: RAM read-write no-execute, kernel text read-only executable,
// rodata read-only, page 0 unmapped (null dereferences fault). `page_tables` hands out zeroed
// 4 KiB pages for the tables themselves.
using PageSource = uint64_t (*)();
void init(const BootInfo& info, PageSource page_tables);

// Identity-maps a device range uncached and non-executable.
Result<void> map_mmio(uint64_t phys, uint64_t size);

// Guard pages (coroutine stacks): make page-aligned RAM inaccessible, so any access faults with
// the address in the range, and later make it ordinary read-write RAM again. Splits larger
// mappings as needed; safe to call while running on other pages of the same large mapping.
Result<void> make_guard(uint64_t address, uint64_t size);
Result<void> release_guard(uint64_t address, uint64_t size);

// The virtual window: addresses above any RAM or device, where the kernel maps RAM page by page
// at addresses of its choosing (demand-paged coroutine stacks). 48-bit VA on both arches.
inline constexpr uint64_t kWindowBase = 1ULL << 44;
inline constexpr uint64_t kWindowSize = 1ULL << 44;
inline constexpr bool in_window(uint64_t va) {
    return va >= kWindowBase && va - kWindowBase < kWindowSize;
}

// Maps window page `va` to the RAM page `pa`, read-write and never executable. New page tables
// come from `tables` (zeroed pages; 0 when it has none: then OutOfMemory and nothing changed
// that matters). Safe from a fault handler: touches only identity-mapped memory.
using TableSource = uint64_t (*)();
Result<void> map_page(uint64_t va, uint64_t pa, TableSource tables);
// Unmaps window page `va` and drops it from the TLB; returns the RAM page it mapped, 0 if none.
uint64_t unmap_page(uint64_t va);
bool is_mapped(uint64_t va);
// The RAM address behind `va` for a device to reach (DMA): itself outside the window (RAM is
// identity-mapped), the mapped page's inside it; 0 for an unmapped window page.
uint64_t physical_address(uint64_t va);
// Frees (through `free_page`) each last-level page table of the window that maps part of
// [start, end) and no longer maps anything; returns how many. Higher levels stay.
using PageSink = void (*)(uint64_t page);
uint64_t release_empty_tables(uint64_t start, uint64_t end, PageSink free_page);

}  // namespace coronet::arch::mmu
