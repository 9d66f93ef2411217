// virtio over PCI, modern interface (virtio 1.2, 4.1): vendor 0x1AF4, device 0x1040 + type
// (or a transitional 0x1000-0x103F, driven through its modern capabilities only). Common,
// notify, ISR and device configuration structures are found through vendor capabilities and
// mapped from their BARs. Interrupts: one MSI-X vector for config and every queue, else INTx.
#pragma once

#include <cstdint>

#include "drivers/pci/pci_bus.hpp"
#include "drivers/virtio/register_transport.hpp"

namespace coronet::virtio {

struct PciCommonConfig;

// The status and generation registers are bytes of the common configuration.
class VirtioPci final : public RegisterTransport<uint8_t> {
public:
    // Error::NotFound if the function is not a virtio device; Error::Unsupported (logged) if it
    // is one this transport cannot drive (legacy-only, capabilities missing or unmappable).
    static Result<VirtioPci*> probe(const pci::Function& function);

    uint16_t queue_max_size(uint16_t index) override;
    Result<void> enable_queue(uint16_t index, uint16_t size, const QueueAddresses& rings) override;
    void notify(uint16_t index) override;
    Result<void> attach_interrupt(arch::irq::Handler handler, void* context) override;
    uint32_t acknowledge_interrupt() override;

private:
    static constexpr uint16_t kMaxQueues = 16;

    VirtioPci(pci::Address address, uint32_t device_type, uint64_t common, uint64_t device_config);
    ~VirtioPci() = default;
    Result<void> attach_msix(arch::irq::Handler handler, void* context);
    Result<void> attach_intx(arch::irq::Handler handler, void* context);

    pci::Address m_address;
    PciCommonConfig& m_common;
    uint64_t m_notify_base = 0;
    uint32_t m_notify_multiplier = 0;
    uint64_t m_isr = 0;
    uint64_t m_notify[kMaxQueues] = {};
    bool m_msix = false;
};

}  // namespace coronet::virtio
