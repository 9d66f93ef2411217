// Uptime from the boot counter value; valid once arch::clock::init() has calibrated.
#include "kernel/uptime.hpp"

#include "arch/clock.hpp"

namespace coronet {
namespace {
uint64_t g_boot_ticks = 0;
}

void set_boot_ticks(uint64_t ticks) { g_boot_ticks = ticks; }

uint64_t uptime_ns() {
    if (arch::clock::frequency_hz() == 0) return 0;
    return arch::clock::ticks_to_ns(arch::clock::ticks() - g_boot_ticks);
}

}  // namespace coronet
