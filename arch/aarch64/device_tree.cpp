// One walk over the device tree (see device_tree.hpp). Each node's properties are read in a
// single pass; a stack indexed by depth carries what parents tell their children (cell sizes,
// interrupt parent, whether addresses are CPU physical addresses).
#include "arch/aarch64/device_tree.hpp"

#include <libfdt.h>

#include <cstring>

#include "arch/aarch64/gicv3.hpp"

namespace coronet::arch::aarch64::dt {
namespace {

constexpr int kMaxDepth = 16;
// The GIC binding's interrupt specifier: type (SPI or PPI), number within that type, flags.
constexpr int kGicInterruptCells = 3;
constexpr uint32_t kGicSpi = 0;
constexpr uint32_t kGicPpi = 1;

constinit const void* g_blob = nullptr;
// constinit: scan() runs before global constructors, which must not reset it.
constinit Inventory g_inventory;

// What one node says about itself and its children.
struct Properties {
    const char* compatible = nullptr;
    int compatible_len = 0;
    const char* device_type = nullptr;
    bool has_reg = false;
    bool identity_ranges = false;  // "ranges" present and empty
    int address_cells = 2;         // defaults from the devicetree specification (2.3.5)
    int size_cells = 1;
    uint32_t phandle = 0;
    uint32_t interrupt_parent = 0;
};

uint64_t read_cells(const fdt32_t* cells, int count) {
    uint64_t value = 0;
    for (int i = 0; i < count; ++i) value = (value << 32) | fdt32_ld(&cells[i]);
    return value;
}

uint32_t read_u32(const void* value, int len, uint32_t fallback) {
    return len == 4 ? fdt32_ld(static_cast<const fdt32_t*>(value)) : fallback;
}

Properties read_properties(const void* fdt, int node) {
    Properties p;
    int property;
    fdt_for_each_property_offset(property, fdt, node) {
        const char* name = nullptr;
        int len = 0;
        const void* value = fdt_getprop_by_offset(fdt, property, &name, &len);
        if (!value || !name) continue;
        if (std::strcmp(name, "compatible") == 0) {
            p.compatible = static_cast<const char*>(value);
            p.compatible_len = len;
        } else if (std::strcmp(name, "device_type") == 0) {
            p.device_type = static_cast<const char*>(value);
        } else if (std::strcmp(name, "reg") == 0) {
            p.has_reg = len > 0;
        } else if (std::strcmp(name, "ranges") == 0) {
            p.identity_ranges = len == 0;
        } else if (std::strcmp(name, "#address-cells") == 0) {
            p.address_cells = static_cast<int>(read_u32(value, len, 2));
        } else if (std::strcmp(name, "#size-cells") == 0) {
            p.size_cells = static_cast<int>(read_u32(value, len, 1));
        } else if (std::strcmp(name, "phandle") == 0) {
            p.phandle = read_u32(value, len, 0);
        } else if (std::strcmp(name, "interrupt-parent") == 0) {
            p.interrupt_parent = read_u32(value, len, 0);
        }
    }
    return p;
}

bool compatible_with(const Properties& p, const char* what) {
    return p.compatible && fdt_stringlist_contains(p.compatible, p.compatible_len, what);
}

bool type_is(const Properties& p, const char* what) {
    return p.device_type && std::strcmp(p.device_type, what) == 0;
}

void add_device(Inventory& inv, Range range) {
    if (range.size == 0 || range.base + range.size < range.base) return;
    if (inv.device_count > 0) {
        Range& last = inv.devices[inv.device_count - 1];
        if (range.base >= last.base &&
            range.base <= last.base + last.size) {  // adjacent or overlapping
            if (range.base + range.size > last.base + last.size)
                last.size = range.base + range.size - last.base;
            return;
        }
    }
    if (inv.device_count == Inventory::kMaxDevices) {
        inv.devices_truncated = true;
        return;
    }
    inv.devices[inv.device_count++] = range;
}

void classify(Inventory& inv, const Node& node, const Properties& p, bool parent_identity,
              const char* name) {
    if (!inv.chosen.valid() && std::strcmp(name, "chosen") == 0) inv.chosen = node;
    if (!inv.reserved_memory.valid() && std::strcmp(name, "reserved-memory") == 0)
        inv.reserved_memory = node;
    if (!inv.psci.valid() &&
        (compatible_with(p, "arm,psci-0.2") || compatible_with(p, "arm,psci-1.0")))
        inv.psci = node;
    if (!inv.gic.valid() && compatible_with(p, "arm,gic-v3")) {
        inv.gic = node;
        inv.gic_phandle = p.phandle;
    }
    if (!inv.timer.valid() && compatible_with(p, "arm,armv8-timer")) inv.timer = node;
    if (!inv.pl011.valid() && compatible_with(p, "arm,pl011")) inv.pl011 = node;
    if (!inv.ns16550.valid() && (compatible_with(p, "ns16550a") || compatible_with(p, "ns16550")))
        inv.ns16550 = node;
    if (!inv.pl031.valid() && compatible_with(p, "arm,pl031")) inv.pl031 = node;

    if (compatible_with(p, "virtio,mmio")) {
        if (inv.virtio_mmio_count < Inventory::kMaxVirtioMmio)
            inv.virtio_mmio[inv.virtio_mmio_count++] = node;
        else inv.virtio_mmio_truncated = true;
    }

    bool memory = type_is(p, "memory");
    if (memory && inv.memory_count < Inventory::kMaxMemoryNodes)
        inv.memory[inv.memory_count++] = node;
    if (!p.has_reg || !parent_identity || memory || type_is(p, "cpu") ||
        compatible_with(p, "cfi-flash"))
        return;
    Range range;
    for (int i = 0; reg(node, i, range); ++i) add_device(inv, range);
}

}  // namespace

bool scan(const void* fdt) {
    if (!fdt || fdt_check_header(fdt) != 0) return false;
    g_blob = fdt;
    Inventory& inv = g_inventory;
    inv = Inventory{};

    struct Level {
        bool identity;  // this node's children have CPU physical addresses
        int address_cells;
        int size_cells;
        uint32_t interrupt_parent;
    } stack[kMaxDepth];
    Properties root = read_properties(fdt, 0);
    stack[0] = {true, root.address_cells, root.size_cells, root.interrupt_parent};

    int depth = 0;
    for (int offset = fdt_next_node(fdt, 0, &depth); offset >= 0 && depth > 0;
         offset = fdt_next_node(fdt, offset, &depth)) {
        if (depth >= kMaxDepth) continue;
        const Level& parent = stack[depth - 1];
        Properties p = read_properties(fdt, offset);
        Node node{offset, parent.address_cells, parent.size_cells,
                  p.interrupt_parent ? p.interrupt_parent : parent.interrupt_parent};
        stack[depth] = {parent.identity && p.identity_ranges, p.address_cells, p.size_cells,
                        node.interrupt_parent};
        const char* name = fdt_get_name(fdt, offset, nullptr);
        classify(inv, node, p, parent.identity, name ? name : "");
    }
    return true;
}

const void* blob() { return g_blob; }
const Inventory& inventory() { return g_inventory; }

Node find_path(const char* path, int length) {
    Node node;
    if (!g_blob) return node;
    int offset = fdt_path_offset_namelen(g_blob, path, length);
    if (offset < 0) return node;
    int parent = fdt_parent_offset(g_blob, offset);
    if (parent < 0) return node;
    node.offset = offset;
    node.address_cells = fdt_address_cells(g_blob, parent);
    node.size_cells = fdt_size_cells(g_blob, parent);
    for (int n = offset; n >= 0 && !node.interrupt_parent; n = fdt_parent_offset(g_blob, n)) {
        int len = 0;
        const void* value = fdt_getprop(g_blob, n, "interrupt-parent", &len);
        if (value) node.interrupt_parent = read_u32(value, len, 0);
    }
    return node;
}

bool reg(const Node& node, int index, Range& out) {
    if (!g_blob || !node.valid() || index < 0) return false;
    int ac = node.address_cells, sc = node.size_cells;
    if (ac < 1 || ac > 2 || sc < 0 || sc > 2) return false;
    int len = 0;
    const auto* cells = static_cast<const fdt32_t*>(fdt_getprop(g_blob, node.offset, "reg", &len));
    if (!cells || (index + 1) * (ac + sc) * 4 > len) return false;
    const fdt32_t* entry = cells + index * (ac + sc);
    out.base = read_cells(entry, ac);
    out.size = read_cells(entry + ac, sc);
    return true;
}

int interrupt_intid(const Node& node, int index, uint32_t* flags) {
    const Inventory& inv = g_inventory;
    if (!g_blob || !node.valid() || !inv.gic.valid() || node.interrupt_parent != inv.gic_phandle)
        return -1;
    int cells_len = 0;
    const void* cells = fdt_getprop(g_blob, inv.gic.offset, "#interrupt-cells", &cells_len);
    if (read_u32(cells, cells_len, 0) != kGicInterruptCells) return -1;
    int len = 0;
    const auto* spec =
        static_cast<const fdt32_t*>(fdt_getprop(g_blob, node.offset, "interrupts", &len));
    if (!spec || index < 0 || (index + 1) * kGicInterruptCells * 4 > len) return -1;
    spec += index * kGicInterruptCells;
    uint32_t type = fdt32_ld(&spec[0]);
    uint32_t number = fdt32_ld(&spec[1]);
    if (flags) *flags = fdt32_ld(&spec[2]);
    if (type == kGicSpi && number < gic::kIntidLimit - gic::kFirstSpi)
        return static_cast<int>(gic::kFirstSpi + number);
    if (type == kGicPpi && number < gic::kFirstSpi - gic::kFirstPpi)
        return static_cast<int>(gic::kFirstPpi + number);
    return -1;
}

}  // namespace coronet::arch::aarch64::dt
