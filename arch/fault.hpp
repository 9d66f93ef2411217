// CPU faults reported to the kernel: the arch decodes the exception, the kernel's handler
// (panic) prints and ends the machine.
#pragma once

#include <cstdint>

namespace coronet::arch {

struct TrapFrame;  // per arch: arch/<arch>/trap_frame.hpp

struct FaultReport {
    const char* cause;   // "page fault", "data abort", "general protection", ...
    const char* detail;  // decoded error code / ESR, or ""
    uint64_t code;       // vector number (x86-64) or ESR (AArch64)
    bool has_address;
    uint64_t address;  // CR2 / FAR
    uint64_t pc;
    uint64_t sp;
    uint64_t fp;
    const TrapFrame* frame;
};

using FaultHandler = void (*)(const FaultReport& report);
void set_fault_handler(FaultHandler handler);

// Offered every data access that faulted on an unmapped page before it is reported: returns true
// when it mapped the page, and the access is retried. Runs on the fault's own stack with
// interrupts masked; it must not fault itself (identity-mapped memory only).
using MissingPageResolver = bool (*)(uint64_t address);
void set_missing_page_resolver(MissingPageResolver resolver);

// Called after the kernel abandoned a fault handler by switching to another context instead of
// returning (a coroutine killed by a stack overflow): resets per-exception state the arch keeps.
void fault_abandoned();

// Prints the general registers of a trap frame with printf.
void print_registers(const TrapFrame& frame);

}  // namespace coronet::arch
