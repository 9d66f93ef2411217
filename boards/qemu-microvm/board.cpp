// qemu-microvm (QEMU microvm, acpi=off): PVH start info, COM1, LAPIC/IOAPIC; virtio-mmio
// devices are announced on the kernel command line (virtio_mmio.device=...).
#include "kernel/board.hpp"

namespace coronet {
const Board kBoard = {
    .name = "qemu-microvm",
    .summary = "QEMU microvm, qboot + PVH, 16550 COM1, LAPIC/IOAPIC, virtio-mmio",
    .pci_port_io = false,
};
}
