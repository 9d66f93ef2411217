// lwIP netif glue: the netif's callbacks, the device's event source, and the notifications
// owed to the device. Receiving (rx_lending) and the full-ring backlog (tx_backlog) are their
// own pieces.
#include "net/lwip/interface.hpp"

#include <cstring>

#include "kernel/log.hpp"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip4_frag.h"
#include "lwip/netif.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"
#include "net/lwip/pcb_index.hpp"
#include "net/lwip/retransmit.hpp"
#include "net/lwip/rx_lending.hpp"
#include "net/lwip/stack.hpp"
#include "net/lwip/tx_backlog.hpp"
#include "netif/ethernet.h"

namespace coronet::net {
namespace {

constexpr size_t kMaxInterfaces = 4;
constexpr size_t kPollBudget = 64;  // frames per device per pass: others get a turn
constexpr size_t kMaxFragments = 16;
constexpr size_t kTakeRounds = 16;  // of kPollBudget frames, in take_received()
// Frames given to a device before its doorbell rings in the middle of a pass; the rest wait
// for the end of the pass. Measured with tools/bench http on qemu-x86_64 (README
// "Doorbells"): every frame at once loses pipelined requests to notification costs, only at
// the end of the pass loses ab and wrk requests to responses waiting for the pass to end.
constexpr uint32_t kDoorbellBatch = 4;

constexpr uint16_t kEthernetHeader = 14;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86DD;
constexpr uint16_t kTcpChecksumOffset = 16;             // in the TCP header
constexpr uint16_t kIpv4Overhead = IP_HLEN + TCP_HLEN;  // a full-size segment's headers

struct Interface {
    netif lwip;
    drivers::NetDevice* device;
    drivers::Offloads offloads;
    uint16_t link_mtu;  // what the device puts on the wire; lwip.mtu is more with segmentation
    TxBacklog backlog;
    uint32_t unannounced;  // frames given to the device since its doorbell last rang
};

Interface g_interfaces[kMaxInterfaces];
size_t g_interface_count = 0;
uint64_t g_tx_busy = 0;
uint64_t g_tx_dropped = 0;

// lwIP checks checksums per interface; a frame whose TCP/UDP checksum the device vouches for
// (or left partial: a sender on the same host) is taken in with those checks off, and so is a
// packet looped back to the interface's own address (deliver_looped()). Input runs to its end
// before the flags are put back: nothing else sees them.
constexpr u16_t kTransportChecks = NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP;

void deliver(void* context, const drivers::ReceivedFrame& frame) {
    auto* iface = static_cast<Interface*>(context);
    pbuf* p = receive_pbuf(*iface->device, frame);
    netif& nif = iface->lwip;
    u16_t checks = nif.chksum_flags;
    if (frame.checksum_trusted) NETIF_SET_CHECKSUM_CTRL(&nif, checks & ~kTransportChecks);
    if (p && nif.input(p, &nif) != ERR_OK) pbuf_free(p);
    NETIF_SET_CHECKSUM_CTRL(&nif, checks);
    pcb_index::after_input();  // lwIP's list of connections as it was (pcb_index.hpp)
    retransmit::after_input();
}

// Tells the device about the frames given to it; virtio's EVENT_IDX spares the notification
// itself while the device is still working through earlier ones.
void ring_doorbell(Interface& iface) {
    iface.device->flush();
    iface.unannounced = 0;
}

void release_frame(void* owner) { pbuf_free(static_cast<pbuf*>(owner)); }

// What the device is to finish of a frame: with the checksum offload, lwIP leaves a TCP
// segment's checksum at 0 (NETIF_CHECKSUM_GEN_TCP off) and it gets the pseudo-header sum the
// device completes; an IPv4 segment longer than the link's MTU (a connection's large MSS,
// segmentation_mss()) is cut into full-size segments by the device. The headers may span pbufs
// (lwIP prepends a pbuf for the IP header to a segment that has no room for it): a large
// segment left undescribed could never be sent.
drivers::TxOffload describe(const Interface& iface, pbuf* p) {
    drivers::TxOffload offload;
    uint8_t copy[kEthernetHeader + 60 + 60];  // Ethernet, IP (options included), TCP
    u16_t have = p->tot_len < sizeof copy ? p->tot_len : static_cast<u16_t>(sizeof copy);
    if (!iface.offloads.checksum || have < kEthernetHeader) return offload;
    // In place when the first pbuf holds them (nearly always), else copied.
    auto* frame = static_cast<uint8_t*>(pbuf_get_contiguous(p, copy, sizeof copy, have, 0));
    if (!frame) return offload;
    uint16_t type = static_cast<uint16_t>(frame[12] << 8 | frame[13]);
    uint16_t ip_header = 0;
    u16_t sum = 0;
    if (type == kEtherTypeIpv4 && have >= kEthernetHeader + IP_HLEN) {
        auto* ip = reinterpret_cast<ip_hdr*>(frame + kEthernetHeader);
        ip_header = IPH_HL_BYTES(ip);
        if (IPH_PROTO(ip) != IP_PROTO_TCP || (IPH_OFFSET(ip) & PP_HTONS(IP_OFFMASK | IP_MF)) ||
            have < kEthernetHeader + ip_header + TCP_HLEN)
            return offload;
        ip4_addr_t src, dst;
        ip4_addr_copy(src, ip->src);
        ip4_addr_copy(dst, ip->dest);
        auto length = static_cast<u16_t>(lwip_ntohs(IPH_LEN(ip)) - ip_header);
        sum =
            static_cast<u16_t>(~inet_chksum_pseudo_partial(p, IP_PROTO_TCP, length, 0, &src, &dst));
    } else if (type == kEtherTypeIpv6 && have >= kEthernetHeader + IP6_HLEN + TCP_HLEN) {
        auto* ip = reinterpret_cast<ip6_hdr*>(frame + kEthernetHeader);
        if (IP6H_NEXTH(ip) != IP6_NEXTH_TCP) return offload;
        ip_header = IP6_HLEN;
        ip6_addr_t src, dst;
        ip6_addr_copy_from_packed(src, ip->src);
        ip6_addr_copy_from_packed(dst, ip->dest);
        ip6_addr_clear_zone(&src);
        ip6_addr_clear_zone(&dst);
        sum = static_cast<u16_t>(
            ~ip6_chksum_pseudo_partial(p, IP6_NEXTH_TCP, IP6H_PLEN(ip), 0, &src, &dst));
    } else {
        return offload;
    }
    auto checksum_at = static_cast<u16_t>(kEthernetHeader + ip_header + kTcpChecksumOffset);
    if (pbuf_take_at(p, &sum, sizeof sum, checksum_at) != ERR_OK) return offload;
    offload.checksum = true;
    offload.checksum_start = static_cast<uint16_t>(kEthernetHeader + ip_header);
    offload.checksum_offset = kTcpChecksumOffset;
    if (type == kEtherTypeIpv4 && p->tot_len > kEthernetHeader + iface.link_mtu) {
        auto* tcp = reinterpret_cast<tcp_hdr*>(frame + kEthernetHeader + ip_header);
        uint16_t tcp_header = TCPH_HDRLEN_BYTES(tcp);
        offload.segmentation = drivers::TxOffload::Segmentation::Tcp4;
        offload.header_length = static_cast<uint16_t>(kEthernetHeader + ip_header + tcp_header);
        offload.segment_size = static_cast<uint16_t>(iface.link_mtu - ip_header - tcp_header);
    }
    return offload;
}

// Gives one frame to the device, sent from lwIP's own memory (the device holds a reference
// until it is done) or copied if short; false when the ring is full. A frame the device refuses
// outright (one it could never send) is dropped, in the device's count, never kept: kept, it
// would hold up every frame behind it, ARP replies included, and the interface would go silent.
bool send_frame(Interface& iface, pbuf* p) {
    pbuf* frame = p;
    if (pbuf_clen(p) > kMaxFragments) {  // many small writes in one segment: one buffer instead
        frame = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
        if (!frame) return false;
    } else {
        pbuf_ref(frame);
    }
    drivers::Fragment fragments[kMaxFragments];
    size_t count = 0;
    for (pbuf* q = frame; q; q = q->next) {
        if (q->len) fragments[count++] = {q->payload, q->len};
    }
    drivers::TxFrame tx{fragments, count, describe(iface, frame), frame};
    auto sent = iface.device->transmit(tx);
    if (sent) return true;
    pbuf_free(frame);  // not taken
    // Refused for good: counted in the device's own tx_dropped, with what it could not send.
    return sent.error() != Error::Busy;
}

// Moves what waits in the backlog into the device's ring; true when nothing is left waiting.
bool drain_backlog(Interface& iface) {
    iface.unannounced += static_cast<uint32_t>(
        iface.backlog.drain([&iface](pbuf* p) { return send_frame(iface, p); }));
    return iface.backlog.empty();
}

err_t link_output(netif* nif, pbuf* p) {
    auto* iface = static_cast<Interface*>(nif->state);
    if (drain_backlog(*iface) && send_frame(*iface, p)) {
        if (++iface->unannounced >= kDoorbellBatch) ring_doorbell(*iface);
        stack_activity();  // the rest at the end of the pass
        return ERR_OK;
    }
    // Ring full: keep the frame, in order, until the device frees space.
    ++g_tx_busy;
    if (!iface->backlog.keep(p)) {
        ++g_tx_dropped;
        return ERR_MEM;
    }
    ring_doorbell(*iface);  // make sure the device is working through the full ring now
    return ERR_OK;
}

// IPv4 output with a large MTU (segmentation offload): what is not TCP is still fragmented at
// the link's MTU (lwIP's fragmentation only looks at the interface's, which TCP's large
// segments need to pass).
err_t output_ip4(netif* nif, pbuf* p, const ip4_addr_t* destination) {
    auto* iface = static_cast<Interface*>(nif->state);
    if (p->tot_len > iface->link_mtu && p->len >= IP_HLEN &&
        IPH_PROTO(static_cast<ip_hdr*>(p->payload)) != IP_PROTO_TCP) {
        u16_t mtu = nif->mtu;
        nif->mtu = iface->link_mtu;
        err_t err = ip4_frag(p, nif, destination);
        nif->mtu = mtu;
        return err;
    }
    return etharp_output(nif, p, destination);
}

err_t init_netif(netif* nif) {
    auto* iface = static_cast<Interface*>(nif->state);
    drivers::NetDevice& device = *iface->device;
    nif->name[0] = 'e';
    nif->name[1] = 'n';
    nif->hwaddr_len = ETH_HWADDR_LEN;
    std::memcpy(nif->hwaddr, device.mac(), ETH_HWADDR_LEN);
    iface->link_mtu = device.mtu();
    iface->offloads = device.offloads();
    nif->mtu = iface->link_mtu;
    nif->output = etharp_output;
    if (iface->offloads.checksum)  // the device completes TCP checksums: lwIP leaves them
        NETIF_SET_CHECKSUM_CTRL(nif, NETIF_CHECKSUM_ENABLE_ALL & ~NETIF_CHECKSUM_GEN_TCP);
    if (iface->offloads.tcp4_segmentation) {
        nif->mtu = static_cast<u16_t>(kSegmentationMss + kIpv4Overhead);
        nif->output = output_ip4;
    }
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP |
                 NETIF_FLAG_MLD6;
    nif->output_ip6 = ethip6_output;
    nif->linkoutput = link_output;
    return ERR_OK;
}

void poll_device(void* context) {
    auto* iface = static_cast<Interface*>(context);
    size_t delivered = iface->device->poll(kPollBudget, deliver, iface);
    drain_backlog(*iface);
    // A full budget means more may be waiting: come back next pass, after others had a turn.
    if (delivered == kPollBudget) sched::signal(iface->device->events());
    stack_activity();  // what the received frames made lwIP send goes out at the end of the pass
}

}  // namespace

void take_received() {
    for (size_t i = 0; i < g_interface_count; ++i) {
        Interface& iface = g_interfaces[i];
        for (size_t round = 0; round < kTakeRounds; ++round) {
            if (iface.device->poll(kPollBudget, deliver, &iface) < kPollBudget) break;
        }
        drain_backlog(iface);
        sched::signal(iface.device->events());  // whatever is left, in the next pass
    }
    stack_activity();
}

Result<void> add_interface(drivers::NetDevice& device, const InterfaceConfig& config) {
    if (g_interface_count == kMaxInterfaces) return Error::LimitReached;
    Interface& iface = g_interfaces[g_interface_count++];
    iface.device = &device;
    device.set_release(release_frame);
    if (!netif_add_noaddr(&iface.lwip, &iface, init_netif, ethernet_input))
        return Error::InvalidArgument;
    if (g_interface_count == 1) netif_set_default(&iface.lwip);

    netif_set_up(&iface.lwip);
    if (device.link_up()) netif_set_link_up(&iface.lwip);
    if (config.ipv4.is_static) {
        netif_set_addr(&iface.lwip, &config.ipv4.address, &config.ipv4.netmask,
                       &config.ipv4.gateway);
    } else if (dhcp_start(&iface.lwip) != ERR_OK) {
        LOG_ERROR("net: DHCP could not start on %s", device.name());
    }
    if (config.ipv6) {
        netif_create_ip6_linklocal_address(&iface.lwip, 1);
        netif_set_ip6_autoconfig_enabled(&iface.lwip, 1);
    }

    sched::EventSource& events = device.events();
    events.name = device.name();
    events.poll = poll_device;
    events.context = &iface;
    sched::add_event_source(events);
    sched::signal(events);  // pick up anything that arrived before we listened
    return {};
}

uint16_t segmentation_mss(const tcp_pcb* pcb) {
    if (!IP_IS_V4_VAL(pcb->remote_ip)) return 0;
    netif* route = ip4_route(ip_2_ip4(&pcb->remote_ip));
    for (size_t i = 0; i < g_interface_count; ++i) {
        const Interface& iface = g_interfaces[i];
        if (route != &iface.lwip || !iface.offloads.tcp4_segmentation) continue;
        // Only where the peer takes full-size segments: the device cuts at the link's MTU.
        return pcb->mss == iface.link_mtu - kIpv4Overhead ? kSegmentationMss : 0;
    }
    return 0;
}

void reclaim_transmitted() {
    for (size_t i = 0; i < g_interface_count; ++i) sched::signal(g_interfaces[i].device->events());
}

void check_links() {
    for (size_t i = 0; i < g_interface_count; ++i) {
        Interface& iface = g_interfaces[i];
        bool up = iface.device->link_up();
        if (up == static_cast<bool>(netif_is_link_up(&iface.lwip))) continue;
        LOG_INFO("net: %s link %s", iface.device->name(), up ? "up" : "down");
        if (up) {
            netif_set_link_up(&iface.lwip);
            retransmit::resume();
        } else {
            netif_set_link_down(&iface.lwip);
        }
    }
}

void deliver_looped() {
    u16_t checks[kMaxInterfaces];
    for (size_t i = 0; i < g_interface_count; ++i) {
        netif& nif = g_interfaces[i].lwip;
        checks[i] = nif.chksum_flags;
        NETIF_SET_CHECKSUM_CTRL(&nif, checks[i] & ~kTransportChecks);
    }
    netif_poll_all();
    for (size_t i = 0; i < g_interface_count; ++i)
        NETIF_SET_CHECKSUM_CTRL(&g_interfaces[i].lwip, checks[i]);
    // lwIP hands looped packets to ip_input itself, not through deliver(): the connection index's
    // view of the last one is undone here (pcb_index.hpp), and a partial acknowledgement among
    // them answered (retransmit.hpp).
    pcb_index::after_input();
    retransmit::after_input();
}

void flush_interfaces() {
    for (size_t i = 0; i < g_interface_count; ++i) {
        if (g_interfaces[i].unannounced) ring_doorbell(g_interfaces[i]);
    }
}

InterfaceStats interface_stats() {
    RxLendingStats rx = rx_lending_stats();
    InterfaceStats stats{.rx_lent = rx.lent,
                         .tx_backlog = 0,
                         .rx_copied = rx.copied,
                         .rx_no_pbuf = rx.no_pbuf,
                         .tx_busy = g_tx_busy,
                         .tx_dropped = g_tx_dropped};
    for (size_t i = 0; i < g_interface_count; ++i)
        stats.tx_backlog += g_interfaces[i].backlog.size();
    return stats;
}

}  // namespace coronet::net
