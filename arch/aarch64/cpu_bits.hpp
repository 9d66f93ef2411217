// AArch64 architectural constants (Arm ARM DDI 0487), shared by asm and C++. Plain #defines so
// entry.S and vectors.S can use them; C++ code wraps them in typed helpers where it matters.
#pragma once

#include "lib/align.hpp"  // CORONET_PAGE_SIZE

/* 64-bit bit constants that read the same in gas and in C++ (where a plain 1 << 53 is an int). */
#ifdef __ASSEMBLER__
#define BIT64(n) (1 << (n))
#define U64C(x) (x)
#else
#define BIT64(n) (1ULL << (n))
#define U64C(x) (x##ULL)
#endif

/* CurrentEL (D17.2.28): the exception level sits in bits [3:2]. */
#define CURRENTEL_EL_SHIFT 2

/* HCR_EL2 (D17.2.48): RW=1 makes EL1 AArch64; everything else 0 (no stage 2, no traps, IRQs to EL1). */
#define HCR_EL2_RW BIT64(31)

/* CNTHCTL_EL2 with E2H=0 (D17.2.34): EL1 may read the physical counter and use the physical timer. */
#define CNTHCTL_EL2_EL1PCTEN BIT64(0)
#define CNTHCTL_EL2_EL1PCEN BIT64(1)

/* CPTR_EL2 with E2H=0 (D17.2.38): RES1 bits and TZ (SVE trapped, we use none); TFP (bit 10) = 0
   so FP/SIMD does not trap to EL2. */
#define CPTR_EL2_NO_FP_TRAP 0x33ff

/* ICC_SRE_EL2 (GICv3 IHI 0069 12.7.7): SRE = system-register interface at EL2, Enable = EL1 may
   use ICC_SRE_EL1 without trapping. */
#define ICC_SRE_EL2_SRE BIT64(0)
#define ICC_SRE_EL2_ENABLE BIT64(3)

/* ID_AA64PFR0_EL1.GIC (bits [27:24]): non-zero when the GIC system registers exist. */
#define ID_AA64PFR0_GIC_SHIFT 24

/* SPSR for the EL2 -> EL1 drop: EL1h (SP_EL1), D, A, I, F all masked. */
#define SPSR_EL1H_MASKED 0x3c5

/* SCTLR_EL1 (D17.2.118). RES1 bits of ARMv8.0 (29, 28, 23, 22, 20, 11) also set EIS/EOS/SPAN
   to their safe values. */
#define SCTLR_EL1_RES1 0x30d00800
#define SCTLR_EL1_M BIT64(0)  /* MMU */
#define SCTLR_EL1_C BIT64(2)  /* data cache */
#define SCTLR_EL1_SA BIT64(3) /* SP alignment check at EL1 */
#define SCTLR_EL1_I BIT64(12) /* instruction cache */
#define SCTLR_EL1_WXN BIT64(19)
/* MMU off, caches off: the state the boot protocol promises, made explicit. */
#define SCTLR_EL1_BOOT (SCTLR_EL1_RES1)
/* MMU and caches on. WXN stays off: W^X is enforced by our own page permissions. */
#define SCTLR_EL1_RUN (SCTLR_EL1_RES1 | SCTLR_EL1_M | SCTLR_EL1_C | SCTLR_EL1_SA | SCTLR_EL1_I)

/* CPACR_EL1.FPEN (D17.2.30): 0b11 = FP/SIMD does not trap at EL1/EL0. */
#define CPACR_EL1_FPEN (U64C(3) << 20)

