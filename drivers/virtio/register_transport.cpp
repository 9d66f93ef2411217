// Status, feature bits and reset through the registers every virtio bus has (see
// register_transport.hpp).
#include "drivers/virtio/register_transport.hpp"

namespace coronet::virtio {
namespace {

constexpr int kResetPolls = 1000000;

}  // namespace

// 2.4 (and 4.1.4.3.2 for PCI): the reset has taken effect once the status reads back 0.
template <typename Control>
void RegisterTransport<Control>::reset() {
    m_registers.status->write(0);
    for (int i = 0; i < kResetPolls && m_registers.status->read() != 0; ++i) {}
}

template <typename Control>
uint64_t RegisterTransport<Control>::device_features() {
    m_registers.device_features_select->write(0);
    uint64_t features = m_registers.device_features->read();
    m_registers.device_features_select->write(1);
    return features | uint64_t(m_registers.device_features->read()) << 32;
}

template <typename Control>
void RegisterTransport<Control>::set_driver_features(uint64_t features) {
    m_registers.driver_features_select->write(0);
    m_registers.driver_features->write(static_cast<uint32_t>(features));
    m_registers.driver_features_select->write(1);
    m_registers.driver_features->write(static_cast<uint32_t>(features >> 32));
}

template class RegisterTransport<uint8_t>;   // PCI
template class RegisterTransport<uint32_t>;  // MMIO

}  // namespace coronet::virtio
