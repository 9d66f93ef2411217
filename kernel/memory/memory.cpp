// Boot-time memory layout: the page allocator's bitmap goes in the first free spot; everything
// else free is the allocator's. Free means: RAM, not the image, not reserved, and not the first
// MiB (firmware data on PCs; page 0 stays unmapped everywhere). The heap lives in the MMU's
// window, above the stacks' part of it, and grows a page at a time.
#include "kernel/memory/memory.hpp"

#include <malloc.h>
#include <cstddef>
#include <cstring>

#include "arch/mmu.hpp"
#include "kernel/log.hpp"
#include "kernel/memory/page_allocator.hpp"
#include "kernel/panic.hpp"
#include "lib/align.hpp"

extern "C" char __kernel_start[];
extern "C" char __kernel_end[];

namespace coronet::memory {
namespace {

constexpr uint64_t kLowReserved = 1 << 20;

PageAllocator g_pages;
uint64_t g_ram_bytes = 0;
uint64_t g_heap_start = 0;
// See init(): how much free memory malloc keeps at the top of its arena before trimming.
constexpr uint64_t kHeapTrimThreshold = 4ULL << 20;
uint64_t g_heap_end = 0;
uint64_t g_heap_brk = 0;
uint64_t g_heap_mapped = 0;  // [g_heap_start, g_heap_mapped) has RAM: g_heap_brk page-rounded
uint64_t g_heap_refusals = 0;
uint64_t g_heap_table_pages = 0;
uint64_t g_refusals = 0;
bool g_in_fault = false;  // the missing-page resolver is running

bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end) {
    return a < b_end && b < a_end;
}

bool range_is_free(const BootInfo& info, uint64_t start, uint64_t end) {
    if (start < kLowReserved) return false;
    auto kstart = reinterpret_cast<uint64_t>(__kernel_start);
    auto kend = reinterpret_cast<uint64_t>(__kernel_end);
    if (overlaps(start, end, kstart, kend)) return false;
    for (size_t i = 0; i < info.reserved_count; ++i) {
        if (overlaps(start, end, info.reserved[i].base, info.reserved[i].end())) return false;
    }
    for (size_t i = 0; i < info.ram_count; ++i) {
        if (start >= info.ram[i].base && end <= info.ram[i].end()) return true;
    }
    return false;
}

// First page-aligned spot of `size` bytes that is free RAM.
uint64_t find_free(const BootInfo& info, uint64_t size) {
    auto try_at = [&](uint64_t candidate) {
        return range_is_free(info, candidate, candidate + size);
    };
    uint64_t candidates[2 + 2 * BootInfo::kMaxRegions];
    size_t n = 0;
    candidates[n++] = align_up(reinterpret_cast<uint64_t>(__kernel_end), kPageSize);
    candidates[n++] = kLowReserved;
    for (size_t i = 0; i < info.ram_count; ++i)
        candidates[n++] = align_up(info.ram[i].base, kPageSize);
    for (size_t i = 0; i < info.reserved_count; ++i)
        candidates[n++] = align_up(info.reserved[i].end(), kPageSize);
    for (size_t i = 0; i < n; ++i) {
        if (try_at(candidates[i])) return candidates[i];
    }
    panic("memory: no free %llu bytes for the page bitmap", static_cast<unsigned long long>(size));
}

// Page tables for the heap's half of the window, counted.
uint64_t heap_table_page() {
    uint64_t page = allocate_zeroed_page_or_zero();
    if (page) ++g_heap_table_pages;
    return page;
}

// Gives back the heap's RAM at and above `start` (page-aligned).
void unmap_heap_from(uint64_t start) {
    ready_stack_for_edits();
    unback_window_range(start, g_heap_mapped);
    g_heap_mapped = start;
}

// Grows the heap's RAM to cover [g_heap_start, end); on failure maps nothing new.
bool map_heap_to(uint64_t end) {
    uint64_t first = g_heap_mapped;
    for (; g_heap_mapped < end; g_heap_mapped += kPageSize) {
        if (back_window_page(g_heap_mapped, heap_table_page)) continue;
        unmap_heap_from(first);
        ++g_heap_refusals;
        return false;
    }
    return true;
}

}  // namespace

void init(const BootInfo& info) {
    if (info.ram_count == 0) panic("memory: the boot memory map lists no RAM");
    uint64_t lowest = ~0ULL, highest = 0;
    for (size_t i = 0; i < info.ram_count; ++i) {
        g_ram_bytes += info.ram[i].size;
        if (info.ram[i].base < lowest) lowest = info.ram[i].base;
        if (info.ram[i].end() > highest) highest = info.ram[i].end();
    }
    lowest = align_down(lowest, kPageSize);
    uint64_t pages = pages_for(highest - lowest);
    uint64_t bitmap_bytes = align_up(PageAllocator::bitmap_words(pages) * 8, kPageSize);
    uint64_t bitmap = find_free(info, bitmap_bytes);

    g_pages.init(lowest, pages, reinterpret_cast<uint64_t*>(bitmap));
    for (size_t i = 0; i < info.ram_count; ++i)
        g_pages.add_free(info.ram[i].base, info.ram[i].end());
    g_pages.reserve(0, kLowReserved);
    g_pages.reserve(reinterpret_cast<uint64_t>(__kernel_start),
                    reinterpret_cast<uint64_t>(__kernel_end));
    g_pages.reserve(bitmap, bitmap + bitmap_bytes);
    for (size_t i = 0; i < info.reserved_count; ++i) {
        g_pages.reserve(info.reserved[i].base, info.reserved[i].end());
    }

    g_heap_start = g_heap_brk = g_heap_mapped = kHeapWindowBase;
    g_heap_end = kHeapWindowBase + kHeapWindowSize;
    // malloc gives the top of its arena back through sbrk once it holds more than this free:
    // with the default 128 KiB, freeing a big dataset from the top down unmapped pages on almost
    // every free (each unmap a TLB flush), and a million keys took minutes to free.
    mallopt(M_TRIM_THRESHOLD, static_cast<int>(kHeapTrimThreshold));

    LOG_DEBUG("memory: %llu KiB RAM, page bitmap at 0x%llx, heap from 0x%llx",
              static_cast<unsigned long long>(g_ram_bytes / 1024),
              static_cast<unsigned long long>(bitmap),
              static_cast<unsigned long long>(g_heap_start));
}

