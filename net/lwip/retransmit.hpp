// Retransmission at the path's time scale, beside lwIP's own timer, which it leaves unchanged.
//
// lwIP counts a connection's retransmission time-out in ticks of its slow timer (500 ms) and
// never lets it fall below three of them: a lost segment at the end of a response waits 1.5 s
// where Linux waits 200 ms. Making lwIP's timer finer is no cure, as each tick walks every
// control block: with 100 000 connections open that walk is the cost (README, "TCP").
// Instead, the connections with data in flight, and only those, have a timer here:
// - lwIP's output hook sees every data or FIN segment sent (new or again): the first one with
//   nothing in flight arms the connection's timer, and one segment at a time is timed for the
//   round trip (never one sent twice: Karn);
// - lwIP's input hook sees each acknowledgement before lwIP does: one for new data restarts
//   the timer and ends the timing (the sample feeds RFC 6298's smoothed RTT and variance);
// - in fast recovery (lwIP's, on three duplicate acknowledgements), an acknowledgement of part
//   of what was outstanding sends the next unacknowledged segment at once (NewReno);
// - with more than one full-size segment out and nothing acknowledged for 2 SRTT (at least
//   10 ms), the first unacknowledged segment goes again, alone (RFC 8985's loss probe): a
//   stream whose acknowledgements carry data (echo, both ways at once) gets no duplicate
//   acknowledgements, so without it every loss waited for the time-out;
// - when the timer expires with data still unacknowledged, everything unacknowledged is sent
//   again (lwIP's own go-back-N path), the congestion window drops to one segment as lwIP's
//   timer would, and the next time-out doubles (up to rto_max).
// The time-out is max(rto_min, SRTT + 4 RTTVAR); each flight starts from the last RTT measured
// on any connection (an appliance's clients mostly share a path), or 1 s before any.
// lwIP's timer stays behind as the backstop (the handshake, connections the timer could not be
// armed for without memory, and giving up after TCP_MAXRTX), its own time-out pushed past ours.
//
// Cost: an idle connection costs nothing per tick and 16 bytes (its extension slot); one with
// data in flight costs a heap entry (O(log n) on arming and expiry) and a 72-byte record, freed
// once everything is acknowledged.
#pragma once

#include <cstdint>

#include "kernel/sched/scheduler.hpp"
#include "lib/time_units.hpp"

namespace coronet::net::retransmit {

struct Options {
    uint64_t rto_min_ns = 200 * kMillisecond;  // Linux's TCP_RTO_MIN
    uint64_t rto_max_ns = 60 * kSecond;        // after backing off
    uint64_t rto_initial_ns = kSecond;         // no RTT measured yet (RFC 6298 2.1)
};

// Once, before the stack starts.
void configure(const Options& options);

// Retransmits what is due; returns when next to call (sched::kForever: nothing in flight).
sched::Deadline run(sched::Deadline now);
sched::Deadline next_deadline();
// After each received packet has been through lwIP: an acknowledgement that covered part of
// what was outstanding when fast recovery began means the next segment was lost too; it goes
// now (NewReno, RFC 6582) instead of after a time-out, since lwIP leaves recovery on it.
void after_input();
// A link came back: every connection with data unacknowledged sends it again now, its
// time-out back to the unbacked-off one (what was lost went while the link was down).
void resume();

struct Stats {
    uint64_t timed;         // connections with a timer record (data in flight)
    uint64_t in_flight;     // of those, armed now
    uint64_t timeouts;      // retransmissions this timer made
    uint64_t rtt_samples;   // round trips measured
    uint64_t srtt_us;       // the last connection's smoothed RTT (0: none measured yet)
    uint64_t untracked;     // arming failed for lack of memory: left to lwIP's timer
    uint64_t partial_acks;  // segments sent again at once in fast recovery (RFC 6582)
    uint64_t probes;        // heads sent again after 2 SRTT of silence (RFC 8985's probe)
};
Stats stats();

}  // namespace coronet::net::retransmit
