// qemu-aarch64 (QEMU virt, gic-version=3): RAM, devices and interrupts all come from the device
// tree QEMU passes in x0; see board.json for how QEMU boots it.
#include "kernel/board.hpp"

namespace coronet {
const Board kBoard = {
    .name = "qemu-aarch64",
    .summary =
        "QEMU virt, Linux Image boot, GICv3, PL011, generic timer, virtio-mmio (device tree)",
    .pci_port_io = false,
};
}
