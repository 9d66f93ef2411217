// virtio over PCI, modern interface (virtio 1.2, 4.1): vendor 0x1AF4, device 0x1040 + type
// (or a transitional 0x1000-0x103F, driven through its modern capabilities only). Common,
// notify, ISR and device configuration structures are found through vendor capabilities and
// mapped from their BARs. Interrupts: one MSI-X vector for config and every queue, else INTx.
#pragma once

#include <cstdint>

#include "drivers/pci/pci_bus.hpp"
#include "drivers/virtio/transport.hpp"

namespace coronet::virtio {

struct PciCommonConfig;

class VirtioPci final : public Transport {
public:
    // Error::NotFound if the function is not a virtio device; Error::Unsupported (logged) if it
    // is one this transport cannot drive (legacy-only, capabilities missing or unmappable).
    static Result<VirtioPci*> probe(const pci::Function& function);

    const char* name() const override { return m_name; }
    uint32_t device_type() const override { return m_device_type; }

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
    static constexpr uint16_t kMaxQueues = 16;

    VirtioPci() = default;
    ~VirtioPci() = default;
    Result<void> attach_msix(arch::irq::Handler handler, void* context);
    Result<void> attach_intx(arch::irq::Handler handler, void* context);

    pci::Address m_address{};
    uint32_t m_device_type = 0;
    PciCommonConfig* m_common = nullptr;
    uint64_t m_notify_base = 0;
    uint32_t m_notify_multiplier = 0;
    uint64_t m_isr = 0;
    uint64_t m_device_config = 0;
    uint64_t m_notify[kMaxQueues] = {};
    bool m_msix = false;
    char m_name[48] = {};
};

}  // namespace coronet::virtio
