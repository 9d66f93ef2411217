// Local APIC register access. Register offsets: SDM vol. 3, table 11-1.
#include "arch/x86_64/lapic.hpp"

#include <cstddef>

#include "arch/mmio.hpp"
#include "arch/mmu.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/port_io.hpp"

namespace coronet::arch::x86_64::lapic {
namespace {

// Each register sits in its own 16-byte slot.
struct Reg {
    Mmio<uint32_t> value;
    uint32_t pad[3];
};
struct LapicRegs {
    Reg reserved0[2];
    Reg id;       // 0x020
    Reg version;  // 0x030
    Reg reserved1[4];
    Reg task_priority;  // 0x080
    Reg reserved2[2];
    Reg eoi;  // 0x0B0
    Reg reserved3[3];
    Reg spurious;  // 0x0F0
    Reg reserved4[34];
    Reg lvt_timer;      // 0x320
    Reg lvt_thermal;    // 0x330
    Reg lvt_perf;       // 0x340
    Reg lvt_lint0;      // 0x350
    Reg lvt_lint1;      // 0x360
    Reg lvt_error;      // 0x370
    Reg timer_initial;  // 0x380
    Reg timer_current;  // 0x390
    Reg reserved5[4];
    Reg timer_divide;  // 0x3E0
};
static_assert(offsetof(LapicRegs, id) == 0x20);
static_assert(offsetof(LapicRegs, eoi) == 0xB0);
static_assert(offsetof(LapicRegs, spurious) == 0xF0);
static_assert(offsetof(LapicRegs, lvt_timer) == 0x320);
static_assert(offsetof(LapicRegs, lvt_lint0) == 0x350);
static_assert(offsetof(LapicRegs, timer_initial) == 0x380);
static_assert(offsetof(LapicRegs, timer_divide) == 0x3E0);

constexpr uint32_t kMsrApicBase = 0x1B;
constexpr uint64_t kApicBaseEnable = 1 << 11;
constexpr uint32_t kSpuriousEnable = 1 << 8;
constexpr uint32_t kLvtMasked = 1 << 16;
constexpr uint32_t kDivideBy1 = 0xB;

uint64_t g_base = kDefaultBase;
uint32_t g_timer_vector = 0;

LapicRegs& regs() { return mmio_at<LapicRegs>(g_base); }

}  // namespace

void init() {
    uint64_t msr = rdmsr(kMsrApicBase);
    g_base = msr & ~0xFFFULL & 0x000FFFFFFFFFF000ULL;
    wrmsr(kMsrApicBase, msr | kApicBaseEnable);
    (void)mmu::map_mmio(g_base, kPageSize);  // the register page
    regs().task_priority.value.write(0);
    regs().lvt_lint0.value.write(kLvtMasked);
    regs().lvt_lint1.value.write(kLvtMasked);
    regs().lvt_timer.value.write(kLvtMasked);
    regs().spurious.value.write(kSpuriousEnable | kSpuriousVector);
}

uint32_t id() { return regs().id.value.read() >> 24; }
void eoi() { regs().eoi.value.write(0); }

void timer_set_vector(unsigned vector) {
    g_timer_vector = vector;
    regs().timer_divide.value.write(kDivideBy1);
    regs().lvt_timer.value.write(kLvtMasked | vector);
}

void timer_start(uint32_t count) {
    regs().lvt_timer.value.write(g_timer_vector);  // one-shot, unmasked
    regs().timer_initial.value.write(count);
}

void timer_stop() {
    regs().lvt_timer.value.write(kLvtMasked | g_timer_vector);
    regs().timer_initial.value.write(0);
}

uint32_t timer_current() { return regs().timer_current.value.read(); }

}  // namespace coronet::arch::x86_64::lapic
