// virtio over MMIO (virtio 1.2, 4.2): a register block per device, one interrupt line. Only the
// modern register layout (Version 2) is driven; legacy (Version 1) devices are refused.
#pragma once

#include <cstdint>

#include "drivers/virtio/register_transport.hpp"

namespace coronet::virtio {

struct MmioRegisters;

// Every register is 32 bits wide, the status and generation registers too.
class VirtioMmio final : public RegisterTransport<uint32_t> {
public:
    // Maps and checks the register block at `base`. Error::NotFound for an empty slot (device
    // ID 0), Error::Unsupported for a legacy or unknown transport (logged).
    static Result<VirtioMmio*> probe(uint64_t base, uint64_t size, uint32_t irq);

    uint16_t queue_max_size(uint16_t index) override;
    Result<void> enable_queue(uint16_t index, uint16_t size, const QueueAddresses& rings) override;
    void notify(uint16_t index) override;
    Result<void> attach_interrupt(arch::irq::Handler handler, void* context) override;
    uint32_t acknowledge_interrupt() override;

private:
    VirtioMmio(uint64_t base, uint32_t irq, uint32_t device_type);
    ~VirtioMmio() = default;

    MmioRegisters& m_regs;
    uint32_t m_irq;
};

}  // namespace coronet::virtio
