// virtio-net driver (virtio 1.2, 5.1). The interrupt handler acknowledges, turns further queue
// interrupts off and signals the reactor; poll() does the work and turns them back on, re-checking
// the rings afterwards so a frame that lands in between is never stranded. Transmit reclaims
// lazily; only a full ring arms the transmit interrupt, after telling the device about every
// queued frame.
#include "drivers/virtio/virtio_net.hpp"

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <new>

#include "arch/cpu.hpp"
#include "arch/mmu.hpp"
#include "kernel/log.hpp"
#include "kernel/memory/memory.hpp"
#include "kernel/panic.hpp"
#include "lib/align.hpp"

namespace coronet::virtio {
namespace {

// 5.1.3 Feature bits.
constexpr uint64_t kNetFeatureCsum = 1ULL << 0;       // the device completes partial checksums
constexpr uint64_t kNetFeatureHostTso4 = 1ULL << 11;  // ... and segments TCP over IPv4
constexpr uint64_t kNetFeatureHostTso6 = 1ULL << 12;  // ... and over IPv6
constexpr uint64_t kNetFeatureGuestCsum = 1ULL << 1;  // frames may come with checksums unchecked
constexpr uint64_t kNetFeatureGuestTso4 = 1ULL << 7;  // ... and as coalesced TCP over IPv4
constexpr uint64_t kNetFeatureGuestTso6 = 1ULL << 8;  // ... and over IPv6
constexpr uint64_t kNetFeatureMrgRxbuf = 1ULL << 15;  // a frame may fill several receive buffers
constexpr uint64_t kNetFeatureMac = 1ULL << 5;
constexpr uint64_t kNetFeatureStatus = 1ULL << 16;

// 5.1.4 Device configuration layout (struct virtio_net_config), as far as it is read: a field at
// a time, through the transport, at offsetof().
struct NetConfig {
    uint8_t mac[drivers::kMacLength];
    uint16_t status;  // kStatusLinkUp
};
static_assert(offsetof(NetConfig, status) == 6);
constexpr uint16_t kStatusLinkUp = 1;

// 5.1.2 Virtqueues.
constexpr uint16_t kReceiveQueue = 0;
constexpr uint16_t kTransmitQueue = 1;

constexpr int kConfigRetries = 16;
constexpr uint64_t kReportedDrops = 4;  // frames it cannot send: the first few are described

// 5.1.6 struct virtio_net_hdr (little-endian fields; 12 bytes with VERSION_1).
constexpr uint8_t kHeaderNeedsCsum = 1;
constexpr uint8_t kHeaderDataValid = 2;  // receive: the device checked the checksum
constexpr uint8_t kGsoNone = 0;
constexpr uint8_t kGsoTcpV4 = 1;
constexpr uint8_t kGsoTcpV6 = 4;
struct NetHeader {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
};
static_assert(sizeof(NetHeader) == VirtioNet::kHeaderSize);

// Zeroed pages from the allocator: identity-mapped RAM the device can reach at the same address.
Result<uint8_t*> allocate_dma(size_t bytes) {
    uint64_t pages = pages_for(bytes);
    uint64_t address = TRY(memory::allocate_pages(pages));
    auto* p = reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(address));
    std::memset(p, 0, pages * kPageSize);
    return p;
}

// Our own buffers (allocate_dma): identity-mapped RAM.
uint64_t device_address(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// The stack's memory may be heap, whose pages are RAM pages anywhere: one piece per page, at its
// RAM address. Appends to `segments` (at most `room` in all); false if that is too few or a
// page is not mapped.
bool add_pieces(const void* data, size_t length, VirtQueue::Segment* segments, size_t& used,
                size_t room) {
    auto va = reinterpret_cast<uintptr_t>(data);
    while (length) {
        size_t piece = kPageSize - (va & (kPageSize - 1));
        if (piece > length) piece = length;
        uint64_t pa = arch::mmu::physical_address(va);
        if (!pa || used == room) return false;
        // Pieces that continue each other in RAM stay one descriptor.
        VirtQueue::Segment& last = segments[used - 1];
        if (used > 1 && last.address + last.length == pa)
            last.length += static_cast<uint32_t>(piece);
        else segments[used++] = {pa, static_cast<uint32_t>(piece), false};
        va += piece;
        length -= piece;
    }
    return true;
}

}  // namespace

Result<VirtioNet*> VirtioNet::create(Transport& transport, unsigned index, const Options& options) {
    auto* device = new (std::nothrow) VirtioNet(transport, index);
    if (!device) return Error::OutOfMemory;
    if (auto ready = device->init(options); !ready) {
        fail_device(transport);
        return ready.error();  // its memory stays allocated: the device may still hold addresses
    }
    return device;
}

VirtioNet::VirtioNet(Transport& transport, unsigned index) : m_transport(transport) {
    snprintf(m_name, sizeof m_name, "virtio-net%u", index);
    m_events.name = m_name;
}

Result<void> VirtioNet::init(const Options& options) {
    // 5.1.3.1: segmentation needs the checksum offload in the same direction; coalesced frames
    // on receive need buffers that merge (ours are 2 KiB, not 64).
    uint64_t wanted = kFeatureVersion1 | kNetFeatureMac | kNetFeatureStatus | kFeatureEventIdx |
                      kNetFeatureCsum | kNetFeatureHostTso4 | kNetFeatureHostTso6 |
                      kNetFeatureMrgRxbuf;
    if (!options.no_receive_offloads)
        wanted |= kNetFeatureGuestCsum | kNetFeatureGuestTso4 | kNetFeatureGuestTso6;
    uint64_t offered = m_transport.device_features();
    if (!(offered & kNetFeatureCsum)) wanted &= ~(kNetFeatureHostTso4 | kNetFeatureHostTso6);
    bool small_ring = options.rx_queue_size && options.rx_queue_size < kCoalescedRing;
    if (!(offered & kNetFeatureGuestCsum) || !(offered & kNetFeatureMrgRxbuf) || small_ring)
        wanted &= ~(kNetFeatureGuestTso4 | kNetFeatureGuestTso6);
    m_features = TRY(negotiate_features(m_transport, wanted, kFeatureVersion1));
    TRY_VOID(m_transport.attach_interrupt(on_interrupt, this));
    TRY_VOID(setup_queue(kReceiveQueue, options.rx_queue_size, m_rx));
    TRY_VOID(setup_queue(kTransmitQueue, options.tx_queue_size, m_tx));
    read_mac();
    m_lose_interrupts = m_interrupts_until_loss = options.lose_interrupts;

    m_rx_pool = TRY(allocate_dma(kRxBuffers * kBufferSize));
    m_rx_free = new (std::nothrow) uint8_t*[kRxBuffers];
    m_tx_pool = TRY(allocate_dma(size_t{m_tx.size()} * kBufferSize));
    m_tx_free = new (std::nothrow) uint8_t*[m_tx.size()];
    m_tx_owner = new (std::nothrow) void*[m_tx.size()]();
    if (!m_rx_free || !m_tx_free || !m_tx_owner) return Error::OutOfMemory;
    for (size_t i = kRxBuffers; i > 0; --i)
        m_rx_free[m_rx_free_count++] = m_rx_pool + (i - 1) * kBufferSize;
    for (size_t i = m_tx.size(); i > 0; --i)
        m_tx_free[m_tx_free_count++] = m_tx_pool + (i - 1) * kBufferSize;

    // Transmit completions are reclaimed lazily; receive interrupts are wanted from the start.
    m_tx.disable_interrupts();
    refill_rx();
    m_transport.set_status(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk |
                           kStatusDriverOk);
    kick_rx();  // 3.1.1: no notification before DRIVER_OK
    m_ready = true;
    return {};
}

Result<void> VirtioNet::setup_queue(uint16_t index, uint16_t wanted, VirtQueue& queue) {
    uint16_t max = m_transport.queue_max_size(index);
    if (max == 0) return Error::NotFound;
    uint16_t size = kMaxQueueSize;
    if (wanted && wanted < size) size = wanted;
    while (size > max) size = static_cast<uint16_t>(size / 2);  // stays a power of two
    VirtqLayout layout = VirtQueue::layout(size);
    if (layout.total_bytes == 0) return Error::InvalidArgument;
    uint8_t* rings = TRY(allocate_dma(layout.total_bytes));
    TRY_VOID(queue.init(size, rings, (m_features & kFeatureEventIdx) != 0));
    return m_transport.enable_queue(
        index, size, {queue.descriptor_area(), queue.driver_area(), queue.device_area()});
}

// Without VIRTIO_NET_F_MAC the driver picks an address: locally administered, unicast.
void VirtioNet::read_mac() {
    if (m_features & kNetFeatureMac) {
        for (int attempt = 0; attempt < kConfigRetries; ++attempt) {
            uint32_t generation = m_transport.config_generation();
            for (size_t i = 0; i < drivers::kMacLength; ++i)
                m_mac[i] =
                    m_transport.config_read8(offsetof(NetConfig, mac) + static_cast<uint32_t>(i));
            if (generation == m_transport.config_generation()) break;
        }
        m_mac_from_device = true;
        return;
    }
    uint64_t random = 0;
    if (!arch::hardware_random(random)) random = device_address(this) * 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < drivers::kMacLength; ++i)
        m_mac[i] = static_cast<uint8_t>(random >> (8 * i));
    m_mac[0] = static_cast<uint8_t>((m_mac[0] & 0xFE) | 0x02);
}

