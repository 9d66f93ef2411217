// The device tree, read once: boot walks the blob a single time and keeps what the arch needs
// (memory nodes, PSCI, GIC, timer, UARTs, RTC, virtio-mmio transports, every device's MMIO range). libfdt lookups by path,
// compatible or parent rescan the blob from the start, which under TCG costs about a
// millisecond each; one walk with a per-depth stack replaces a dozen of them.
#pragma once

#include <cstdint>

namespace coronet::arch::aarch64::dt {

struct Range {
    uint64_t base;
    uint64_t size;
};

// A node with what its parent says about it: the cell sizes of its "reg" and its interrupt
// parent's phandle (inherited through the tree as the spec says).
struct Node {
    int offset = -1;
    int address_cells = 2;
    int size_cells = 1;
    uint32_t interrupt_parent = 0;
    bool valid() const { return offset >= 0; }
};

struct Inventory {
    static constexpr int kMaxMemoryNodes = 8;
    static constexpr int kMaxDevices = 64;
    static constexpr int kMaxVirtioMmio = 32;

    Node chosen;
    Node reserved_memory;
    Node psci;  // "arm,psci-0.2" / "arm,psci-1.0" (0.1 has no standard function IDs)
    Node gic;   // "arm,gic-v3"
    uint32_t gic_phandle = 0;
    Node timer;    // "arm,armv8-timer"
    Node pl011;    // first "arm,pl011"
    Node ns16550;  // first "ns16550a" / "ns16550"
    Node pl031;    // first "arm,pl031" real-time clock
    Node memory[kMaxMemoryNodes];
    int memory_count = 0;
    Node virtio_mmio[kMaxVirtioMmio];  // "virtio,mmio" transports, in tree order
    int virtio_mmio_count = 0;
    bool virtio_mmio_truncated = false;
    // MMIO ranges of devices on 1:1 buses (adjacent ones merged); not memory, CPUs or flash.
    Range devices[kMaxDevices] = {};
    int device_count = 0;
    bool devices_truncated = false;
};

// Validates the blob and walks it once. False if it is not a device tree.
bool scan(const void* fdt);
const void* blob();  // nullptr before scan() succeeded
const Inventory& inventory();

// Resolves a path or alias (the part of /chosen stdout-path before ':') to a Node. Walks the tree.
Node find_path(const char* path, int length);

// The `index`-th (address, size) pair of the node's "reg". No bus translation.
bool reg(const Node& node, int index, Range& out);

// The `index`-th entry of the node's "interrupts" as a GIC INTID (SPI n -> 32 + n, PPI n ->
// 16 + n), if its interrupt parent is the GIC. -1 if absent. `flags` receives the specifier's
// trigger flags (1 edge rising, 4 level high, ...).
int interrupt_intid(const Node& node, int index, uint32_t* flags = nullptr);

}  // namespace coronet::arch::aarch64::dt
