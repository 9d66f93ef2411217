// PSCI calls over the conduit the device tree names (SMC Calling Convention, Arm DEN 0028).
#include "arch/aarch64/psci.hpp"

#include <libfdt.h>

#include <cstdint>
#include <cstring>

#include "arch/aarch64/device_tree.hpp"

namespace coronet::arch::aarch64::psci {
namespace {

enum class Conduit : uint8_t { None, Hvc, Smc };
constinit Conduit g_conduit = Conduit::None;

constexpr uint64_t kSystemOff = 0x84000008;  // PSCI 0.2+, SMC32 function ID

uint64_t call(uint64_t function) {
    register uint64_t x0 asm("x0") = function;
    register uint64_t x1 asm("x1") = 0;
    register uint64_t x2 asm("x2") = 0;
    register uint64_t x3 asm("x3") = 0;
    // SMCCC: x0-x17 may be clobbered by the callee (results in x0-x3).
    if (g_conduit == Conduit::Hvc) {
        asm volatile("hvc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
                       "x16", "x17", "memory");
    } else {
        asm volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
                       "x16", "x17", "memory");
    }
    return x0;
}

}  // namespace

void init() {
    const dt::Node& node = dt::inventory().psci;
    if (!node.valid()) return;
    const char* method =
        static_cast<const char*>(fdt_getprop(dt::blob(), node.offset, "method", nullptr));
    if (!method) return;
    if (std::strcmp(method, "hvc") == 0) g_conduit = Conduit::Hvc;
    else if (std::strcmp(method, "smc") == 0) g_conduit = Conduit::Smc;
}

bool available() { return g_conduit != Conduit::None; }

void system_off() {
    if (g_conduit == Conduit::None) return;
    call(kSystemOff);
}

}  // namespace coronet::arch::aarch64::psci
