// lwIP finds a segment's connection by walking its list of active control blocks
// (tcp_active_pcbs), and takes a block off that singly linked list by walking it again: with many
// connections open, every segment, a new connection's SYN and every connection's end cost a walk
// of all of them. This index makes each of those O(1) without changing lwIP, through its public
// per-block extension arguments:
// - every control block is in a hash table (address and port pair to block) from its creation
//   to lwIP freeing it: a listener's new block is added when its SYN arrives, a connecting one
//   by track(); freed blocks leave through the extension's destroy callback;
// - every block on tcp_active_pcbs also records its predecessor there, kept up to date at each of
//   the few places the list changes (below), so a block can be unlinked or moved in O(1).
//
// The IP input hooks look each TCP segment up and show lwIP a list on which its walk ends at once:
// - a block on the active list: the list starting at that block (lwIP's walk stops there, and if
//   lwIP takes the block off, it does so at the head; the real list is mended afterwards);
// - no block, or one in TIME-WAIT: an empty active list (nothing on it can match, since every
//   block is indexed), so lwIP goes straight to TIME-WAIT and the listeners; blocks it creates
//   meanwhile (a SYN's) land on the empty list and are put in front of the real one afterwards;
// - a segment the hook cannot read (IP fragments, IPv6 extension headers): the real list, and
//   the predecessors are rebuilt afterwards (a walk, for a rare packet).
// Outside input, lwIP takes blocks off the list itself (its timers, aborts), each followed by
// the destroy callback, which mends the successor's predecessor; before the app closes or aborts
// a block, to_front() puts it at the head, where lwIP's own removal finds it at once.
//
// The invariant this rests on: every block on tcp_active_pcbs is indexed. Listeners get
// track_listener(); a block made by tcp_connect gets track() right after it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/result.hpp"

struct tcp_pcb;
struct ip_hdr;
struct ip6_hdr;

namespace coronet::net::pcb_index {

// Every connection `listening` creates is indexed from its SYN; one the index has no memory for
// is refused (lwIP drops the SYN, the client retries).
void track_listener(tcp_pcb* listening);
// Indexes the block tcp_connect has just put at the head of the active list.
// Error::OutOfMemory: the caller aborts the block.
Result<void> track(tcp_pcb* pcb);
// Puts an indexed block at the head of the active list (outside input), so that lwIP's own
// removal of it (a close or an abort) finds it at its first step.
void to_front(tcp_pcb* pcb);

// From the IP input hooks: the packet's TCP header (`length` bytes of it in the first pbuf).
// `zone` is the input interface's index (IPv6 link-local addresses).
void before_input(const ip_hdr* ip, const uint8_t* tcp, size_t length);
void before_input(const ip6_hdr* ip, uint8_t zone, const uint8_t* tcp, size_t length);
// A packet that may carry TCP where the hook cannot read it (fragments, extension headers).
void before_unread_input();
// After the stack's input function returned for that packet.
void after_input();

struct Stats {
    uint64_t indexed;   // control blocks in the index now
    uint64_t hits;      // segments whose block was put at the head of the list
    uint64_t skipped;   // segments for which lwIP saw an empty list (SYNs, TIME-WAIT, strays)
    uint64_t unread;    // packets lwIP was shown the whole list for (then rebuilt)
    uint64_t removals;  // blocks lwIP took off the list while it was shown a part of it
};
Stats stats();

}  // namespace coronet::net::pcb_index
