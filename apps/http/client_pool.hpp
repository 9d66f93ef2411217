// Keep-alive connections to one origin (host and port), for a client or a proxy upstream: an
// idle connection still open is reused, otherwise a new one is opened (the host resolved through
// DNS); at most max_connections are open at once (acquire waits for one to come back), at most
// max_idle wait idle, each no longer than the idle timeout: a pool with idle connections is on
// the list of one reaper coroutine, which closes them when it passes even if the pool is not
// used again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/client_connection.hpp"
#include "kernel/sched/list.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/result.hpp"

namespace coronet::http {

struct PoolOptions {
    std::string_view host;  // a name or an address literal; also the Host header's default
    uint16_t port = 80;
    size_t max_connections = 256;
    size_t max_idle = 64;
    uint64_t idle_timeout_ns = 30 * kSecond;
    ClientTimeouts timeouts;
    Limits limits{.body_bytes = kNoBodyLimit};  // response heads; bodies are streamed
};

struct PoolStats {
    uint64_t open;  // connections now, busy and idle
    uint64_t idle;
    uint64_t connects;          // new connections opened
    uint64_t connect_failures;  // resolving or connecting failed
    uint64_t reuses;            // requests on a connection kept from before
    uint64_t expired;           // idle connections closed: too old, or the server closed them
};

class ConnectionPool {
public:
    explicit ConnectionPool(const PoolOptions& options) : m_options(options) {}
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;
    ~ConnectionPool();

    // An open connection to the origin, the caller's until release(). `reused` says whether it
    // served a request before (a request that fails on such a connection before any response
    // byte may be retried on a new one). Errors are those of resolving and connecting.
    Result<ClientConnection*> acquire(sched::Deadline deadline, bool* reused = nullptr);
    // Back to the pool: kept for the next request when reusable and there is room, else closed.
    void release(ClientConnection* connection);
    // Closed at once with a reset (a failed exchange).
    void discard(ClientConnection* connection);
    // No longer the pool's, nor counted against its limit: the caller's to close and delete
    // (a connection that switched protocols, which may stay open for hours).
    void detach(ClientConnection* connection);
    void close_idle();

    const PoolOptions& options() const { return m_options; }
    PoolStats stats() const;

    sched::ListNode reaper_node;  // on the reaper's list while connections are idle

private:
    using ConnectionList = sched::IntrusiveList<ClientConnection, &ClientConnection::pool_node>;

    Result<ClientConnection*> open(sched::Deadline deadline);
    void free_slot();  // one connection fewer open: a waiting acquire() may open one
    void forget(ClientConnection* connection);
    // Moves the idle connections past the idle timeout to `expired`, no longer the pool's (so
    // they can be closed, which waits, after the pool is gone); returns when the next one
    // expires (kForever when none is idle).
    sched::Deadline take_expired(ConnectionList& expired);
    static void close_all(ConnectionList& connections);
    static void reaper_main();
    static void reap_later(ConnectionPool& pool);

    PoolOptions m_options;
    ConnectionList m_idle;
    sched::WaitQueue m_waiters;  // acquire() at max_connections
    size_t m_open = 0;
    PoolStats m_stats{};
};

// A connection acquired from a pool, released (or discarded, if not reusable) when it goes.
class PooledConnection {
public:
    PooledConnection(ConnectionPool& pool, ClientConnection* connection)
        : m_pool(&pool), m_connection(connection) {}
    PooledConnection(PooledConnection&& other)
        : m_pool(other.m_pool), m_connection(other.m_connection) {
        other.m_connection = nullptr;
    }
    PooledConnection(const PooledConnection&) = delete;
    PooledConnection& operator=(const PooledConnection&) = delete;
    PooledConnection& operator=(PooledConnection&&) = delete;
    ~PooledConnection() {
        if (m_connection) m_pool->release(m_connection);
    }

    ClientConnection* operator->() const { return m_connection; }
    ClientConnection& operator*() const { return *m_connection; }
    void discard() {
        if (m_connection) m_pool->discard(m_connection);
        m_connection = nullptr;
    }
    // The connection, now the caller's (ConnectionPool::detach).
    ClientConnection* detach() {
        ClientConnection* connection = m_connection;
        if (connection) m_pool->detach(connection);
        m_connection = nullptr;
        return connection;
    }

private:
    ConnectionPool* m_pool;
    ClientConnection* m_connection;
};

}  // namespace coronet::http
