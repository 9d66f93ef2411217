// What the arch's entry code learned from the firmware/loader, handed to kernel_main().
#pragma once

#include <cstddef>
#include <cstdint>

namespace coronet {

struct MemoryRegion {
    uint64_t base;
    uint64_t size;
    uint64_t end() const { return base + size; }
};

enum class ConsoleKind : uint8_t { None, Ns16550Port, Ns16550Mmio, Pl011 };

struct ConsoleInfo {
    ConsoleKind kind;
    uint64_t base;  // I/O port or MMIO address
    uint32_t irq;
};

// A device the firmware or device tree described (drivers find more on the command line and
// on buses).
enum class PlatformDeviceKind : uint8_t { VirtioMmio };

struct PlatformDevice {
    PlatformDeviceKind kind;
    uint64_t base;
    uint64_t size;
    uint32_t irq;  // GSI (x86-64) or GIC INTID (AArch64); 0: none given
};

struct BootInfo {
    static constexpr size_t kMaxRegions = 32;
    static constexpr size_t kMaxDevices = 32;  // QEMU virt describes 32 virtio-mmio slots
    MemoryRegion ram[kMaxRegions];
    size_t ram_count;
    // Inside RAM but not ours: firmware tables, the device tree, an initrd.
    MemoryRegion reserved[kMaxRegions];
    size_t reserved_count;
    const char* cmdline;      // copied into kernel memory by the arch; never null
    const void* device_tree;  // flattened device tree, or nullptr (x86-64)
    uint64_t entry_ticks;     // arch::clock::ticks() at the first instruction
    ConsoleInfo console;
    const char* firmware;  // "PVH", "Linux arm64 Image (EL2)", ...
    PlatformDevice devices[kMaxDevices];
    size_t device_count;
    bool devices_truncated;  // more were described than fit
};

}  // namespace coronet

// The arch entry code calls this once with interrupts off, MMU on (boot mapping), FP usable.
extern "C" [[noreturn]] void kernel_main(coronet::BootInfo& info);
