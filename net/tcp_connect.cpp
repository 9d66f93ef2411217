// TcpStream::connect: an outbound connection on lwIP's raw API. The handshake's outcome arrives
// in lwIP's callbacks (connected, or the error callback for a reset or an abandoned SYN); the
// calling coroutine waits for it with its deadline, and tells "nobody there" apart from
// "nothing answers" by asking the ARP table about the next hop.
#include <new>

#include "kernel/log.hpp"
#include "kernel/memory/memory.hpp"
#include "lib/time_units.hpp"
#include "lwip/etharp.h"
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "net/lwip/error.hpp"
#include "net/lwip/pcb_index.hpp"
#include "net/lwip/stack.hpp"
#include "net/tcp.hpp"
#include "net/tcp_connection.hpp"

namespace coronet::net {
namespace {

// How long a next hop may leave ARP unanswered before the connection is reported unreachable
// rather than waited for (Linux gives up on a neighbour after three probes a second apart).
constexpr uint64_t kNeighbourTimeout = 3 * kSecond;

ConnectStats g_stats{};

err_t on_connected(void* arg, tcp_pcb* pcb, err_t) {
    if (auto* c = static_cast<TcpConnection*>(arg)) {
        c->established(pcb);
        c->connecting = false;
        c->writers.notify_all();
    }
    return ERR_OK;
}

// Whether the next hop towards `to` has answered ARP (IPv4). IPv6 neighbours are not looked
// at: an IPv6 connection that nothing answers ends at its deadline.
bool neighbour_silent(const ip_addr_t& to) {
    if (!IP_IS_V4_VAL(to)) return false;
    const ip4_addr_t* destination = ip_2_ip4(&to);
    netif* interface = ip4_route(destination);
    if (!interface) return true;
    const ip4_addr_t* hop = destination;
    if (!ip4_addr_net_eq(destination, netif_ip4_addr(interface), netif_ip4_netmask(interface)))
        hop = netif_ip4_gw(interface);
    eth_addr* mac = nullptr;
    const ip4_addr_t* found = nullptr;
    return etharp_find_addr(interface, hop, &mac, &found) < 0;
}

constexpr uint32_t kEphemeralPorts = TCP_LOCAL_PORT_RANGE_END - TCP_LOCAL_PORT_RANGE_START + 1;
// Ports tried in turn before one is taken back from TIME-WAIT. lwIP's own choice
// (tcp_new_port) walks every control block again for each port it finds taken, which turns
// quadratic once the range is mostly held: we pick the port ourselves, each try one walk.
constexpr int kPortTries = 4;
uint32_t g_next_port = 0;

// The oldest connection we closed first, in TIME-WAIT on an ephemeral port, lets its port go;
// returns that port, or 0 when there is none. A new connection's sequence numbers start beyond
// the old one's (lwIP's ISS only grows), so a peer still holding the old pair accepts the new
// SYN as Linux does (tcp_tw_reuse).
uint16_t retire_oldest_time_wait() {
    tcp_pcb* oldest = nullptr;
    for (tcp_pcb* pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {  // newest first
        if (pcb->local_port >= TCP_LOCAL_PORT_RANGE_START) oldest = pcb;
    }
    if (!oldest) return 0;
    uint16_t port = oldest->local_port;
    tcp_abort(oldest);  // a TIME-WAIT pcb is just freed: no RST, no callbacks
    ++g_stats.time_wait_reuses;
    return port;
}

// Binds `pcb` to an ephemeral port: the next ones in turn, else one taken back from TIME-WAIT.
Result<void> bind_ephemeral(tcp_pcb* pcb) {
    if (g_next_port == 0) g_next_port = coronet_lwip_random();
    const ip_addr_t* any = IP_IS_V6_VAL(pcb->local_ip) ? IP6_ADDR_ANY : IP4_ADDR_ANY;
    for (int i = 0; i < kPortTries; ++i) {
        auto port =
            static_cast<uint16_t>(TCP_LOCAL_PORT_RANGE_START + g_next_port++ % kEphemeralPorts);
        err_t err = tcp_bind(pcb, any, port);
        if (err == ERR_OK) return {};
        if (err != ERR_USE) return error_from_lwip(err);
    }
    uint16_t port = retire_oldest_time_wait();
    if (port == 0 || tcp_bind(pcb, any, port) != ERR_OK) return Error::LimitReached;
    return {};
}

Error count_failure(Error error) {
    switch (error) {
    case Error::Refused: ++g_stats.refused; break;
    case Error::Unreachable: ++g_stats.unreachable; break;
    case Error::Timeout: ++g_stats.timed_out; break;
    default: ++g_stats.failed; break;
    }
    return error;
}

// An IPv6 link-local address given without its zone (fe80::1, not fe80::1%en1) means the
// link of the default interface: the one the appliance's traffic uses, and with loopback
// beside it lwIP would otherwise find no route.
ip_addr_t with_zone(const ip_addr_t& address) {
    ip_addr_t zoned = address;
    if (IP_IS_V6_VAL(zoned) && netif_default && ip6_addr_lacks_zone(ip_2_ip6(&zoned), IP6_UNICAST))
        ip6_addr_assign_zone(ip_2_ip6(&zoned), IP6_UNICAST, netif_default);
    return zoned;
}

// Starts the handshake on a fresh pcb owned by `c`.
Result<void> start(TcpConnection* c, const Endpoint& to) {
    tcp_pcb* pcb = tcp_new_ip_type(IP_GET_TYPE(&to.address));
    if (!pcb) return Error::OutOfMemory;
    c->attach(pcb);
    c->connecting = true;
    TRY_VOID(bind_ephemeral(pcb));
    ip_addr_t address = with_zone(to.address);
    if (err_t err = tcp_connect(pcb, &address, to.port, on_connected); err != ERR_OK)
        return error_from_lwip(err);
    stack_activity();
    // On the active list now: indexed from here on (pcb_index.hpp's invariant).
    return pcb_index::track(pcb);
}

}  // namespace

ConnectStats connect_stats() { return g_stats; }

Result<TcpStream> TcpStream::connect(const Endpoint& to, sched::Deadline deadline) {
    ++g_stats.attempts;
    if (memory::short_of_memory()) {
        memory::count_refusal();
        return count_failure(Error::OutOfMemory);
    }
    auto* c = new (std::nothrow) TcpConnection();
    if (!c) return count_failure(Error::OutOfMemory);
    TcpStream stream(c);  // closing it releases the pcb, however this ends
    if (auto started = start(c, to); !started) {
        stream.abort();
        return count_failure(started.error());
    }
    sched::Deadline neighbour_check = sched::now() + kNeighbourTimeout;
    while (c->connecting && c->error == Error::None) {
        bool checking = neighbour_check < deadline;
        auto waited = c->writers.wait(checking ? neighbour_check : deadline);
        if (waited || !c->connecting || c->error != Error::None) continue;
        if (!checking) {
            stream.abort();
            return count_failure(Error::Timeout);
        }
        if (neighbour_silent(to.address)) {
            stream.abort();
            return count_failure(Error::Unreachable);
        }
        neighbour_check = deadline;  // the neighbour answered: only the deadline ends the wait
    }
    if (c->error != Error::None) {
        // A reset answers the SYN: nothing listens. lwIP abandons a SYN nobody answered after
        // its retries (Closed): unreachable if no neighbour answered, else a silent peer.
        Error error = c->error == Error::Reset       ? Error::Refused
                      : neighbour_silent(to.address) ? Error::Unreachable
                                                     : Error::Timeout;
        stream.abort();
        return count_failure(error);
    }
    ++g_stats.established;
    return stream;
}

}  // namespace coronet::net
