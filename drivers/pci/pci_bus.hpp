// PCI configuration space through the PC's configuration mechanism #1 (ports 0xCF8/0xCFC;
// PCI Local Bus 3.0, 3.2.2.3.2): enumeration of bus 0 and the buses behind its bridges,
// capability lists, memory BARs. Only boards with Board::pci_port_io may call it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/result.hpp"

namespace coronet::pci {

struct Address {
    uint8_t bus;
    uint8_t device;
    uint8_t function;
};

// Type 0/1 configuration header (PCI Local Bus 3.0, 6.1).
inline constexpr uint16_t kVendorId = 0x00;
inline constexpr uint16_t kDeviceId = 0x02;
inline constexpr uint16_t kCommand = 0x04;
inline constexpr uint16_t kStatus = 0x06;
inline constexpr uint16_t kHeaderType = 0x0E;
inline constexpr uint16_t kBar0 = 0x10;
inline constexpr uint16_t kSecondaryBus = 0x19;  // type 1 (bridge)
inline constexpr uint16_t kSubsystemId = 0x2E;   // type 0
inline constexpr uint16_t kCapabilities = 0x34;
inline constexpr uint16_t kInterruptLine = 0x3C;
inline constexpr uint16_t kInterruptPin = 0x3D;

inline constexpr uint16_t kCommandMemory = 1 << 1;
inline constexpr uint16_t kCommandBusMaster = 1 << 2;
inline constexpr uint16_t kCommandInterruptDisable = 1 << 10;
inline constexpr uint16_t kStatusCapabilityList = 1 << 4;

inline constexpr uint8_t kCapabilityVendor = 0x09;
inline constexpr uint8_t kCapabilityMsix = 0x11;

// Every capability starts so: its ID and the offset of the next one (PCI Local Bus 3.0, 6.7).
// A capability's own layout is a struct beginning with this header, read a field at a time.
struct CapabilityHeader {
    uint8_t id;
    uint8_t next;
};

uint8_t read8(Address a, uint16_t offset);
uint16_t read16(Address a, uint16_t offset);
uint32_t read32(Address a, uint16_t offset);
void write16(Address a, uint16_t offset, uint16_t value);
void write32(Address a, uint16_t offset, uint32_t value);

struct Function {
    Address address;
    uint16_t vendor_id;
    uint16_t device_id;
};
using Visitor = void (*)(const Function& function, void* context);
// Every function present, bus 0 first, then each bridge's secondary bus (as firmware numbered
// them; buses are not renumbered).
void enumerate(Visitor visit, void* context);

// Offset of the first capability with `id` after the one at `after` (0: from the start); 0 if
// none. The list is walked with a bound, so a looping list cannot hang the caller.
uint8_t find_capability(Address a, uint8_t id, uint8_t after = 0);

// The address memory BAR `index` decodes (a 64-bit BAR spans index and index + 1). Error::
// Unsupported for an I/O BAR, Error::NotFound for one firmware left unassigned.
Result<uint64_t> memory_bar(Address a, unsigned index);

}  // namespace coronet::pci
