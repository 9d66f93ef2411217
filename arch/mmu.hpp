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

}  // namespace coronet::arch::mmu
