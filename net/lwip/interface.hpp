// One lwIP network interface per NetDevice: frames in (zero-copy custom pbufs), frames out
// (gathered into the driver's ring), addressing from the command line or DHCP, IPv6 SLAAC.
#pragma once

#include "drivers/net_device.hpp"

namespace coronet::net {

// Address configuration, from the kernel command line:
//   ip=10.0.2.15/24 gw=10.0.2.2 dns=10.0.2.3   static IPv4 (otherwise DHCP)
//   ipv6=off                                    no IPv6 (otherwise link-local + SLAAC)
Result<void> add_interface(drivers::NetDevice& device);

// Tells devices about frames queued since the last call (batched notifications).
void flush_interfaces();

// Lets each device look for work a lost interrupt left waiting (NetDevice::check_interrupts);
// does nothing when called again within kInterruptCheckInterval. lwIP's timer loop calls it.
void check_interrupts();

struct InterfaceStats {
    uint64_t rx_lent;        // receive buffers lent to lwIP right now (zero-copy pbufs)
    uint64_t tx_backlog;     // frames waiting for ring space right now, all interfaces
    uint64_t rx_copied;      // frames copied because too many receive buffers were lent out
    uint64_t rx_no_pbuf;     // frames dropped: no pbuf for a copy
    uint64_t tx_busy;        // frames that had to wait in the backlog (ring full)
    uint64_t tx_dropped;     // frames dropped: backlog full or out of memory
};
InterfaceStats interface_stats();

}  // namespace coronet::net
