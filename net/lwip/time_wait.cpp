// The TIME-WAIT check behind lwIP's IP input hooks (see time_wait.hpp); both hooks also hand
// each TCP segment to the control-block index (pcb_index.hpp). The hooks see packets
// before lwIP has validated anything, so every header is bounds-checked here (with lwIP's own
// header layouts and accessors); anything that is not a plain, unfragmented TCP SYN is left
// alone.
#include "net/lwip/time_wait.hpp"

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"
#include "lwip_hooks.h"
#include "net/lwip/pcb_index.hpp"

namespace coronet::net {
namespace {

uint64_t g_reuses = 0;

// `tcp` points at `available` bytes of a TCP segment from `remote` to `local`.
void check_syn(const void* tcp, size_t available, const ip_addr_t& remote, const ip_addr_t& local) {
    if (available < TCP_HLEN) return;
    const auto* header = static_cast<const tcp_hdr*>(tcp);
    if ((TCPH_FLAGS(header) & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN) return;
    u16_t remote_port = lwip_ntohs(header->src);
    u16_t local_port = lwip_ntohs(header->dest);
    u32_t seqno = lwip_ntohl(header->seqno);
    for (tcp_pcb* pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {
        if (pcb->remote_port != remote_port || pcb->local_port != local_port) continue;
        if (!ip_addr_eq(&pcb->remote_ip, &remote) || !ip_addr_eq(&pcb->local_ip, &local)) continue;
        // Only a SYN beyond everything the old connection carried: an older duplicate, or
        // one that could belong to it, still meets lwIP's TIME-WAIT rules.
        if (TCP_SEQ_GT(seqno, pcb->rcv_nxt)) {
            tcp_abort(pcb);  // a TIME-WAIT pcb is just freed: no RST, no callbacks
            ++g_reuses;
        }
        return;
    }
}

}  // namespace

uint64_t time_wait_reuses() { return g_reuses; }

}  // namespace coronet::net

extern "C" int coronet_ip4_input_hook(pbuf* p, netif*) {
    if (p->len < IP_HLEN) return 0;
    const auto* ip = static_cast<const ip_hdr*>(p->payload);
    size_t header = IPH_HL_BYTES(ip);
    if (IPH_V(ip) != 4 || header < IP_HLEN || header > p->len || IPH_PROTO(ip) != IP_PROTO_TCP)
        return 0;
    if (lwip_ntohs(IPH_OFFSET(ip)) & (IP_OFFMASK | IP_MF)) {
        coronet::net::pcb_index::before_unread_input();  // its TCP header is not (all) here
        return 0;
    }
    ip_addr_t remote, local;
    ip_addr_copy_from_ip4(remote, ip->src);
    ip_addr_copy_from_ip4(local, ip->dest);
    if (tcp_tw_pcbs)
        coronet::net::check_syn(static_cast<const u8_t*>(p->payload) + header, p->len - header,
                                remote, local);
    coronet::net::pcb_index::before_input(ip, static_cast<const u8_t*>(p->payload) + header,
                                          p->len - header);
    return 0;
}

extern "C" int coronet_ip6_input_hook(pbuf* p, netif* input) {
    if (p->len < IP6_HLEN) return 0;
    const auto* ip = static_cast<const ip6_hdr*>(p->payload);
    if (IP6H_V(ip) != 6) return 0;
    switch (IP6H_NEXTH(ip)) {
    case IP6_NEXTH_TCP: break;
    case IP6_NEXTH_HOPBYHOP:
    case IP6_NEXTH_ROUTING:
    case IP6_NEXTH_FRAGMENT:
    case IP6_NEXTH_DESTOPTS:  // may lead to a TCP header the hook does not look for
        coronet::net::pcb_index::before_unread_input();
        return 0;
    default: return 0;
    }
    const u8_t* tcp = static_cast<const u8_t*>(p->payload) + IP6_HLEN;
    if (tcp_tw_pcbs) {
        ip_addr_t remote, local;
        ip_addr_copy_from_ip6_packed(remote, ip->src);
        ip6_addr_assign_zone(ip_2_ip6(&remote), IP6_UNKNOWN, input);
        ip_addr_copy_from_ip6_packed(local, ip->dest);
        ip6_addr_assign_zone(ip_2_ip6(&local), IP6_UNKNOWN, input);
        coronet::net::check_syn(tcp, p->len - IP6_HLEN, remote, local);
    }
    coronet::net::pcb_index::before_input(ip, netif_get_index(input), tcp, p->len - IP6_HLEN);
    return 0;
}
