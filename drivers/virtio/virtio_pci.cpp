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

// 4.1.4.3 Common configuration structure layout.
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
    SplitRegister queue_desc;              // 0x20
    SplitRegister queue_driver;            // 0x28
    SplitRegister queue_device;            // 0x30
};
static_assert(offsetof(PciCommonConfig, config_msix_vector) == 0x10);
static_assert(offsetof(PciCommonConfig, device_status) == 0x14);
static_assert(offsetof(PciCommonConfig, queue_select) == 0x16);
static_assert(offsetof(PciCommonConfig, queue_notify_off) == 0x1e);
static_assert(offsetof(PciCommonConfig, queue_desc) == 0x20);
static_assert(offsetof(PciCommonConfig, queue_device) == 0x30);
static_assert(sizeof(PciCommonConfig) == 0x38);

namespace {

// MSI-X table entry (PCI Local Bus 3.0, 6.8.2.6-9).
struct MsixTableEntry {
    SplitRegister address;
    Mmio<uint32_t> data;
    Mmio<uint32_t> vector_control;  // bit 0: masked
};
static_assert(sizeof(MsixTableEntry) == 16);

constexpr uint16_t kVendorVirtio = 0x1AF4;
constexpr uint16_t kFirstTransitional = 0x1000;
constexpr uint16_t kLastTransitional = 0x103F;
constexpr uint16_t kFirstModern = 0x1040;
constexpr uint16_t kLastModern = 0x107F;

// A vendor capability locating one configuration structure (4.1.4 struct virtio_pci_cap; a
// notify capability appends its multiplier, 4.1.4.4). It lives in configuration space, so it is
// read a field at a time, at offsetof() from the capability.
struct VirtioPciCap {
    pci::CapabilityHeader header;
    uint8_t cap_len;
    uint8_t cfg_type;  // which structure: kCapCommon ... kCapDevice
    uint8_t bar;
    uint8_t id;
    uint8_t padding[2];
    uint32_t offset;  // of the structure within the BAR
    uint32_t length;
    uint32_t notify_off_multiplier;
};
static_assert(offsetof(VirtioPciCap, cfg_type) == 3);
static_assert(offsetof(VirtioPciCap, offset) == 8);
static_assert(offsetof(VirtioPciCap, notify_off_multiplier) == 16);

// cfg_type: the structure a capability locates (VIRTIO_PCI_CAP_*_CFG).
enum CapType : uint8_t { kCapCommon = 1, kCapNotify, kCapIsr, kCapDevice };

// The MSI-X capability (PCI Local Bus 3.0, 6.8.2), read like the one above.
struct MsixCap {
    pci::CapabilityHeader header;
    uint16_t message_control;  // table size - 1 in bits 10:0, function mask, enable
    uint32_t table;            // BAR indicator in bits 2:0, the table's offset above them
    uint32_t pending_bits;
};
static_assert(offsetof(MsixCap, message_control) == 2);
static_assert(offsetof(MsixCap, table) == 4);

constexpr uint16_t kMsixEnable = 1 << 15;
constexpr uint16_t kMsixFunctionMask = 1 << 14;
constexpr uint16_t kMsixTableSizeMask = 0x7FF;
constexpr uint32_t kMsixBirMask = 0x7;
constexpr uint32_t kMsixVectorMasked = 1;
constexpr uint16_t kVector = 0;  // the one table entry we use

// The configuration-space offset of a field `field_offset` bytes into the capability at `cap`.
uint16_t at(uint8_t cap, size_t field_offset) { return static_cast<uint16_t>(cap + field_offset); }

struct Region {
    uint64_t address = 0;
    uint32_t length = 0;
    uint32_t multiplier = 0;
    bool found = false;
};

CommonRegisters<uint8_t> common_registers(uint64_t common, uint64_t device_config) {
    auto& config = mmio_at<PciCommonConfig>(common);
    return {
        .status = &config.device_status,
        .config_generation = &config.config_generation,
        .device_features_select = &config.device_feature_select,
        .device_features = &config.device_feature,
        .driver_features_select = &config.driver_feature_select,
        .driver_features = &config.driver_feature,
        .device_config = device_config,
    };
}

// The first capability of each type whose BAR we can use (4.1.4: a driver uses the first one
// it understands).
void read_capabilities(pci::Address a, Region (&regions)[kCapDevice + 1]) {
    for (uint8_t cap = pci::find_capability(a, pci::kCapabilityVendor); cap;
         cap = pci::find_capability(a, pci::kCapabilityVendor, cap)) {
        uint8_t type = pci::read8(a, at(cap, offsetof(VirtioPciCap, cfg_type)));
        if (type < kCapCommon || type > kCapDevice || regions[type].found) continue;
        auto base = pci::memory_bar(a, pci::read8(a, at(cap, offsetof(VirtioPciCap, bar))));
        if (!base) continue;
        Region& r = regions[type];
        r.address = *base + pci::read32(a, at(cap, offsetof(VirtioPciCap, offset)));
        r.length = pci::read32(a, at(cap, offsetof(VirtioPciCap, length)));
        if (type == kCapNotify)
            r.multiplier = pci::read32(a, at(cap, offsetof(VirtioPciCap, notify_off_multiplier)));
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
    } else if (function.device_id >= kFirstTransitional &&
               function.device_id <= kLastTransitional) {
        type = pci::read16(a, pci::kSubsystemId);  // 4.1.2.1: transitional devices say it here
    } else {
        return Error::NotFound;
    }

    Region regions[kCapDevice + 1];
    read_capabilities(a, regions);
    if (!regions[kCapCommon].found || !regions[kCapNotify].found || !regions[kCapIsr].found) {
        LOG_WARN(
            "virtio-pci %02x:%02x.%x: %s device without the modern (virtio 1.x) capabilities; "
            "skipped",
            a.bus, a.device, a.function, device_type_name(type));
        return Error::Unsupported;
    }
    for (uint8_t t = kCapCommon; t <= kCapDevice; ++t) {
        if (!regions[t].found) continue;
        if (auto mapped = arch::mmu::map_mmio(regions[t].address, regions[t].length); !mapped) {
            LOG_WARN("virtio-pci %02x:%02x.%x: cannot map BAR region 0x%llx (%s); skipped", a.bus,
                     a.device, a.function, static_cast<unsigned long long>(regions[t].address),
                     error_name(mapped.error()));
            return Error::Unsupported;
        }
    }
    uint64_t device_config = regions[kCapDevice].found ? regions[kCapDevice].address : 0;
    auto* transport =
        new (std::nothrow) VirtioPci(a, type, regions[kCapCommon].address, device_config);
    if (!transport) return Error::OutOfMemory;
    transport->m_notify_base = regions[kCapNotify].address;
    transport->m_notify_multiplier = regions[kCapNotify].multiplier;
    transport->m_isr = regions[kCapIsr].address;
    uint16_t command = pci::read16(a, pci::kCommand);
    pci::write16(a, pci::kCommand,
                 static_cast<uint16_t>(command | pci::kCommandMemory | pci::kCommandBusMaster));
    return transport;
}

VirtioPci::VirtioPci(pci::Address address, uint32_t device_type, uint64_t common,
                     uint64_t device_config)
    : RegisterTransport(device_type, common_registers(common, device_config)),
      m_address(address),
      m_common(mmio_at<PciCommonConfig>(common)) {
    snprintf(m_name, sizeof m_name, "pci %02x:%02x.%x", address.bus, address.device,
             address.function);
}

uint16_t VirtioPci::queue_max_size(uint16_t index) {
    if (index >= kMaxQueues || index >= m_common.num_queues.read()) return 0;
    m_common.queue_select.write(index);
    if (m_common.queue_enable.read() != 0) return 0;
    return m_common.queue_size.read();
}

// 4.1.5.1.3 Virtqueue Configuration.
Result<void> VirtioPci::enable_queue(uint16_t index, uint16_t size, const QueueAddresses& rings) {
    if (index >= kMaxQueues || index >= m_common.num_queues.read()) return Error::InvalidArgument;
    m_common.queue_select.write(index);
    uint16_t max = m_common.queue_size.read();
    if (size == 0 || size > max) return Error::InvalidArgument;
    m_common.queue_size.write(size);
    if (m_msix) {
        m_common.queue_msix_vector.write(kVector);
        if (m_common.queue_msix_vector.read() != kVector)
            return Error::LimitReached;  // device has no vector for it
    }
    m_common.queue_desc.write(rings.descriptors);
    m_common.queue_driver.write(rings.driver);
    m_common.queue_device.write(rings.device);
    m_notify[index] =
        m_notify_base + uint64_t(m_common.queue_notify_off.read()) * m_notify_multiplier;
    m_common.queue_enable.write(1);
    return {};
}

void VirtioPci::notify(uint16_t index) {
    if (index < kMaxQueues && m_notify[index])
        mmio_at<Mmio<uint16_t>>(m_notify[index]).write(index);
}

Result<void> VirtioPci::attach_interrupt(arch::irq::Handler handler, void* context) {
    if (attach_msix(handler, context)) return {};
    return attach_intx(handler, context);
}

// One MSI-X table entry carries the configuration change and every queue's interrupt.
Result<void> VirtioPci::attach_msix(arch::irq::Handler handler, void* context) {
    uint8_t cap = pci::find_capability(m_address, pci::kCapabilityMsix);
    if (!cap) return Error::NotFound;
    uint16_t control_offset = at(cap, offsetof(MsixCap, message_control));
    uint32_t table = pci::read32(m_address, at(cap, offsetof(MsixCap, table)));
    auto bar = pci::memory_bar(m_address, table & kMsixBirMask);
    if (!bar) return bar.error();
    uint64_t table_address = *bar + (table & ~kMsixBirMask);
    uint16_t control = pci::read16(m_address, control_offset);
    unsigned entries = (control & kMsixTableSizeMask) + 1u;
    TRY_VOID(arch::mmu::map_mmio(table_address, entries * sizeof(MsixTableEntry)));
    auto route = arch::irq::allocate_msi(handler, context);
    if (!route) return route.error();

    auto& entry = mmio_at<MsixTableEntry>(table_address + kVector * sizeof(MsixTableEntry));
    entry.vector_control.write(kMsixVectorMasked);
    entry.address.write(route->address);
    entry.data.write(route->data);
    entry.vector_control.write(0);
    pci::write16(m_address, control_offset,
                 static_cast<uint16_t>((control | kMsixEnable) & ~kMsixFunctionMask));
    m_common.config_msix_vector.write(kVector);
    if (m_common.config_msix_vector.read() != kVector) {
        // The device could not bind the vector (4.1.5.1.2.1): back to INTx.
        pci::write16(m_address, control_offset, static_cast<uint16_t>(control & ~kMsixEnable));
        arch::irq::free_msi(*route);
        return Error::Unsupported;
    }
    pci::write16(m_address, pci::kCommand,
                 static_cast<uint16_t>(pci::read16(m_address, pci::kCommand) |
                                       pci::kCommandInterruptDisable));
    m_msix = true;
    snprintf(m_name, sizeof m_name, "pci %02x:%02x.%x msi-x vector 0x%x", m_address.bus,
             m_address.device, m_address.function, route->vector);
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
                 static_cast<uint16_t>(pci::read16(m_address, pci::kCommand) &
                                       ~pci::kCommandInterruptDisable));
    snprintf(m_name, sizeof m_name, "pci %02x:%02x.%x intx irq %u", m_address.bus, m_address.device,
             m_address.function, line);
    return {};
}

// With MSI-X the vector says it all; with INTx reading the ISR both reports and deasserts
// (4.1.4.5).
uint32_t VirtioPci::acknowledge_interrupt() {
    if (m_msix) return kInterruptUsedBuffer;
    return mmio_at<Mmio<uint8_t>>(m_isr).read();
}

}  // namespace coronet::virtio
