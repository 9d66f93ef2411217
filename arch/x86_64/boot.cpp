// From the PVH start info to BootInfo: memory map, command line, console. Runs first in C++,
// before the stack protector's guard has its random value.
#include <cstring>

#include "arch/boot_info.hpp"
#include "arch/cpu.hpp"
#include "arch/x86_64/port_io.hpp"

extern "C" uint64_t boot_entry_tsc;
extern "C" uintptr_t __stack_chk_guard;

namespace coronet::arch {
namespace {

// Xen's HVM start info layout (xen/include/public/arch-x86/hvm/start_info.h), version >= 1.
struct [[gnu::packed]] HvmStartInfo {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t module_count;
    uint64_t module_list;
    uint64_t cmdline;
    uint64_t rsdp;
    uint64_t memory_map;
    uint32_t memory_map_entries;
    uint32_t reserved;
};
struct [[gnu::packed]] HvmMemoryMapEntry {
    uint64_t address;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};
constexpr uint32_t kHvmStartMagic = 0x336ec578;
constexpr uint32_t kE820Ram = 1;
constexpr uint16_t kCom1 = 0x3F8;
constexpr uint32_t kCom1Irq = 4;

BootInfo g_info;
char g_cmdline[1025];

[[noreturn]] void early_fail(const char* message) {
    for (const char* p = message; *p; ++p) x86_64::outb(kCom1, static_cast<uint8_t>(*p));
    exit(3);
}

}  // namespace
}  // namespace coronet::arch

extern "C" [[noreturn, gnu::no_stack_protector]] void x86_64_boot(uint32_t start_info_address) {
    using namespace coronet;
    using namespace coronet::arch;
    uint64_t seed;
    if (!hardware_random(seed)) seed = x86_64::rdtsc() * 0x9E3779B97F4A7C15ULL;
    __stack_chk_guard = seed;

    const auto* start =
        reinterpret_cast<const HvmStartInfo*>(static_cast<uintptr_t>(start_info_address));
    if (start->magic != kHvmStartMagic)
        early_fail("coronet: not started through PVH (bad start info magic)\r\n");
    if (start->version < 1 || start->memory_map == 0)
        early_fail("coronet: PVH start info without a memory map\r\n");

    BootInfo& info = g_info;
    const auto* map = reinterpret_cast<const HvmMemoryMapEntry*>(start->memory_map);
    for (uint32_t i = 0; i < start->memory_map_entries; ++i) {
        const HvmMemoryMapEntry& e = map[i];
        if (e.type == kE820Ram && e.size && info.ram_count < BootInfo::kMaxRegions) {
            info.ram[info.ram_count++] = {e.address, e.size};
        }
    }
    if (start->cmdline) {
        std::strncpy(g_cmdline, reinterpret_cast<const char*>(start->cmdline),
                     sizeof g_cmdline - 1);
    }
    info.cmdline = g_cmdline;
    info.device_tree = nullptr;
    info.entry_ticks = boot_entry_tsc;
    info.console = {ConsoleKind::Ns16550Port, kCom1, kCom1Irq};
    info.firmware = "PVH (hvm_start_info)";
    kernel_main(info);
}
