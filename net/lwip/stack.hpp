// The TCP/IP stack's lifecycle (lwIP with NO_SYS=1): bring-up, the timer coroutine, and the
// rule that lwIP runs only in reactor/coroutine context, never in an interrupt handler.
#pragma once

#include "arch/boot_info.hpp"

namespace coronet::net {

// Initialises lwIP, finds the network devices (virtio), brings up an interface on each and
// starts lwIP's timers. Needs the scheduler; call once from the app before serving.
void start_stack(const BootInfo& info);
const char* stack_version();

// After calling into lwIP: pushes queued frames to the devices and re-arms lwIP's timers if
// the call created an earlier timeout. Socket calls and the receive path call this.
void stack_activity();

// Occupancy of one of lwIP's fixed pools (lwipopts.h sizes them).
struct PoolStats {
    uint64_t used;
    uint64_t size;
    uint64_t peak;
    uint64_t exhausted;  // allocations refused because the pool was empty
};
struct StackStats {
    PoolStats pbuf_pool;  // receive copies (PBUF_POOL_SIZE)
    PoolStats tcp_pcbs;   // connections, listening sockets excluded (MEMP_NUM_TCP_PCB)
    PoolStats tcp_segs;   // queued TCP segments (MEMP_NUM_TCP_SEG)
    uint64_t time_wait_reuses;  // TIME-WAIT connections a new SYN replaced (time_wait.hpp)
};
StackStats stack_stats();

}  // namespace coronet::net
