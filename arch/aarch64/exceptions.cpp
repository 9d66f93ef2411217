// The C++ side of every exception: IRQs go to the GIC; synchronous exceptions become
// FaultReports for the kernel's handler; everything else is reported as unexpected.
#include <cinttypes>
#include <cstdio>

#include "arch/aarch64/esr.hpp"
#include "arch/aarch64/gicv3.hpp"
#include "arch/aarch64/semihosting.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/trap_frame.hpp"
#include "arch/cpu.hpp"
#include "arch/fault.hpp"

extern "C" char aarch64_exception_vectors[];

namespace coronet::arch {
namespace {

using namespace aarch64;

FaultHandler g_fault_handler = nullptr;
MissingPageResolver g_resolver = nullptr;
char g_detail[160];
volatile int g_emergency_entries = 0;

constexpr const char* kKindNames[16] = {"synchronous (SP_EL0)",
                                        "IRQ (SP_EL0)",
                                        "FIQ (SP_EL0)",
                                        "SError (SP_EL0)",
                                        "synchronous",
                                        "IRQ",
                                        "FIQ",
                                        "SError",
                                        "synchronous from EL0",
                                        "IRQ from EL0",
                                        "FIQ from EL0",
                                        "SError from EL0",
                                        "synchronous from AArch32",
                                        "IRQ from AArch32",
                                        "FIQ from AArch32",
                                        "SError from AArch32"};

void append(char* buf, size_t len, const char* text) {
    size_t used = 0;
    while (used < len && buf[used]) ++used;
    if (used < len) snprintf(buf + used, len - used, "%s", text);
}

[[noreturn]] void report(const TrapFrame& frame, const char* cause, bool has_address) {
    if (frame.kind & TRAP_KIND_EMERGENCY) {
        append(g_detail, sizeof g_detail, g_detail[0] ? "; " : "");
        append(g_detail, sizeof g_detail,
               (frame.sp & 15) ? "SP misaligned, reported from the emergency stack"
                               : "stack overflow: the stack could not take the trap frame, "
                                 "reported from the emergency stack");
    }
    FaultReport report{
        .cause = cause,
        .detail = g_detail,
        .code = frame.esr,
        .has_address = has_address,
        .address = frame.far,
        .pc = frame.elr,
        .sp = frame.sp,
        .fp = frame.x[29],
        .frame = &frame,
    };
    if (g_fault_handler) g_fault_handler(report);
    printf("\nPANIC: %s at 0x%" PRIx64 " (no fault handler)\n", cause, frame.elr);
    print_registers(frame);
    exit(3);
}

[[noreturn]] void synchronous(TrapFrame& frame) {
    EsrSummary summary = decode_esr(frame.esr, g_detail, sizeof g_detail);
    report(frame, summary.cause, summary.far_valid);
}

[[noreturn]] void unexpected(TrapFrame& frame, unsigned kind) {
    char esr_text[96];
    EsrSummary summary = decode_esr(frame.esr, esr_text, sizeof esr_text);
    snprintf(g_detail, sizeof g_detail, "%s exception; ESR says %s%s%s", kKindNames[kind],
             summary.cause, esr_text[0] ? ", " : "", esr_text);
    report(frame, "unexpected exception", false);
}

bool is_semihosting_trap(const TrapFrame& frame) {
    return exception_class(frame.esr) == ExceptionClass::Unknown &&
           frame.elr == reinterpret_cast<uint64_t>(aarch64_semihost_trap);
}

}  // namespace

void set_fault_handler(FaultHandler handler) { g_fault_handler = handler; }

void set_missing_page_resolver(MissingPageResolver resolver) { g_resolver = resolver; }

// The kernel switched away from a fault handler instead of returning through ERET. What the
// vectors keep across a fault: the emergency stack (reloaded at its top by every entry that
// needs it; the abandoned frame on it is dead) and this count, which would make the next
// overflow look like a fault inside the report. SP_EL0 was scratch only. Taking the exception
// masked D, A, I and F: SErrors are unmasked again as init_exceptions() left them; IRQs are the
// caller's (interrupts_enable()), debug stays masked. PSTATE.SPSel is still 1 (SP_EL1). The
// exclusive monitor is cleared as an exception return would have done.
void fault_abandoned() {
    g_emergency_entries = 0;
    asm volatile("clrex\n msr daifclr, #4" ::: "memory");
}

void init_exceptions() {
    WRITE_SYSREG(vbar_el1, reinterpret_cast<uint64_t>(aarch64_exception_vectors));
    isb();
    // SErrors (asynchronous aborts) are reported from now on; debug exceptions stay masked.
    asm volatile("msr daifclr, #4" ::: "memory");
}

void print_registers(const TrapFrame& f) {
    printf("registers:\n");
    for (int row = 0; row < 8; ++row) {
        printf(" ");
        for (int col = 0; col < 4; ++col) {
            int r = row * 4 + col;
            if (r < 31) printf(" x%-2d %016" PRIx64, r, f.x[r]);
            else printf(" sp  %016" PRIx64, f.sp);
        }
        printf("\n");
    }
    printf("  pc  %016" PRIx64 " pstate %08" PRIx64 " esr %08" PRIx64 " far %016" PRIx64 "\n",
           f.elr, f.spsr, f.esr, f.far);
}

}  // namespace coronet::arch

extern "C" void aarch64_trap(coronet::arch::TrapFrame* frame) {
    using namespace coronet::arch;
    unsigned kind = frame->kind & TRAP_KIND_MASK;
    if (kind == TRAP_KIND_SPX_IRQ) {
        aarch64::gic::handle_irq();
        return;
    }
    // A page that is not mapped yet (demand paging). Often taken on the emergency stack: the
    // stub's probe for room below SP failed on that very page. Either way the frame holds the
    // interrupted SP and ERET resumes the access; the resolver itself never faults, so the
    // emergency stack is not entered twice.
    if (kind == TRAP_KIND_SPX_SYNC && g_resolver && aarch64::is_missing_page(frame->esr) &&
        g_resolver(frame->far))
        return;
    if (frame->kind & TRAP_KIND_EMERGENCY) {
        // A fault while reporting from the emergency stack: nothing sane is left to run.
        g_emergency_entries = g_emergency_entries + 1;
        if (g_emergency_entries > 1) {
            aarch64::semihost_write("coronet: fault on the emergency stack\n");
            exit(3);
        }
    } else if (kind == TRAP_KIND_SPX_SYNC && is_semihosting_trap(*frame)) {
        // No semihosting host: HLT #0xF000 is undefined. Report "not available" to the caller.
        frame->x[0] = ~0ULL;
        frame->elr += 4;
        return;
    }
    // SErrors have a syndrome too (EC 0x2f): report them like synchronous exceptions.
    if (kind == TRAP_KIND_SPX_SYNC || kind == TRAP_KIND_SPX_SERROR) synchronous(*frame);
    unexpected(*frame, kind);
}
