// The machine's real-time clock (battery-backed calendar time), read once at boot to give the
// kernel a wall clock: the PC's CMOS RTC on x86-64 (arch/x86_64/cmos_rtc.cpp), the PL031 from
// the device tree on AArch64 (arch/aarch64/pl031.cpp).
#pragma once

#include <cstdint>

#include "lib/result.hpp"

namespace coronet::arch::rtc {

// What the clock is ("cmos", "pl031"), for log lines.
const char* device_name();

// The current UTC time in whole Unix seconds. Needs the final page tables (arch::mmu::init).
// Errors: NotFound (this machine has no such RTC), Timeout (it never held still long enough to
// be read), Malformed (its registers do not hold a valid date).
Result<uint64_t> read_unix_seconds();

}  // namespace coronet::arch::rtc
