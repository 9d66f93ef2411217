// lwIP finds a segment's connection by walking its list of active control blocks
// (tcp_active_pcbs), so with many connections open every segment costs a walk of all of them.
// This index of the connections the app holds (IPv4 address and port pair to control block)
// lets the IPv4 input hook put the segment's control block at the head of that list for the
// one packet's input: lwIP's walk then stops at its first step. Once lwIP returns, the list is
// put back as it was, less the block if lwIP took it off meanwhile (a reset, TIME-WAIT).
// lwIP itself is unchanged; it only sees a list that starts where the walk should end.
#pragma once

#include <cstddef>
#include <cstdint>

struct tcp_pcb;
struct ip_hdr;

namespace coronet::net::pcb_index {

// Where a connection sits in the index: its address and ports, kept by the caller because
// remove() may come after lwIP has freed the block (its error callback).
struct Key {
    uint32_t remote;  // IPv4, network order
    uint16_t remote_port;
    uint16_t local_port;
    bool indexed;
};

// A connection the app holds, with callbacks attached: lwIP keeps it on tcp_active_pcbs until
// it calls the error callback or the app lets go, when remove() must be called. IPv6 ones
// (and any the index has no memory for) are not indexed: lwIP's own walk finds them.
Key add(tcp_pcb* pcb);
void remove(tcp_pcb* pcb, Key& key);

// From the IPv4 input hook: the packet's TCP header (`length` bytes of it in the first pbuf).
void before_input(const ip_hdr* ip, const uint8_t* tcp, size_t length);
// After the stack's input function returned for that packet.
void after_input();

struct Stats {
    uint64_t indexed;   // connections in the index now
    uint64_t hits;      // segments whose control block was put at the head
    uint64_t removals;  // of those, the block lwIP took off the list meanwhile
};
Stats stats();

}  // namespace coronet::net::pcb_index
