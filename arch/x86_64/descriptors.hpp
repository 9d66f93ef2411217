// x86-64 descriptor formats (SDM vol. 3, 3.4.5, 6.14.1, 7.2.3): GDT with a TSS, IDT gates.
#pragma once

#include <cstdint>

namespace coronet::arch::x86_64 {

struct [[gnu::packed]] DescriptorPointer {
    uint16_t limit;
    uint64_t base;
};

// 64-bit TSS: only the interrupt stack table matters to us.
struct [[gnu::packed]] TaskStateSegment {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
static_assert(sizeof(TaskStateSegment) == 104);

struct [[gnu::packed]] IdtGate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attributes;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(IdtGate) == 16);

inline constexpr uint8_t kInterruptGate = 0x8E;  // present, DPL0, 64-bit interrupt gate
inline constexpr uint8_t kTssAvailable = 0x89;   // present, 64-bit TSS (available)

// Interrupt stack table slots, numbered from 1 as the gate's IST field wants them (0 there means
// "stay on the current stack").
enum IstSlot : uint8_t {
    kIstDoubleFault = 1,
    kIstPageFault,
    kIstNmi,
    kIstMachineCheck,
    // Device and timer interrupts: never on the interrupted (possibly coroutine) stack, so a
    // handler cannot overflow a nearly full coroutine stack after the interrupt was taken. They
    // do not nest (interrupt gates mask IF), so one stack serves them all.
    kIstInterrupt,
};
inline constexpr unsigned kIstCount = kIstInterrupt;
inline constexpr unsigned kIstStackSize = 16 * 1024;

// Vector plan.
inline constexpr unsigned kVectorPageFault = 14;
inline constexpr unsigned kVectorDoubleFault = 8;
inline constexpr unsigned kVectorNmi = 2;
inline constexpr unsigned kVectorMachineCheck = 18;
inline constexpr unsigned kFirstExternalVector = 32;
inline constexpr unsigned kLegacyPicBase = 0x20;     // the masked 8259s, moved off the exceptions
inline constexpr unsigned kIoApicVectorBase = 0x30;  // GSI n -> 0x30 + n
inline constexpr unsigned kMsiVectorBase = 0x80;     // MSI/MSI-X vectors: 0x80 up to the timer's
inline constexpr unsigned kTimerVector = 0xF0;
inline constexpr unsigned kSpuriousVector = 0xFF;

}  // namespace coronet::arch::x86_64
