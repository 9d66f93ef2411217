// Time since the first instruction, from the counter value the entry code recorded.
#pragma once

#include <cstdint>

namespace coronet {

void set_boot_ticks(uint64_t ticks);
// 0 until the clock is calibrated.
uint64_t uptime_ns();

}  // namespace coronet
