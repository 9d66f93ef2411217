// Local APIC (xAPIC MMIO mode, SDM vol. 3 ch. 11): EOI, spurious vector, one-shot timer.
#pragma once

#include <cstdint>

namespace coronet::arch::x86_64::lapic {

inline constexpr uint64_t kDefaultBase = 0xFEE00000;

void init();  // enables the APIC with the spurious vector, masks LINT0/1 and the timer
uint32_t id();
void eoi();

void timer_set_vector(unsigned vector);
void timer_start(uint32_t count);  // one-shot, divide-by-1
void timer_stop();
uint32_t timer_current();

}  // namespace coronet::arch::x86_64::lapic
