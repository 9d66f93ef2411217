/* lwIP configuration for Coronet. NO_SYS: lwIP runs only in the reactor/coroutine context,
   one call at a time; no lwIP threads, sockets or netconn (our socket API, net/tcp_*.hpp, is on
   the raw API). Every lwIP object (control blocks, segments, pbufs) comes from malloc, so the
   number of connections is bounded by memory, not by static pools (the MEMP_NUM_* values below
   only size the pool statistics /status reports against); 64 KiB windows. The README lists
   these values. */
#ifndef CORONET_LWIPOPTS_H
#define CORONET_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NETIF_API 0

#define MEM_ALIGNMENT 8
/* malloc over the kernel heap, with free lists of lwIP's recurring sizes in front
   (net/lwip/object_cache.hpp) */
#define MEM_CUSTOM_ALLOCATOR 1
#define MEM_CUSTOM_MALLOC coronet_lwip_malloc
#define MEM_CUSTOM_CALLOC coronet_lwip_calloc
#define MEM_CUSTOM_FREE coronet_lwip_free
#define MEMP_MEM_MALLOC 1 /* pools sized by memory at run time, not at build time */
#define MEMP_STATS 1      /* still counted per pool: used, peak, allocation failures */
#define MEM_SIZE (1024 * 1024)

#define LWIP_IPV4 1
#define LWIP_IPV6 1
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_DHCP 1
/* RFC 5227 probing would delay the first bound address by seconds; see README (Networking). */
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define LWIP_ACD 0
#define LWIP_IPV6_AUTOCONFIG 1
#define LWIP_IPV6_DHCP6 0
/* Reassembly keeps its bookkeeping (two pointers on 64-bit) in a copy of the fragment header's
   place, not over the 8-byte header itself. */
#define IPV6_FRAG_COPYHEADER 1
#define LWIP_UDP 1
/* 127.0.0.1 (and the interface's own address) loop back: an app may call another in the same
   image. Looped packets are delivered at the end of each reactor pass (net/lwip/stack.cpp). */
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_TCP 1
#define LWIP_DNS 1 /* resolver for apps (net/resolver.hpp); servers from DHCP or dns= */
#define DNS_MAX_SERVERS 3
#define DNS_TABLE_SIZE 16    /* names cached (each for its TTL) and queries outstanding */
#define DNS_LOCAL_HOSTLIST 1 /* host=NAME=ADDRESS boot options */
#define DNS_LOCAL_HOSTLIST_IS_DYNAMIC 1
#define LWIP_IGMP 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_EXT_STATUS_CALLBACK 1
/* Every lwIP entry point checks it is not called from an interrupt handler. */
#define LWIP_ASSERT_CORE_LOCKED() coronet_lwip_assert_context()

/* SNTP: lwIP's client (src/apps/sntp) sets the kernel's wall clock (net/time_sync.cpp). Servers
   come from ntp= (names resolved through lwIP's DNS, hence SNTP_SERVER_DNS) or, without ntp=,
   from the DHCP lease: our dhcp_set_ntp_servers() takes them and starts the client, which
   lwIP's own would not. */
#define SNTP_SERVER_DNS 1
#define SNTP_MAX_SERVERS 3
#define LWIP_DHCP_GET_NTP_SRV 1
#define LWIP_DHCP_MAX_NTP_SERVERS SNTP_MAX_SERVERS
#define SNTP_GET_SERVERS_FROM_DHCP 0
/* Round-trip compensation (RFC 4330's offset from all four timestamps), and answers accepted
   only from the server asked, echoing our transmit timestamp. */
#define SNTP_COMP_ROUNDTRIP 1
#define SNTP_CHECK_RESPONSE 2
/* The first request within 250 ms of an address (spread a little, so that a fleet powered on
   together does not ask in the same millisecond). An answer is waited for 2 s, then the next
   server is asked; with none left, the request is repeated 15 s later, then 30 s, ... up to
   150 s (RFC 4330 section 10: never more often than every 15 s). */
