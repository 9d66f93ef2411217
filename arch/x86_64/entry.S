/* PVH entry: QEMU/Firecracker jump here in 32-bit protected mode, paging off, %ebx pointing at
   the hvm_start_info. We clear .bss, build a boot identity map of the low 4 GiB with 2 MiB pages,
   enter long mode and call x86_64_boot(start_info). The final page tables come later (mmu.cpp). */
#include "arch/x86_64/cpu_bits.hpp"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

    .section .note.Xen, "a", @note
    .balign 4
    .long 4                       /* name size ("Xen\0") */
    .long 4                       /* descriptor size */
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .balign 4
    .long pvh_start
    .balign 4

    .section .text.boot, "ax", @progbits
    .code32
    .global pvh_start
    .type pvh_start, @function
pvh_start:
    cli
    cld
    /* Time stamp first, so the banner can report boot time from the first instruction. */
    rdtsc
    mov %eax, %esi
    mov %edx, %ebp

    /* Zero .bss (the loader may not), keeping %ebx (start info) and the TSC in %esi:%ebp. */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov %esi, boot_entry_tsc
    mov %ebp, boot_entry_tsc + 4
    mov %ebx, boot_start_info
    mov $boot_stack_top, %esp

    /* Boot page tables: PML4[0] -> PDPT, PDPT[0..3] -> 4 page directories of 2 MiB pages. */
    mov $boot_pdpt, %eax
    or $(PTE_PRESENT | PTE_WRITE), %eax
    mov %eax, boot_pml4

    mov $boot_pd, %eax
    or $(PTE_PRESENT | PTE_WRITE), %eax
    mov $boot_pdpt, %edi
    mov $4, %ecx
1:  mov %eax, (%edi)
    add $4096, %eax
    add $8, %edi
    loop 1b

    mov $boot_pd, %edi
    mov $(PTE_PRESENT | PTE_WRITE | PTE_HUGE), %eax
    xor %edx, %edx                /* high half of each entry: physical bits 32+ */
    mov $(4 * 512), %ecx
2:  mov %eax, (%edi)
    mov %edx, 4(%edi)
    add $0x200000, %eax
    adc $0, %edx
    add $8, %edi
    loop 2b

    mov $boot_pml4, %eax
    mov %eax, %cr3

    mov %cr4, %eax
    or $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    mov %eax, %cr4

    mov $MSR_EFER, %ecx
    rdmsr
    or $(EFER_LME | EFER_NXE), %eax
    wrmsr

    mov %cr0, %eax
    and $~(CR0_EM | CR0_CD | CR0_NW), %eax
    or $(CR0_PE | CR0_MP | CR0_WP | CR0_PG), %eax
    mov %eax, %cr0

    lgdt boot_gdt_pointer
    ljmp $GDT_KERNEL_CODE, $long_mode_entry

    .code64
long_mode_entry:
    mov $GDT_KERNEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov $boot_stack_top, %rsp
    fninit
    ldmxcsr boot_mxcsr
    xor %ebp, %ebp                /* ends frame-pointer backtraces */
    mov boot_start_info(%rip), %edi
    call x86_64_boot
3:  hlt
    jmp 3b
    .size pvh_start, . - pvh_start

    .section .rodata
    .balign 16
    .global boot_gdt
boot_gdt:
    .quad 0                        /* null */
    .quad GDT_CODE64_DESCRIPTOR    /* GDT_KERNEL_CODE */
    .quad GDT_DATA_DESCRIPTOR      /* GDT_KERNEL_DATA */
boot_gdt_end:
boot_gdt_pointer:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt
boot_mxcsr:
    .long MXCSR_DEFAULT

    .section .bss
    .balign 4096
    .global boot_pml4
boot_pml4:  .skip 4096
boot_pdpt:  .skip 4096
boot_pd:    .skip 4 * 4096
    .balign 16
    .global boot_stack_bottom
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
    .global boot_stack_top
boot_stack_top:
    .balign 8
    .global boot_entry_tsc
boot_entry_tsc: .quad 0
    .global boot_start_info
boot_start_info: .long 0
