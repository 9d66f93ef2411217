// ESR_ELx decoding (see esr.hpp). Field layouts: Arm ARM D17.2.37 (ISS encodings per EC).
#include "arch/aarch64/esr.hpp"

#include <cstdio>

namespace coronet::arch::aarch64 {
namespace {

constexpr uint64_t kIssMask = (1u << 25) - 1;
// Data/instruction abort ISS bits.
constexpr uint64_t kAbortWnR = 1 << 6;   // write, not read (data aborts)
constexpr uint64_t kAbortCM = 1 << 8;    // cache maintenance instruction
constexpr uint64_t kAbortFnV = 1 << 10;  // FAR not valid
constexpr uint64_t kAbortIsv = 1 << 24;  // access size (SAS) valid

const char* class_name(ExceptionClass ec) {
    switch (ec) {
    case ExceptionClass::Unknown: return "undefined instruction";
    case ExceptionClass::WfiWfe: return "trapped WFI/WFE";
    case ExceptionClass::FpAccess: return "FP/SIMD access trap";
    case ExceptionClass::BranchTarget: return "branch target exception";
    case ExceptionClass::IllegalState: return "illegal execution state";
    case ExceptionClass::Svc64: return "supervisor call";
    case ExceptionClass::Hvc64: return "hypervisor call";
    case ExceptionClass::Smc64: return "secure monitor call";
    case ExceptionClass::SysRegTrap: return "system register trap";
    case ExceptionClass::SveAccess: return "SVE access trap";
    case ExceptionClass::PointerAuth: return "pointer authentication failure";
    case ExceptionClass::InstructionAbortLower:
    case ExceptionClass::InstructionAbort: return "instruction abort";
    case ExceptionClass::PcAlignment: return "PC alignment fault";
    case ExceptionClass::DataAbortLower:
    case ExceptionClass::DataAbort: return "data abort";
    case ExceptionClass::SpAlignment: return "SP alignment fault";
    case ExceptionClass::FpException: return "floating-point exception";
    case ExceptionClass::SError: return "SError";
    case ExceptionClass::BreakpointLower:
    case ExceptionClass::Breakpoint: return "hardware breakpoint";
    case ExceptionClass::SoftwareStepLower:
    case ExceptionClass::SoftwareStep: return "software step";
    case ExceptionClass::WatchpointLower:
    case ExceptionClass::Watchpoint: return "watchpoint";
    case ExceptionClass::Brk64: return "breakpoint";
    }
    return "unknown exception class";
}

}  // namespace

void describe_fault_status(uint32_t status, char* out, size_t len) {
    unsigned level = status & 3;
    const char* leveled = nullptr;
    switch (status >> 2) {
    case 0x0: leveled = "address size fault"; break;
    case 0x1: leveled = "translation fault"; break;
    case 0x2: leveled = "access flag fault"; break;
    case 0x3: leveled = "permission fault"; break;
    case 0x5: leveled = "external abort on table walk"; break;
    default: break;
    }
    if (leveled) {
        snprintf(out, len, "%s level %u", leveled, level);
        return;
    }
    const char* text;
    switch (status) {
    case 0x10: text = "synchronous external abort"; break;
    case 0x11: text = "tag check fault"; break;
    case 0x18: text = "parity/ECC error"; break;
    case 0x21: text = "alignment fault"; break;
    case 0x29: text = "address size fault level -1"; break;
    case 0x2b: text = "translation fault level -1"; break;
    case 0x30: text = "TLB conflict abort"; break;
    case 0x31: text = "unsupported atomic hardware update"; break;
    default: text = nullptr; break;
    }
    if (text) snprintf(out, len, "%s", text);
    else snprintf(out, len, "fault status 0x%02x", status);
}

EsrSummary decode_esr(uint64_t esr, char* detail, size_t detail_len) {
    ExceptionClass ec = exception_class(esr);
    uint64_t iss = esr & kIssMask;
    EsrSummary summary{class_name(ec), false};
    if (detail_len) detail[0] = '\0';

    switch (ec) {
    case ExceptionClass::DataAbort:
    case ExceptionClass::DataAbortLower: {
        char status[48];
        describe_fault_status(static_cast<uint32_t>(iss & 0x3f), status, sizeof status);
        const char* access = (iss & kAbortCM)    ? "cache maintenance"
                             : (iss & kAbortWnR) ? "write"
                                                 : "read";
        if (iss & kAbortIsv) {
            snprintf(detail, detail_len, "%s, %u-byte %s", status, 1u << ((iss >> 22) & 3), access);
        } else {
            snprintf(detail, detail_len, "%s, %s", status, access);
        }
        summary.far_valid = !(iss & kAbortFnV);
        break;
    }
    case ExceptionClass::InstructionAbort:
    case ExceptionClass::InstructionAbortLower: {
        char status[48];
        describe_fault_status(static_cast<uint32_t>(iss & 0x3f), status, sizeof status);
        snprintf(detail, detail_len, "%s, instruction fetch", status);
        summary.far_valid = !(iss & kAbortFnV);
        break;
    }
    case ExceptionClass::PcAlignment:
    case ExceptionClass::WatchpointLower:
    case ExceptionClass::Watchpoint: summary.far_valid = true; break;
    case ExceptionClass::Brk64:
        snprintf(detail, detail_len, "brk #0x%x", static_cast<unsigned>(iss & 0xffff));
        break;
    case ExceptionClass::Svc64:
    case ExceptionClass::Hvc64:
    case ExceptionClass::Smc64:
        snprintf(detail, detail_len, "immediate #0x%x", static_cast<unsigned>(iss & 0xffff));
        break;
    case ExceptionClass::SysRegTrap:
        snprintf(detail, detail_len, "%s S%u_%u_C%u_C%u_%u", (iss & 1) ? "mrs" : "msr",
                 static_cast<unsigned>((iss >> 20) & 3), static_cast<unsigned>((iss >> 14) & 7),
                 static_cast<unsigned>((iss >> 10) & 15), static_cast<unsigned>((iss >> 1) & 15),
                 static_cast<unsigned>((iss >> 17) & 7));
        break;
    case ExceptionClass::Unknown:
    case ExceptionClass::SpAlignment: break;
    default:
        snprintf(detail, detail_len, "ISS 0x%07llx", static_cast<unsigned long long>(iss));
        break;
    }
    return summary;
}

}  // namespace coronet::arch::aarch64
