// What the TCP/IP stack needs from a network interface driver (virtio-net today). The driver
// owns its buffers; received frames are lent to the stack without copying and handed back
// with recycle(); transmitted frames are copied into the driver's ring buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/sched/scheduler.hpp"
#include "lib/result.hpp"

namespace coronet::drivers {

inline constexpr size_t kMacLength = 6;

struct Fragment {
    const void* data;
    size_t length;
};

struct ReceivedFrame {
    void* data;  // the Ethernet frame (no device headers)
    size_t length;
    void* cookie;  // give back to recycle() when the stack is done with the frame
};

struct NetCounters {
    uint64_t rx_packets, rx_bytes, rx_dropped;
    uint64_t tx_packets, tx_bytes, tx_dropped;
    uint64_t tx_ring_full;  // transmit found no free descriptor
    uint64_t interrupts;
    uint64_t interrupts_missed;  // work found waiting under an armed interrupt (check_interrupts)
    uint64_t notifications;      // device kicks actually sent (after suppression)
};

class NetDevice {
public:
    virtual const char* name() const = 0;
    virtual const uint8_t* mac() const = 0;  // kMacLength bytes
    virtual uint16_t mtu() const = 0;        // payload MTU (1500)
    virtual bool link_up() const = 0;

    // Queues one frame, gathered from fragments, for transmission. Error::Busy when the
    // transmit ring is full even after reclaiming completed buffers: the frame was not taken.
    virtual Result<void> transmit(const Fragment* fragments, size_t count) = 0;
    // Tells the device about queued frames (batched: call once after a burst).
    virtual void flush() = 0;
    // Signalled (from the interrupt handler) when frames arrived or transmit space was freed.
    virtual sched::EventSource& events() = 0;

    // Hands up to `budget` received frames to `deliver`, reclaims finished transmit buffers,
    // re-enables interrupts and returns how many frames were delivered. Runs in reactor context.
    using Deliver = void (*)(void* context, const ReceivedFrame& frame);
    virtual size_t poll(size_t budget, Deliver deliver, void* context) = 0;
    // Returns a received buffer to the device (re-posts it).
    virtual void recycle(void* cookie) = 0;

    // The stack calls this now and then (a tenth of a second apart or more) from reactor
    // context. Work that has waited since the previous call with the device's interrupt armed
    // and nothing taken in between means a notification was lost: the driver signals events()
    // so the work gets polled, counts it, and returns true.
    virtual bool check_interrupts() = 0;

    virtual NetCounters counters() const = 0;

protected:
    ~NetDevice() = default;
};

// Drivers register their devices at boot; the stack brings up an interface for each.
void register_device(NetDevice& device);
size_t device_count();
NetDevice* device(size_t index);

}  // namespace coronet::drivers
