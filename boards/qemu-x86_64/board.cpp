// qemu-x86_64 (QEMU q35): everything the kernel needs comes from the PVH start info and the
// PC's fixed devices (COM1, LAPIC, IOAPIC); see board.json for how QEMU boots it.
#include "kernel/board.hpp"

namespace coronet {
const Board kBoard = {
    .name = "qemu-x86_64",
    .summary = "QEMU q35, SeaBIOS + PVH, 16550 COM1, LAPIC/IOAPIC, PCI",
    .pci_port_io = true,
};
}
