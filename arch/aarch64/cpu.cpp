// AArch64 CPU operations: DAIF interrupt masking, WFI idling, exit through semihosting or PSCI,
// RNDR, and the MIDR_EL1 decode for the banner. (frame_pointer() is in cpu_ops.S.)
#include "arch/cpu.hpp"

#include <cstdio>

#include "arch/aarch64/psci.hpp"
#include "arch/aarch64/semihosting.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/port_io.hpp"

namespace coronet::arch {
namespace {

using aarch64::bits;

constexpr uint64_t kDaifIrq = 1 << 7;  // DAIF.I as read with MRS

struct PartName {
    uint16_t part;
    const char* name;
};

// MIDR_EL1.PartNum values of Arm Ltd (implementer 0x41) cores likely to run us.
constexpr PartName kArmParts[] = {
    {0xd03, "Cortex-A53"},  {0xd04, "Cortex-A35"},  {0xd05, "Cortex-A55"},  {0xd07, "Cortex-A57"},
    {0xd08, "Cortex-A72"},  {0xd09, "Cortex-A73"},  {0xd0a, "Cortex-A75"},  {0xd0b, "Cortex-A76"},
    {0xd0c, "Neoverse-N1"}, {0xd0d, "Cortex-A77"},  {0xd40, "Neoverse-V1"}, {0xd41, "Cortex-A78"},
    {0xd44, "Cortex-X1"},   {0xd46, "Cortex-A510"}, {0xd47, "Cortex-A710"}, {0xd48, "Cortex-X2"},
    {0xd49, "Neoverse-N2"}, {0xd4b, "Cortex-A78C"}, {0xd4f, "Neoverse-V2"}, {0xd80, "Cortex-A520"},
    {0xd81, "Cortex-A720"}, {0xd82, "Cortex-X4"},
};

const char* implementer_name(unsigned implementer) {
    switch (implementer) {
    case 0x41: return "Arm";
    case 0x42: return "Broadcom";
    case 0x43: return "Cavium";
    case 0x46: return "Fujitsu";
    case 0x48: return "HiSilicon";
    case 0x4e: return "NVIDIA";
    case 0x50: return "Ampere";
    case 0x51: return "Qualcomm";
    case 0x61: return "Apple";
    case 0xc0: return "Ampere";
    default: return nullptr;
    }
}

[[noreturn]] void no_port_space(const char* operation, uint16_t port) {
    printf(
        "\nFATAL: %s of I/O port 0x%x: AArch64 has no port space (board configuration error); "
        "halting\n",
        operation, port);
    halt_forever();
}

}  // namespace

const char* name() { return "aarch64"; }

void describe_cpu(char* buf, size_t len) {
    uint64_t midr = READ_SYSREG(midr_el1);
    auto implementer = static_cast<unsigned>(bits(midr, 24, 8));
    auto variant = static_cast<unsigned>(bits(midr, 20, 4));
    auto part = static_cast<unsigned>(bits(midr, 4, 12));
    auto revision = static_cast<unsigned>(bits(midr, 0, 4));
    // QEMU's "max" CPU identifies itself with implementer 0 ("software use") and part 'Q'.
    if (implementer == 0 && part == 0x51) {
        snprintf(buf, len, "QEMU max");
        return;
    }
    const char* part_name = nullptr;
    if (implementer == 0x41) {
        for (const PartName& p : kArmParts) {
            if (p.part == part) part_name = p.name;
        }
    }
    const char* vendor = implementer_name(implementer);
    if (vendor && part_name)
        snprintf(buf, len, "%s %s r%up%u", vendor, part_name, variant, revision);
    else if (vendor) snprintf(buf, len, "%s part 0x%03x r%up%u", vendor, part, variant, revision);
    else
        snprintf(buf, len, "implementer 0x%02x part 0x%03x r%up%u", implementer, part, variant,
                 revision);
}

void interrupts_enable() { asm volatile("msr daifclr, #2" ::: "memory"); }
void interrupts_disable() { asm volatile("msr daifset, #2" ::: "memory"); }
bool interrupts_enabled() { return !(READ_SYSREG(daif) & kDaifIrq); }

void wait_for_interrupt() {
    // A pending interrupt wakes WFI even while masked, so checking the wakeup condition with
    // IRQs masked and then waiting loses nothing. Unmasking lets the interrupt be taken (the ISB
    // makes sure it is, before masking again).
    asm volatile(
        "dsb sy\n"
        "wfi\n"
        "msr daifclr, #2\n"
        "isb\n"
        "msr daifset, #2\n" ::
            : "memory");
}

void halt_forever() {
    for (;;) asm volatile("msr daifset, #0xf\n wfi" ::: "memory");
}

void exit(int code) {
    interrupts_disable();
    fflush(stdout);
    // Semihosting carries the status (QEMU -semihosting exits with it); PSCI SYSTEM_OFF only
    // stops the machine (QEMU exits 0).
    aarch64::semihost_exit(code);
    aarch64::psci::system_off();
    halt_forever();
}

bool hardware_random(uint64_t& out) {
    if (bits(READ_SYSREG(id_aa64isar0_el1), 60, 4) == 0) return false;  // no FEAT_RNG
    for (int attempt = 0; attempt < 10; ++attempt) {
        uint64_t value, ok;
        // RNDR sets NZCV to 0b0100 when the entropy source could not deliver in time.
        asm volatile(
            "mrs %0, "
            "s3_3_c2_c4_0"
            "\n cset %1, ne"
            : "=r"(value), "=r"(ok)
            :
            : "cc");
        if (ok) {
            out = value;
            return true;
        }
    }
    return false;
}

uint8_t port_in8(uint16_t port) { no_port_space("read", port); }
void port_out8(uint16_t port, uint8_t) { no_port_space("write", port); }
uint16_t port_in16(uint16_t port) { no_port_space("read", port); }
void port_out16(uint16_t port, uint16_t) { no_port_space("write", port); }
uint32_t port_in32(uint16_t port) { no_port_space("read", port); }
void port_out32(uint16_t port, uint32_t) { no_port_space("write", port); }

}  // namespace coronet::arch
