// PSCI (Arm DEN 0022): the firmware interface for powering off. The conduit (HVC or SMC)
// comes from the device tree's psci node: calling the wrong one is an undefined instruction at
// EL1 or a trap into a hypervisor that does not expect it.
#pragma once

namespace coronet::arch::aarch64::psci {

// Reads the conduit from the scanned device tree (dt::scan).
void init();
bool available();
// Returns only if there is no PSCI or the call failed.
void system_off();

}  // namespace coronet::arch::aarch64::psci
