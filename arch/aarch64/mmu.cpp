// Final page tables (VMSAv8-64 stage 1, 4 KiB granule, 48-bit VA, identity): RAM normal
// write-back and never executable, the kernel image W^X (text read-only executable, rodata
// read-only, data/bss read-write), MMIO device-nGnRE and never executable, and nothing at all
// below the first device or RAM region: page 0 and QEMU virt's flash at 0-128 MiB stay
// unmapped so that a null dereference faults. The guard pages below the boot, emergency and
// interrupt stacks are holes too, and so are the guard pages make_guard() punches at run time.
#include "arch/mmu.hpp"

#include "arch/aarch64/cpu_bits.hpp"
#include "arch/aarch64/device_tree.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/cpu.hpp"
#include "lib/align.hpp"

extern "C" char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[],
    __data_end[];
extern "C" char boot_stack_guard[], emergency_stack_guard[], irq_stack_guard[];
extern "C" char boot_l0_table[];  // entry.S: the boot identity map, still intact

namespace coronet::arch::mmu {
namespace {

constexpr unsigned kEntries = 512;
constexpr int kLeafLevel = 3;
constexpr uint64_t kOutputMask = 0x0000fffffffff000ULL;  // descriptor output address, bits [47:12]
constexpr uint64_t kVaLimit = 1ULL << 48;
// Device tree devices are mapped at boot when they sit in the 32-bit window (QEMU virt: all of
// them but the high PCIe ECAM); anything else is map_mmio's job.
constexpr uint64_t kBootDeviceWindowEnd = 1ULL << 32;

// ASID 1, and every entry non-global: the boot map (ASID 0, non-global too) can then be made
// current at any time without its entries and ours ever matching the same lookup, which is
// what lets make_guard() replace live blocks (replace_live_block below).
constexpr uint64_t kAsid = 1;
constexpr uint64_t kNormal =
    PTE_VALID | (MT_NORMAL << PTE_ATTR_SHIFT) | PTE_SH_INNER | PTE_AF | PTE_NG;
constexpr uint64_t kRamAttrs = kNormal | PTE_PXN | PTE_UXN;
constexpr uint64_t kRodataAttrs = kNormal | PTE_AP_RO | PTE_PXN | PTE_UXN;
constexpr uint64_t kTextAttrs = kNormal | PTE_AP_RO | PTE_UXN;
constexpr uint64_t kDeviceAttrs =
    PTE_VALID | (MT_DEVICE_nGnRE << PTE_ATTR_SHIFT) | PTE_AF | PTE_NG | PTE_PXN | PTE_UXN;
// The boot map's normal-memory window (entry.S, cpu_bits.hpp): RAM there is reachable with
// the same attributes as ours while the boot map is current.
constexpr uint64_t kBootMapNormalStart = uint64_t(BOOT_MAP_NORMAL_FIRST) << 30;
constexpr uint64_t kBootMapNormalEnd = uint64_t(BOOT_MAP_NORMAL_END) << 30;

PageSource g_page_source = nullptr;
uint64_t* g_root = nullptr;
bool g_live = false;
MemoryRegion g_ram[BootInfo::kMaxRegions];
size_t g_ram_count = 0;
bool g_ram_in_boot_map = false;  // every RAM region inside the boot map's normal window

constexpr unsigned shift(int level) { return 39 - 9 * level; }
constexpr uint64_t span(int level) { return 1ULL << shift(level); }
constexpr unsigned index(uint64_t va, int level) { return (va >> shift(level)) & (kEntries - 1); }

bool is_table(uint64_t e, int level) {
    return level < kLeafLevel && (e & (PTE_VALID | PTE_TABLE)) == (PTE_VALID | PTE_TABLE);
}
bool is_leaf(uint64_t e, int level) { return (e & PTE_VALID) && !is_table(e, level); }
uint64_t* table_of(uint64_t e) { return reinterpret_cast<uint64_t*>(e & kOutputMask); }
// Attributes of a leaf, the same at every level: the page/block type bit is not one of them.
uint64_t leaf_attrs(uint64_t e) { return e & ~kOutputMask & ~PTE_TABLE; }
uint64_t make_leaf(uint64_t pa, uint64_t attrs, int level) {
    return (pa & kOutputMask) | attrs | (level == kLeafLevel ? PTE_TABLE : 0);
}

uint64_t* new_table() { return reinterpret_cast<uint64_t*>(g_page_source()); }

void link_table(uint64_t& entry, uint64_t* table) {
    entry = reinterpret_cast<uint64_t>(table) | PTE_VALID | PTE_TABLE;
}

// Replaces a block by a table mapping the same range the same way, one level down. Only on
// tables that are not live: a live block would need break-before-make.
uint64_t* split(uint64_t& entry, int level) {
    uint64_t* table = new_table();
    uint64_t base = entry & kOutputMask, attrs = leaf_attrs(entry);
    for (unsigned i = 0; i < kEntries; ++i)
        table[i] = make_leaf(base + i * span(level + 1), attrs, level + 1);
    link_table(entry, table);
    return table;
}

// Maps [va, end) to pa.. with `attrs`, with the largest blocks alignment allows. Build mode
// (tables not live) overrides and splits existing mappings; live mode only fills holes and
// leaves identical mappings alone (callers check compatible() first).
void map_range(uint64_t* table, int level, uint64_t va, uint64_t end, uint64_t pa, uint64_t attrs,
               bool live) {
    while (va < end) {
        uint64_t& entry = table[index(va, level)];
        uint64_t size = span(level);
        uint64_t chunk_end = align_down(va, size) + size;
        if (chunk_end > end || chunk_end == 0) chunk_end = end;
        bool whole = (va & (size - 1)) == 0 && chunk_end - va == size && (pa & (size - 1)) == 0;
        if (whole && level >= 1 && !is_table(entry, level)) {
            if (!(live && (entry & PTE_VALID))) entry = make_leaf(pa, attrs, level);
        } else if (is_table(entry, level)) {
            map_range(table_of(entry), level + 1, va, chunk_end, pa, attrs, live);
        } else if (!(entry & PTE_VALID)) {
            uint64_t* next = new_table();
            link_table(entry, next);
            map_range(next, level + 1, va, chunk_end, pa, attrs, live);
        } else if (!live) {
            map_range(split(entry, level), level + 1, va, chunk_end, pa, attrs, live);
        }
        pa += chunk_end - va;
        va = chunk_end;
    }
}

// Whether mapping [va, end) -> pa with `attrs` agrees with every existing leaf it touches.
bool compatible(const uint64_t* table, int level, uint64_t va, uint64_t end, uint64_t pa,
                uint64_t attrs) {
    while (va < end) {
        uint64_t entry = table[index(va, level)];
        uint64_t size = span(level);
        uint64_t chunk_end = align_down(va, size) + size;
        if (chunk_end > end || chunk_end == 0) chunk_end = end;
        if (is_table(entry, level)) {
            if (!compatible(table_of(entry), level + 1, va, chunk_end, pa, attrs)) return false;
        } else if (is_leaf(entry, level)) {
            uint64_t mapped_pa = align_down(entry & kOutputMask, size) + (va & (size - 1));
            if (leaf_attrs(entry) != attrs || mapped_pa != pa) return false;
        }
        pa += chunk_end - va;
        va = chunk_end;
    }
    return true;
}

// Build mode only: removes [va, end), splitting blocks that are partly covered.
void unmap_range(uint64_t* table, int level, uint64_t va, uint64_t end) {
    while (va < end) {
        uint64_t& entry = table[index(va, level)];
        uint64_t size = span(level);
        uint64_t chunk_end = align_down(va, size) + size;
        if (chunk_end > end || chunk_end == 0) chunk_end = end;
        bool whole = (va & (size - 1)) == 0 && chunk_end - va == size;
        if (whole) {
            entry = 0;
        } else if (is_table(entry, level)) {
            unmap_range(table_of(entry), level + 1, va, chunk_end);
        } else if (entry & PTE_VALID) {
            unmap_range(split(entry, level), level + 1, va, chunk_end);
        }
        va = chunk_end;
    }
}

void map_identity(uint64_t start, uint64_t end, uint64_t attrs) {
    start = align_down(start, kPageSize);
    end = align_up(end, kPageSize);
    if (start < kPageSize) start = kPageSize;  // page 0 is never mapped
    if (start < end) map_range(g_root, 0, start, end, start, attrs, false);
}

bool overlaps_ram(const BootInfo& info, uint64_t start, uint64_t end) {
    for (size_t i = 0; i < info.ram_count; ++i) {
        if (start < info.ram[i].end() && info.ram[i].base < end) return true;
    }
    return false;
}

// Every device the tree lists in the 32-bit window (dt::scan collected them): the GIC, UARTs,
// virtio-mmio slots, RTC, GPIO, fw-cfg... but nothing that overlaps RAM.
void map_device_tree_devices(const BootInfo& info) {
    const aarch64::dt::Inventory& inv = aarch64::dt::inventory();
    for (int i = 0; i < inv.device_count; ++i) {
        const aarch64::dt::Range& range = inv.devices[i];
        uint64_t end = range.base + range.size;
        if (end > kBootDeviceWindowEnd || overlaps_ram(info, range.base, end)) continue;
        map_identity(range.base, end, kDeviceAttrs);
    }
}

uint64_t ttbr_final() { return reinterpret_cast<uint64_t>(g_root) | (kAsid << TTBR_ASID_SHIFT); }
uint64_t ttbr_boot() { return reinterpret_cast<uint64_t>(boot_l0_table); }  // ASID 0

void activate() {
    // Tables written through the cache are visible to the walker once the stores complete.
    aarch64::dsb_ishst();
    // Both maps' entries are non-global, tagged ASID 0 (boot) and 1 (ours): none of the boot
    // map's can be used (or conflict) after the switch; then they are dropped.
    WRITE_SYSREG(ttbr0_el1, ttbr_final());
    aarch64::isb();
    asm volatile("tlbi vmalle1\n dsb nsh\n isb" ::: "memory");
}

// Guard pages --------------------------------------------------------------------------------

bool in_ram(uint64_t start, uint64_t end) {
    for (size_t i = 0; i < g_ram_count; ++i) {
        if (start >= g_ram[i].base && end <= g_ram[i].end()) return true;
    }
    return false;
}

// Where the walk for `va` ends: a leaf (block or page) or an invalid entry.
struct Walk {
    uint64_t* entry;
    int level;
};

Walk walk(uint64_t va) {
    uint64_t* table = g_root;
    for (int level = 0;; ++level) {
        uint64_t& entry = table[index(va, level)];
        if (!is_table(entry, level)) return {&entry, level};
        table = table_of(entry);
    }
}

// The page at `va` is ordinary RAM as init() mapped it: identity, read-write, never executable.
bool is_plain_ram(const Walk& w, uint64_t va) {
    uint64_t entry = *w.entry;
    if (!is_leaf(entry, w.level) || leaf_attrs(entry) != kRamAttrs) return false;
    uint64_t size = span(w.level);
    return align_down(entry & kOutputMask, size) + (va & (size - 1)) == va;
}

// TLBI operand for one page of ours: ASID in [63:48], VA[55:12] in [43:0].
uint64_t tlbi_page(uint64_t va) {
    return (kAsid << TTBR_ASID_SHIFT) | ((va >> 12) & ((1ULL << 44) - 1));
}

// Swaps a live block descriptor for a table descriptor that maps the same memory the same way.
// Break-before-make (Arm ARM D8.14.1) would leave the block's memory unmapped for a moment, and
// that memory may hold the current stack or the tables being edited (kernel text never: it is
// not plain RAM, though the scheme would not care). Instead the boot identity map becomes
// current, whose ASID-0 entries cannot match ours: our tables are then not live at all. The
// edit and the invalidation of every ASID-1 entry happen there; switching back walks only the
// new tables. The boot map maps the same RAM with the same memory type and shareability, so
// nothing is aliased with different attributes. Everything is masked: an exception taken
// meanwhile would still work (the vectors and stacks are mapped there too) but would run with
// the boot map's permissions. Splits are rare (once per block, ever), so invalidating the whole
// ASID costs nothing that matters, and it also drops any smaller TLB entries an implementation
// may have cut from the block. One CPU: the TLB maintenance is local (non-shareable), like
// activate()'s; with more CPUs every one of them would have to leave our tables during the
// edit, and the invalidations become broadcast (the IS forms, DSB ISH).
void replace_live_block(uint64_t* slot, uint64_t table_descriptor) {
    uint64_t daif = READ_SYSREG(daif);
    asm volatile("msr daifset, #0xf" ::: "memory");
    aarch64::dsb_ishst();  // the new tables are in memory before anything can walk them
    WRITE_SYSREG(ttbr0_el1, ttbr_boot());
    aarch64::isb();
    *static_cast<volatile uint64_t*>(slot) = table_descriptor;
    asm volatile("dsb ishst\n tlbi aside1, %0\n dsb nsh"
                 :
                 : "r"(kAsid << TTBR_ASID_SHIFT)
                 : "memory");
    WRITE_SYSREG(ttbr0_el1, ttbr_final());
    aarch64::isb();
    WRITE_SYSREG(daif, daif);
}

// Makes `va` mapped by a level-3 entry: the block that maps it is split, down to pages, into new
// tables built off to the side, which then replace the block in one live edit.
Result<uint64_t*> page_entry(uint64_t va) {
    Walk w = walk(va);
    if (w.level == kLeafLevel) return w.entry;
    if (!is_leaf(*w.entry, w.level)) return Error::InvalidArgument;  // a hole above page level
    if (!g_ram_in_boot_map) return Error::Unsupported;
    uint64_t replacement = *w.entry;
    uint64_t* entry = &replacement;
    for (int level = w.level; level < kLeafLevel; ++level)
        entry = &split(*entry, level)[index(va, level + 1)];
    replace_live_block(w.entry, replacement);
    return entry;  // now in a live level-3 table
}

}  // namespace

void init(const BootInfo& info, PageSource page_tables) {
    g_page_source = page_tables;
    g_root = new_table();
    g_ram_in_boot_map = true;
    for (size_t i = 0; i < info.ram_count; ++i) {
        g_ram[g_ram_count++] = info.ram[i];
        if (info.ram[i].base < kBootMapNormalStart || info.ram[i].end() > kBootMapNormalEnd)
            g_ram_in_boot_map = false;
    }

    for (size_t i = 0; i < info.ram_count; ++i)
        map_identity(info.ram[i].base, info.ram[i].end(), kRamAttrs);
    map_identity(reinterpret_cast<uint64_t>(__text_start), reinterpret_cast<uint64_t>(__text_end),
                 kTextAttrs);
    map_identity(reinterpret_cast<uint64_t>(__rodata_start),
                 reinterpret_cast<uint64_t>(__rodata_end), kRodataAttrs);
    map_identity(reinterpret_cast<uint64_t>(__data_start), reinterpret_cast<uint64_t>(__data_end),
                 kRamAttrs);
    for (char* guard : {boot_stack_guard, emergency_stack_guard, irq_stack_guard}) {
        auto page = reinterpret_cast<uint64_t>(guard);
        unmap_range(g_root, 0, page, page + GUARD_PAGE_SIZE);
    }
    if (info.device_tree && info.device_tree == aarch64::dt::blob()) map_device_tree_devices(info);
    if (info.console.kind == ConsoleKind::Pl011 || info.console.kind == ConsoleKind::Ns16550Mmio) {
        if (!overlaps_ram(info, info.console.base, info.console.base + kPageSize))
            map_identity(info.console.base, info.console.base + kPageSize, kDeviceAttrs);
    }
    activate();
    g_live = true;
}

Result<void> map_mmio(uint64_t phys, uint64_t size) {
    if (!g_live) return Error::Busy;
    if (size == 0 || phys + size < phys || phys + size > kVaLimit) return Error::InvalidArgument;
    uint64_t start = align_down(phys, kPageSize), end = align_up(phys + size, kPageSize);
    if (start < kPageSize) return Error::InvalidArgument;
    InterruptGuard guard;
    if (!compatible(g_root, 0, start, end, start, kDeviceAttrs)) return Error::InvalidArgument;
    map_range(g_root, 0, start, end, start, kDeviceAttrs, true);
    // New entries replace only invalid ones, which no TLB holds: completing the stores is enough.
    aarch64::dsb_ishst();
    aarch64::isb();
    return {};
}

// Guards cover whole pages of RAM, on the final tables. Only ordinary RAM (or pages that already
// are guards) may become a guard or stop being one: never the kernel's text or rodata, never a
// device. Making a guard also needs blocks it can split down to pages. Walks the live tables:
// call it with interrupts masked.
Result<void> check_guard_pages(uint64_t address, uint64_t size, bool splitting) {
    if (!g_live) return Error::Busy;
    uint64_t end = address + size;
    if (!is_aligned(address | size, kPageSize) || size == 0 || end < address)
        return Error::InvalidArgument;
    if (!in_ram(address, end)) return Error::InvalidArgument;
    for (uint64_t va = address; va < end; va += kPageSize) {
        Walk w = walk(va);
        if (!(*w.entry & PTE_VALID)) continue;
        if (!is_plain_ram(w, va)) return Error::InvalidArgument;
        if (splitting && w.level < kLeafLevel && !g_ram_in_boot_map) return Error::Unsupported;
    }
    return {};
}

Result<void> make_guard(uint64_t address, uint64_t size) {
    InterruptGuard guard;
    TRY_VOID(check_guard_pages(address, size, /*splitting=*/true));
    uint64_t end = address + size;
    for (uint64_t va = address; va < end; va += kPageSize) {
        if (!(*walk(va).entry & PTE_VALID)) continue;  // already a guard
        uint64_t* entry = TRY(page_entry(va));
        // Valid to invalid is the "break" half of break-before-make: allowed on live tables.
        *static_cast<volatile uint64_t*>(entry) = 0;
        asm volatile("dsb ishst\n tlbi vale1, %0" : : "r"(tlbi_page(va)) : "memory");
    }
    asm volatile("dsb nsh\n isb" ::: "memory");
    return {};
}

namespace {

// The window's level-3 entry for `va`, its tables created from `tables` on the way down (null
// `tables`: only look). The window holds pages only, never blocks.
uint64_t* window_entry(uint64_t va, TableSource tables) {
    uint64_t* table = g_root;
    for (int level = 0; level < kLeafLevel; ++level) {
        uint64_t& entry = table[index(va, level)];
        if (!is_table(entry, level)) {
            if (entry & PTE_VALID) return nullptr;  // a block: not the window's
            if (!tables) return nullptr;
            uint64_t page = tables();
            if (!page) return nullptr;
            aarch64::dsb_ishst();  // the zeroed table is in memory before it is linked
            link_table(entry, reinterpret_cast<uint64_t*>(page));
        }
        table = table_of(entry);
    }
    return &table[index(va, kLeafLevel)];
}

}  // namespace

Result<void> map_page(uint64_t va, uint64_t pa, TableSource tables) {
    if (!g_live) return Error::Busy;
    if (!in_window(va) || !is_aligned(va | pa, kPageSize)) return Error::InvalidArgument;
    InterruptGuard guard;
    uint64_t* entry = window_entry(va, tables);
    if (!entry) return Error::OutOfMemory;
    // Invalid to valid: no TLB holds a translation fault, completing the store is enough.
    *static_cast<volatile uint64_t*>(entry) = make_leaf(pa, kRamAttrs, kLeafLevel);
    aarch64::dsb_ishst();
    aarch64::isb();
    return {};
}

uint64_t unmap_page(uint64_t va) {
    if (!g_live || !in_window(va)) return 0;
    InterruptGuard guard;
    uint64_t* entry = window_entry(va, nullptr);
    if (!entry || !(*entry & PTE_VALID)) return 0;
    uint64_t pa = *entry & kOutputMask;
    *static_cast<volatile uint64_t*>(entry) = 0;
    asm volatile("dsb ishst\n tlbi vale1, %0\n dsb nsh\n isb" : : "r"(tlbi_page(va)) : "memory");
    return pa;
}

uint64_t physical_address(uint64_t va) {
    if (!in_window(va)) return va;
    if (!g_live) return 0;
    InterruptGuard guard;
    uint64_t* entry = window_entry(va, nullptr);
    if (!entry || !(*entry & PTE_VALID)) return 0;
    return (*entry & kOutputMask) | (va & (kPageSize - 1));
}

bool is_mapped(uint64_t va) {
    if (!g_live || !in_window(va)) return false;
    InterruptGuard guard;
    uint64_t* entry = window_entry(va, nullptr);
    return entry && (*entry & PTE_VALID);
}

uint64_t release_empty_tables(uint64_t start, uint64_t end, PageSink free_page) {
    if (!g_live || !in_window(start) || end <= start) return 0;
    InterruptGuard guard;
    uint64_t released = 0;
    constexpr uint64_t kTableSpan = span(kLeafLevel - 1);  // 2 MiB per level-3 table
    for (uint64_t va = align_down(start, kTableSpan); va < end; va += kTableSpan) {
        uint64_t* table = g_root;
        int level = 0;
        for (; level < kLeafLevel - 1 && is_table(table[index(va, level)], level); ++level)
            table = table_of(table[index(va, level)]);
        uint64_t& entry = table[index(va, level)];
        if (level != kLeafLevel - 1 || !is_table(entry, level)) continue;
        const uint64_t* leaf_table = table_of(entry);
        bool empty = true;
        for (unsigned i = 0; i < kEntries && empty; ++i) empty = !(leaf_table[i] & PTE_VALID);
        if (!empty) continue;
        // Break the table descriptor, then drop every cached walk through it (all levels).
        *static_cast<volatile uint64_t*>(&entry) = 0;
        asm volatile("dsb ishst\n tlbi vae1, %0\n dsb nsh\n isb" : : "r"(tlbi_page(va)) : "memory");
        free_page(reinterpret_cast<uint64_t>(leaf_table));
        ++released;
    }
    return released;
}

Result<void> release_guard(uint64_t address, uint64_t size) {
    InterruptGuard guard;
    TRY_VOID(check_guard_pages(address, size, /*splitting=*/false));
    // Invalid to valid: no TLB holds a translation fault, so completing the stores is enough.
    map_range(g_root, 0, address, address + size, address, kRamAttrs, true);
    aarch64::dsb_ishst();
    aarch64::isb();
    return {};
}

}  // namespace coronet::arch::mmu
