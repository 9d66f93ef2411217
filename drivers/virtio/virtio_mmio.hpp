// virtio over MMIO (virtio 1.2, 4.2): a register block per device, one interrupt line. Only the
// modern register layout (Version 2) is driven; legacy (Version 1) devices are refused.
#pragma once

#include <cstdint>

#include "drivers/virtio/transport.hpp"

namespace coronet::virtio {

struct MmioRegisters;

class VirtioMmio final : public Transport {
public:
    // Maps and checks the register block at `base`. Error::NotFound for an empty slot (device
    // ID 0), Error::Unsupported for a legacy or unknown transport (logged).
    static Result<VirtioMmio*> probe(uint64_t base, uint64_t size, uint32_t irq);

    const char* name() const override { return m_name; }
    uint32_t device_type() const override { return m_device_type; }
    uint64_t base() const { return m_base; }
    uint32_t irq() const { return m_irq; }

    void reset() override;
    uint8_t status() override;
    void set_status(uint8_t status) override;
    uint64_t device_features() override;
    void set_driver_features(uint64_t features) override;
    uint16_t queue_max_size(uint16_t index) override;
    Result<void> enable_queue(uint16_t index, uint16_t size, const QueueAddresses& rings) override;
    void notify(uint16_t index) override;
    uint32_t config_generation() override;
    uint8_t config_read8(uint32_t offset) override;
    uint16_t config_read16(uint32_t offset) override;
    uint32_t config_read32(uint32_t offset) override;
    Result<void> attach_interrupt(arch::irq::Handler handler, void* context) override;
    uint32_t acknowledge_interrupt() override;

private:
    VirtioMmio(uint64_t base, uint32_t irq, uint32_t device_type);
    ~VirtioMmio() = default;

    MmioRegisters& m_regs;
    uint64_t m_base;
    uint32_t m_irq;
    uint32_t m_device_type;
    char m_name[48];
};

}  // namespace coronet::virtio
