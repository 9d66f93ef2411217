// The kernel command line's description of virtio-mmio devices, as microvm (acpi=off) and
// Firecracker append it: `virtio_mmio.device=<size>@<base>:<irq>[:<id>]`, once per device.
// Pure parsing, unit-tested on the host.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace coronet::virtio {

inline constexpr std::string_view kMmioDeviceKey = "virtio_mmio.device";

struct MmioDeviceSpec {
    uint64_t base;
    uint64_t size;
    uint32_t irq;  // GSI (x86-64) or GIC INTID, as the board numbers its interrupts
};

// Parses the value of one `virtio_mmio.device=` word: size in bytes with an optional K/M/G
// suffix, base address (0x-hex or decimal), interrupt (decimal), and an optional platform
// device id that is ignored. nullopt if malformed.
std::optional<MmioDeviceSpec> parse_mmio_device(std::string_view text);

}  // namespace coronet::virtio
