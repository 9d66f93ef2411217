// lwIP netif glue: the netif's callbacks, the device's event source, and the notifications
// owed to the device. Receiving (rx_lending) and the full-ring backlog (tx_backlog) are their
// own pieces.
#include "net/lwip/interface.hpp"

#include <cstring>

#include "kernel/log.hpp"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/netif.h"
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
// Frames given to a device before its doorbell rings in the middle of a pass; the rest wait
// for the end of the pass. Measured with tools/bench http on qemu-x86_64 (README
// "Doorbells"): every frame at once loses pipelined requests to notification costs, only at
// the end of the pass loses ab and wrk requests to responses waiting for the pass to end.
constexpr uint32_t kDoorbellBatch = 4;

struct Interface {
    netif lwip;
    drivers::NetDevice* device;
    TxBacklog backlog;
    uint32_t unannounced;  // frames given to the device since its doorbell last rang
};

Interface g_interfaces[kMaxInterfaces];
size_t g_interface_count = 0;
uint64_t g_tx_busy = 0;
uint64_t g_tx_dropped = 0;

void deliver(void* context, const drivers::ReceivedFrame& frame) {
    auto* iface = static_cast<Interface*>(context);
    pbuf* p = receive_pbuf(*iface->device, frame);
    if (p && iface->lwip.input(p, &iface->lwip) != ERR_OK) pbuf_free(p);
    pcb_index::after_input();  // lwIP's list of connections as it was (pcb_index.hpp)
}

// Tells the device about the frames given to it; virtio's EVENT_IDX spares the notification
// itself while the device is still working through earlier ones.
void ring_doorbell(Interface& iface) {
    iface.device->flush();
    iface.unannounced = 0;
}

// Moves what waits in the backlog into the device's ring; true when nothing is left waiting.
bool drain_backlog(Interface& iface) {
    iface.unannounced += static_cast<uint32_t>(iface.backlog.drain(*iface.device));
    return iface.backlog.empty();
}

err_t link_output(netif* nif, pbuf* p) {
    auto* iface = static_cast<Interface*>(nif->state);
    drivers::Fragment fragments[kMaxFragments];
    size_t count = 0;
    for (pbuf* q = p; q && count < kMaxFragments; q = q->next) {
        if (q->len) fragments[count++] = {q->payload, q->len};
    }
    if (count == kMaxFragments && pbuf_clen(p) > kMaxFragments) {
        ++g_tx_dropped;  // pathological chain; lwIP never builds one this long
        return ERR_IF;
    }
    if (drain_backlog(*iface) && iface->device->transmit(fragments, count)) {
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

err_t init_netif(netif* nif) {
    auto* iface = static_cast<Interface*>(nif->state);
    drivers::NetDevice& device = *iface->device;
    nif->name[0] = 'e';
    nif->name[1] = 'n';
    nif->hwaddr_len = ETH_HWADDR_LEN;
    std::memcpy(nif->hwaddr, device.mac(), ETH_HWADDR_LEN);
    nif->mtu = device.mtu();
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP |
                 NETIF_FLAG_MLD6;
    nif->output = etharp_output;
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

Result<void> add_interface(drivers::NetDevice& device, const InterfaceConfig& config) {
    if (g_interface_count == kMaxInterfaces) return Error::LimitReached;
    Interface& iface = g_interfaces[g_interface_count++];
    iface.device = &device;
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
