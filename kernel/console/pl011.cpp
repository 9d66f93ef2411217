// PL011 driver (ARM DDI 0183G, section 3): the firmware's baud rate is kept; FIFOs on, polled.
#include "kernel/console/pl011.hpp"

#include <cstddef>

#include "arch/mmio.hpp"

namespace coronet {
namespace {

struct Pl011Regs {
    Mmio<uint32_t> dr;       // 0x000 data
    Mmio<uint32_t> rsr_ecr;  // 0x004
    uint32_t reserved0[4];
    Mmio<uint32_t> fr;  // 0x018 flags
    uint32_t reserved1;
    Mmio<uint32_t> ilpr;   // 0x020
    Mmio<uint32_t> ibrd;   // 0x024
    Mmio<uint32_t> fbrd;   // 0x028
    Mmio<uint32_t> lcr_h;  // 0x02c line control
    Mmio<uint32_t> cr;     // 0x030 control
    Mmio<uint32_t> ifls;   // 0x034
    Mmio<uint32_t> imsc;   // 0x038 interrupt mask
};
static_assert(offsetof(Pl011Regs, fr) == 0x18);
static_assert(offsetof(Pl011Regs, lcr_h) == 0x2c);
static_assert(offsetof(Pl011Regs, imsc) == 0x38);

constexpr uint32_t kFlagRxEmpty = 1 << 4;
constexpr uint32_t kFlagTxFull = 1 << 5;
constexpr uint32_t kLineFifoEnable = 1 << 4;
constexpr uint32_t kLineWord8 = 3 << 5;
constexpr uint32_t kControlEnable = 1 << 0;
constexpr uint32_t kControlTxEnable = 1 << 8;
constexpr uint32_t kControlRxEnable = 1 << 9;

}  // namespace

void Pl011::init() {
    auto& regs = mmio_at<Pl011Regs>(m_base);
    regs.cr.write(0);
    regs.lcr_h.write(kLineFifoEnable | kLineWord8);
    regs.imsc.write(0);
    regs.cr.write(kControlEnable | kControlTxEnable | kControlRxEnable);
}

void Pl011::put(char c) {
    auto& regs = mmio_at<Pl011Regs>(m_base);
    while (regs.fr.read() & kFlagTxFull) {}
    regs.dr.write(static_cast<uint8_t>(c));
}

int Pl011::try_get() {
    auto& regs = mmio_at<Pl011Regs>(m_base);
    if (regs.fr.read() & kFlagRxEmpty) return -1;
    return static_cast<int>(regs.dr.read() & 0xff);
}

}  // namespace coronet
