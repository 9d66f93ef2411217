// NS16550A driver: 115200 8N1, FIFOs on, polled transmit.
#include "kernel/console/ns16550.hpp"

#include "arch/mmio.hpp"
#include "arch/port_io.hpp"

namespace coronet {

uint8_t Ns16550::read(Reg reg) {
    if (m_access == Access::Port) return arch::port_in8(static_cast<uint16_t>(m_base + reg));
    return mmio_at<Mmio<uint8_t>>(m_base + reg * m_stride).read();
}

void Ns16550::write(Reg reg, uint8_t value) {
    if (m_access == Access::Port) {
        arch::port_out8(static_cast<uint16_t>(m_base + reg), value);
        return;
    }
    mmio_at<Mmio<uint8_t>>(m_base + reg * m_stride).write(value);
}

void Ns16550::init() {
    write(InterruptEnable, 0);
    write(LineControl, kLineControlDlab);
    write(Data, kDivisor115200 & 0xff);
    write(InterruptEnable, kDivisor115200 >> 8);
    write(LineControl, kLineControl8N1);
    write(FifoControl, kFifoEnableClear);
    write(ModemControl, kModemDtrRtsOut2);
}

void Ns16550::put(char c) {
    while (!(read(LineStatus) & kLineStatusTxEmpty)) {}
    write(Data, static_cast<uint8_t>(c));
}

int Ns16550::try_get() {
    if (!(read(LineStatus) & kLineStatusDataReady)) return -1;
    return read(Data);
}

}  // namespace coronet
