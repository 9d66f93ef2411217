// lwIP finds a segment's connection by walking its list of active control blocks
// (tcp_active_pcbs), so with many connections open every segment, a new connection's SYN
// included, costs a walk of all of them. This index holds every IPv4 control block from its
// creation to lwIP freeing it (IPv4 address and port pair to block), kept through lwIP's public
// per-block extension arguments: a listener's new block is added when its SYN arrives, freed
// blocks leave through the extension's destroy callback.
//
// The IPv4 input hook looks the segment up and shows lwIP a list on which its walk ends at once:
// - a block on the active list: the list starting at that block (lwIP's walk stops there);
// - no block, or one in TIME-WAIT: an empty active list (nothing on it can match, since every
//   IPv4 block is indexed), so lwIP goes straight to TIME-WAIT and the listeners; blocks it
//   creates meanwhile (a SYN's) land on the empty list and are put in front of the real one.
// Once lwIP returns, the real list is put back, less a block lwIP took off meanwhile (a reset,
// TIME-WAIT; a walk, once per connection's end). lwIP itself is unchanged.
//
// The invariant this rests on: every IPv4 block on tcp_active_pcbs is indexed. Listeners get
// track_listener(); a block made by tcp_connect must get track() before its SYN's answer can
// arrive (the same reactor turn).
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/result.hpp"

struct tcp_pcb;
struct ip_hdr;

namespace coronet::net::pcb_index {

// Every IPv4 connection `listening` creates is indexed from its SYN; one the index has no
// memory for is refused (lwIP drops the SYN, the client retries).
void track_listener(tcp_pcb* listening);
// Indexes a connecting block (addresses and ports set). IPv6 ones need no index (an IPv4
// segment never matches them). Error::OutOfMemory: the caller aborts the block.
Result<void> track(tcp_pcb* pcb);

// From the IPv4 input hook: the packet's TCP header (`length` bytes of it in the first pbuf).
void before_input(const ip_hdr* ip, const uint8_t* tcp, size_t length);
// After the stack's input function returned for that packet.
void after_input();

struct Stats {
    uint64_t indexed;   // control blocks in the index now
    uint64_t hits;      // segments whose block was put at the head of the list
    uint64_t skipped;   // segments for which lwIP saw an empty list (SYNs, TIME-WAIT, strays)
    uint64_t removals;  // blocks lwIP took off the list while it was shown a part of it
};
Stats stats();

}  // namespace coronet::net::pcb_index
