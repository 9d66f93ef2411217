// x86-64 interrupt plumbing shared by the trap path, the IOAPIC and the timer.
#pragma once

#include <cstdint>

namespace coronet::arch::x86_64 {

// Runs the handler registered for an external vector and acknowledges the LAPIC.
void dispatch_interrupt(unsigned vector);

// Low-level hook for vectors owned by the arch itself (the LAPIC timer).
using VectorHandler = void (*)();
void set_vector_handler(unsigned vector, VectorHandler handler);

}  // namespace coronet::arch::x86_64
