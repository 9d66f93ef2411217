// TCP for coroutines: straight-line accept / read / write that suspend the calling coroutine
// instead of blocking the machine. Every call takes an absolute deadline (sched::kForever by
// default) and fails with Error::Timeout when it passes; a reset peer gives Error::Reset.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/result.hpp"
#include "lib/time_units.hpp"
#include "lwip/err.h"
#include "net/ip_address.hpp"

struct tcp_pcb;

namespace coronet::net {

struct TcpConnection;
struct ListenerLists;

inline constexpr size_t kMaxTcpConnections = 1000;  // per listener, by default

// Whether a connection waiting to read may be closed to make room for a new one when its
// listener is at its connection limit (as nginx reuses its keep-alive connections): idle ones
// first, then those in the middle of a request's head, oldest first in each.
enum class Reclaim : uint8_t { Never, Idle, Partial };

// Outbound connections so far (net/tcp_connect.cpp), for /status.
struct ConnectStats {
    uint64_t attempts;
    uint64_t established;
    uint64_t refused;           // the peer answered with a reset
    uint64_t unreachable;       // no route, or no neighbour answered for the address
    uint64_t timed_out;         // the deadline passed with the handshake unfinished
    uint64_t failed;            // anything else: memory, no local port
    uint64_t time_wait_reuses;  // local ports taken back from TIME-WAIT for a new connection
};
ConnectStats connect_stats();

// TCP keep-alive (RFC 1122 4.2.3.6): after `idle` without a segment from the peer, a probe every
// `interval`; after `count` unanswered probes the connection is reset and its reader and writer
// fail with Error::Closed, freeing its coroutine and buffers. A peer that vanished (powered
// off, unplugged, its address gone) is found within idle + count x interval. Probes run on
// lwIP's 500 ms timer. idle == 0: off.
struct Keepalive {
    uint64_t idle_ns = 0;
    uint64_t interval_ns = 75 * kSecond;  // Linux's tcp_keepalive_intvl
    uint32_t count = 9;                   // Linux's tcp_keepalive_probes
    bool enabled() const { return idle_ns != 0; }
};

class TcpStream {
public:
    // Opens a connection to `to` (IPv4 or IPv6) from an ephemeral local port. Errors:
    // Refused (reset by the peer: nothing listens there), Unreachable (no route, or no
    // neighbour answered for the next hop within kNeighbourTimeout), Timeout (the deadline
    // passed with the handshake unfinished: a silent peer or a filter dropping it),
    // OutOfMemory. When every ephemeral port is held, the oldest client connection in
    // TIME-WAIT gives its port up (as Linux's tcp_tw_reuse does for a later sequence number).
    static Result<TcpStream> connect(const Endpoint& to,
                                     sched::Deadline deadline = sched::kForever);

    TcpStream() = default;
    explicit TcpStream(TcpConnection* connection) : m_connection(connection) {}
    TcpStream(TcpStream&& other) : m_connection(other.m_connection) {
        other.m_connection = nullptr;
    }
    TcpStream& operator=(TcpStream&& other);
    TcpStream(const TcpStream&) = delete;
    TcpStream& operator=(const TcpStream&) = delete;
    ~TcpStream() { close(); }

    bool is_open() const { return m_connection != nullptr; }

    // Suspends until there is something to read: data, end of stream or an error (which the
    // next read() reports). Lets a connection wait without holding a buffer to read into.
    // With `reclaim` other than Never, the listener may close the connection meanwhile to make
    // room for a new one: then Error::Closed.
    Result<void> wait_readable(sched::Deadline deadline = sched::kForever,
                               Reclaim reclaim = Reclaim::Never);
    // Up to `length` bytes; 0 means the peer closed its side (end of stream). Suspends until
    // data, end of stream, error or the deadline.
    Result<size_t> read(void* buffer, size_t length, sched::Deadline deadline = sched::kForever);
    // Queues at least one byte (suspends while the send buffer is full); returns how many.
    Result<size_t> write(const void* data, size_t length,
                         sched::Deadline deadline = sched::kForever);
    Result<void> write_all(const void* data, size_t length,
                           sched::Deadline deadline = sched::kForever);
    // Called from another coroutine: the coroutine waiting for input on this stream (in
    // wait_readable() or read()) returns Error::Busy at once, or its next wait does; nothing is
    // lost. How a server hands a connection work that did not come from its peer (a pub/sub
    // message, a killed client).
    void interrupt();
    // Whether the peer has closed its side or reset the connection (data it sent before may
    // still be unread).
    bool peer_gone() const;
    // Suspends until the peer closes or resets the connection (Ok), interrupt() (Error::Busy)
    // or the deadline (Error::Timeout); data that arrives meanwhile stays for read(). How a
    // server waits for something else on behalf of a client that may hang up meanwhile.
    Result<void> wait_peer_gone(sched::Deadline deadline = sched::kForever);
    // Sends FIN: the peer reads end of stream; we can still read.
    Result<void> shutdown();
    // Graceful close (unsent data still goes out); the stream becomes empty.
    void close();
    // Closes with a reset (RST), discarding unsent data.
    void abort();

    // Keep-alive for this connection (accepted ones have their listener's already).
    Result<void> set_keepalive(const Keepalive& keepalive);

    Endpoint peer() const;
    Endpoint local() const;

private:
    TcpConnection* m_connection = nullptr;
};

struct ListenOptions {
    // At the limit a new connection takes the place of a reclaimable one (see Reclaim), or is
    // refused with RST when there is none. Refused too while memory is short (memory.hpp).
    size_t max_connections = kMaxTcpConnections;
    Keepalive keepalive;  // for every accepted connection
};

class TcpListener {
public:
    static Result<TcpListener*> bind(uint16_t port, const ListenOptions& options = {});

    Result<TcpStream> accept(sched::Deadline deadline = sched::kForever);
    // Resets an accepted connection the server cannot take (no coroutine or memory for it),
    // counted with the listener's own refusals.
    void refuse(TcpStream&& stream);
    uint16_t port() const { return m_port; }
    const ListenOptions& options() const { return m_options; }

    // The connection counters of this port: one set, whoever serves it.
    struct Stats {
        uint64_t accepted;
        uint64_t refused;             // over the connection limit, or the server's resources
        uint64_t open;                // accepted and not yet closed by the server
        uint64_t reclaimed;           // closed at the limit to make room for a new one
        uint64_t refused_low_memory;  // of `refused`: memory was short
    };
    Stats stats() const { return m_stats; }

private:
    friend struct TcpConnection;
    friend class TcpStream;
    TcpListener() = default;
    static err_t on_accept(void* arg, tcp_pcb* pcb, err_t err);
    // Closes the longest-waiting reclaimable connection, if any, freeing its slot.
    bool reclaim_one();

    tcp_pcb* m_pcb = nullptr;
    uint16_t m_port = 0;
    ListenOptions m_options;
    sched::WaitQueue m_acceptors;
    ListenerLists* m_lists = nullptr;  // tcp_connection.hpp; made by bind()
    Stats m_stats{};
};

}  // namespace coronet::net