drivers::Offloads VirtioNet::offloads() const {
    bool in_place = m_tx.size() >= kInPlaceRing;
    return {(m_features & kNetFeatureCsum) != 0,
            in_place && (m_features & kNetFeatureHostTso4) != 0,
            in_place && (m_features & kNetFeatureHostTso6) != 0,
            (m_features & kNetFeatureGuestCsum) != 0,
            (m_features & (kNetFeatureGuestTso4 | kNetFeatureGuestTso6)) != 0};
}

bool VirtioNet::link_up() const {
    if (!(m_features & kNetFeatureStatus)) return true;  // 5.1.4.2: assume the link is up
    return m_transport.config_read16(offsetof(NetConfig, status)) & kStatusLinkUp;
}

void VirtioNet::on_interrupt(void* context) {
    auto* self = static_cast<VirtioNet*>(context);
    if (self->m_transport.acknowledge_interrupt() == 0) return;  // not ours
    if (!self->m_ready) return;  // a configuration change during bring-up: nothing to poll yet
    if (self->m_lose_interrupts && --self->m_interrupts_until_loss == 0) {
        self->m_interrupts_until_loss = self->m_lose_interrupts;
        return;
    }
    ++self->m_counters.interrupts;
    self->m_rx.disable_interrupts();
    self->m_tx.disable_interrupts();
    sched::signal(self->m_events);
}

