// The half of a virtio transport that is the same on every bus once it knows where the registers
// are: PCI's common configuration (virtio 1.2, 4.1.4.3) and MMIO's register block (4.2.2) hold
// the same device status, feature select/window pairs and configuration generation, and both
// map the device-specific configuration space. A bus derives from RegisterTransport, says where
// its registers are, and implements the queue and interrupt half of Transport.
#pragma once

#include <cstdint>

#include "arch/mmio.hpp"
#include "drivers/virtio/transport.hpp"

namespace coronet::virtio {

// A 64-bit value the device takes as two 32-bit registers, low half first; every device must
// accept it so (4.1.3.1, 4.2.2).
struct SplitRegister {
    Mmio<uint32_t> low;
    Mmio<uint32_t> high;

    void write(uint64_t value) {
        low.write(static_cast<uint32_t>(value));
        high.write(static_cast<uint32_t>(value >> 32));
    }
};
static_assert(sizeof(SplitRegister) == 8);

// Where a bus keeps the registers every transport has. `Control` is the width of the status and
// generation registers: 8 bits on PCI, 32 on MMIO, each accessed with its own width. Feature
// bits [32 * n, 32 * n + 31] appear in a window once n is written to its select register.
template <typename Control>
struct CommonRegisters {
    Mmio<Control>* status;
    Mmio<Control>* config_generation;
    Mmio<uint32_t>* device_features_select;
    Mmio<uint32_t>* device_features;
    Mmio<uint32_t>* driver_features_select;
    Mmio<uint32_t>* driver_features;
    uint64_t device_config;  // address of the device-specific configuration; 0: none
};

template <typename Control>
class RegisterTransport : public Transport {
public:
    const char* name() const final { return m_name; }
    uint32_t device_type() const final { return m_device_type; }

    void reset() final;
    uint8_t status() final { return static_cast<uint8_t>(m_registers.status->read()); }
    void set_status(uint8_t status) final { m_registers.status->write(status); }
    uint64_t device_features() final;
    void set_driver_features(uint64_t features) final;

    uint32_t config_generation() final { return m_registers.config_generation->read(); }
    uint8_t config_read8(uint32_t offset) final { return config_read<uint8_t>(offset); }
    uint16_t config_read16(uint32_t offset) final { return config_read<uint16_t>(offset); }
    uint32_t config_read32(uint32_t offset) final { return config_read<uint32_t>(offset); }

protected:
    RegisterTransport(uint32_t device_type, const CommonRegisters<Control>& registers)
        : m_device_type(device_type), m_registers(registers) {}
    ~RegisterTransport() = default;

    char m_name[48] = {};  // the bus writes it, and may rewrite it once the interrupt is known

private:
    template <typename T>
    T config_read(uint32_t offset) {
        if (m_registers.device_config == 0) return 0;
        return mmio_at<Mmio<T>>(m_registers.device_config + offset).read();
    }

    uint32_t m_device_type;
    CommonRegisters<Control> m_registers;
};

extern template class RegisterTransport<uint8_t>;
extern template class RegisterTransport<uint32_t>;

}  // namespace coronet::virtio