void ready_stack_for_edits() {
    // The resolver runs on a fault stack, or on a coroutine stack whose room for the handler
    // the exception entry checked: nothing to prepare, and no room to do it.
    if (g_in_fault) return;
    // Each write lands at most a page below the last one: every page down to the bottom is hit.
    volatile char room[kEditStackBytes];
    for (uint64_t i = sizeof room; i > 0; i -= 1024) room[i - 1] = 0;
    room[0] = 0;
}

Result<uint64_t> allocate_pages(uint64_t count, uint64_t align_pages) {
    ready_stack_for_edits();
    return g_pages.allocate(count, align_pages);
}

void free_pages(uint64_t address, uint64_t count) {
    ready_stack_for_edits();
    g_pages.free(address, count);
}

uint64_t allocate_zeroed_page() {
    uint64_t page = allocate_zeroed_page_or_zero();
    if (!page) panic("memory: out of pages");
    return page;
}

uint64_t allocate_zeroed_page_or_zero() {
    auto page = allocate_pages(1);
    if (!page) return 0;
    std::memset(reinterpret_cast<void*>(*page), 0, kPageSize);
    return *page;
}

bool back_window_page(uint64_t va, arch::mmu::TableSource tables) {
    uint64_t page = allocate_zeroed_page_or_zero();
    if (!page) return false;
    if (arch::mmu::map_page(va, page, tables)) return true;
    free_pages(page, 1);
    return false;
}

uint64_t unback_window_range(uint64_t start, uint64_t end) {
    uint64_t backed = 0;
    for (uint64_t va = start; va < end; va += kPageSize) {
        if (uint64_t page = arch::mmu::unmap_page(va)) {
            free_pages(page, 1);
            ++backed;
        }
    }
    return backed;
}

uint64_t free_bytes() {
    struct mallinfo mi = mallinfo();
    uint64_t heap_idle = g_heap_mapped - g_heap_start - static_cast<uint64_t>(mi.uordblks);
    return g_pages.free_pages() * kPageSize + heap_idle;
}

uint64_t reserve_bytes() {
    constexpr uint64_t kLeast = 512 * 1024, kMost = 32ULL << 20;
    uint64_t share = g_ram_bytes / 32;
    return share < kLeast ? kLeast : share > kMost ? kMost : share;
}

bool short_of_memory() {
    // Free pages alone usually settle it; mallinfo() walks malloc's free chunks.
    uint64_t reserve = reserve_bytes();
    return g_pages.free_pages() * kPageSize < reserve && free_bytes() < reserve;
}

void count_refusal() { ++g_refusals; }

FaultScope::FaultScope() { g_in_fault = true; }
FaultScope::~FaultScope() { g_in_fault = false; }

Stats stats() {
    struct mallinfo mi = mallinfo();
    return Stats{
        .ram_bytes = g_ram_bytes,
        .kernel_bytes = static_cast<uint64_t>(__kernel_end - __kernel_start),
        .pages_free = g_pages.free_pages(),
        .pages_total = g_pages.total_pages(),
        .heap_bytes = g_heap_mapped - g_heap_start,
        .heap_used = static_cast<uint64_t>(mi.uordblks),
        .heap_refusals = g_heap_refusals,
        .heap_table_pages = g_heap_table_pages,
        .refusals = g_refusals,
    };
}

}  // namespace coronet::memory

// picolibc's malloc grows its arena through sbrk; each call maps (or unmaps) RAM pages at the
// heap's end. Fails with -1, as malloc expects, when no RAM is left.
extern "C" void* sbrk(ptrdiff_t increment) {
    using namespace coronet;
    using namespace coronet::memory;
    uint64_t old = g_heap_brk;
    if (g_heap_end == 0) return reinterpret_cast<void*>(-1);  // before memory::init
    if (increment < 0 && static_cast<uint64_t>(-increment) > g_heap_brk - g_heap_start)
        return reinterpret_cast<void*>(-1);
    if (increment > 0 && static_cast<uint64_t>(increment) > g_heap_end - g_heap_brk)
        return reinterpret_cast<void*>(-1);
    uint64_t brk = g_heap_brk + increment;
    uint64_t mapped = align_up(brk, kPageSize);
    if (mapped > g_heap_mapped && !map_heap_to(mapped)) return reinterpret_cast<void*>(-1);
    if (mapped < g_heap_mapped) unmap_heap_from(mapped);
    g_heap_brk = brk;
    return reinterpret_cast<void*>(old);
}
