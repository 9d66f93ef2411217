// x86-64 architectural constants (Intel SDM vol. 3), shared by asm and C++.
#pragma once

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_WP (1 << 16)
#define CR0_NW (1 << 29)
#define CR0_CD (1 << 30)
#define CR0_PG (1 << 31)

#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)

#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

#define PTE_PRESENT (1 << 0)
#define PTE_WRITE (1 << 1)
#define PTE_PWT (1 << 3)
#define PTE_PCD (1 << 4)
#define PTE_HUGE (1 << 7)

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_TSS 0x18
/* Long-mode code: present, DPL0, code, L=1. Data: present, writable. (SDM 3.4.5) */
#define GDT_CODE64_DESCRIPTOR 0x00209A0000000000
#define GDT_DATA_DESCRIPTOR 0x0000920000000000

#define MXCSR_DEFAULT 0x1F80

#define BOOT_STACK_SIZE (32 * 1024)
