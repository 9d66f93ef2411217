// TCP for coroutines: straight-line accept / read / write that suspend the calling coroutine
// instead of blocking the machine. Every call takes an absolute deadline (sched::kForever by
// default) and fails with Error::Timeout when it passes; a reset peer gives Error::Reset.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/result.hpp"
#include "lib/ring.hpp"
#include "lwip/err.h"
#include "net/ip_address.hpp"

struct tcp_pcb;

namespace coronet::net {

struct TcpConnection;

inline constexpr size_t kMaxTcpConnections = 1000;  // per listener, by default
inline constexpr size_t kAcceptBacklog = 128;       // accepted, not yet taken by accept()

class TcpStream {
public:
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
    Result<void> wait_readable(sched::Deadline deadline = sched::kForever);
    // Up to `length` bytes; 0 means the peer closed its side (end of stream). Suspends until
    // data, end of stream, error or the deadline.
    Result<size_t> read(void* buffer, size_t length, sched::Deadline deadline = sched::kForever);
    // Queues at least one byte (suspends while the send buffer is full); returns how many.
    Result<size_t> write(const void* data, size_t length,
                         sched::Deadline deadline = sched::kForever);
    Result<void> write_all(const void* data, size_t length,
                           sched::Deadline deadline = sched::kForever);
    // Sends FIN: the peer reads end of stream; we can still read.
    Result<void> shutdown();
    // Graceful close (unsent data still goes out); the stream becomes empty.
    void close();
    // Closes with a reset (RST), discarding unsent data.
    void abort();

    Endpoint peer() const;
    Endpoint local() const;

private:
    TcpConnection* m_connection = nullptr;
};

struct ListenOptions {
    size_t max_connections = kMaxTcpConnections;  // further SYNs are refused with RST
    size_t backlog = kAcceptBacklog;
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
        uint64_t refused;  // over the connection limit, the backlog, or the server's resources
        uint64_t open;     // accepted and not yet closed by the server
    };
    Stats stats() const { return m_stats; }

private:
    friend struct TcpConnection;
    TcpListener() = default;
    static err_t on_accept(void* arg, tcp_pcb* pcb, err_t err);

    tcp_pcb* m_pcb = nullptr;
    uint16_t m_port = 0;
    ListenOptions m_options;
    Ring<TcpConnection*> m_queue;  // accepted, not yet taken: m_options.backlog slots (calloc)
    sched::WaitQueue m_acceptors;
    Stats m_stats{};
};

}  // namespace coronet::net
