// Legacy 8259A PIC: remapped and masked at boot.
#pragma once

namespace coronet::arch::x86_64::pic {
void disable();
}
