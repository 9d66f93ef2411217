// NS16550A-compatible UART (PC COM ports, Firecracker's serial). Reached through x86 I/O ports
// or MMIO with a register stride.
#pragma once

#include <cstdint>

#include "kernel/console/uart.hpp"

namespace coronet {

class Ns16550 final : public Uart {
public:
    enum class Access : uint8_t { Port, Mmio };
    constexpr Ns16550(Access access, uint64_t base, uint32_t stride = 1)
        : m_access(access), m_base(base), m_stride(stride) {}

    void init();
    void put(char c) override;
    int try_get() override;

private:
    // Register indexes (PC16550D datasheet, table "Register summary").
    enum Reg : uint8_t {
        Data = 0,
        InterruptEnable = 1,
        FifoControl = 2,
        LineControl = 3,
        ModemControl = 4,
        LineStatus = 5
    };
    static constexpr uint8_t kLineStatusDataReady = 1 << 0;
    static constexpr uint8_t kLineStatusTxEmpty = 1 << 5;
    static constexpr uint8_t kLineControlDlab = 1 << 7;
    static constexpr uint8_t kLineControl8N1 = 0x03;
    static constexpr uint8_t kFifoEnableClear = 0x07;
    static constexpr uint8_t kModemDtrRtsOut2 = 0x0B;
    static constexpr uint16_t kDivisor115200 = 1;

    uint8_t read(Reg reg);
    void write(Reg reg, uint8_t value);

    Access m_access;
    uint64_t m_base;
    uint32_t m_stride;
};

}  // namespace coronet
