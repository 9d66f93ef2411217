// CPU operations every arch implements (arch/<arch>/cpu.cpp). kernel/ and net/ include this,
// never an #if on the arch.
#pragma once

#include <cstddef>
#include <cstdint>

#include "arch/boot_info.hpp"

namespace coronet::arch {

const char* name();                        // "x86_64", "aarch64"
void describe_cpu(char* buf, size_t len);  // model/brand string for the banner

// Bring-up after the console works: exceptions, the final page tables (W^X), interrupt
// controller. Called once by kernel_main in this order.
void init_exceptions();
void init_interrupt_controller(const BootInfo& info);

void interrupts_enable();
void interrupts_disable();
bool interrupts_enabled();

// Called with interrupts disabled: enables them and halts until an interrupt, without a window
// in which a wakeup could be lost; returns with interrupts disabled again.
void wait_for_interrupt();

[[noreturn]] void halt_forever();

// Ends the machine with an exit status where the board can report one (QEMU's isa-debug-exit,
// semihosting, PSCI); otherwise halts.
[[noreturn]] void exit(int code);

// 64 random bits from the CPU's generator (RDRAND/RNDR); false when it has none.
bool hardware_random(uint64_t& out);

uintptr_t frame_pointer();

// Disables interrupts for a scope and restores the previous state.
class InterruptGuard {
public:
    InterruptGuard() : m_was_enabled(interrupts_enabled()) { interrupts_disable(); }
    ~InterruptGuard() {
        if (m_was_enabled) interrupts_enable();
    }
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

private:
    bool m_was_enabled;
};

}  // namespace coronet::arch
