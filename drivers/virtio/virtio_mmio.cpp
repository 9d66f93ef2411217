// virtio-mmio transport, register layout Version 2 (virtio 1.2, 4.2.2). Little-endian registers,
// all 32 bits wide; the device-specific configuration space follows at 0x100.
#include "drivers/virtio/virtio_mmio.hpp"

#include <cstddef>
#include <cstdio>
#include <new>

#include "arch/mmio.hpp"
#include "arch/mmu.hpp"
#include "kernel/log.hpp"

namespace coronet::virtio {

// 4.2.2 MMIO Device Register Layout.
struct MmioRegisters {
    Mmio<uint32_t> magic;                // 0x000 MagicValue: 0x74726976 ("virt")
    Mmio<uint32_t> version;              // 0x004 Version: 2 (1 is the legacy interface)
    Mmio<uint32_t> device_id;            // 0x008 DeviceID: 0 means an empty slot
    Mmio<uint32_t> vendor_id;            // 0x00c VendorID
    Mmio<uint32_t> device_features;      // 0x010 DeviceFeatures: bits [32*sel, 32*sel+31]
    Mmio<uint32_t> device_features_sel;  // 0x014 DeviceFeaturesSel
    uint32_t reserved0[2];
    Mmio<uint32_t> driver_features;      // 0x020 DriverFeatures
    Mmio<uint32_t> driver_features_sel;  // 0x024 DriverFeaturesSel
    uint32_t reserved1[2];
    Mmio<uint32_t> queue_sel;      // 0x030 QueueSel
    Mmio<uint32_t> queue_num_max;  // 0x034 QueueNumMax: 0 if the queue is not available
    Mmio<uint32_t> queue_num;      // 0x038 QueueNum
    uint32_t reserved2[2];
    Mmio<uint32_t> queue_ready;  // 0x044 QueueReady
    uint32_t reserved3[2];
    Mmio<uint32_t> queue_notify;  // 0x050 QueueNotify: the queue index
    uint32_t reserved4[3];
    Mmio<uint32_t> interrupt_status;  // 0x060 InterruptStatus
    Mmio<uint32_t> interrupt_ack;     // 0x064 InterruptACK
    uint32_t reserved5[2];
    Mmio<uint32_t> status;  // 0x070 Status
    uint32_t reserved6[3];
    SplitRegister queue_desc;  // 0x080 QueueDescLow, QueueDescHigh
    uint32_t reserved7[2];
    SplitRegister queue_driver;  // 0x090 QueueDriverLow, High (available ring)
    uint32_t reserved8[2];
    SplitRegister queue_device;        // 0x0a0 QueueDeviceLow, High (used ring)
    uint32_t reserved9[21];            // 0x0a8 shared memory regions, queue reset: unused
    Mmio<uint32_t> config_generation;  // 0x0fc ConfigGeneration
};
static_assert(offsetof(MmioRegisters, version) == 0x004);
static_assert(offsetof(MmioRegisters, device_features_sel) == 0x014);
static_assert(offsetof(MmioRegisters, driver_features) == 0x020);
static_assert(offsetof(MmioRegisters, queue_sel) == 0x030);
static_assert(offsetof(MmioRegisters, queue_num) == 0x038);
static_assert(offsetof(MmioRegisters, queue_ready) == 0x044);
static_assert(offsetof(MmioRegisters, queue_notify) == 0x050);
static_assert(offsetof(MmioRegisters, interrupt_status) == 0x060);
static_assert(offsetof(MmioRegisters, interrupt_ack) == 0x064);
static_assert(offsetof(MmioRegisters, status) == 0x070);
static_assert(offsetof(MmioRegisters, queue_desc) == 0x080);
static_assert(offsetof(MmioRegisters, queue_driver) == 0x090);
static_assert(offsetof(MmioRegisters, queue_device) == 0x0a0);
static_assert(offsetof(MmioRegisters, config_generation) == 0x0fc);
static_assert(sizeof(MmioRegisters) == 0x100);

namespace {

constexpr uint32_t kMagic = 0x74726976;
constexpr uint32_t kVersionLegacy = 1;
constexpr uint32_t kVersionModern = 2;
constexpr uint64_t kConfigOffset = 0x100;
constexpr int kAckRounds = 8;

CommonRegisters<uint32_t> common_registers(uint64_t base) {
    auto& regs = mmio_at<MmioRegisters>(base);
    return {
        .status = &regs.status,
        .config_generation = &regs.config_generation,
        .device_features_select = &regs.device_features_sel,
        .device_features = &regs.device_features,
        .driver_features_select = &regs.driver_features_sel,
        .driver_features = &regs.driver_features,
        .device_config = base + kConfigOffset,
    };
}

}  // namespace

Result<VirtioMmio*> VirtioMmio::probe(uint64_t base, uint64_t size, uint32_t irq) {
    if (size < sizeof(MmioRegisters)) {
        LOG_WARN("virtio-mmio@0x%llx: window of %llu bytes is too small; skipped",
                 static_cast<unsigned long long>(base), static_cast<unsigned long long>(size));
        return Error::InvalidArgument;
    }
    if (auto mapped = arch::mmu::map_mmio(base, size); !mapped) {
        LOG_WARN("virtio-mmio@0x%llx: cannot map its registers (%s); skipped",
                 static_cast<unsigned long long>(base), error_name(mapped.error()));
        return mapped.error();
    }
    auto& regs = mmio_at<MmioRegisters>(base);
    uint32_t magic = regs.magic.read();
    if (magic != kMagic) {
        LOG_WARN("virtio-mmio@0x%llx: no virtio magic (read 0x%08x); skipped",
                 static_cast<unsigned long long>(base), magic);
        return Error::NotFound;
    }
    uint32_t device_id = regs.device_id.read();
    if (device_id == 0) return Error::NotFound;  // an empty slot: normal on QEMU's boards
    uint32_t version = regs.version.read();
    if (version == kVersionLegacy) {
        LOG_WARN(
            "virtio-mmio@0x%llx: %s device with the legacy (version 1) interface is not supported; "
            "skipped "
            "(QEMU: -global virtio-mmio.force-legacy=false)",
            static_cast<unsigned long long>(base), device_type_name(device_id));
        return Error::Unsupported;
    }
    if (version != kVersionModern) {
        LOG_WARN("virtio-mmio@0x%llx: unknown interface version %u; skipped",
                 static_cast<unsigned long long>(base), version);
        return Error::Unsupported;
    }
    auto* transport = new (std::nothrow) VirtioMmio(base, irq, device_id);
    if (!transport) return Error::OutOfMemory;
    return transport;
}

VirtioMmio::VirtioMmio(uint64_t base, uint32_t irq, uint32_t device_type)
    : RegisterTransport(device_type, common_registers(base)),
      m_regs(mmio_at<MmioRegisters>(base)),
      m_irq(irq) {
    snprintf(m_name, sizeof m_name, "mmio@0x%llx irq %u", static_cast<unsigned long long>(base),
             irq);
}

uint16_t VirtioMmio::queue_max_size(uint16_t index) {
    m_regs.queue_sel.write(index);
    if (m_regs.queue_ready.read() != 0) return 0;  // already in use: not ours to set up
    uint32_t max = m_regs.queue_num_max.read();
    return static_cast<uint16_t>(max > 0x8000 ? 0x8000 : max);
}

// 4.2.3.2 Virtqueue Configuration.
Result<void> VirtioMmio::enable_queue(uint16_t index, uint16_t size, const QueueAddresses& rings) {
    m_regs.queue_sel.write(index);
    if (m_regs.queue_ready.read() != 0) return Error::Busy;
    uint32_t max = m_regs.queue_num_max.read();
    if (size == 0 || size > max) return Error::InvalidArgument;
    m_regs.queue_num.write(size);
    m_regs.queue_desc.write(rings.descriptors);
    m_regs.queue_driver.write(rings.driver);
    m_regs.queue_device.write(rings.device);
    m_regs.queue_ready.write(1);
    return {};
}

void VirtioMmio::notify(uint16_t index) { m_regs.queue_notify.write(index); }

Result<void> VirtioMmio::attach_interrupt(arch::irq::Handler handler, void* context) {
    if (m_irq == 0) return Error::NotFound;
    return arch::irq::attach(m_irq, handler, context);
}

// The line follows InterruptStatus != 0. It is routed edge-triggered on x86-64 (the command line
// does not say otherwise), so every bit read is acknowledged, again until none is left: a bit
// left set would hold the line high and no later event could make a new edge.
uint32_t VirtioMmio::acknowledge_interrupt() {
    uint32_t seen = 0;
    for (int round = 0; round < kAckRounds; ++round) {
        uint32_t bits = m_regs.interrupt_status.read();
        if (bits == 0) break;
        m_regs.interrupt_ack.write(bits);
        seen |= bits;
    }
    return seen;
}

}  // namespace coronet::virtio