void VirtioNet::post_rx(uint8_t* buffer) {
    VirtQueue::Segment segment{device_address(buffer), kBufferSize, true};
    if (!m_rx.add(&segment, 1, buffer))
        panic("%s: no receive descriptor for a buffer (checked before)", m_name);
}

// Keeps the receive ring as full as the free pool allows.
void VirtioNet::refill_rx() {
    while (m_rx_free_count > 0 && m_rx.free_descriptors() > 0)
        post_rx(m_rx_free[--m_rx_free_count]);
}

void VirtioNet::kick_rx() {
    if (m_rx.kick_needed()) {
        m_transport.notify(kReceiveQueue);
        ++m_counters.notifications;
    }
}

// The next received frame: its header's buffer and, with MRG_RXBUF, the num_buffers - 1 that
// follow it in the used ring (5.1.6.4: the device fills them together). A frame that breaks
// the limits is dropped, its buffers given back; false once none is waiting.
bool VirtioNet::take_frame(drivers::ReceivedPiece (&pieces)[kMaxRxPieces],
                           drivers::ReceivedFrame& frame) {
    for (;;) {
        VirtQueue::Completion done;
        if (!m_rx.take_used(done)) return false;
        auto* buffer = static_cast<uint8_t*>(done.token);
        refill_rx();  // a free pool buffer takes this one's place in the ring
        NetHeader header{};
        if (done.length >= kHeaderSize) std::memcpy(&header, buffer, sizeof header);
        size_t count = (m_features & kNetFeatureMrgRxbuf) ? header.num_buffers : 1;
        bool fits = done.length > kHeaderSize && done.length <= kBufferSize && count >= 1 &&
                    count <= kMaxRxPieces;
        pieces[0] = {buffer + kHeaderSize, fits ? done.length - kHeaderSize : 0, buffer};
        size_t taken = 1, length = pieces[0].length;
        for (; taken < count; ++taken) {
            if (!m_rx.take_used(done)) {
                stop("announced more merged receive buffers than it returned");
                break;
            }
            refill_rx();
            fits = fits && done.length > 0 && done.length <= kBufferSize;
            if (taken < kMaxRxPieces) pieces[taken] = {done.token, done.length, done.token};
            else recycle(done.token);  // of a frame already too large: given back at once
            length += done.length;
        }
        if (!fits || length > drivers::kMaxReceivedFrame || m_stopped) {
            ++m_counters.rx_dropped;
            for (size_t i = 0; i < taken && i < kMaxRxPieces; ++i) recycle(pieces[i].cookie);
            if (m_stopped) return false;
            continue;
        }
        frame = {pieces, count, length,
                 (header.flags & (kHeaderDataValid | kHeaderNeedsCsum)) != 0 &&
                     (m_features & kNetFeatureGuestCsum) != 0};
        return true;
    }
}

