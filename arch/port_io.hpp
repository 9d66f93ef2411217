// I/O port access (x86-64 `in`/`out`). Other arches have no port space: there these calls are
// a board configuration error and panic.
#pragma once

#include <cstdint>

namespace coronet::arch {

uint8_t port_in8(uint16_t port);
void port_out8(uint16_t port, uint8_t value);
uint16_t port_in16(uint16_t port);
void port_out16(uint16_t port, uint16_t value);
uint32_t port_in32(uint16_t port);
void port_out32(uint16_t port, uint32_t value);

}  // namespace coronet::arch