#define SNTP_STARTUP_DELAY 1
#define SNTP_STARTUP_DELAY_FUNC (LWIP_RAND() % 250)
#define SNTP_RECV_TIMEOUT 2000
#define SNTP_RETRY_TIMEOUT 15000
/* The poll interval is ours (16 s doubling to 1024 s, time_sync.cpp); it never goes below
   RFC 4330's 15 s, which a static_assert there checks, as lwIP's #if cannot see it. */
#define SNTP_SUPPRESS_DELAY_CHECK
#define SNTP_UPDATE_DELAY coronet_sntp_update_delay_ms()
/* Timestamps with nanosecond resolution both ways, not lwIP's seconds + microseconds. */
#define SNTP_GET_SYSTEM_TIME_NTP(sec, frac) coronet_sntp_get_time(&(sec), &(frac))
#define SNTP_SET_SYSTEM_TIME_NTP(sec, frac) coronet_sntp_set_time((sec), (frac))
/* The client's two timeouts (request, answer) beside lwIP's own. */
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 2)

/* Ephemeral ports for outbound connections (lwIP's default range, named for net/tcp_connect.cpp). */
#define TCP_LOCAL_PORT_RANGE_START 0xC000
#define TCP_LOCAL_PORT_RANGE_END 0xFFFF
#define TCP_ENSURE_LOCAL_PORT_RANGE(port) \
    ((u16_t)(((port) & (u16_t)~TCP_LOCAL_PORT_RANGE_START) + TCP_LOCAL_PORT_RANGE_START))

/* lwIP's own retransmission timer counts in 500 ms ticks; net/lwip/retransmit.hpp retransmits
   at the path's time scale before it. Its first time-out (the handshake's, before any round trip
   is measured) is RFC 6298's 1 s, not lwIP's 3 s. */
#define LWIP_TCP_RTO_TIME 1000
/* Keep-alive with per-connection idle, interval and count (net::Keepalive, set per listener). */
#define LWIP_TCP_KEEPALIVE 1

#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 2
#define TCP_WND (64 * 1024)
#define TCP_SND_BUF (64 * 1024)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF) / TCP_MSS)
/* Segments are shared by all connections: room for one full send queue plus a few in flight
   on each of the 1 000 connections we promise (a tcp_seg is ~40 bytes; data is in the heap). */
#define MEMP_NUM_TCP_SEG (2 * TCP_SND_QUEUELEN + 4 * 1000)
#define MEMP_NUM_TCP_PCB 1100 /* net::kMaxTcpConnections plus TIME_WAIT headroom */
#define MEMP_NUM_TCP_PCB_LISTEN 16
#define MEMP_NUM_UDP_PCB 16
#define PBUF_POOL_SIZE 512
/* Out-of-order segments a connection may hold (they pin receive buffers): up to a window's worth,
   so that on a path that reorders or loses, what arrived beyond a gap is kept (and SACKed)
   rather than sent twice. 8 pbufs / 16 KiB made a reordering path resend most of each window. */
#define TCP_OOSEQ_MAX_PBUFS 48
#define TCP_OOSEQ_MAX_BYTES TCP_WND
#define LWIP_TCP_SACK_OUT 1
#define LWIP_SUPPORT_CUSTOM_PBUF 1
/* Extension arguments per control block: the connection index's two (net/lwip/pcb_index.hpp)
   and the retransmission timer's record (net/lwip/retransmit.hpp). */
#define LWIP_TCP_PCB_NUM_EXT_ARGS 3

/* Input hooks implemented in net/lwip/ (new connections over TIME-WAIT ones). */
#define LWIP_HOOK_FILENAME "lwip_hooks.h"

#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0
#define LWIP_DEBUG 0
/* lwIP's assertions stay on (a failed one panics, arch/cc.h): LWIP_NOASSERT must not be defined
   at all, since lwIP tests it with #ifndef and even 0 turns them off. */
#define LWIP_CHKSUM_ALGORITHM 3
/* TCP checksums are left to the device where it offers to complete them (net/lwip/interface.cpp). */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1

#endif
