// From the loader's device tree to BootInfo: RAM, reserved ranges, command line, console. The
// first C++ to run (entry.S calls aarch64_boot with the MMU on and the boot stack set up).
#include <libfdt.h>

#include <cstdio>
#include <cstring>

#include "arch/aarch64/device_tree.hpp"
#include "arch/aarch64/psci.hpp"
#include "arch/aarch64/semihosting.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/boot_info.hpp"
#include "arch/cpu.hpp"

extern "C" uintptr_t __stack_chk_guard;
extern "C" char __kernel_start[];

namespace coronet::arch::aarch64 {
namespace {

constexpr size_t kMaxCmdline = 1024;

// Filled before global constructors run: constant-initialised only.
constinit BootInfo g_info{};
constinit char g_cmdline[kMaxCmdline + 1] = {};
constinit char g_firmware[96] = {};

[[noreturn]] void early_fail(const char* message) {
    // No console yet: semihosting is the only channel that needs no device tree.
    semihost_write("coronet: ");
    semihost_write(message);
    semihost_write("\n");
    exit(3);
}

void add_region(MemoryRegion* regions, size_t& count, uint64_t base, uint64_t size) {
    if (size == 0 || count >= BootInfo::kMaxRegions) return;
    regions[count++] = {base, size};
}

void read_memory(BootInfo& info) {
    const dt::Inventory& inv = dt::inventory();
    for (int n = 0; n < inv.memory_count; ++n) {
        dt::Range range;
        for (int i = 0; dt::reg(inv.memory[n], i, range); ++i)
            add_region(info.ram, info.ram_count, range.base, range.size);
    }
}

// Not ours inside RAM: the blob itself, /memreserve/ entries, and /reserved-memory children.
void read_reserved(const void* fdt, BootInfo& info) {
    add_region(info.reserved, info.reserved_count, reinterpret_cast<uint64_t>(fdt),
               fdt_totalsize(fdt));
    int entries = fdt_num_mem_rsv(fdt);
    for (int i = 0; i < entries; ++i) {
        uint64_t base = 0, size = 0;
        if (fdt_get_mem_rsv(fdt, i, &base, &size) == 0)
            add_region(info.reserved, info.reserved_count, base, size);
    }
    const dt::Node& parent = dt::inventory().reserved_memory;
    if (!parent.valid()) return;
    int child;
    fdt_for_each_subnode(child, fdt, parent.offset) {
        dt::Node node{child, fdt_address_cells(fdt, parent.offset),
                      fdt_size_cells(fdt, parent.offset), 0};
        dt::Range range;
        for (int i = 0; dt::reg(node, i, range); ++i)
            add_region(info.reserved, info.reserved_count, range.base, range.size);
    }
}

void read_cmdline(const void* fdt) {
    const dt::Node& chosen = dt::inventory().chosen;
    int len = 0;
    const char* args =
        chosen.valid() ? static_cast<const char*>(fdt_getprop(fdt, chosen.offset, "bootargs", &len))
                       : nullptr;
    if (!args || len <= 0) return;
    size_t n = strnlen(args, static_cast<size_t>(len));
    if (n > kMaxCmdline) n = kMaxCmdline;  // BootConfig reports the truncation
    std::memcpy(g_cmdline, args, n);
    g_cmdline[n] = '\0';
}

bool console_from_node(const void* fdt, const dt::Node& node, ConsoleInfo& out) {
    if (!node.valid()) return false;
    auto compatible = [&](const char* what) {
        return fdt_node_check_compatible(fdt, node.offset, what) == 0;
    };
    ConsoleKind kind;
    if (compatible("arm,pl011")) kind = ConsoleKind::Pl011;
    else if (compatible("ns16550a") || compatible("ns16550")) kind = ConsoleKind::Ns16550Mmio;
    else return false;
    dt::Range range;
    if (!dt::reg(node, 0, range)) return false;
    int intid = dt::interrupt_intid(node, 0);
    out = {kind, range.base, intid < 0 ? 0u : static_cast<uint32_t>(intid)};
    return true;
}

// Whether `path` (length `len`) is "/<name>" of a node directly under the root.
bool names_root_child(const void* fdt, const dt::Node& node, const char* path, int len) {
    if (!node.valid() || len < 2 || path[0] != '/') return false;
    const char* name = fdt_get_name(fdt, node.offset, nullptr);
    auto name_len = static_cast<size_t>(len - 1);
    return name && std::strlen(name) == name_len && std::strncmp(name, path + 1, name_len) == 0;
}

// Every "virtio,mmio" transport with its registers and interrupt, for the virtio drivers.
void read_platform_devices(BootInfo& info) {
    const dt::Inventory& inv = dt::inventory();
    info.devices_truncated = inv.virtio_mmio_truncated;
    for (int i = 0; i < inv.virtio_mmio_count; ++i) {
        dt::Range range;
        if (!dt::reg(inv.virtio_mmio[i], 0, range)) continue;
        if (info.device_count == BootInfo::kMaxDevices) {
            info.devices_truncated = true;
            break;
        }
        int intid = dt::interrupt_intid(inv.virtio_mmio[i], 0);
        info.devices[info.device_count++] = {PlatformDeviceKind::VirtioMmio, range.base, range.size,
                                             intid < 0 ? 0u : static_cast<uint32_t>(intid)};
    }
}

// /chosen stdout-path ("/pl011@9000000", an alias, maybe with ":115200n8"), else the first PL011,
// else the first 16550.
ConsoleInfo read_console(const void* fdt) {
    ConsoleInfo console{ConsoleKind::None, 0, 0};
    const dt::Inventory& inv = dt::inventory();
    const char* path = nullptr;
    if (inv.chosen.valid())
        path =
            static_cast<const char*>(fdt_getprop(fdt, inv.chosen.offset, "stdout-path", nullptr));
    if (path) {
        const char* colon = std::strchr(path, ':');
        int len = colon ? static_cast<int>(colon - path) : static_cast<int>(std::strlen(path));
        // The common case needs no second walk: stdout-path names a UART the scan found.
        dt::Node node = names_root_child(fdt, inv.pl011, path, len)     ? inv.pl011
                        : names_root_child(fdt, inv.ns16550, path, len) ? inv.ns16550
                                                                        : dt::find_path(path, len);
        if (console_from_node(fdt, node, console)) return console;
    }
    if (console_from_node(fdt, inv.pl011, console)) return console;
    console_from_node(fdt, inv.ns16550, console);
    return console;
}

[[noreturn]] void start(const void* fdt, uint64_t entry_ticks, uint64_t entry_el,
                        uint64_t load_address) {
    if (!dt::scan(fdt)) early_fail("no valid device tree in x0 at entry");
    psci::init();

    BootInfo& info = g_info;
    read_memory(info);
    read_reserved(fdt, info);
    read_cmdline(fdt);
    info.cmdline = g_cmdline;
    info.device_tree = fdt;
    info.entry_ticks = entry_ticks;
    info.console = read_console(fdt);
    read_platform_devices(info);
    auto link_address = reinterpret_cast<uint64_t>(__kernel_start);
    if (load_address == link_address) {
        snprintf(g_firmware, sizeof g_firmware, "Linux arm64 Image, entered at EL%llu",
                 static_cast<unsigned long long>(entry_el));
    } else {
        snprintf(g_firmware, sizeof g_firmware,
                 "Linux arm64 Image, entered at EL%llu, moved from 0x%llx",
                 static_cast<unsigned long long>(entry_el),
                 static_cast<unsigned long long>(load_address));
    }
    info.firmware = g_firmware;
    kernel_main(info);
}

uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace
}  // namespace coronet::arch::aarch64

// Called by entry.S. Seeds the stack protector before any protected function runs, so this one
// must not be protected itself (its canary would be checked against the new guard).
extern "C" [[noreturn, gnu::no_stack_protector]] void aarch64_boot(uint64_t dtb,
                                                                   uint64_t entry_ticks,
                                                                   uint64_t entry_el,
                                                                   uint64_t load_address) {
    using namespace coronet::arch;
    uint64_t seed;
    if (!hardware_random(seed)) {
        // No RNDR: the counter, plus the loader's /chosen/rng-seed where it gives one (QEMU
        // does). Raw libfdt only: it is built without the stack protector.
        seed = aarch64::mix64(READ_SYSREG(cntvct_el0) ^ (entry_ticks << 32) ^ dtb);
        const void* fdt = reinterpret_cast<const void*>(dtb);
        int chosen = fdt && fdt_check_header(fdt) == 0 ? fdt_path_offset(fdt, "/chosen") : -1;
        int len = 0;
        const auto* bytes =
            chosen >= 0 ? static_cast<const uint8_t*>(fdt_getprop(fdt, chosen, "rng-seed", &len))
                        : nullptr;
        for (int i = 0; bytes && i < len; ++i) seed = aarch64::mix64(seed ^ bytes[i]);
    }
    __stack_chk_guard = seed;
    aarch64::start(reinterpret_cast<const void*>(dtb), entry_ticks, entry_el, load_address);
}