size_t VirtioNet::poll(size_t budget, Deliver deliver, void* context) {
    if (m_stopped) return 0;
    reclaim_tx();
    size_t delivered = 0;
    drivers::ReceivedPiece pieces[kMaxRxPieces];
    for (;;) {
        drivers::ReceivedFrame frame;
        while (delivered < budget && take_frame(pieces, frame)) {
            ++m_counters.rx_packets;
            m_counters.rx_bytes += frame.length;
            if (frame.count > 1) ++m_counters.rx_coalesced;
            if (frame.checksum_trusted) ++m_counters.rx_checksum_trusted;
            ++delivered;
            deliver(context, frame);
        }
        if (m_rx.broken()) stop("returned a receive buffer it was never given");
        if (m_stopped) return delivered;
        // A full budget leaves interrupts off: the caller comes back for the rest.
        if (delivered >= budget) break;
        if (!m_rx.enable_interrupts()) break;
        m_rx.disable_interrupts();  // frames came in while re-enabling: take them now
    }
    refill_rx();
    kick_rx();
    return delivered;
}

uint8_t* VirtioNet::rx_buffer_from_cookie(void* cookie) const {
    auto* buffer = static_cast<uint8_t*>(cookie);
    size_t offset = static_cast<size_t>(buffer - m_rx_pool);
    if (buffer < m_rx_pool || offset >= kRxBuffers * kBufferSize || offset % kBufferSize != 0) {
        panic("%s: recycle() of %p, which is not one of its receive buffers", m_name, cookie);
    }
    return buffer;
}

void VirtioNet::recycle(void* cookie) {
    uint8_t* buffer = rx_buffer_from_cookie(cookie);
    if (m_rx.free_descriptors() == 0 || m_stopped) {
        if (m_rx_free_count == kRxBuffers)
            panic("%s: receive buffer %p recycled twice", m_name, cookie);
        m_rx_free[m_rx_free_count++] = buffer;
        return;
    }
    post_rx(buffer);
    // Every buffer given back is checked against the device's suppression state: a device that
    // found too few buffers for its next frame (up to kMaxRxPieces of them) asked to be told
    // when the ring passes a mark, and reads its backend no more until it is; checking only
    // while the ring ran low could pass the mark unchecked. The check costs a fence and a load;
    // the notification is sent only when asked for.
    kick_rx();
}

bool VirtioNet::missed_notification(const VirtQueue& queue, ArmedWait& wait) {
    if (!queue.interrupts_enabled() || !queue.has_used()) {
        wait.seen = false;
        return false;
    }
    bool missed = wait.seen && wait.taken == queue.taken();
    wait = {!missed, queue.taken()};
    return missed;
}

