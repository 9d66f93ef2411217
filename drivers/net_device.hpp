// What the TCP/IP stack needs from a network interface driver (virtio-net today). The driver
// owns its receive buffers; received frames are lent to the stack without copying, a buffer or
// several (a large frame the device coalesced), and each buffer is handed back with recycle().
// A transmitted frame is either sent from the stack's own memory, which the
// stack keeps until the driver releases it, or copied into the driver's ring buffers (small
// frames, where a copy is cheaper than a descriptor).
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

// What a device can finish for the stack on transmit (virtio-net's CSUM, HOST_TSO4/6), and
// what it may hand over on receive (GUEST_CSUM, GUEST_TSO4/6 with MRG_RXBUF).
struct Offloads {
    bool checksum = false;  // the TCP/UDP checksum, from the pseudo-header sum the stack leaves
    bool tcp4_segmentation = false;  // one frame of up to 64 KiB sent as MTU-sized TCP segments
    bool tcp6_segmentation = false;
    bool rx_checksum = false;   // received frames may come with their TCP/UDP checksum vouched for
    bool rx_coalesced = false;  // received TCP frames may be up to 64 KiB, as several buffers
};

// How the device is to finish one frame (virtio_net_hdr's fields; offsets from the frame's
// first byte).
struct TxOffload {
    enum class Segmentation : uint8_t { None, Tcp4, Tcp6 };
    bool checksum = false;  // fill in the checksum at checksum_start + checksum_offset
    uint16_t checksum_start = 0;
    uint16_t checksum_offset = 0;
    Segmentation segmentation = Segmentation::None;
    uint16_t segment_size = 0;   // payload bytes per segment
    uint16_t header_length = 0;  // Ethernet, IP and TCP headers
};

inline constexpr size_t kMaxSegmentedFrame = 65535 + 14;  // an IP datagram's limit + Ethernet

struct TxFrame {
    const Fragment* fragments;
    size_t count;
    TxOffload offload;
    // Non-null: the stack's handle on the fragments' memory. The device owns it from a
    // successful transmit() until it calls the release function it was given (right away if it
    // copied the frame).
    void* owner = nullptr;
};

// One receive buffer's part of a frame.
struct ReceivedPiece {
    void* data;
    size_t length;
    void* cookie;  // give back to recycle() when the stack is done with this buffer
};

inline constexpr size_t kMaxReceivedFrame = 65535;  // what the stack takes (a pbuf's tot_len)

struct ReceivedFrame {
    const ReceivedPiece* pieces;  // the Ethernet frame (no device headers), in order
    size_t count;
    size_t length;  // all pieces together, at most kMaxReceivedFrame
    // The device checked the TCP/UDP checksum, or the sender was local and left it partial
    // (virtio's DATA_VALID, NEEDS_CSUM): the stack must not check it.
    bool checksum_trusted;
};

struct NetCounters {
    uint64_t rx_packets, rx_bytes, rx_dropped;
    uint64_t rx_coalesced;         // frames the device handed over whole across several buffers
    uint64_t rx_checksum_trusted;  // frames whose TCP/UDP checksum the stack did not check
    uint64_t tx_packets, tx_bytes, tx_dropped;
    uint64_t tx_ring_full;  // transmit found no free descriptor
    uint64_t interrupts;
    uint64_t interrupts_missed;  // work found waiting under an armed interrupt (check_interrupts)
    uint64_t notifications;      // device kicks actually sent (after suppression)
    uint64_t rx_nudges;          // receive notifications repeated by check_interrupts()
};

class NetDevice {
public:
    virtual const char* name() const = 0;
    virtual const uint8_t* mac() const = 0;  // kMacLength bytes
    virtual uint16_t mtu() const = 0;        // payload MTU (1500)
    virtual bool link_up() const = 0;
    virtual Offloads offloads() const = 0;

    // How the device gives an owner back (set once, before the first transmit()).
    using Release = void (*)(void* owner);
    virtual void set_release(Release release) = 0;
    // Queues one frame, gathered from fragments, for transmission. Error::Busy when the
    // transmit ring is full even after reclaiming completed buffers: the frame was not taken
    // (nor its owner).
    virtual Result<void> transmit(const TxFrame& frame) = 0;
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
    // so the work gets polled, counts it, and returns true. The other way round, a driver may
    // also tell an idle device again about buffers it holds (virtio-net's rx_nudges).
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
