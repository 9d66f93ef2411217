// Arm semihosting (the A64 HLT #0xF000 trap) for what needs no device: the exit status that
// QEMU's -semihosting turns into its own, and text before the console exists. Without a
// semihosting host every call is a no-op that returns ~0 (aarch64_trap skips the HLT).
#pragma once

#include <cstdint>

extern "C" uint64_t aarch64_semihost_call(uint64_t operation, uint64_t parameter);
extern "C" char aarch64_semihost_trap[];  // address of the HLT, for the trap handler

namespace coronet::arch::aarch64 {

// Operation numbers (semihosting spec 2.0, section 6).
inline constexpr uint64_t kSemihostWrite0 = 0x04;
inline constexpr uint64_t kSemihostExit = 0x18;
// SYS_EXIT's reason for a normal end with a status (ADP_Stopped_ApplicationExit).
inline constexpr uint64_t kAdpStoppedApplicationExit = 0x20026;

inline void semihost_write(const char* text) {
    aarch64_semihost_call(kSemihostWrite0, reinterpret_cast<uint64_t>(text));
}

// Returns only when there is no semihosting host. On A64 SYS_EXIT takes {reason, status}; QEMU
// exits with the status (its low 8 bits reach the shell).
inline void semihost_exit(int status) {
    uint64_t block[2] = {kAdpStoppedApplicationExit,
                         static_cast<uint64_t>(static_cast<int64_t>(status))};
    aarch64_semihost_call(kSemihostExit, reinterpret_cast<uint64_t>(block));
}

}  // namespace coronet::arch::aarch64
