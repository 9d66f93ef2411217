// ARM PrimeCell PL011 UART (QEMU virt, most Arm dev boards).
#pragma once

#include <cstdint>

#include "kernel/console/uart.hpp"

namespace coronet {

class Pl011 final : public Uart {
public:
    constexpr explicit Pl011(uint64_t base) : m_base(base) {}
    void init();
    void put(char c) override;
    int try_get() override;

private:
    uint64_t m_base;
};

}  // namespace coronet
