// x86-64 4-level page tables, identity-mapped. RAM is read-write and no-execute in 2 MiB pages;
// the kernel image is remapped in 4 KiB pages: text RX, rodata R, data RW (W^X). Page 0 and
// everything not RAM or requested MMIO stay unmapped.
#include "arch/mmu.hpp"

#include "arch/cpu.hpp"
#include "lib/align.hpp"

extern "C" char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[],
    __data_end[];

namespace coronet::arch::mmu {
namespace {

// Entry bits (SDM vol. 3, 4.5).
constexpr uint64_t kPresent = 1ULL << 0;
constexpr uint64_t kWritable = 1ULL << 1;
constexpr uint64_t kWriteThrough = 1ULL << 3;
constexpr uint64_t kCacheDisable = 1ULL << 4;
constexpr uint64_t kHuge = 1ULL << 7;
constexpr uint64_t kNoExecute = 1ULL << 63;
constexpr uint64_t kAddressMask = 0x000FFFFFFFFFF000ULL;
constexpr uint64_t kLargePage = 2ULL << 20;

constexpr uint64_t kRam = kPresent | kWritable | kNoExecute;
constexpr uint64_t kText = kPresent;
constexpr uint64_t kReadOnly = kPresent | kNoExecute;
constexpr uint64_t kDevice = kPresent | kWritable | kNoExecute | kCacheDisable | kWriteThrough;

uint64_t* g_pml4 = nullptr;
PageSource g_page_source = nullptr;

uint64_t* table(uint64_t entry) { return reinterpret_cast<uint64_t*>(entry & kAddressMask); }

// The next-level table under `entry`, created (or split from a 2 MiB page) as needed.
// Intermediate entries allow everything; the leaf decides.
uint64_t* descend(uint64_t& entry, bool splitting_allowed) {
    if (!(entry & kPresent)) {
        entry = g_page_source() | kPresent | kWritable;
    } else if ((entry & kHuge) && splitting_allowed) {
        uint64_t base = align_down(entry & kAddressMask, kLargePage);
        uint64_t flags = entry & ~kAddressMask & ~kHuge;
        uint64_t* pt = reinterpret_cast<uint64_t*>(g_page_source());
        for (uint64_t i = 0; i < 512; ++i) pt[i] = (base + i * kPageSize) | flags;
        entry = reinterpret_cast<uint64_t>(pt) | kPresent | kWritable;
    }
    return table(entry);
}

void map_4k(uint64_t address, uint64_t flags) {
    uint64_t* pdpt = descend(g_pml4[(address >> 39) & 511], false);
    uint64_t* pd = descend(pdpt[(address >> 30) & 511], false);
    uint64_t* pt = descend(pd[(address >> 21) & 511], true);
    pt[(address >> 12) & 511] = address | flags;
}

void map_2m(uint64_t address, uint64_t flags) {
    uint64_t* pdpt = descend(g_pml4[(address >> 39) & 511], false);
    uint64_t* pd = descend(pdpt[(address >> 30) & 511], false);
    pd[(address >> 21) & 511] = address | flags | kHuge;  // any table it replaces stays allocated
}

void map_range(uint64_t start, uint64_t end, uint64_t flags, bool small_pages) {
    start = align_down(start, kPageSize);
    end = align_up(end, kPageSize);
    for (uint64_t a = start; a < end;) {
        if (!small_pages && is_aligned(a, kLargePage) && a + kLargePage <= end) {
            map_2m(a, flags);
            a += kLargePage;
        } else {
            map_4k(a, flags);
            a += kPageSize;
        }
    }
}

uint64_t addr(const char* symbol) { return reinterpret_cast<uint64_t>(symbol); }

void flush_tlb() {
    uint64_t cr3;
    asm volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

}  // namespace

void init(const BootInfo& info, PageSource page_tables) {
    g_page_source = page_tables;
    g_pml4 = reinterpret_cast<uint64_t*>(page_tables());
    for (size_t i = 0; i < info.ram_count; ++i) {
        uint64_t start = info.ram[i].base < kPageSize ? kPageSize : info.ram[i].base;
        if (start < info.ram[i].end()) map_range(start, info.ram[i].end(), kRam, false);
    }
    map_range(addr(__text_start), addr(__text_end), kText, true);
    map_range(addr(__rodata_start), addr(__rodata_end), kReadOnly, true);
    map_range(addr(__data_start), addr(__data_end), kRam, true);
    asm volatile("mov %0, %%cr3" : : "r"(reinterpret_cast<uint64_t>(g_pml4)) : "memory");
}

Result<void> map_mmio(uint64_t phys, uint64_t size) {
    if (!g_pml4) return {};  // still on the boot map, which covers the low 4 GiB
    if (size == 0) return Error::InvalidArgument;
    InterruptGuard guard;
    map_range(phys, phys + size, kDevice, true);
    flush_tlb();
    return {};
}

Result<void> make_guard(uint64_t address, uint64_t size) {
    if (!is_aligned(address | size, kPageSize) || size == 0) return Error::InvalidArgument;
    InterruptGuard guard;
    map_range(address, address + size, 0, true);  // not present
    for (uint64_t a = address; a < address + size; a += kPageSize)
        asm volatile("invlpg (%0)" : : "r"(a) : "memory");
    return {};
}

namespace {

// The window's tables: created on demand from `tables`, never split from large pages (the
// window holds no large pages). Returns the page table entry for `va`, or null.
uint64_t* window_entry(uint64_t va, TableSource tables) {
    uint64_t* level = g_pml4;
    for (unsigned shift : {39u, 30u, 21u}) {
        uint64_t& entry = level[(va >> shift) & 511];
        if (!(entry & kPresent)) {
            if (!tables) return nullptr;
            uint64_t page = tables();
            if (!page) return nullptr;
            entry = page | kPresent | kWritable;
        }
        level = table(entry);
    }
    return &level[(va >> 12) & 511];
}

}  // namespace

Result<void> map_page(uint64_t va, uint64_t pa, TableSource tables) {
    if (!in_window(va) || !is_aligned(va | pa, kPageSize)) return Error::InvalidArgument;
    InterruptGuard guard;
    uint64_t* entry = window_entry(va, tables);
    if (!entry) return Error::OutOfMemory;
    // Not present to present: x86 caches no not-present entries, nothing to invalidate.
    *entry = pa | kRam;
    return {};
}

uint64_t unmap_page(uint64_t va) {
    if (!in_window(va)) return 0;
    InterruptGuard guard;
    uint64_t* entry = window_entry(va, nullptr);
    if (!entry || !(*entry & kPresent)) return 0;
    uint64_t pa = *entry & kAddressMask;
    *entry = 0;
    asm volatile("invlpg (%0)" : : "r"(va) : "memory");
    return pa;
}

uint64_t physical_address(uint64_t va) {
    if (!in_window(va)) return va;
    InterruptGuard guard;
    uint64_t* entry = window_entry(va, nullptr);
    if (!entry || !(*entry & kPresent)) return 0;
    return (*entry & kAddressMask) | (va & (kPageSize - 1));
}

bool is_mapped(uint64_t va) {
    if (!in_window(va)) return false;
    InterruptGuard guard;
    uint64_t* entry = window_entry(va, nullptr);
    return entry && (*entry & kPresent);
}

uint64_t release_empty_tables(uint64_t start, uint64_t end, PageSink free_page) {
    if (!in_window(start) || end <= start) return 0;
    InterruptGuard guard;
    uint64_t released = 0;
    for (uint64_t va = align_down(start, kLargePage); va < end; va += kLargePage) {
        uint64_t* pml4e = &g_pml4[(va >> 39) & 511];
        if (!(*pml4e & kPresent)) continue;
        uint64_t* pdpte = &table(*pml4e)[(va >> 30) & 511];
        if (!(*pdpte & kPresent)) continue;
        uint64_t& pde = table(*pdpte)[(va >> 21) & 511];
        if (!(pde & kPresent) || (pde & kHuge)) continue;
        const uint64_t* pt = table(pde);
        bool empty = true;
        for (unsigned i = 0; i < 512 && empty; ++i) empty = !(pt[i] & kPresent);
        if (!empty) continue;
        pde = 0;
        // The table's own entry may sit in the paging-structure caches: drop them for it.
        asm volatile("invlpg (%0)" : : "r"(va) : "memory");
        free_page(reinterpret_cast<uint64_t>(pt));
        ++released;
    }
    return released;
}

Result<void> release_guard(uint64_t address, uint64_t size) {
    if (!is_aligned(address | size, kPageSize) || size == 0) return Error::InvalidArgument;
    InterruptGuard guard;
    map_range(address, address + size, kRam, true);
    for (uint64_t a = address; a < address + size; a += kPageSize)
        asm volatile("invlpg (%0)" : : "r"(a) : "memory");
    return {};
}

}  // namespace coronet::arch::mmu
