// The kernel console: picolibc's stdout/stderr write here, the UART chosen at boot.
#pragma once

#include "arch/boot_info.hpp"

namespace coronet::console {

// Selects and initialises the UART the boot info names. Safe to call before constructors run.
void init(const ConsoleInfo& info);
void write(const char* data, unsigned long length);
void put(char c);
int try_get();

}  // namespace coronet::console