// Seen under QEMU 7.2 TCG with MSI-X, about once per five minutes of saturating load: the
// device used every receive buffer while our interrupt was armed (used_event at the first of
// them), yet no interrupt reached the CPU (none pending in the LAPIC or the MSI-X PBA, the
// handler never ran) and, with no buffers left, the device had nothing more to signal about.
// Without this check the interface would stay deaf for good; with it, the stall lasts until
// the next check.
bool VirtioNet::check_interrupts() {
    if (!m_ready || m_stopped) return false;
    nudge_rx();
    bool rx = missed_notification(m_rx, m_rx_wait);
    bool tx = missed_notification(m_tx, m_tx_wait);
    if (!rx && !tx) return false;
    ++m_counters.interrupts_missed;
    LOG_WARN("%s: work waited without an interrupt (%s); polling", m_name,
             rx ? "receive" : "transmit");
    sched::signal(m_events);
    return true;
}

// The lost interrupt's counterpart, a lost notification. A device short of buffers for its next
// frame (a coalesced one may need kMaxRxPieces) asks to be told when the ring passes a mark
// and stops reading its backend until then. QEMU 7.2 sets that mark at the index it read
// before re-checking; when the re-check finds the buffers a guest added meanwhile and still too
// few, it waits for a mark the guest may already have passed, and no check of ours can tell
// (QEMU fixed this in 2024: "virtio-net: Fix network stall at the host side waiting for
// kick"). So a receive ring that took nothing since the last check while holding buffers is
// told again; a device with nothing to deliver ignores it.
void VirtioNet::nudge_rx() {
    uint16_t taken = m_rx.taken();
    bool idle = taken == m_rx_taken_at_check && !m_rx.has_used();
    m_rx_taken_at_check = taken;
    if (!idle || m_rx.chains_in_flight() == 0) return;
    m_transport.notify(kReceiveQueue);
    ++m_counters.notifications;
    ++m_counters.rx_nudges;
}

void VirtioNet::reclaim_tx() {
    VirtQueue::Completion done;
    while (m_tx.take_used(done)) {
        auto* buffer = static_cast<uint8_t*>(done.token);
        size_t slot = static_cast<size_t>(buffer - m_tx_pool) / kBufferSize;
        if (void* owner = m_tx_owner[slot]) {
            m_tx_owner[slot] = nullptr;
            m_release(owner);
        }
        m_tx_free[m_tx_free_count++] = buffer;
    }
    if (m_tx.broken()) stop("returned a transmit buffer it was never given");
}

// The device broke the ring protocol: a fault of the device, not of the kernel. It is told it
// failed and left alone; the rest of the system keeps running.
void VirtioNet::stop(const char* why) {
    if (m_stopped) return;
    m_stopped = true;
    LOG_ERROR("%s: the device %s; stopped using it", m_name, why);
    fail_device(m_transport);
}

// The ring is full. Tell the device about everything queued, ask for an interrupt once about
// half of the frames in flight are done, and re-check: completions that raced the request get no
// interrupt of their own. True if space turned up; false leaves the interrupt armed.
bool VirtioNet::wait_for_tx_space(uint16_t descriptors) {
    flush();
    uint16_t in_flight = m_tx.chains_in_flight();
    uint16_t wait_for = in_flight > 1 ? static_cast<uint16_t>(in_flight / 2) : 1;
    if (!m_tx.enable_interrupts_after(wait_for)) return false;
    reclaim_tx();
    m_tx.disable_interrupts();
    return m_tx_free_count > 0 && m_tx.free_descriptors() >= descriptors;
}

void VirtioNet::write_header(uint8_t* header, const drivers::TxOffload& offload) const {
    NetHeader h{};
    if (offload.checksum) {
        h.flags = kHeaderNeedsCsum;
        h.csum_start = offload.checksum_start;
        h.csum_offset = offload.checksum_offset;
    }
    using Segmentation = drivers::TxOffload::Segmentation;
    if (offload.segmentation != Segmentation::None) {
        h.gso_type = offload.segmentation == Segmentation::Tcp4 ? kGsoTcpV4 : kGsoTcpV6;
        h.gso_size = offload.segment_size;
        h.hdr_len = offload.header_length;
    } else {
        h.gso_type = kGsoNone;
    }
    std::memcpy(header, &h, sizeof h);
}

