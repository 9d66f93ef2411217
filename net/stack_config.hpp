// The stack's boot options, read by an image's composition root (and nowhere else) into the
// StackOptions that start_stack() takes:
//   ip=10.0.2.15/24 gw=10.0.2.2                 static IPv4 on the first interface (else DHCP)
//   dns=10.0.2.3[,fd00::53...]                 DNS servers (a DHCP lease's replace them)
//   host=NAME=ADDRESS                           a name answered without DNS (repeatable)
//   ntp=SERVER[,SERVER...]                      NTP servers, names or addresses (else DHCP's;
//                                               ntp=off: none); they set the wall clock
//   ipv6=off                                    no IPv6 (else link-local + SLAAC)
//   tcp.rto_min_ms=N                            least retransmission time-out (200)
//   tcp.keepalive=IDLE,INTERVAL,COUNT | off     keep-alive default for listeners (300,30,3 s);
//                                               <app>.keepalive overrides it per listener
//   virtio_net.rx_ring=N virtio_net.tx_ring=N   queue sizes (power of two, at most 256)
//   virtio_net.lose_interrupts=N                test option: ignore every Nth interrupt
//   virtio_mmio.device=<size>@<base>:<irq>      virtio-mmio devices (microvm, Firecracker)
// A malformed value is logged and ignored, never fatal.
#pragma once

#include "kernel/boot_config.hpp"
#include "net/lwip/stack.hpp"
#include "net/tcp.hpp"

namespace coronet::net {

StackOptions read_stack_options(const BootConfig& config);

// TCP keep-alive for a listener: `key` (e.g. http.keepalive), else tcp.keepalive, else
// kDefaultKeepalive. The value is IDLE,INTERVAL,COUNT in seconds (count a number), or off.
Keepalive read_keepalive(const BootConfig& config, std::string_view key);
inline constexpr Keepalive kDefaultKeepalive = {300 * kSecond, 30 * kSecond, 3};

}  // namespace coronet::net
