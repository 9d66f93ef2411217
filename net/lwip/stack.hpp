// The TCP/IP stack's lifecycle (lwIP with NO_SYS=1): bring-up, the timer coroutine, and the
// rule that lwIP runs only in reactor/coroutine context, never in an interrupt handler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "arch/boot_info.hpp"
#include "drivers/virtio/probe.hpp"
#include "lwip/ip4_addr.h"
#include "lwip/ip_addr.h"
#include "lwip/opt.h"
#include "net/lwip/interface.hpp"
#include "net/lwip/retransmit.hpp"
#include "net/time_sync.hpp"

namespace coronet::net {

// What the image's composition root decides for the stack (from boot options there).
inline constexpr size_t kMaxDnsServers = DNS_MAX_SERVERS;
inline constexpr size_t kMaxStaticHosts = 16;

// A name the resolver answers without asking (host=NAME=ADDRESS); `name` stays valid forever
// (it points into the boot command line).
struct StaticHost {
    std::string_view name;
    ip_addr_t address;
};

struct StackOptions {
    InterfaceConfig first_interface;  // static IPv4 or DHCP, IPv6; other interfaces use DHCP
    // DNS servers given statically (a DHCP lease's servers replace them when it binds).
    ip_addr_t dns_servers[kMaxDnsServers]{};
    size_t dns_server_count = 0;
    StaticHost hosts[kMaxStaticHosts]{};
    size_t host_count = 0;
    TimeSyncOptions time_sync;       // NTP servers (ntp=), else a DHCP lease's
    virtio::ProbeOptions devices;    // what the virtio probe looks for and how it sets devices up
    retransmit::Options retransmit;  // TCP's time-out bounds (retransmit.hpp)
};

// Initialises lwIP, finds the network devices (virtio), brings up an interface on each and
// starts lwIP's timers. Needs the scheduler; call once from the app before serving.
void start_stack(const BootInfo& info, const StackOptions& options);
const char* stack_version();

// After calling into lwIP: at the end of this reactor pass, the frames still unannounced are
// announced to their devices and lwIP's timers re-armed if the call created an earlier
// timeout. Socket calls, the receive path and the transmit path call this; it costs a flag.
void stack_activity();

// Occupancy of one of lwIP's fixed pools (lwipopts.h sizes them).
struct PoolStats {
    uint64_t used;
    uint64_t size;
    uint64_t peak;
    uint64_t exhausted;  // allocations refused because the pool was empty
};
struct StackStats {
    // Pools come from malloc (MEMP_MEM_MALLOC): `size` is lwIP's nominal MEMP_NUM_*, not a limit.
    PoolStats pbuf_pool;        // receive copies
    PoolStats tcp_pcbs;         // connections, listening sockets excluded
    PoolStats tcp_segs;         // queued TCP segments
    uint64_t time_wait_reuses;  // TIME-WAIT connections a new SYN replaced (time_wait.hpp)
    uint64_t object_bytes;      // every lwIP object in use (control blocks, segments, pbufs)
    uint64_t indexed;           // connections in the control-block index (pcb_index.hpp)
    uint64_t index_hits;        // segments whose connection the index found for lwIP
    uint64_t index_skips;       // segments with no active connection: lwIP's walk spared (SYNs)
    uint64_t index_unread;      // packets lwIP walked the whole list for (fragments; rebuilt)
};
StackStats stack_stats();

}  // namespace coronet::net
