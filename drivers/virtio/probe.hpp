// Finds the board's virtio transports (device tree, `virtio_mmio.device=` on the command line,
// PCI where the board has port I/O), brings up every virtio-net device and registers it.
#pragma once

#include "arch/boot_info.hpp"

namespace coronet::virtio {

// Boot options: `virtio_net.rx_ring=N`, `virtio_net.tx_ring=N` cap the queue sizes (a power of
// two; default: the device's maximum up to 256). A tiny TX ring exercises the ring-full path.
void probe(const BootInfo& info);

}  // namespace coronet::virtio
