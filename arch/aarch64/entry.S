/* Linux arm64 Image entry. The loader (QEMU's -kernel, U-Boot, a Firecracker-class VMM) enters
   at the first byte with the MMU off, x0 = device tree, at EL2 or EL1. We stamp the counter,
   move the image to its link address if it was loaded elsewhere, drop to EL1, clear .bss, turn
   on a boot identity map and call aarch64_boot(dtb, entry_ticks, entry_el, load_address).

   Relocation: the image is linked (and runs) at one physical address, the board's
   CORONET_LINK_ADDRESS (boards/<name>/CMakeLists.txt). A loader may put it elsewhere (QEMU
   puts an Image whose header has image_size 0 at RAM + 0x80000). Until the jump to the link
   address, the code here is position independent (adr, and literal loads of link-time
   constants only). The copy covers the loaded bytes [__kernel_start, __bss_start). When source
   and destination overlap so that the copy would overwrite this loop, the image first bounces
   to a scratch copy above both (2 MiB aligned, and past the DTB) and relocates from there. The
   destination must be RAM and must not hold the device tree: if the DTB lies inside it, we
   stop (a loader that honours the header's image_size never does that).

   Registers live across the whole sequence: x19 entry counter, x20 DTB, x21 entry EL,
   x22 load address. Entered at EL3 (QEMU secure=on) we stop: that is secure firmware's job. */
#include "arch/aarch64/cpu_bits.hpp"

    .cfi_sections .debug_frame

    .section .text.boot, "ax", %progbits
    .global image_start
    .type image_start, %function
image_start:
    /* Image header (64 bytes). code0 is an ordinary instruction: the boot time stamp. */
    mrs x19, cntvct_el0              /* code0 */
    b primary_entry                  /* code1 */
    .quad 0                          /* text_offset: at a 2 MiB boundary */
    .quad __image_size               /* image_size, .bss included (linker script) */
    .quad IMAGE_FLAGS                /* flags */
    .quad 0                          /* res2 */
    .quad 0                          /* res3 */
    .quad 0                          /* res4 */
    .ascii "ARM\x64"                 /* magic, at 0x38 */
    .long 0                          /* res5: no PE/COFF header */
    .size image_start, . - image_start

    .type primary_entry, %function
primary_entry:
    /* The outermost frame: debuggers stop unwinding here. */
    .cfi_startproc
    .cfi_undefined x30
    mov x20, x0
    mrs x21, CurrentEL
    lsr x21, x21, #CURRENTEL_EL_SHIFT
    adr x22, image_start

relocate:
    /* x0 = where we run, x1 = link address, x2 = bytes to copy. */
    adr x0, image_start
    ldr x1, =__kernel_start
    cmp x0, x1
    b.eq at_link_address
    ldr x2, =__bss_start
    sub x2, x2, x1

    /* The device tree must not sit inside the destination (image_size covers .bss too). */
    ldr x3, =__kernel_end
    cmp x20, x1
    b.lo 1f
    cmp x20, x3
    b.lo relocation_conflict
1:
    /* Copying downward over ourselves (dst < src < dst + len), or upward by less than a page,
       would overwrite this loop while it runs: bounce through a scratch copy first. */
    add x3, x1, x2
    cmp x1, x0
    b.hs 2f
    cmp x3, x0
    b.ls copy_forward
    b bounce
2:  sub x3, x1, x0
    cmp x3, #0x1000
    b.lo bounce
    b copy_backward

bounce:
    /* Scratch copy at align_up(max(src end, dst end), 2 MiB); past the device tree (at most
       2 MiB by the boot protocol) if it would land on it. */
    add x3, x0, x2
    ldr x4, =__kernel_start
    add x4, x4, x2
    cmp x3, x4
    csel x3, x3, x4, hs
    add x1, x3, #0x200, lsl #12
    sub x1, x1, #1
    and x1, x1, #~0x1fffff
    add x3, x1, x2
    cmp x20, x3
    b.hs copy_forward
    add x4, x20, #0x200, lsl #12
    cmp x4, x1
    b.ls copy_forward
    add x1, x4, #0x200, lsl #12
    sub x1, x1, #1
    and x1, x1, #~0x1fffff
    /* fall through: the scratch copy is above both ranges, so a forward copy is safe */

