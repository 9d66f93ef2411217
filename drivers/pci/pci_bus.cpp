// PCI configuration mechanism #1: write the function's address and the register's dword to
// 0xCF8, then access the data window at 0xCFC (+ the byte offset for narrower accesses).
#include "drivers/pci/pci_bus.hpp"

#include "arch/cpu.hpp"
#include "arch/port_io.hpp"

namespace coronet::pci {
namespace {

constexpr uint16_t kConfigAddress = 0xCF8;
constexpr uint16_t kConfigData = 0xCFC;
constexpr uint32_t kEnable = 1u << 31;
constexpr unsigned kDevicesPerBus = 32;
constexpr unsigned kFunctionsPerDevice = 8;
constexpr uint8_t kHeaderMultiFunction = 0x80;
constexpr uint8_t kHeaderTypeMask = 0x7F;
constexpr uint8_t kHeaderBridge = 0x01;
constexpr int kMaxCapabilities = 48;  // 192 bytes of capability space / 4-byte minimum
constexpr uint32_t kBarIo = 1;
constexpr uint32_t kBarType64 = 0x4;
constexpr uint32_t kBarTypeMask = 0x6;
constexpr uint32_t kBarMemoryMask = ~0xFu;

void select(Address a, uint16_t offset) {
    arch::port_out32(kConfigAddress, kEnable | uint32_t(a.bus) << 16 |
                                         uint32_t(a.device & 31) << 11 |
                                         uint32_t(a.function & 7) << 8 | (offset & 0xFC));
}

}  // namespace

// The address/data pair is one shared resource: no interrupt may come between the two.
uint8_t read8(Address a, uint16_t offset) {
    arch::InterruptGuard guard;
    select(a, offset);
    return arch::port_in8(static_cast<uint16_t>(kConfigData + (offset & 3)));
}

uint16_t read16(Address a, uint16_t offset) {
    arch::InterruptGuard guard;
    select(a, offset);
    return arch::port_in16(static_cast<uint16_t>(kConfigData + (offset & 2)));
}

uint32_t read32(Address a, uint16_t offset) {
    arch::InterruptGuard guard;
    select(a, offset);
    return arch::port_in32(kConfigData);
}

void write16(Address a, uint16_t offset, uint16_t value) {
    arch::InterruptGuard guard;
    select(a, offset);
    arch::port_out16(static_cast<uint16_t>(kConfigData + (offset & 2)), value);
}

void write32(Address a, uint16_t offset, uint32_t value) {
    arch::InterruptGuard guard;
    select(a, offset);
    arch::port_out32(kConfigData, value);
}

void enumerate(Visitor visit, void* context) {
    bool queued[256] = {};
    uint8_t buses[256];
    unsigned head = 0, tail = 0;
    buses[tail++] = 0;
    queued[0] = true;
    while (head < tail) {
        uint8_t bus = buses[head++];
        for (unsigned device = 0; device < kDevicesPerBus; ++device) {
            Address first{bus, static_cast<uint8_t>(device), 0};
            if (read16(first, kVendorId) == 0xFFFF) continue;
            bool multi = read8(first, kHeaderType) & kHeaderMultiFunction;
            for (unsigned function = 0; function < (multi ? kFunctionsPerDevice : 1); ++function) {
                Address a{bus, static_cast<uint8_t>(device), static_cast<uint8_t>(function)};
                uint16_t vendor = read16(a, kVendorId);
                if (vendor == 0xFFFF) continue;
                visit(Function{a, vendor, read16(a, kDeviceId)}, context);
                if ((read8(a, kHeaderType) & kHeaderTypeMask) != kHeaderBridge) continue;
                uint8_t secondary = read8(a, kSecondaryBus);
                if (secondary != 0 && !queued[secondary] && tail < 256) {
                    queued[secondary] = true;
                    buses[tail++] = secondary;
                }
            }
        }
    }
}

uint8_t find_capability(Address a, uint8_t id, uint8_t after) {
    if (!(read16(a, kStatus) & kStatusCapabilityList)) return 0;
    auto next = [a](uint8_t cap) {
        return read8(a, static_cast<uint16_t>(cap + offsetof(CapabilityHeader, next)));
    };
    uint8_t offset = after ? next(after) : read8(a, kCapabilities);
    for (int i = 0; i < kMaxCapabilities && offset >= 0x40; ++i) {
        offset &= 0xFC;
        uint8_t found = read8(a, static_cast<uint16_t>(offset + offsetof(CapabilityHeader, id)));
        if (found == id) return offset;
        offset = next(offset);
    }
    return 0;
}

Result<uint64_t> memory_bar(Address a, unsigned index) {
    if (index > 5) return Error::InvalidArgument;
    auto reg = static_cast<uint16_t>(kBar0 + 4 * index);
    uint32_t low = read32(a, reg);
    if (low & kBarIo) return Error::Unsupported;
    uint64_t address = low & kBarMemoryMask;
    if ((low & kBarTypeMask) == kBarType64) {
        if (index == 5) return Error::InvalidArgument;
        address |= uint64_t(read32(a, static_cast<uint16_t>(reg + 4))) << 32;
    }
    if (address == 0) return Error::NotFound;
    return address;
}

}  // namespace coronet::pci
