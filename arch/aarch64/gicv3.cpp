// GICv3 driver (Arm IHI 0069H). Affinity routing on (ARE), all interrupts in Group 1 (IRQ),
// level-sensitive SPIs (a level interrupt that is still asserted fires again after EOI, so a
// device acknowledged late is never lost), EOImode 0 (EOI drops priority and deactivates).
#include "arch/aarch64/gicv3.hpp"

#include <libfdt.h>

#include <cstddef>
#include <cstdio>

#include "arch/aarch64/device_tree.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/mmio.hpp"

namespace coronet::arch::aarch64::gic {
namespace {

// Distributor, GICD_* (12.9). With ARE set, the SGI/PPI banks (n = 0) are RAZ/WI here.
struct DistributorRegs {
    Mmio<uint32_t> ctlr;     // 0x0000 GICD_CTLR (12.9.4)
    Mmio<uint32_t> typer;    // 0x0004 GICD_TYPER (12.9.38)
    Mmio<uint32_t> iidr;     // 0x0008 GICD_IIDR
    Mmio<uint32_t> typer2;   // 0x000c GICD_TYPER2
    Mmio<uint32_t> statusr;  // 0x0010 GICD_STATUSR
    uint32_t reserved0[27];
    Mmio<uint32_t> igroupr[32];      // 0x0080 GICD_IGROUPR<n> (12.9.15)
    Mmio<uint32_t> isenabler[32];    // 0x0100 GICD_ISENABLER<n> (12.9.29)
    Mmio<uint32_t> icenabler[32];    // 0x0180 GICD_ICENABLER<n> (12.9.7)
    Mmio<uint32_t> ispendr[32];      // 0x0200 GICD_ISPENDR<n>
    Mmio<uint32_t> icpendr[32];      // 0x0280 GICD_ICPENDR<n> (12.9.9)
    Mmio<uint32_t> isactiver[32];    // 0x0300 GICD_ISACTIVER<n>
    Mmio<uint32_t> icactiver[32];    // 0x0380 GICD_ICACTIVER<n> (12.9.6)
    Mmio<uint8_t> ipriorityr[1024];  // 0x0400 GICD_IPRIORITYR<n>, byte-accessible (12.9.18)
    uint32_t itargetsr[256];         // 0x0800 GICD_ITARGETSR<n>: legacy, unused with ARE
    Mmio<uint32_t> icfgr[64];        // 0x0c00 GICD_ICFGR<n> (12.9.10)
    Mmio<uint32_t> igrpmodr[32];     // 0x0d00 GICD_IGRPMODR<n>
    uint32_t reserved1[5280];
    Mmio<uint64_t> irouter[1020];  // 0x6000 GICD_IROUTER<n>, n >= 32 (12.9.20)
};
static_assert(offsetof(DistributorRegs, igroupr) == 0x0080);
static_assert(offsetof(DistributorRegs, isenabler) == 0x0100);
static_assert(offsetof(DistributorRegs, icenabler) == 0x0180);
static_assert(offsetof(DistributorRegs, icpendr) == 0x0280);
static_assert(offsetof(DistributorRegs, icactiver) == 0x0380);
static_assert(offsetof(DistributorRegs, ipriorityr) == 0x0400);
static_assert(offsetof(DistributorRegs, icfgr) == 0x0c00);
static_assert(offsetof(DistributorRegs, igrpmodr) == 0x0d00);
static_assert(offsetof(DistributorRegs, irouter) == 0x6000);

constexpr uint32_t kCtlrEnableGrp1 = 1 << 0;  // Non-secure view: legacy group 1 enable
// Non-secure view: Group 1 with affinity routing (with DS=1, EnableGrp1).
constexpr uint32_t kCtlrEnableGrp1A = 1 << 1;
constexpr uint32_t kCtlrAreNs = 1 << 4;  // affinity routing
constexpr uint32_t kCtlrRwp = 1u << 31;  // register write pending
constexpr uint32_t kTyperItLinesMask = 0x1f;

// Redistributor control frame, RD_base (12.10).
struct RedistributorRegs {
    Mmio<uint32_t> ctlr;     // 0x0000 GICR_CTLR (12.10.2)
    Mmio<uint32_t> iidr;     // 0x0004 GICR_IIDR
    Mmio<uint64_t> typer;    // 0x0008 GICR_TYPER (12.10.34)
    Mmio<uint32_t> statusr;  // 0x0010 GICR_STATUSR
    Mmio<uint32_t> waker;    // 0x0014 GICR_WAKER (12.10.36)
};
static_assert(offsetof(RedistributorRegs, typer) == 0x0008);
static_assert(offsetof(RedistributorRegs, waker) == 0x0014);

constexpr uint32_t kGicrCtlrRwp = 1 << 3;
constexpr uint64_t kGicrTyperVlpis = 1 << 1;
constexpr uint64_t kGicrTyperLast = 1 << 4;
constexpr uint32_t kWakerProcessorSleep = 1 << 1;
constexpr uint32_t kWakerChildrenAsleep = 1 << 2;
constexpr uint64_t kRdFrameSize = 0x10000;  // RD_base, then SGI_base
constexpr uint64_t kStrideGicv3 = 2 * kRdFrameSize;
constexpr uint64_t kStrideGicv4 = 4 * kRdFrameSize;  // plus VLPI_base and a reserved frame

// SGI/PPI frame, SGI_base = RD_base + 64 KiB (12.10): the banked registers for INTIDs 0-31.
struct RedistributorSgiRegs {
    uint32_t reserved0[32];
    Mmio<uint32_t> igroupr0;  // 0x0080 GICR_IGROUPR0 (12.11.14)
    uint32_t reserved1[31];
    Mmio<uint32_t> isenabler0;  // 0x0100 GICR_ISENABLER0 (12.11.25)
    uint32_t reserved2[31];
    Mmio<uint32_t> icenabler0;  // 0x0180 GICR_ICENABLER0 (12.11.7)
    uint32_t reserved3[31];
    Mmio<uint32_t> ispendr0;  // 0x0200 GICR_ISPENDR0
    uint32_t reserved4[31];
    Mmio<uint32_t> icpendr0;  // 0x0280 GICR_ICPENDR0 (12.11.9)
    uint32_t reserved5[31];
    Mmio<uint32_t> isactiver0;  // 0x0300 GICR_ISACTIVER0
    uint32_t reserved6[31];
    Mmio<uint32_t> icactiver0;  // 0x0380 GICR_ICACTIVER0 (12.11.6)
    uint32_t reserved7[31];
    Mmio<uint8_t> ipriorityr[32];  // 0x0400 GICR_IPRIORITYR<n> (12.11.18)
    uint32_t reserved8[504];
    Mmio<uint32_t> icfgr0;  // 0x0c00 GICR_ICFGR0 (SGIs, read-only edge)
    Mmio<uint32_t> icfgr1;  // 0x0c04 GICR_ICFGR1 (PPIs)
    uint32_t reserved9[62];
    Mmio<uint32_t> igrpmodr0;  // 0x0d00 GICR_IGRPMODR0
};
static_assert(offsetof(RedistributorSgiRegs, igroupr0) == 0x0080);
static_assert(offsetof(RedistributorSgiRegs, isenabler0) == 0x0100);
static_assert(offsetof(RedistributorSgiRegs, icenabler0) == 0x0180);
static_assert(offsetof(RedistributorSgiRegs, icpendr0) == 0x0280);
static_assert(offsetof(RedistributorSgiRegs, icactiver0) == 0x0380);
static_assert(offsetof(RedistributorSgiRegs, ipriorityr) == 0x0400);
static_assert(offsetof(RedistributorSgiRegs, icfgr0) == 0x0c00);
static_assert(offsetof(RedistributorSgiRegs, igrpmodr0) == 0x0d00);

// CPU interface bits (12.2).
constexpr uint64_t kSreEnable = 1 << 0;    // ICC_SRE_EL1.SRE
constexpr uint64_t kSreDisableBypass = 6;  // DFB | DIB
constexpr uint64_t kPriorityMask = 0xf0;   // ICC_PMR_EL1: lets priorities 0x00-0xef through
constexpr uint8_t kDefaultPriority = 0xa0;
constexpr uint64_t kIntidMask = 0xffffff;

DistributorRegs* g_dist = nullptr;
RedistributorRegs* g_rd = nullptr;
RedistributorSgiRegs* g_sgi = nullptr;
uint32_t g_intid_limit = 0;
uint64_t g_affinity = 0;  // this CPU, in GICD_IROUTER's layout

void wait_distributor() {
    while (g_dist->ctlr.read() & kCtlrRwp) {}
}

void wait_redistributor() {
    while (g_rd->ctlr.read() & kGicrCtlrRwp) {}
}

// MPIDR_EL1 Aff3.Aff2.Aff1.Aff0 packed as GICR_TYPER[63:32] has it.
uint32_t mpidr_affinity_value(uint64_t mpidr) {
    return static_cast<uint32_t>(((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff));
}

// IROUTER layout: Aff3 at [39:32], Aff2.Aff1.Aff0 at [23:0].
uint64_t irouter_affinity(uint64_t mpidr) { return (mpidr & 0xff00000000ULL) | (mpidr & 0xffffff); }

// Walks each redistributor region frame by frame (until GICR_TYPER.Last) for the one whose
// affinity is this CPU's.
RedistributorRegs* find_redistributor(const void* fdt, const dt::Node& node, uint32_t affinity) {
    int len = 0;
    const auto* count_prop =
        static_cast<const fdt32_t*>(fdt_getprop(fdt, node.offset, "#redistributor-regions", &len));
    int regions = count_prop && len == 4 ? static_cast<int>(fdt32_ld(count_prop)) : 1;
    const auto* stride_prop =
        static_cast<const fdt32_t*>(fdt_getprop(fdt, node.offset, "redistributor-stride", &len));
    uint64_t fixed_stride = stride_prop && len == 8 ? (uint64_t(fdt32_ld(&stride_prop[0])) << 32) |
                                                          fdt32_ld(&stride_prop[1])
                                                    : 0;
    for (int r = 0; r < regions; ++r) {
        dt::Range region;
        if (!dt::reg(node, 1 + r, region)) break;
        for (uint64_t offset = 0; offset + kStrideGicv3 <= region.size;) {
            auto& rd = mmio_at<RedistributorRegs>(region.base + offset);
            uint64_t typer = rd.typer.read();
            if (static_cast<uint32_t>(typer >> 32) == affinity) return &rd;
            if (typer & kGicrTyperLast) break;
            offset += fixed_stride                ? fixed_stride
                      : (typer & kGicrTyperVlpis) ? kStrideGicv4
                                                  : kStrideGicv3;
        }
    }
    return nullptr;
}

void init_distributor() {
    g_dist->ctlr.write(0);
    wait_distributor();
    uint32_t lines = 32 * ((g_dist->typer.read() & kTyperItLinesMask) + 1);
    g_intid_limit = lines > kIntidLimit ? kIntidLimit : lines;
    for (uint32_t n = 1; n < g_intid_limit / 32; ++n) {
        g_dist->icenabler[n].write(~0u);
        g_dist->icpendr[n].write(~0u);
        g_dist->icactiver[n].write(~0u);
        g_dist->igroupr[n].write(~0u);
        g_dist->igrpmodr[n].write(0);
    }
    for (uint32_t n = kFirstSpi / 16; n < g_intid_limit / 16; ++n)
        g_dist->icfgr[n].write(0);  // level-sensitive
    wait_distributor();
    g_dist->ctlr.write(kCtlrAreNs | kCtlrEnableGrp1A | kCtlrEnableGrp1);
    wait_distributor();
    // Priority and routing (which needs ARE on) are set per interrupt by enable(): a thousand
    // MMIO writes here would cost most of a millisecond under TCG for lines nobody uses.
}

void init_redistributor() {
    g_rd->waker.write(g_rd->waker.read() & ~kWakerProcessorSleep);
    while (g_rd->waker.read() & kWakerChildrenAsleep) {}
    g_sgi->icenabler0.write(~0u);
    wait_redistributor();
    g_sgi->icpendr0.write(~0u);
    g_sgi->icactiver0.write(~0u);
    g_sgi->igroupr0.write(~0u);
    g_sgi->igrpmodr0.write(0);
}

bool init_cpu_interface() {
    WRITE_SYSREG(icc_sre_el1, READ_SYSREG(icc_sre_el1) | kSreEnable | kSreDisableBypass);
    isb();
    if (!(READ_SYSREG(icc_sre_el1) & kSreEnable)) return false;
    WRITE_SYSREG(icc_pmr_el1, kPriorityMask);
    WRITE_SYSREG(icc_bpr1_el1, 0);
    WRITE_SYSREG(icc_ctlr_el1, 0);  // EOImode 0
    WRITE_SYSREG(icc_igrpen1_el1, 1);
    isb();
    return true;
}

}  // namespace

bool init(const void* fdt) {
    if (!fdt || fdt != dt::blob()) return false;
    const dt::Node& node = dt::inventory().gic;
    dt::Range dist;
    if (!dt::reg(node, 0, dist)) {
        printf("gic: no \"arm,gic-v3\" node in the device tree (QEMU: -M virt,gic-version=3)\n");
        return false;
    }
    uint64_t mpidr = READ_SYSREG(mpidr_el1);
    g_affinity = irouter_affinity(mpidr);
    g_dist = &mmio_at<DistributorRegs>(dist.base);
    g_rd = find_redistributor(fdt, node, mpidr_affinity_value(mpidr));
    if (!g_rd) {
        printf("gic: no redistributor for MPIDR 0x%llx\n", static_cast<unsigned long long>(mpidr));
        return false;
    }
    g_sgi = &mmio_at<RedistributorSgiRegs>(reinterpret_cast<uint64_t>(g_rd) + kRdFrameSize);
    init_distributor();
    init_redistributor();
    if (!init_cpu_interface()) {
        printf(
            "gic: the system-register CPU interface cannot be enabled (ICC_SRE_EL1.SRE stays 0)\n");
        return false;
    }
    return true;
}

bool ready() { return g_sgi != nullptr && g_intid_limit != 0; }

uint32_t intid_limit() { return g_intid_limit; }

void enable(uint32_t intid) {
    uint32_t bit = 1u << (intid % 32);
    if (intid < kFirstSpi) {
        g_sgi->ipriorityr[intid].write(kDefaultPriority);
        g_sgi->igroupr0.write(g_sgi->igroupr0.read() | bit);
        g_sgi->isenabler0.write(bit);
    } else {
        g_dist->ipriorityr[intid].write(kDefaultPriority);
        g_dist->igroupr[intid / 32].write(g_dist->igroupr[intid / 32].read() | bit);
        g_dist->irouter[intid].write(g_affinity);
        g_dist->isenabler[intid / 32].write(bit);
    }
}

void disable(uint32_t intid) {
    uint32_t bit = 1u << (intid % 32);
    if (intid < kFirstSpi) {
        g_sgi->icenabler0.write(bit);
        wait_redistributor();
    } else {
        g_dist->icenabler[intid / 32].write(bit);
        wait_distributor();
    }
}

void handle_irq() {
    bool first = true;
    for (;;) {
        uint64_t iar = READ_SYSREG(icc_iar1_el1);
        uint32_t intid = static_cast<uint32_t>(iar & kIntidMask);
        if (intid >= 1020) {  // 1023: nothing pending (1020-1022 are not used for Group 1 at EL1)
            if (first) irq_registry::count_spurious();
            return;
        }
        first = false;
        irq_registry::dispatch(intid);
        WRITE_SYSREG(icc_eoir1_el1, iar);
        isb();
    }
}

}  // namespace coronet::arch::aarch64::gic