copy_forward:
    mov x3, x0
    mov x4, x1
    add x5, x0, x2
3:  ldp x6, x7, [x3], #16
    stp x6, x7, [x4], #16
    cmp x3, x5
    b.lo 3b
    b relocated_copy_done

copy_backward:
    add x3, x0, x2
    add x4, x1, x2
4:  ldp x6, x7, [x3, #-16]!
    stp x6, x7, [x4, #-16]!
    cmp x3, x0
    b.hi 4b

relocated_copy_done:
    /* Data caches are off (boot protocol), so the copy is in memory; drop stale instructions
       and continue at `relocate` in the new copy, which checks again where it runs. */
    dsb sy
    ic iallu
    dsb nsh
    isb
    adr x3, relocate
    adr x4, image_start
    sub x3, x3, x4
    add x3, x3, x1
    br x3

relocation_conflict:
unsupported_el3:
    wfe
    b relocation_conflict

at_link_address:
    cmp x21, #3
    b.eq unsupported_el3            /* secure firmware's job: we expect EL2 or EL1 */
    cmp x21, #2
    b.ne at_el1

    /* EL2 -> EL1: AArch64 EL1, no stage 2, no traps of timers, FP or GIC system registers. */
    ldr x0, =HCR_EL2_RW
    msr hcr_el2, x0
    isb
    mov x0, #(CNTHCTL_EL2_EL1PCTEN | CNTHCTL_EL2_EL1PCEN)
    msr cnthctl_el2, x0
    ldr x0, =CPTR_EL2_NO_FP_TRAP
    msr cptr_el2, x0
    msr hstr_el2, xzr
    mrs x0, midr_el1
    msr vpidr_el2, x0
    mrs x0, mpidr_el1
    msr vmpidr_el2, x0
    mrs x0, id_aa64pfr0_el1
    ubfx x0, x0, #ID_AA64PFR0_GIC_SHIFT, #4
    cbz x0, 5f
    mrs x0, S3_4_C12_C9_5           /* ICC_SRE_EL2 */
    mov x1, #(ICC_SRE_EL2_SRE | ICC_SRE_EL2_ENABLE)
    orr x0, x0, x1
    msr S3_4_C12_C9_5, x0
    isb
    msr S3_4_C12_C11_0, xzr         /* ICH_HCR_EL2: no virtual CPU interface */
5:  ldr x0, =el2_park_vectors
    msr vbar_el2, x0
    ldr x0, =SCTLR_EL1_BOOT
    msr sctlr_el1, x0
    mov x0, #SPSR_EL1H_MASKED
    msr spsr_el2, x0
    adr x0, at_el1
    msr elr_el2, x0
    isb
    eret

at_el1:
    msr daifset, #0xf
    ldr x0, =SCTLR_EL1_BOOT
    msr sctlr_el1, x0
    isb
    /* FP/SIMD before any C: the compiler and picolibc use NEON registers anywhere. */
    mov x0, #CPACR_EL1_FPEN
    msr cpacr_el1, x0
    isb
    ldr x0, =aarch64_exception_vectors
    msr vbar_el1, x0

    /* .bss is 16-byte aligned at both ends (linker script). */
    ldr x0, =__bss_start
    ldr x1, =__bss_end
6:  cmp x0, x1
    b.hs 7f
    stp xzr, xzr, [x0], #16
    b 6b
7:
    bl build_boot_map
    bl invalidate_image_dcache

    ldr x0, =MAIR_EL1_VALUE
    msr mair_el1, x0
    mrs x1, id_aa64mmfr0_el1
    and x1, x1, #0xf
    cmp x1, #PARANGE_48BIT
    mov x2, #PARANGE_48BIT
    csel x1, x1, x2, ls
    ldr x0, =TCR_EL1_BASE
    orr x0, x0, x1, lsl #TCR_IPS_SHIFT
    msr tcr_el1, x0
    ldr x0, =boot_l0_table          /* ASID 0 */
    msr ttbr0_el1, x0
    isb
    tlbi vmalle1
    dsb nsh
    isb
    ldr x0, =SCTLR_EL1_RUN
    msr sctlr_el1, x0
    isb
    ic iallu
    dsb nsh
    isb

    ldr x0, =boot_stack_top
    mov sp, x0
    mov x29, xzr
    mov x30, xzr
    mov x0, x20
    mov x1, x19
    mov x2, x21
    mov x3, x22
    bl aarch64_boot
8:  wfi
    b 8b
    .cfi_endproc
    .size primary_entry, . - primary_entry

/* Boot identity map: level 0 entry 0 -> one level-1 table of 1 GiB blocks (cpu_bits.hpp). */
    .type build_boot_map, %function
build_boot_map:
    ldr x0, =boot_l0_table
    ldr x1, =boot_l1_table
    orr x2, x1, #(PTE_VALID | PTE_TABLE)
    str x2, [x0]
    ldr x2, =BOOT_BLOCK_DEVICE
    str x2, [x1]
    ldr x4, =BOOT_BLOCK_NORMAL
    mov x3, #BOOT_MAP_NORMAL_FIRST
1:  lsl x5, x3, #30
    orr x5, x5, x4
    str x5, [x1, x3, lsl #3]
    add x3, x3, #1
    cmp x3, #BOOT_MAP_NORMAL_END
    b.lo 1b
    ret
    .size build_boot_map, . - build_boot_map

/* Everything up to here was written with the data cache off. Invalidate the image's lines to
   the point of coherency so that stale lines cannot shadow it once the cache is on. */
    .type invalidate_image_dcache, %function
invalidate_image_dcache:
    mrs x3, ctr_el0
    ubfx x3, x3, #16, #4            /* DminLine: log2(words) */
    mov x2, #4
    lsl x2, x2, x3
    ldr x0, =__kernel_start
    ldr x1, =__kernel_end
    sub x3, x2, #1
    bic x0, x0, x3
1:  dc ivac, x0
    add x0, x0, x2
    cmp x0, x1
    b.lo 1b
    dsb sy
    ret
    .size invalidate_image_dcache, . - invalidate_image_dcache

    .ltorg

    .section .bss.boot_tables, "aw", %nobits
    .balign 4096
    .global boot_l0_table
boot_l0_table: .skip 4096
boot_l1_table: .skip 4096

/* The boot stack, with an unmapped guard page below it once the final tables are up, the
   per-CPU emergency stack the vectors switch to when a fault finds its stack unusable, and the
   per-CPU interrupt stack every IRQ runs on; guarded the same way. */
    .section .bss.boot_stacks, "aw", %nobits
    .balign 4096
    .global boot_stack_guard
boot_stack_guard: .skip GUARD_PAGE_SIZE
    .global boot_stack_bottom
boot_stack_bottom: .skip BOOT_STACK_SIZE
    .global boot_stack_top
boot_stack_top:
    .global emergency_stack_guard
emergency_stack_guard: .skip GUARD_PAGE_SIZE
    .global emergency_stack_bottom
emergency_stack_bottom: .skip EMERGENCY_STACK_SIZE
    .global emergency_stack_top
emergency_stack_top:
    .global irq_stack_guard
irq_stack_guard: .skip GUARD_PAGE_SIZE
    .global irq_stack_bottom
irq_stack_bottom: .skip IRQ_STACK_SIZE
    .global irq_stack_top
irq_stack_top:
