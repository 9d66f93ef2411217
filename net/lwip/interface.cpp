// lwIP netif glue. Received frames are lent to lwIP as custom pbufs pointing into the driver's
// buffer (freed back to the driver by lwIP); when too many are lent out (a slow reader holding
// data), frames are copied instead so the receive ring never starves. Frames the driver cannot
// take yet wait, in order, in a bounded backlog.
#include "net/lwip/interface.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "kernel/boot_config.hpp"
#include "kernel/log.hpp"
#include "lib/ring.hpp"
#include "lib/time_units.hpp"
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "net/lwip/stack.hpp"
#include "netif/ethernet.h"

namespace coronet::net {
namespace {

constexpr size_t kMaxInterfaces = 4;
constexpr size_t kLentBuffers = 1024;           // custom pbufs describing lent receive buffers
constexpr size_t kCopyBelowFree = kLentBuffers / 4;
constexpr size_t kPollBudget = 64;              // frames per device per pass: others get a turn
constexpr size_t kMaxFragments = 16;
constexpr size_t kTxBacklog = 256;              // frames waiting for ring space
constexpr uint64_t kInterruptCheckInterval = 100 * kMillisecond;  // between lost-interrupt checks

struct Interface;

struct LentBuffer {
    pbuf_custom custom;  // first: lwIP hands back a pbuf* that is this object
    Interface* owner;
    void* cookie;
    LentBuffer* next_free;
};

struct PendingFrame {
    uint16_t length;
    uint8_t data[1514];
};

struct Interface {
    netif lwip;
    drivers::NetDevice* device;
    Ring<PendingFrame*, kTxBacklog> backlog;
    bool needs_flush;
    bool static_ipv4;
};

Interface g_interfaces[kMaxInterfaces];
size_t g_interface_count = 0;
LentBuffer g_lent[kLentBuffers];
LentBuffer* g_free_lent = nullptr;
size_t g_free_lent_count = 0;
InterfaceStats g_stats;
sched::Deadline g_next_interrupt_check = 0;

void return_lent(pbuf* p) {
    auto* lent = reinterpret_cast<LentBuffer*>(p);
    lent->owner->device->recycle(lent->cookie);
    lent->next_free = g_free_lent;
    g_free_lent = lent;
    ++g_free_lent_count;
}

void deliver(void* context, const drivers::ReceivedFrame& frame) {
    auto* iface = static_cast<Interface*>(context);
    pbuf* p = nullptr;
    if (g_free_lent_count > kCopyBelowFree) {
        LentBuffer* lent = g_free_lent;
        g_free_lent = lent->next_free;
        --g_free_lent_count;
        lent->owner = iface;
        lent->cookie = frame.cookie;
        lent->custom.custom_free_function = return_lent;
        p = pbuf_alloced_custom(PBUF_RAW, static_cast<u16_t>(frame.length), PBUF_REF, &lent->custom, frame.data,
                                static_cast<u16_t>(frame.length));
    } else {
        p = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(frame.length), PBUF_POOL);
        if (p) {
            pbuf_take(p, frame.data, static_cast<u16_t>(frame.length));
            ++g_stats.rx_copied;
        } else {
            ++g_stats.rx_no_pbuf;
        }
        iface->device->recycle(frame.cookie);
    }
    if (!p) return;
    if (iface->lwip.input(p, &iface->lwip) != ERR_OK) pbuf_free(p);
}

// Moves backlogged frames into the ring; true when the backlog is empty.
bool drain_backlog(Interface& iface) {
    while (!iface.backlog.empty()) {
        PendingFrame* frame = iface.backlog.front();
        drivers::Fragment fragment{frame->data, frame->length};
        if (!iface.device->transmit(&fragment, 1)) return false;
        free(iface.backlog.pop());
        iface.needs_flush = true;
    }
    return true;
}

err_t link_output(netif* nif, pbuf* p) {
    auto* iface = static_cast<Interface*>(nif->state);
    drivers::Fragment fragments[kMaxFragments];
    size_t count = 0;
    for (pbuf* q = p; q && count < kMaxFragments; q = q->next) {
        if (q->len) fragments[count++] = {q->payload, q->len};
    }
    if (count == kMaxFragments && pbuf_clen(p) > kMaxFragments) {
        ++g_stats.tx_dropped;  // pathological chain; lwIP never builds one this long
        return ERR_IF;
    }
    if (drain_backlog(*iface) && iface->device->transmit(fragments, count)) {
        iface->needs_flush = true;
        return ERR_OK;
    }
    // Ring full: keep the frame, in order, until the device frees space.
    ++g_stats.tx_busy;
    if (iface->backlog.full() || p->tot_len > sizeof(PendingFrame::data)) {
        ++g_stats.tx_dropped;
        return ERR_MEM;
    }
    auto* frame = static_cast<PendingFrame*>(malloc(sizeof(PendingFrame)));
    if (!frame) {
        ++g_stats.tx_dropped;
        return ERR_MEM;
    }
    frame->length = static_cast<uint16_t>(pbuf_copy_partial(p, frame->data, p->tot_len, 0));
    iface->backlog.push(frame);  // not full: checked above
    iface->device->flush();  // make sure the device is working through the full ring
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
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
    nif->output = etharp_output;
    nif->output_ip6 = ethip6_output;
    nif->linkoutput = link_output;
    return ERR_OK;
}

void poll_device(void* context) {
    auto* iface = static_cast<Interface*>(context);
    size_t delivered = iface->device->poll(kPollBudget, deliver, iface);
    if (drain_backlog(*iface) && iface->needs_flush) {
        iface->device->flush();
        iface->needs_flush = false;
    }
    // A full budget means more may be waiting: come back next pass, after others had a turn.
    if (delivered == kPollBudget) sched::signal(iface->device->events());
    stack_activity();
}

// Parses "a.b.c.d/len" into address and mask.
bool parse_ipv4_with_prefix(std::string_view text, ip4_addr_t& address, ip4_addr_t& mask) {
    char buffer[32];
    size_t slash = text.find('/');
    std::string_view addr_text = text.substr(0, slash);
    if (addr_text.size() >= sizeof buffer) return false;
    std::memcpy(buffer, addr_text.data(), addr_text.size());
    buffer[addr_text.size()] = '\0';
    if (!ip4addr_aton(buffer, &address)) return false;
    unsigned prefix = 24;
    if (slash != std::string_view::npos) {
        prefix = 0;
        for (char c : text.substr(slash + 1)) {
            if (c < '0' || c > '9') return false;
            prefix = prefix * 10 + static_cast<unsigned>(c - '0');
        }
        if (prefix > 32) return false;
    }
    ip4_addr_set_u32(&mask, prefix ? PP_HTONL(~0U << (32 - prefix)) : 0);
    return true;
}

bool parse_ipv4(std::string_view text, ip4_addr_t& address) {
    char buffer[32];
    if (text.size() >= sizeof buffer) return false;
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    return ip4addr_aton(buffer, &address);
}

void on_status(netif* nif, netif_nsc_reason_t reason, const netif_ext_callback_args_t* args) {
    char address[IPADDR_STRLEN_MAX];
    if (reason & LWIP_NSC_IPV4_ADDRESS_CHANGED && !ip4_addr_isany_val(*netif_ip4_addr(nif))) {
        auto* iface = static_cast<Interface*>(nif->state);
        char mask[IPADDR_STRLEN_MAX], gw[IPADDR_STRLEN_MAX];
        ip4addr_ntoa_r(netif_ip4_addr(nif), address, sizeof address);
        ip4addr_ntoa_r(netif_ip4_netmask(nif), mask, sizeof mask);
        ip4addr_ntoa_r(netif_ip4_gw(nif), gw, sizeof gw);
        LOG_INFO("net: %c%c%u ipv4 %s netmask %s gateway %s (%s)", nif->name[0], nif->name[1], nif->num, address, mask,
                 gw, iface->static_ipv4 ? "static" : "dhcp");
    }
    if (reason & LWIP_NSC_IPV6_ADDR_STATE_CHANGED) {
        s8_t index = args->ipv6_addr_state_changed.addr_index;
        if (ip6_addr_isvalid(netif_ip6_addr_state(nif, index)) &&
            !ip6_addr_isvalid(args->ipv6_addr_state_changed.old_state)) {
            ip6addr_ntoa_r(netif_ip6_addr(nif, index), address, sizeof address);
            LOG_INFO("net: %c%c%u ipv6 %s", nif->name[0], nif->name[1], nif->num, address);
        }
    }
}

netif_ext_callback_t g_status_callback;

}  // namespace

Result<void> add_interface(drivers::NetDevice& device) {
    if (g_interface_count == kMaxInterfaces) return Error::LimitReached;
    if (!g_free_lent && g_free_lent_count == 0) {
        for (auto& lent : g_lent) {
            lent.next_free = g_free_lent;
            g_free_lent = &lent;
            ++g_free_lent_count;
        }
        netif_add_ext_callback(&g_status_callback, on_status);
    }
    Interface& iface = g_interfaces[g_interface_count++];
    iface.device = &device;
    if (!netif_add_noaddr(&iface.lwip, &iface, init_netif, ethernet_input)) return Error::InvalidArgument;
    if (g_interface_count == 1) netif_set_default(&iface.lwip);

    const BootConfig& config = boot_config();
    ip4_addr_t address, mask, gateway;
    ip4_addr_set_zero(&gateway);
    if (auto ip = config.get("ip"); ip && g_interface_count == 1) {
        if (!parse_ipv4_with_prefix(*ip, address, mask)) {
            LOG_ERROR("net: bad ip=%.*s (want a.b.c.d/prefix); using DHCP", static_cast<int>(ip->size()), ip->data());
        } else {
            if (auto gw = config.get("gw"); gw && !parse_ipv4(*gw, gateway)) {
                LOG_ERROR("net: bad gw=%.*s; no gateway", static_cast<int>(gw->size()), gw->data());
            }
            ip4_addr_t dns;
            if (auto server = config.get("dns")) {
                if (parse_ipv4(*server, dns)) {
                    ip_addr_t any;
                    ip_addr_copy_from_ip4(any, dns);
                    dns_setserver(0, &any);
                } else {
                    LOG_ERROR("net: bad dns=%.*s", static_cast<int>(server->size()), server->data());
                }
            }
            iface.static_ipv4 = true;
        }
    }
    netif_set_up(&iface.lwip);
    if (device.link_up()) netif_set_link_up(&iface.lwip);
    if (iface.static_ipv4) {
        netif_set_addr(&iface.lwip, &address, &mask, &gateway);
    } else if (dhcp_start(&iface.lwip) != ERR_OK) {
        LOG_ERROR("net: DHCP could not start on %s", device.name());
    }
    if (config.get_or("ipv6", "on") != "off") {
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

void flush_interfaces() {
    for (size_t i = 0; i < g_interface_count; ++i) {
        Interface& iface = g_interfaces[i];
        if (iface.needs_flush) {
            iface.device->flush();
            iface.needs_flush = false;
        }
    }
}

void check_interrupts() {
    sched::Deadline now = sched::now();
    if (now < g_next_interrupt_check) return;
    g_next_interrupt_check = now + kInterruptCheckInterval;
    for (size_t i = 0; i < g_interface_count; ++i) g_interfaces[i].device->check_interrupts();
}

InterfaceStats interface_stats() {
    InterfaceStats stats = g_stats;
    stats.rx_lent = g_interface_count ? kLentBuffers - g_free_lent_count : 0;
    for (size_t i = 0; i < g_interface_count; ++i) stats.tx_backlog += g_interfaces[i].backlog.size();
    return stats;
}

}  // namespace coronet::net