/* MAIR_EL1 attribute indexes (D17.2.97) used by every page table we build. */
#define MAIR_DEVICE_nGnRnE 0x00
#define MAIR_DEVICE_nGnRE 0x04
#define MAIR_NORMAL_WB 0xff
#define MAIR_NORMAL_NC 0x44
#define MT_DEVICE_nGnRnE 0
#define MT_DEVICE_nGnRE 1
#define MT_NORMAL 2
#define MT_NORMAL_NC 3
#define MAIR_EL1_VALUE                                                                    \
    ((MAIR_DEVICE_nGnRnE << (8 * MT_DEVICE_nGnRnE)) |                                     \
     (MAIR_DEVICE_nGnRE << (8 * MT_DEVICE_nGnRE)) | (MAIR_NORMAL_WB << (8 * MT_NORMAL)) | \
     (MAIR_NORMAL_NC << (8 * MT_NORMAL_NC)))

/* TCR_EL1 (D17.2.131): 48-bit VA in TTBR0 (4 levels, 4 KiB granule), walks write-back
   cacheable and inner shareable, TTBR1 walks disabled. IPS is filled in from PARange. */
#define TCR_T0SZ_48BIT 16
#define TCR_IRGN0_WBWA BIT64(8)
#define TCR_ORGN0_WBWA BIT64(10)
#define TCR_SH0_INNER (U64C(3) << 12)
#define TCR_TG0_4K (U64C(0) << 14)
#define TCR_EPD1 BIT64(23)
#define TCR_IPS_SHIFT 32
#define TCR_EL1_BASE \
    (TCR_T0SZ_48BIT | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_TG0_4K | TCR_EPD1)
/* ID_AA64MMFR0_EL1.PARange (bits [3:0]); capped at 48 bits (5): 52-bit output needs LPA2. */
#define PARANGE_48BIT 5

/* TTBR0_EL1.ASID (bits [63:48]). The boot map uses ASID 0 with non-global entries, the final
   tables ASID 1: switching between them needs no break-before-make. */
#define TTBR_ASID_SHIFT 48

/* Stage 1 descriptor bits, 4 KiB granule (D8.3). */
#define PTE_VALID BIT64(0)
#define PTE_TABLE BIT64(1) /* table at levels 0-2; "page" at level 3 */
#define PTE_ATTR_SHIFT 2
#define PTE_AP_RO BIT64(7) /* AP[2]: read-only */
#define PTE_SH_INNER (U64C(3) << 8)
#define PTE_AF BIT64(10)
#define PTE_NG BIT64(11)
#define PTE_PXN BIT64(53)
#define PTE_UXN BIT64(54)

/* Boot identity map: 1 GiB level-1 blocks. */
#define BOOT_BLOCK_NORMAL \
    (PTE_VALID | (MT_NORMAL << PTE_ATTR_SHIFT) | PTE_SH_INNER | PTE_AF | PTE_NG)
#define BOOT_BLOCK_DEVICE \
    (PTE_VALID | (MT_DEVICE_nGnRE << PTE_ATTR_SHIFT) | PTE_AF | PTE_NG | PTE_PXN | PTE_UXN)
/* The boot map covers [0, 1 GiB) as device memory and [1 GiB, 256 GiB) as normal memory:
   QEMU virt's MMIO and RAM windows. */
#define BOOT_MAP_NORMAL_FIRST 1
#define BOOT_MAP_NORMAL_END 256

/* Linux arm64 Image header flags (Documentation/arch/arm64/booting.rst): little-endian, 4 KiB
   pages, may be placed anywhere in physical memory. */
#define IMAGE_FLAGS_LE 0
#define IMAGE_FLAGS_PAGE_4K BIT64(1)
#define IMAGE_FLAGS_ANYWHERE BIT64(3)
#define IMAGE_FLAGS (IMAGE_FLAGS_LE | IMAGE_FLAGS_PAGE_4K | IMAGE_FLAGS_ANYWHERE)

#define BOOT_STACK_SIZE (32 * 1024)
#define EMERGENCY_STACK_SIZE (16 * 1024)
#define IRQ_STACK_SIZE (16 * 1024)
#define GUARD_PAGE_SIZE CORONET_PAGE_SIZE
