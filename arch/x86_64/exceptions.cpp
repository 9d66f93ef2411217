// GDT/TSS/IDT setup and the C++ side of every trap: CPU exceptions become FaultReports for the
// kernel's handler; external vectors go to the interrupt dispatcher.
#include <cinttypes>
#include <cstdio>

#include "arch/cpu.hpp"
#include "arch/fault.hpp"
#include "arch/x86_64/cpu_bits.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/interrupts.hpp"
#include "arch/x86_64/trap_frame.hpp"

extern "C" char x86_64_vector_stubs[];

namespace coronet::arch {
namespace {

using namespace x86_64;

TaskStateSegment g_tss;
alignas(16) uint64_t g_gdt[5];
alignas(16) IdtGate g_idt[256];
alignas(16) uint8_t g_ist_stacks[kIstCount][kIstStackSize];
FaultHandler g_fault_handler = nullptr;
MissingPageResolver g_resolver = nullptr;

constexpr const char* kExceptionNames[32] = {"divide error",
                                             "debug",
                                             "NMI",
                                             "breakpoint",
                                             "overflow",
                                             "bound range exceeded",
                                             "invalid opcode",
                                             "device not available",
                                             "double fault",
                                             "coprocessor segment overrun",
                                             "invalid TSS",
                                             "segment not present",
                                             "stack-segment fault",
                                             "general protection fault",
                                             "page fault",
                                             "reserved (15)",
                                             "x87 floating-point error",
                                             "alignment check",
                                             "machine check",
                                             "SIMD floating-point error",
                                             "virtualization exception",
                                             "control protection",
                                             "reserved (22)",
                                             "reserved (23)",
                                             "reserved (24)",
                                             "reserved (25)",
                                             "reserved (26)",
                                             "reserved (27)",
                                             "hypervisor injection",
                                             "VMM communication",
                                             "security exception",
                                             "reserved (31)"};

void load_gdt() {
    g_gdt[0] = 0;
    g_gdt[1] = GDT_CODE64_DESCRIPTOR;
    g_gdt[2] = GDT_DATA_DESCRIPTOR;
    auto base = reinterpret_cast<uint64_t>(&g_tss);
    uint64_t limit = sizeof(g_tss) - 1;
    g_gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (uint64_t(kTssAvailable) << 40) |
               (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    g_gdt[4] = base >> 32;
    for (unsigned i = 0; i < kIstCount; ++i)
        g_tss.ist[i] = reinterpret_cast<uint64_t>(g_ist_stacks[i] + kIstStackSize);
    g_tss.iomap_base = sizeof(g_tss);

    DescriptorPointer pointer{sizeof(g_gdt) - 1, reinterpret_cast<uint64_t>(g_gdt)};
    // Reload CS with a far return; data segments with the flat selector; then the task register.
    asm volatile(
        "lgdt %0\n"
        "pushq %1\n"
        "leaq 1f(%%rip), %%rax\n"
        "pushq %%rax\n"
        "lretq\n"
        "1:\n"
        "movw %w2, %%ax\n"
        "movw %%ax, %%ds\n"
        "movw %%ax, %%es\n"
        "movw %%ax, %%ss\n"
        "ltr %w3\n"
        :
        : "m"(pointer), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA), "r"(GDT_TSS)
        : "rax", "memory");
}

void set_gate(unsigned vector, uint8_t ist) {
    auto handler = reinterpret_cast<uint64_t>(x86_64_vector_stubs + vector * 16);
    g_idt[vector] = IdtGate{
        .offset_low = static_cast<uint16_t>(handler),
        .selector = GDT_KERNEL_CODE,
        .ist = ist,
        .type_attributes = kInterruptGate,
        .offset_mid = static_cast<uint16_t>(handler >> 16),
        .offset_high = static_cast<uint32_t>(handler >> 32),
        .reserved = 0,
    };
}

void load_idt() {
    for (unsigned v = 0; v < 256; ++v) set_gate(v, v >= kFirstExternalVector ? kIstInterrupt : 0);
    // Faults that can hit with a broken stack (overflow onto a guard page) get their own stacks.
    set_gate(kVectorDoubleFault, kIstDoubleFault);
    set_gate(kVectorPageFault, kIstPageFault);
    set_gate(kVectorNmi, kIstNmi);
    set_gate(kVectorMachineCheck, kIstMachineCheck);
    DescriptorPointer pointer{sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(g_idt)};
    asm volatile("lidt %0" : : "m"(pointer));
}

// Page-fault error code (SDM 4.7): what was attempted and why it failed.
const char* page_fault_detail(uint64_t code) {
    bool present = code & 1, write = code & 2, fetch = code & 16, reserved = code & 8;
    if (reserved) return "reserved bit set in a page-table entry";
    if (fetch)
        return present ? "instruction fetch from a no-execute page"
                       : "instruction fetch from an unmapped page";
    if (write) return present ? "write to a read-only page" : "write to an unmapped page";
    return present ? "read denied" : "read of an unmapped page";
}

// Page-fault error code bits (SDM 4.7).
constexpr uint64_t kPageFaultPresent = 1 << 0;
constexpr uint64_t kPageFaultFetch = 1 << 4;

// A data access to a page that is not mapped, which the resolver may map (demand paging).
bool resolve_missing_page(const TrapFrame& frame) {
    if (frame.vector != kVectorPageFault || !g_resolver) return false;
    if (frame.error_code & (kPageFaultPresent | kPageFaultFetch)) return false;
    uint64_t cr2;
    asm volatile("mov %%cr2, %0" : "=r"(cr2));
    return g_resolver(cr2);
}

[[noreturn]] void report_fault(const TrapFrame& frame) {
    uint64_t cr2 = 0;
    bool page_fault = frame.vector == kVectorPageFault;
    if (page_fault) asm volatile("mov %%cr2, %0" : "=r"(cr2));
    FaultReport report{
        .cause = frame.vector < 32 ? kExceptionNames[frame.vector] : "unexpected vector",
        .detail = page_fault ? page_fault_detail(frame.error_code) : "",
        .code = frame.vector,
        .has_address = page_fault,
        .address = cr2,
        .pc = frame.rip,
        .sp = frame.rsp,
        .fp = frame.rbp,
        .frame = &frame,
    };
    if (g_fault_handler) g_fault_handler(report);
    printf("\nPANIC: %s at 0x%" PRIx64 " (no fault handler)\n", report.cause, report.pc);
    exit(3);
}

}  // namespace

void set_fault_handler(FaultHandler handler) { g_fault_handler = handler; }

void set_missing_page_resolver(MissingPageResolver resolver) { g_resolver = resolver; }

// Nothing to reset: each fault vector's IST stack pointer is reloaded from the TSS on entry.
void fault_abandoned() {}

void init_exceptions() {
    load_gdt();
    load_idt();
}

void print_registers(const TrapFrame& f) {
    printf("registers:\n");
    printf("  rax %016" PRIx64 "  rbx %016" PRIx64 "  rcx %016" PRIx64 "  rdx %016" PRIx64 "\n",
           f.rax, f.rbx, f.rcx, f.rdx);
    printf("  rsi %016" PRIx64 "  rdi %016" PRIx64 "  rbp %016" PRIx64 "  rsp %016" PRIx64 "\n",
           f.rsi, f.rdi, f.rbp, f.rsp);
    printf("  r8  %016" PRIx64 "  r9  %016" PRIx64 "  r10 %016" PRIx64 "  r11 %016" PRIx64 "\n",
           f.r8, f.r9, f.r10, f.r11);
    printf("  r12 %016" PRIx64 "  r13 %016" PRIx64 "  r14 %016" PRIx64 "  r15 %016" PRIx64 "\n",
           f.r12, f.r13, f.r14, f.r15);
    uint64_t cr0, cr3, cr4;
    asm volatile("mov %%cr0, %0; mov %%cr3, %1; mov %%cr4, %2" : "=r"(cr0), "=r"(cr3), "=r"(cr4));
    printf("  rip %016" PRIx64 "  rflags %08" PRIx64 "  cs %04" PRIx64 "  ss %04" PRIx64
           "  error %" PRIx64 "\n",
           f.rip, f.rflags, f.cs, f.ss, f.error_code);
    printf("  cr0 %08" PRIx64 "  cr3 %016" PRIx64 "  cr4 %08" PRIx64 "\n", cr0, cr3, cr4);
}

}  // namespace coronet::arch

extern "C" void x86_64_trap(coronet::arch::TrapFrame* frame) {
    using namespace coronet::arch;
    if (frame->vector < x86_64::kFirstExternalVector) {
        if (resolve_missing_page(*frame)) return;  // the access is retried
        report_fault(*frame);
    }
    x86_64::dispatch_interrupt(static_cast<unsigned>(frame->vector));
}
