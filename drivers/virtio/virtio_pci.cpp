// virtio PCI modern transport (virtio 1.2, 4.1.4): capability discovery, common configuration,
// notifications, ISR, MSI-X (PCI Local Bus 3.0, 6.8.2) or INTx.
#include "drivers/virtio/virtio_pci.hpp"

#include <cstddef>
#include <cstdio>
#include <new>

#include "arch/mmio.hpp"
#include "arch/mmu.hpp"
#include "kernel/log.hpp"

namespace coronet::virtio {

// 4.1.4.3 Common configuration structure layout. The 64-bit queue addresses are written as two
// 32-bit halves, which every device must accept (4.1.3.1).
struct PciCommonConfig {
    Mmio<uint32_t> device_feature_select;  // 0x00
    Mmio<uint32_t> device_feature;         // 0x04
    Mmio<uint32_t> driver_feature_select;  // 0x08
    Mmio<uint32_t> driver_feature;         // 0x0c
    Mmio<uint16_t> config_msix_vector;     // 0x10
    Mmio<uint16_t> num_queues;             // 0x12
    Mmio<uint8_t> device_status;           // 0x14
    Mmio<uint8_t> config_generation;       // 0x15
    Mmio<uint16_t> queue_select;           // 0x16
    Mmio<uint16_t> queue_size;             // 0x18
    Mmio<uint16_t> queue_msix_vector;      // 0x1a
    Mmio<uint16_t> queue_enable;           // 0x1c
    Mmio<uint16_t> queue_notify_off;       // 0x1e
    Mmio<uint32_t> queue_desc_low;         // 0x20
    Mmio<uint32_t> queue_desc_high;        // 0x24
    Mmio<uint32_t> queue_driver_low;       // 0x28
    Mmio<uint32_t> queue_driver_high;      // 0x2c
    Mmio<uint32_t> queue_device_low;       // 0x30
    Mmio<uint32_t> queue_device_high;      // 0x34
};
static_assert(offsetof(PciCommonConfig, config_msix_vector) == 0x10);
static_assert(offsetof(PciCommonConfig, device_status) == 0x14);
static_assert(offsetof(PciCommonConfig, queue_select) == 0x16);
static_assert(offsetof(PciCommonConfig, queue_notify_off) == 0x1e);
static_assert(offsetof(PciCommonConfig, queue_desc_low) == 0x20);
static_assert(offsetof(PciCommonConfig, queue_device_high) == 0x34);
static_assert(sizeof(PciCommonConfig) == 0x38);

namespace {

// MSI-X table entry (PCI Local Bus 3.0, 6.8.2.6-9).
struct MsixTableEntry {
    Mmio<uint32_t> address_low;
    Mmio<uint32_t> address_high;
    Mmio<uint32_t> data;
    Mmio<uint32_t> vector_control;  // bit 0: masked
};
static_assert(sizeof(MsixTableEntry) == 16);

constexpr uint16_t kVendorVirtio = 0x1AF4;
constexpr uint16_t kFirstTransitional = 0x1000;
constexpr uint16_t kLastTransitional = 0x103F;
constexpr uint16_t kFirstModern = 0x1040;
constexpr uint16_t kLastModern = 0x107F;

// struct virtio_pci_cap (4.1.4): offsets inside the vendor capability.
constexpr uint16_t kCapConfigType = 3;
constexpr uint16_t kCapBar = 4;
constexpr uint16_t kCapOffset = 8;
constexpr uint16_t kCapLength = 12;
constexpr uint16_t kCapNotifyMultiplier = 16;  // struct virtio_pci_notify_cap
constexpr uint8_t kCapCommon = 1;
constexpr uint8_t kCapNotify = 2;
constexpr uint8_t kCapIsr = 3;
constexpr uint8_t kCapDevice = 4;

// MSI-X capability: message control and table location (PCI Local Bus 3.0, 6.8.2.3-4).
constexpr uint16_t kMsixControl = 2;
constexpr uint16_t kMsixTable = 4;
constexpr uint16_t kMsixEnable = 1 << 15;
constexpr uint16_t kMsixFunctionMask = 1 << 14;
constexpr uint32_t kMsixBirMask = 0x7;
constexpr uint32_t kMsixVectorMasked = 1;
constexpr uint16_t kNoVector = 0xFFFF;  // VIRTIO_MSI_NO_VECTOR
constexpr uint16_t kVector = 0;         // the one table entry we use

constexpr int kResetPolls = 1000000;

struct Region {
    uint64_t address = 0;
    uint32_t length = 0;
    uint32_t multiplier = 0;
    bool found = false;
};

uint32_t low(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t high(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

// The first capability of each type whose BAR we can use (4.1.4: a driver uses the first one
// it understands).
void read_capabilities(pci::Address a, Region (&regions)[5]) {
    for (uint8_t cap = pci::find_capability(a, pci::kCapabilityVendor); cap;
         cap = pci::find_capability(a, pci::kCapabilityVendor, cap)) {
        uint8_t type = pci::read8(a, static_cast<uint16_t>(cap + kCapConfigType));
        if (type < kCapCommon || type > kCapDevice || regions[type].found) continue;
        uint8_t bar = pci::read8(a, static_cast<uint16_t>(cap + kCapBar));
        auto base = pci::memory_bar(a, bar);
        if (!base) continue;
        Region& r = regions[type];
        r.address = *base + pci::read32(a, static_cast<uint16_t>(cap + kCapOffset));
        r.length = pci::read32(a, static_cast<uint16_t>(cap + kCapLength));
        if (type == kCapNotify) r.multiplier = pci::read32(a, static_cast<uint16_t>(cap + kCapNotifyMultiplier));
        r.found = r.length > 0;
    }
}

}  // namespace

Result<VirtioPci*> VirtioPci::probe(const pci::Function& function) {
    if (function.vendor_id != kVendorVirtio) return Error::NotFound;
    pci::Address a = function.address;
    uint32_t type;
    if (function.device_id >= kFirstModern && function.device_id <= kLastModern) {
        type = function.device_id - kFirstModern;
    } else if (function.device_id >= kFirstTransitional && function.device_id <= kLastTransitional) {
        type = pci::read16(a, pci::kSubsystemId);  // 4.1.2.1: transitional devices say it here
    } else {
        return Error::NotFound;
    }

    Region regions[5];
    read_capabilities(a, regions);
    if (!regions[kCapCommon].found || !regions[kCapNotify].found || !regions[kCapIsr].found) {
        LOG_WARN("virtio-pci %02x:%02x.%x: %s device without the modern (virtio 1.x) capabilities; skipped",
                 a.bus, a.device, a.function, device_type_name(type));
        return Error::Unsupported;
    }
    for (uint8_t t = kCapCommon; t <= kCapDevice; ++t) {
        if (!regions[t].found) continue;
        if (auto mapped = arch::mmu::map_mmio(regions[t].address, regions[t].length); !mapped) {
            LOG_WARN("virtio-pci %02x:%02x.%x: cannot map BAR region 0x%llx (%s); skipped", a.bus, a.device,
                     a.function, static_cast<unsigned long long>(regions[t].address), error_name(mapped.error()));
            return Error::Unsupported;
        }
    }
    auto* transport = new (std::nothrow) VirtioPci();
    if (!transport) return Error::OutOfMemory;
    transport->m_address = a;
    transport->m_device_type = type;
    transport->m_common = &mmio_at<PciCommonConfig>(regions[kCapCommon].address);
    transport->m_notify_base = regions[kCapNotify].address;
    transport->m_notify_multiplier = regions[kCapNotify].multiplier;
    transport->m_isr = regions[kCapIsr].address;
    transport->m_device_config = regions[kCapDevice].found ? regions[kCapDevice].address : 0;
    snprintf(transport->m_name, sizeof transport->m_name, "pci %02x:%02x.%x", a.bus, a.device, a.function);
    uint16_t command = pci::read16(a, pci::kCommand);
    pci::write16(a, pci::kCommand, static_cast<uint16_t>(command | pci::kCommandMemory | pci::kCommandBusMaster));
    return transport;
}

void VirtioPci::reset() {
    m_common->device_status.write(0);
    // 4.1.4.3.2: wait until the reset has taken effect before anything else.
    for (int i = 0; i < kResetPolls && m_common->device_status.read() != 0; ++i) {
    }
}

uint8_t VirtioPci::status() { return m_common->device_status.read(); }
void VirtioPci::set_status(uint8_t status) { m_common->device_status.write(status); }

uint64_t VirtioPci::device_features() {
    m_common->device_feature_select.write(0);
    uint64_t features = m_common->device_feature.read();
    m_common->device_feature_select.write(1);
    return features | uint64_t(m_common->device_feature.read()) << 32;
}

void VirtioPci::set_driver_features(uint64_t features) {
    m_common->driver_feature_select.write(0);
    m_common->driver_feature.write(low(features));
    m_common->driver_feature_select.write(1);
    m_common->driver_feature.write(high(features));
}

uint16_t VirtioPci::queue_max_size(uint16_t index) {
    if (index >= kMaxQueues || index >= m_common->num_queues.read()) return 0;
    m_common->queue_select.write(index);
    if (m_common->queue_enable.read() != 0) return 0;
    return m_common->queue_size.read();
}

// 4.1.5.1.3 Virtqueue Configuration.
Result<void> VirtioPci::enable_queue(uint16_t index, uint16_t size, const QueueAddresses& rings) {
    if (index >= kMaxQueues || index >= m_common->num_queues.read()) return Error::InvalidArgument;
    m_common->queue_select.write(index);
    uint16_t max = m_common->queue_size.read();
    if (size == 0 || size > max) return Error::InvalidArgument;
    m_common->queue_size.write(size);
    if (m_msix) {
        m_common->queue_msix_vector.write(kVector);
        if (m_common->queue_msix_vector.read() != kVector) return Error::LimitReached;  // device has no vector for it
    }
    m_common->queue_desc_low.write(low(rings.descriptors));
    m_common->queue_desc_high.write(high(rings.descriptors));
    m_common->queue_driver_low.write(low(rings.driver));
    m_common->queue_driver_high.write(high(rings.driver));
    m_common->queue_device_low.write(low(rings.device));
    m_common->queue_device_high.write(high(rings.device));
    m_notify[index] = m_notify_base + uint64_t(m_common->queue_notify_off.read()) * m_notify_multiplier;
    m_common->queue_enable.write(1);
    return {};
}

void VirtioPci::notify(uint16_t index) {
    if (index < kMaxQueues && m_notify[index]) mmio_at<Mmio<uint16_t>>(m_notify[index]).write(index);
}

uint32_t VirtioPci::config_generation() { return m_common->config_generation.read(); }
uint8_t VirtioPci::config_read8(uint32_t offset) {
    return m_device_config ? mmio_at<Mmio<uint8_t>>(m_device_config + offset).read() : 0;
}
uint16_t VirtioPci::config_read16(uint32_t offset) {
    return m_device_config ? mmio_at<Mmio<uint16_t>>(m_device_config + offset).read() : 0;
}
uint32_t VirtioPci::config_read32(uint32_t offset) {
    return m_device_config ? mmio_at<Mmio<uint32_t>>(m_device_config + offset).read() : 0;
}

Result<void> VirtioPci::attach_interrupt(arch::irq::Handler handler, void* context) {
    if (attach_msix(handler, context)) return {};
    return attach_intx(handler, context);
}

// One MSI-X table entry carries the configuration change and every queue's interrupt.
Result<void> VirtioPci::attach_msix(arch::irq::Handler handler, void* context) {
    uint8_t cap = pci::find_capability(m_address, pci::kCapabilityMsix);
    if (!cap) return Error::NotFound;
    uint32_t table = pci::read32(m_address, static_cast<uint16_t>(cap + kMsixTable));
    auto bar = pci::memory_bar(m_address, table & kMsixBirMask);
    if (!bar) return bar.error();
    uint64_t table_address = *bar + (table & ~kMsixBirMask);
    uint16_t control = pci::read16(m_address, static_cast<uint16_t>(cap + kMsixControl));
    unsigned entries = (control & 0x7FF) + 1u;
    TRY_VOID(arch::mmu::map_mmio(table_address, entries * sizeof(MsixTableEntry)));
    auto route = arch::irq::allocate_msi(handler, context);
    if (!route) return route.error();

    auto& entry = mmio_at<MsixTableEntry>(table_address + kVector * sizeof(MsixTableEntry));
    entry.vector_control.write(kMsixVectorMasked);
    entry.address_low.write(low(route->address));
    entry.address_high.write(high(route->address));
    entry.data.write(route->data);
    entry.vector_control.write(0);
    pci::write16(m_address, static_cast<uint16_t>(cap + kMsixControl),
                 static_cast<uint16_t>((control | kMsixEnable) & ~kMsixFunctionMask));
    m_common->config_msix_vector.write(kVector);
    if (m_common->config_msix_vector.read() != kVector) {
        // The device could not bind the vector (4.1.5.1.2.1): back to INTx.
        pci::write16(m_address, static_cast<uint16_t>(cap + kMsixControl), static_cast<uint16_t>(control & ~kMsixEnable));
        arch::irq::free_msi(*route);
        return Error::Unsupported;
    }
    pci::write16(m_address, pci::kCommand,
                 static_cast<uint16_t>(pci::read16(m_address, pci::kCommand) | pci::kCommandInterruptDisable));
    m_msix = true;
    snprintf(m_name, sizeof m_name, "pci %02x:%02x.%x msi-x vector 0x%x", m_address.bus, m_address.device,
             m_address.function, route->vector);
    return {};
}

// INTx: firmware (SeaBIOS) wrote the legacy IRQ the pin is routed to into the interrupt line
// register; it is level-triggered and active low, and shared lines are not supported.
Result<void> VirtioPci::attach_intx(arch::irq::Handler handler, void* context) {
    uint8_t pin = pci::read8(m_address, pci::kInterruptPin);
    uint8_t line = pci::read8(m_address, pci::kInterruptLine);
    if (pin == 0 || line == 0 || line == 0xFF) return Error::NotFound;
    TRY_VOID(arch::irq::attach(line, handler, context, arch::irq::Trigger::LevelLow));
    pci::write16(m_address, pci::kCommand,
                 static_cast<uint16_t>(pci::read16(m_address, pci::kCommand) & ~pci::kCommandInterruptDisable));
    snprintf(m_name, sizeof m_name, "pci %02x:%02x.%x intx irq %u", m_address.bus, m_address.device, m_address.function,
             line);
    return {};
}

// With MSI-X the vector says it all; with INTx reading the ISR both reports and deasserts
// (4.1.4.5).
uint32_t VirtioPci::acknowledge_interrupt() {
    if (m_msix) return kInterruptUsedBuffer;
    return mmio_at<Mmio<uint8_t>>(m_isr).read();
}

}  // namespace coronet::virtio
