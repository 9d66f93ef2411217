// virtio-net (virtio 1.2, 5.1): one receive and one transmit queue, 12-byte header, 2 KiB
// receive buffers. Received frames are lent to the stack in place. Where the device offers them
// (QEMU does on a tap with vnet headers) both directions take the offloads: on receive, frames
// whose checksums the device vouches for and TCP frames of up to 64 KiB spread over merged
// buffers (GUEST_CSUM, GUEST_TSO4/6, MRG_RXBUF); on transmit, checksum and TCP segmentation
// (CSUM, HOST_TSO4/6): a frame of the stack's is sent from its own memory behind a header
// descriptor, a small one is copied behind its header into a ring buffer.
#pragma once

#include <cstddef>
#include <cstdint>

#include "drivers/net_device.hpp"
#include "drivers/virtio/transport.hpp"
#include "drivers/virtio/virtqueue.hpp"

namespace coronet::virtio {

class VirtioNet final : public drivers::NetDevice {
public:
    static constexpr uint16_t kMaxQueueSize = 256;  // per queue; the device may offer more
    static constexpr size_t kBufferSize = 2048;     // RX and TX buffers: header + frame
    static constexpr size_t kHeaderSize = 12;       // struct virtio_net_hdr with VERSION_1
    static constexpr size_t kMaxFrameSize = 1518;   // Ethernet header, VLAN tag, 1500 payload
    // Frames shorter than this are copied even when the stack offers its memory: an ACK's 54
    // bytes cost less to copy than a second descriptor and a held buffer.
    static constexpr size_t kCopyBelow = 256;
    static constexpr size_t kMaxFragments = 16;  // of a frame sent in place
    static constexpr size_t kMaxPieces = 32;     // its descriptors: a piece per page or less
    // Below this many transmit descriptors, every frame is copied and segmentation is not
    // offered: a frame sent in place takes up to 1 + kMaxPieces of them.
    static constexpr uint16_t kInPlaceRing = 64;
    // Receive buffers in all: the ring's worth posted, the rest lendable to the stack. The lwIP
    // glue copies instead of lending once 768 are lent out, so 1024 keeps the ring full.
    static constexpr size_t kRxBuffers = 1024;
    // A receive ring smaller than this is not offered coalesced frames: one takes up to
    // kMaxRxPieces of its buffers.
    static constexpr uint16_t kCoalescedRing = 64;
    // Merged buffers of one received frame: 64 KiB and its headers in 2 KiB buffers.
    static constexpr size_t kMaxRxPieces =
        (drivers::kMaxReceivedFrame + kHeaderSize) / (kBufferSize - kHeaderSize) + 2;
    static_assert(kCoalescedRing >= kMaxRxPieces);

    struct Options {
        uint16_t rx_queue_size = 0;  // 0: the device's maximum, up to kMaxQueueSize
        uint16_t tx_queue_size = 0;
        // Fault injection for tests: the handler ignores every Nth interrupt, as a platform
        // that drops notifications would (0: none). check_interrupts() must recover.
        uint32_t lose_interrupts = 0;
        // Takes neither checksums nor coalesced frames from the device (virtio_net.rx_offloads=off).
        bool no_receive_offloads = false;
    };

    // Negotiates features, sets up both queues, posts the receive buffers and sets DRIVER_OK.
    // On failure the device is marked FAILED and left alone.
    static Result<VirtioNet*> create(Transport& transport, unsigned index, const Options& options);

    const char* name() const override { return m_name; }
    const uint8_t* mac() const override { return m_mac; }
    uint16_t mtu() const override { return 1500; }
    bool link_up() const override;
    drivers::Offloads offloads() const override;
    void set_release(Release release) override { m_release = release; }

    Result<void> transmit(const drivers::TxFrame& frame) override;
    void flush() override;
    sched::EventSource& events() override { return m_events; }
    size_t poll(size_t budget, Deliver deliver, void* context) override;
    void recycle(void* cookie) override;
    bool check_interrupts() override;
    drivers::NetCounters counters() const override { return m_counters; }

    const Transport& transport() const { return m_transport; }
    uint16_t rx_queue_size() const { return m_rx.size(); }
    uint16_t tx_queue_size() const { return m_tx.size(); }
    bool event_idx() const { return m_rx.event_idx(); }
    bool mac_from_device() const { return m_mac_from_device; }

private:
    VirtioNet(Transport& transport, unsigned index);
    ~VirtioNet() = default;

    static void on_interrupt(void* context);
    Result<void> init(const Options& options);
    Result<void> setup_queue(uint16_t index, uint16_t wanted, VirtQueue& queue);
    void read_mac();
    void post_rx(uint8_t* buffer);
    void refill_rx();
    bool take_frame(drivers::ReceivedPiece (&pieces)[kMaxRxPieces], drivers::ReceivedFrame& frame);
    void kick_rx();
    void nudge_rx();
    void reclaim_tx();
    bool wait_for_tx_space(uint16_t descriptors);
    void write_header(uint8_t* header, const drivers::TxOffload& offload) const;
    void stop(const char* why);
    uint8_t* rx_buffer_from_cookie(void* cookie) const;

    // check_interrupts() state per queue: used chains were waiting with the interrupt armed
    // at the last check, when `taken` had been taken.
    struct ArmedWait {
        bool seen = false;
        uint16_t taken = 0;
    };
    static bool missed_notification(const VirtQueue& queue, ArmedWait& wait);

    Transport& m_transport;
    VirtQueue m_rx;
    VirtQueue m_tx;
    uint64_t m_features = 0;
    uint8_t m_mac[drivers::kMacLength] = {};
    bool m_mac_from_device = false;
    uint8_t* m_rx_pool = nullptr;   // kRxBuffers * kBufferSize
    uint8_t** m_rx_free = nullptr;  // pool buffers neither posted nor lent
    size_t m_rx_free_count = 0;
    uint8_t* m_tx_pool = nullptr;  // tx queue size * kBufferSize
    uint8_t** m_tx_free = nullptr;
    size_t m_tx_free_count = 0;
    void** m_tx_owner = nullptr;  // per transmit buffer: the stack's frame sent in place behind it
    Release m_release = nullptr;
    drivers::NetCounters m_counters = {};
    ArmedWait m_rx_wait, m_tx_wait;
    uint16_t m_rx_taken_at_check = 0;  // nudge_rx()
    uint32_t m_lose_interrupts = 0;
    uint32_t m_interrupts_until_loss = 0;
    volatile bool m_ready = false;  // set once the queues exist: the handler may run before
    bool m_stopped = false;         // the device broke the protocol and is no longer used
    sched::EventSource m_events;
    char m_name[16] = {};
};

}  // namespace coronet::virtio
