// Finds the board's virtio transports (device tree, `virtio_mmio.device=` on the command line,
// PCI where the board has port I/O), brings up every virtio-net device and registers it.
#pragma once

#include <cstddef>
#include <string_view>

#include "arch/boot_info.hpp"
#include "drivers/virtio/virtio_net.hpp"

namespace coronet::virtio {

struct ProbeOptions {
    VirtioNet::Options net;  // queue sizes, fault injection
    // `virtio_mmio.device=<size>@<base>:<irq>` values from the command line (microvm and
    // Firecracker describe their devices this way), as given; parsed here.
    static constexpr size_t kMaxCommandLineDevices = 8;
    std::string_view mmio_devices[kMaxCommandLineDevices];
    size_t mmio_device_count = 0;
};

void probe(const BootInfo& info, const ProbeOptions& options);

}  // namespace coronet::virtio