Result<void> VirtioNet::transmit(const drivers::TxFrame& frame) {
    using Segmentation = drivers::TxOffload::Segmentation;
    const drivers::TxOffload& offload = frame.offload;
    size_t length = 0;
    for (size_t i = 0; i < frame.count; ++i) length += frame.fragments[i].length;
    bool segmented = offload.segmentation != Segmentation::None;
    bool offered = !segmented || (offload.segmentation == Segmentation::Tcp4
                                      ? (m_features & kNetFeatureHostTso4)
                                      : (m_features & kNetFeatureHostTso6));
    bool in_place = frame.owner && m_release && frame.count <= kMaxFragments &&
                    m_tx.size() >= kInPlaceRing && (segmented || length >= kCopyBelow);
    if (length == 0 || length > (segmented ? drivers::kMaxSegmentedFrame : kMaxFrameSize) ||
        !offered || (offload.checksum && !(m_features & kNetFeatureCsum)) ||
        (segmented && !in_place)) {
        if (m_counters.tx_dropped++ < kReportedDrops)
            LOG_WARN(
                "%s: cannot send a frame of %zu bytes in %zu piece(s) (segmentation %u, %s): "
                "dropped",
                m_name, length, frame.count, static_cast<unsigned>(offload.segmentation),
                in_place ? "in place" : "copied");
        return Error::InvalidArgument;
    }
    if (m_stopped) {
        ++m_counters.tx_dropped;
        return Error::Closed;
    }
    // In place: the header's descriptor, then the frame's pieces, found before anything is taken.
    VirtQueue::Segment segments[1 + kMaxPieces];
    size_t used = 1;
    for (size_t i = 0; in_place && i < frame.count; ++i) {
        if (!add_pieces(frame.fragments[i].data, frame.fragments[i].length, segments, used,
                        1 + kMaxPieces)) {
            if (m_counters.tx_dropped++ < kReportedDrops)
                LOG_WARN(
                    "%s: a frame of %zu bytes in %zu piece(s) spans more than %zu pages: "
                    "dropped",
                    m_name, length, frame.count, kMaxPieces);
            return Error::InvalidArgument;
        }
    }
    auto descriptors = static_cast<uint16_t>(used);
    if (m_tx_free_count == 0 || m_tx.free_descriptors() < descriptors) reclaim_tx();
    if ((m_tx_free_count == 0 || m_tx.free_descriptors() < descriptors) &&
        !wait_for_tx_space(descriptors)) {
        ++m_counters.tx_ring_full;
        return Error::Busy;
    }
    uint8_t* buffer = m_tx_free[--m_tx_free_count];
    write_header(buffer, offload);
    if (in_place) {
        // The header alone in the ring buffer, the frame where the stack built it.
        segments[0] = {device_address(buffer), static_cast<uint32_t>(kHeaderSize), false};
        m_tx_owner[static_cast<size_t>(buffer - m_tx_pool) / kBufferSize] = frame.owner;
    } else {
        size_t offset = kHeaderSize;
        for (size_t i = 0; i < frame.count; ++i) {
            std::memcpy(buffer + offset, frame.fragments[i].data, frame.fragments[i].length);
            offset += frame.fragments[i].length;
        }
        segments[0] = {device_address(buffer), static_cast<uint32_t>(offset), false};
    }
    if (!m_tx.add(segments, used, buffer))
        panic("%s: transmit buffer without a descriptor", m_name);
    if (!in_place && frame.owner && m_release) m_release(frame.owner);  // copied: done with it
    ++m_counters.tx_packets;
    m_counters.tx_bytes += length;
    return {};
}

void VirtioNet::flush() {
    if (m_stopped) return;
    if (m_tx.kick_needed()) {
        m_transport.notify(kTransmitQueue);
        ++m_counters.notifications;
    }
    kick_rx();
}

}  // namespace coronet::virtio
