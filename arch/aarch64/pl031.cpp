// Arm PrimeCell PL031 real-time clock (Arm DDI 0224), what QEMU virt and many SoCs put behind
// "arm,pl031": a free-running 32-bit count of seconds that firmware and QEMU load with Unix
// time. The kernel only reads it; alarms and its interrupt are left alone.
#include <cstddef>

#include "arch/aarch64/device_tree.hpp"
#include "arch/mmio.hpp"
#include "arch/mmu.hpp"
#include "arch/rtc.hpp"

namespace coronet::arch::rtc {
namespace {

// Register map (DDI 0224, 3.2 "Summary of RTC registers").
struct Pl031Regs {
    Mmio<uint32_t> dr;    // 0x000 RTCDR: the current count, read-only
    Mmio<uint32_t> mr;    // 0x004 RTCMR: match (alarm) value
    Mmio<uint32_t> lr;    // 0x008 RTCLR: load value
    Mmio<uint32_t> cr;    // 0x00c RTCCR: bit 0 starts the counter
    Mmio<uint32_t> imsc;  // 0x010 RTCIMSC
    Mmio<uint32_t> ris;   // 0x014 RTCRIS
    Mmio<uint32_t> mis;   // 0x018 RTCMIS
    Mmio<uint32_t> icr;   // 0x01c RTCICR
    uint32_t reserved[1008];
    Mmio<uint32_t> periph_id[4];  // 0xfe0 RTCPeriphID0-3 (one byte each)
    Mmio<uint32_t> cell_id[4];    // 0xff0 RTCPCellID0-3
};
static_assert(offsetof(Pl031Regs, cr) == 0x00c);
static_assert(offsetof(Pl031Regs, icr) == 0x01c);
static_assert(offsetof(Pl031Regs, periph_id) == 0xfe0);
static_assert(offsetof(Pl031Regs, cell_id) == 0xff0);
static_assert(sizeof(Pl031Regs) == 0x1000);

constexpr uint32_t kControlStart = 1 << 0;
// Peripheral ID: part number 0x031, designer 0x41 (Arm); the revision nibble varies (QEMU: 1).
constexpr uint32_t kPartNumber = 0x031;
constexpr uint32_t kDesignerArm = 0x41;
// PrimeCell ID 0xb105f00d, as bytes in RTCPCellID0-3.
constexpr uint8_t kPrimeCellId[4] = {0x0d, 0xf0, 0x05, 0xb1};

uint32_t id_byte(const Mmio<uint32_t>& reg) { return reg.read() & 0xff; }
uint32_t part_number(const Pl031Regs& regs) {
    return id_byte(regs.periph_id[0]) | (id_byte(regs.periph_id[1]) & 0x0f) << 8;
}
uint32_t designer(const Pl031Regs& regs) {
    return id_byte(regs.periph_id[1]) >> 4 | (id_byte(regs.periph_id[2]) & 0x0f) << 4;
}

bool is_pl031(const Pl031Regs& regs) {
    for (int i = 0; i < 4; ++i) {
        if (id_byte(regs.cell_id[i]) != kPrimeCellId[i]) return false;
    }
    return part_number(regs) == kPartNumber && designer(regs) == kDesignerArm;
}

}  // namespace

const char* device_name() { return "pl031"; }

Result<uint64_t> read_unix_seconds() {
    const aarch64::dt::Node& node = aarch64::dt::inventory().pl031;
    aarch64::dt::Range range;
    if (!node.valid() || !aarch64::dt::reg(node, 0, range) || range.size < sizeof(Pl031Regs))
        return Error::NotFound;
    // The boot mapping covers devices in the low 4 GiB already; this maps one elsewhere (and is a
    // no-op for a range mapped as a device before).
    TRY_VOID(mmu::map_mmio(range.base, sizeof(Pl031Regs)));
    auto& regs = mmio_at<Pl031Regs>(range.base);
    if (!is_pl031(regs)) return Error::NotFound;
    // A stopped counter holds whatever was loaded last, not the time.
    if (!(regs.cr.read() & kControlStart)) return Error::NotFound;
    return static_cast<uint64_t>(regs.dr.read());
}

}  // namespace coronet::arch::rtc
