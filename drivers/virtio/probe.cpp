// virtio discovery: every transport found is checked once, each device type with a driver is
// brought up; anything unusable is logged and skipped, never fatal.
#include "drivers/virtio/probe.hpp"

#include "drivers/pci/pci_bus.hpp"
#include "drivers/virtio/mmio_cmdline.hpp"
#include "drivers/virtio/virtio_mmio.hpp"
#include "drivers/virtio/virtio_net.hpp"
#include "drivers/virtio/virtio_pci.hpp"
#include "kernel/board.hpp"
#include "kernel/log.hpp"

namespace coronet::virtio {
namespace {

constexpr size_t kMaxMmioTransports = BootInfo::kMaxDevices + 8;

struct ProbeState {
    VirtioNet::Options options;
    unsigned net_count = 0;
    uint64_t mmio_seen[kMaxMmioTransports] = {};
    size_t mmio_seen_count = 0;
};

void bring_up(ProbeState& state, Transport& transport) {
    if (transport.device_type() != kDeviceNet) {
        LOG_INFO("virtio: %s: %s device (type %u), no driver; skipped", transport.name(),
                 device_type_name(transport.device_type()), transport.device_type());
        return;
    }
    auto created = VirtioNet::create(transport, state.net_count, state.options);
    if (!created) {
        LOG_WARN("virtio-net: %s: cannot bring it up (%s); skipped", transport.name(),
                 error_name(created.error()));
        return;
    }
    ++state.net_count;
    VirtioNet& net = **created;
    const uint8_t* m = net.mac();
    drivers::Offloads offloads = net.offloads();
    LOG_INFO(
        "virtio-net: %s mac %02x:%02x:%02x:%02x:%02x:%02x%s queues %u/%u%s offloads tx%s%s "
        "rx%s%s",
        transport.name(), m[0], m[1], m[2], m[3], m[4], m[5],
        net.mac_from_device() ? "" : " (random)", net.rx_queue_size(), net.tx_queue_size(),
        net.event_idx() ? " event-idx" : "", offloads.checksum ? " csum" : "",
        offloads.tcp4_segmentation || offloads.tcp6_segmentation ? " tso" : "",
        offloads.rx_checksum ? " csum" : "", offloads.rx_coalesced ? " tso" : "");
    drivers::register_device(net);
}

void probe_mmio(ProbeState& state, uint64_t base, uint64_t size, uint32_t irq) {
    for (size_t i = 0; i < state.mmio_seen_count; ++i) {
        if (state.mmio_seen[i] == base) return;  // described twice (device tree and command line)
    }
    if (state.mmio_seen_count < kMaxMmioTransports) state.mmio_seen[state.mmio_seen_count++] = base;
    auto transport = VirtioMmio::probe(base, size, irq);
    if (transport) bring_up(state, **transport);
}

void probe_command_line(ProbeState& state, const ProbeOptions& options) {
    for (size_t i = 0; i < options.mmio_device_count; ++i) {
        const std::string_view* value = &options.mmio_devices[i];
        auto spec = parse_mmio_device(*value);
        if (!spec) {
            LOG_WARN("virtio: cannot parse %.*s=%.*s (want <size>@<base>:<irq>); skipped",
                     static_cast<int>(kMmioDeviceKey.size()), kMmioDeviceKey.data(),
                     static_cast<int>(value->size()), value->data());
            continue;
        }
        probe_mmio(state, spec->base, spec->size, spec->irq);
    }
}

void probe_pci(ProbeState& state) {
    pci::enumerate(
        [](const pci::Function& function, void* context) {
            auto transport = VirtioPci::probe(function);
            if (transport) bring_up(*static_cast<ProbeState*>(context), **transport);
        },
        &state);
}

}  // namespace

void probe(const BootInfo& info, const ProbeOptions& options) {
    ProbeState state;
    state.options = options.net;
    if (options.net.lose_interrupts)
        LOG_WARN("virtio: ignoring one interrupt in %u (virtio_net.lose_interrupts, a test option)",
                 options.net.lose_interrupts);
    if (info.devices_truncated)
        LOG_WARN("virtio: the platform describes more devices than fit; some are ignored");
    for (size_t i = 0; i < info.device_count; ++i) {
        const PlatformDevice& d = info.devices[i];
        if (d.kind == PlatformDeviceKind::VirtioMmio) probe_mmio(state, d.base, d.size, d.irq);
    }
    probe_command_line(state, options);
    if (kBoard.pci_port_io) probe_pci(state);
}

}  // namespace coronet::virtio
