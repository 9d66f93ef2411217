// ESR_ELx decoding (Arm ARM D17.2.37): exception class, abort status codes, syndrome details.
// Pure functions, so the text of every fault report can be tested on the host.
#pragma once

#include <cstddef>
#include <cstdint>

namespace coronet::arch::aarch64 {

// Exception classes (ESR_ELx.EC, bits [31:26]) the kernel can meet.
enum class ExceptionClass : uint8_t {
    Unknown = 0x00,
    WfiWfe = 0x01,
    FpAccess = 0x07,
    BranchTarget = 0x0d,
    IllegalState = 0x0e,
    Svc64 = 0x15,
    Hvc64 = 0x16,
    Smc64 = 0x17,
    SysRegTrap = 0x18,
    SveAccess = 0x19,
    PointerAuth = 0x1c,
    InstructionAbortLower = 0x20,
    InstructionAbort = 0x21,
    PcAlignment = 0x22,
    DataAbortLower = 0x24,
    DataAbort = 0x25,
    SpAlignment = 0x26,
    FpException = 0x2c,
    SError = 0x2f,
    BreakpointLower = 0x30,
    Breakpoint = 0x31,
    SoftwareStepLower = 0x32,
    SoftwareStep = 0x33,
    WatchpointLower = 0x34,
    Watchpoint = 0x35,
    Brk64 = 0x3c,
};

constexpr ExceptionClass exception_class(uint64_t esr) {
    return static_cast<ExceptionClass>((esr >> 26) & 0x3f);
}

struct EsrSummary {
    const char* cause;  // "data abort", "undefined instruction", ...
    bool far_valid;     // FAR_ELx holds the faulting address
};

// Decodes `esr`; writes the details ("translation fault level 3, write") into `detail`.
EsrSummary decode_esr(uint64_t esr, char* detail, size_t detail_len);

// A data abort at the current EL because the address has no translation (DFSC 0b0001LL,
// translation fault at level LL), with FAR valid (ISS.FnV clear): a page that is not mapped.
constexpr bool is_missing_page(uint64_t esr) {
    constexpr uint64_t kFarNotValid = 1ULL << 10;
    return exception_class(esr) == ExceptionClass::DataAbort && (esr & 0x3c) == 0x04 &&
           !(esr & kFarNotValid);
}

// Fault status codes of aborts (ISS.DFSC / IFSC, bits [5:0]): "permission fault level 3".
void describe_fault_status(uint32_t status, char* out, size_t len);

}  // namespace coronet::arch::aarch64
