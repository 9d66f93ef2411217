// How a virtio driver reaches its device, whatever the bus (virtio 1.2, 4): status, feature
// bits, virtqueue registers, notifications, the device-specific configuration space and the
// interrupt. One implementation per transport (virtio_mmio.cpp, virtio_pci.cpp); only modern
// (VERSION_1) devices are driven.
#pragma once

#include <cstddef>
#include <cstdint>

#include "arch/interrupts.hpp"
#include "lib/result.hpp"

namespace coronet::virtio {

// Device status field (2.1).
inline constexpr uint8_t kStatusAcknowledge = 1;
inline constexpr uint8_t kStatusDriver = 2;
inline constexpr uint8_t kStatusDriverOk = 4;
inline constexpr uint8_t kStatusFeaturesOk = 8;
inline constexpr uint8_t kStatusNeedsReset = 64;
inline constexpr uint8_t kStatusFailed = 128;

// Device-independent feature bits (6).
inline constexpr uint64_t kFeatureIndirectDesc = 1ULL << 28;
inline constexpr uint64_t kFeatureEventIdx = 1ULL << 29;
inline constexpr uint64_t kFeatureVersion1 = 1ULL << 32;
inline constexpr uint64_t kFeatureAccessPlatform = 1ULL << 33;
inline constexpr uint64_t kFeatureRingPacked = 1ULL << 34;

// Device types (5).
inline constexpr uint32_t kDeviceNet = 1;
inline constexpr uint32_t kDeviceBlock = 2;
const char* device_type_name(uint32_t type);  // "net", "block", ..., "unknown"

// ISR status bits (4.1.4.5, 4.2.2 InterruptStatus).
inline constexpr uint32_t kInterruptUsedBuffer = 1;
inline constexpr uint32_t kInterruptConfigChange = 2;

struct QueueAddresses {
    uint64_t descriptors;  // descriptor table
    uint64_t driver;       // available ring
    uint64_t device;       // used ring
};

class Transport {
public:
    // "mmio@0xfeb00e00 irq 12", "pci 00:02.0 msi-x vector 0x80": for log lines.
    virtual const char* name() const = 0;
    virtual uint32_t device_type() const = 0;

    // Writes 0 to the status and waits until the device reads back 0 (2.4).
    virtual void reset() = 0;
    virtual uint8_t status() = 0;
    virtual void set_status(uint8_t status) = 0;
    virtual uint64_t device_features() = 0;
    virtual void set_driver_features(uint64_t features) = 0;

    // The largest size the device allows for queue `index`; 0: no such queue.
    virtual uint16_t queue_max_size(uint16_t index) = 0;
    // Sets the queue's size and ring addresses and enables it (before DRIVER_OK).
    virtual Result<void> enable_queue(uint16_t index, uint16_t size,
                                      const QueueAddresses& rings) = 0;
    // Available buffer notification ("kick") for queue `index`.
    virtual void notify(uint16_t index) = 0;

    // Device-specific configuration space, read with accesses of the field's own width. Reads
    // of more than one field go inside a config_generation() retry loop (2.5.1).
    virtual uint32_t config_generation() = 0;
    virtual uint8_t config_read8(uint32_t offset) = 0;
    virtual uint16_t config_read16(uint32_t offset) = 0;
    virtual uint32_t config_read32(uint32_t offset) = 0;

    // Routes the device's interrupt to `handler` (MSI-X vector, INTx or the board's line). Call
    // it before enable_queue(): PCI binds each queue to the MSI-X vector there.
    virtual Result<void> attach_interrupt(arch::irq::Handler handler, void* context) = 0;
    // From the handler: acknowledges the interrupt so the line drops, and returns the ISR bits
    // (kInterruptUsedBuffer, kInterruptConfigChange). 0 means it was not this device's.
    virtual uint32_t acknowledge_interrupt() = 0;

protected:
    ~Transport() = default;
};

// Device initialization (3.1.1) up to FEATURES_OK: reset, ACKNOWLEDGE, DRIVER, then accept
// `wanted` & offered. Error::Unsupported (and status FAILED) when `required` is not all offered
// or the device refuses the set; the negotiated features otherwise.
Result<uint64_t> negotiate_features(Transport& transport, uint64_t wanted, uint64_t required);
// Tells the device the driver gave up on it (FAILED).
void fail_device(Transport& transport);

}  // namespace coronet::virtio
