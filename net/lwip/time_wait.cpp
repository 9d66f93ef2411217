// The TIME-WAIT check behind lwIP's IP input hooks (see time_wait.hpp). The hooks see packets
// before lwIP has validated anything, so every header is bounds-checked here; anything that is
// not a plain, unfragmented TCP SYN is left alone.
#include "net/lwip/time_wait.hpp"

#include <cstring>

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip_hooks.h"

namespace coronet::net {
namespace {

constexpr size_t kIpv4MinHeader = 20;
constexpr size_t kIpv6Header = 40;
constexpr uint8_t kProtocolTcp = 6;
constexpr uint16_t kIpv4FragmentMask = 0x3FFF;  // more-fragments flag + fragment offset
constexpr size_t kTcpFlagsEnd = 14;             // ports, sequence, ack, offset, flags
constexpr uint8_t kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

uint64_t g_reuses = 0;

uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t load_be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }

// `tcp` points at `available` bytes of a TCP header from `remote` to `local`.
void check_syn(const uint8_t* tcp, size_t available, const ip_addr_t& remote, const ip_addr_t& local) {
    if (available < kTcpFlagsEnd) return;
    uint8_t flags = tcp[13];
    if ((flags & (kTcpSyn | kTcpAck | kTcpRst)) != kTcpSyn) return;
    uint16_t remote_port = load_be16(tcp);
    uint16_t local_port = load_be16(tcp + 2);
    uint32_t seqno = load_be32(tcp + 4);
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
    using namespace coronet::net;
    if (!tcp_tw_pcbs || p->len < kIpv4MinHeader) return 0;
    const auto* ip = static_cast<const uint8_t*>(p->payload);
    size_t header = size_t{ip[0] & 0x0Fu} * 4;
    if ((ip[0] >> 4) != 4 || header < kIpv4MinHeader || header > p->len || ip[9] != kProtocolTcp) return 0;
    if (load_be16(ip + 6) & kIpv4FragmentMask) return 0;
    ip_addr_t remote, local;
    uint32_t raw;
    std::memcpy(&raw, ip + 12, sizeof raw);
    ip_addr_set_ip4_u32_val(remote, raw);
    std::memcpy(&raw, ip + 16, sizeof raw);
    ip_addr_set_ip4_u32_val(local, raw);
    check_syn(ip + header, p->len - header, remote, local);
    return 0;
}

extern "C" int coronet_ip6_input_hook(pbuf* p, netif* input) {
    using namespace coronet::net;
    if (!tcp_tw_pcbs || p->len < kIpv6Header) return 0;
    const auto* ip = static_cast<const uint8_t*>(p->payload);
    if ((ip[0] >> 4) != 6 || ip[6] != kProtocolTcp) return 0;  // extension headers: left alone
    ip6_addr_p_t packed;
    ip_addr_t remote, local;
    std::memcpy(&packed, ip + 8, sizeof packed);
    ip_addr_copy_from_ip6_packed(remote, packed);
    ip6_addr_assign_zone(ip_2_ip6(&remote), IP6_UNKNOWN, input);
    std::memcpy(&packed, ip + 24, sizeof packed);
    ip_addr_copy_from_ip6_packed(local, packed);
    ip6_addr_assign_zone(ip_2_ip6(&local), IP6_UNKNOWN, input);
    check_syn(ip + kIpv6Header, p->len - kIpv6Header, remote, local);
    return 0;
}
