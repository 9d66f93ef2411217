// The image's application: what runs once the kernel is up (the appliance, or the in-guest
// tests). Each image links exactly one definition.
#pragma once

#include "arch/boot_info.hpp"

namespace coronet {

// Runs with interrupts enabled. Returning ends the machine with the returned status.
int app_main(const BootInfo& info);

}  // namespace coronet
