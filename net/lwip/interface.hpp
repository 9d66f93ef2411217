// One lwIP network interface per NetDevice: frames in (lent or copied, rx_lending.hpp), frames
// out (gathered into the driver's ring, or kept in order in a TxBacklog while it is full),
// addressing as the composition root configured it, IPv6 SLAAC.
#pragma once

#include <cstdint>

#include "drivers/net_device.hpp"
#include "lib/result.hpp"
#include "lwip/ip4_addr.h"

struct tcp_pcb;

namespace coronet::net {

struct Ipv4Config {
    bool is_static = false;  // false: DHCP
    ip4_addr_t address{};
    ip4_addr_t netmask{};
    ip4_addr_t gateway{};
};

struct InterfaceConfig {
    Ipv4Config ipv4;
    bool ipv6 = true;  // link-local + SLAAC
};

Result<void> add_interface(drivers::NetDevice& device, const InterfaceConfig& config);

// Takes in the packets the stack has sent to itself (127.0.0.1, or an interface's own address)
// since the last call; what they answer (a SYN's SYN-ACK, an ACK) is queued for the next call.
// A packet to an interface's own address left with its TCP checksum for the device to complete
// (the checksum offload): it never reaches a device, so it is taken in unchecked.
void deliver_looped();

// Tells devices about the frames given to them since their doorbell last rang (the end of the
// reactor pass does; link output rings it every few frames on its own).
void flush_interfaces();

// The MSS a connection's segments may have when its interface's device segments TCP itself
// (TSO): many full-size segments in one, cut by the device; 0 when it does not, or the peer
// takes less than full-size segments. The connection's congestion window starts at one.
inline constexpr uint16_t kSegmentationMss = 11 * 1460;
uint16_t segmentation_mss(const tcp_pcb* pcb);

// Takes in what the devices have received (up to a thousand frames each) now rather than at the
// reactor pass's next poll: before a retransmission or probe goes, acknowledgements that have
// already arrived must count (retransmit::run calls it once a run, only when one is due). With many connections busy, a pass runs many coroutines,
// and frames can wait in the ring longer than a time-out (100 000 connections on AArch64 under
// TCG: 160 000 needless retransmissions in one test before this).
void take_received();

// Has each device take back what it has finished sending (at the reactor pass's next poll of
// it): transmit completions are otherwise reclaimed lazily, when the device is polled for
// received frames or needs ring space, and lwIP does not send a segment again while the device
// still holds it. For a retransmission on a connection gone quiet.
void reclaim_transmitted();

// Follows each device's link (a cable pulled and plugged back, QEMU's set_link): lwIP is told
// (DHCP renews, IPv6 checks its addresses again) and, when a link comes back, connections with
// data in flight send it again at once instead of after their backed-off time-outs. Called
// periodically (the stack's timer coroutine).
void check_links();

struct InterfaceStats {
    uint64_t rx_lent;     // receive buffers lent to lwIP right now (zero-copy pbufs)
    uint64_t tx_backlog;  // frames waiting for ring space right now, all interfaces
    uint64_t rx_copied;   // frames copied because too many receive buffers were lent out
    uint64_t rx_no_pbuf;  // frames dropped: no pbuf for a copy
    uint64_t tx_busy;     // frames that had to wait in the backlog (ring full)
    uint64_t tx_dropped;  // frames dropped here: backlog full (the device counts its refusals)
};
InterfaceStats interface_stats();

}  // namespace coronet::net
