// Connection reuse per origin (see client_pool.hpp).
#include "apps/http/client_pool.hpp"

#include <new>

#include "net/ip_address.hpp"
#include "net/resolver.hpp"

namespace coronet::http {

PoolStats ConnectionPool::stats() const {
    PoolStats stats = m_stats;
    stats.open = m_open;
    stats.idle = m_idle.size();
    return stats;
}

void ConnectionPool::forget(ClientConnection* connection) {
    delete connection;
    --m_open;
    m_waiters.notify_one();
}

// Idle connections that waited longer than the idle timeout: the list is in the order they
// came back, so they are at its front.
void ConnectionPool::expire_idle() {
    sched::Deadline now = sched::now();
    while (ClientConnection* oldest = m_idle.front()) {
        if (now - oldest->idle_since < m_options.idle_timeout_ns) break;
        m_idle.remove(*oldest);
        ++m_stats.expired;
        oldest->close();
        forget(oldest);
    }
}

Result<ClientConnection*> ConnectionPool::acquire(sched::Deadline deadline, bool* reused) {
    for (;;) {
        expire_idle();
        // The most recently used first: its peer is the least likely to have closed it, and
        // under light load the rest age out instead of all being kept warm.
        while (ClientConnection* connection = m_idle.pop_back()) {
            if (connection->peer_gone()) {  // the server closed it while it was idle
                ++m_stats.expired;
                connection->close();
                forget(connection);
                continue;
            }
            ++m_stats.reuses;
            if (reused) *reused = true;
            return connection;
        }
        if (m_open < m_options.max_connections) break;
        TRY_VOID(m_waiters.wait(deadline));
    }
    if (reused) *reused = false;
    return open(deadline);
}

Result<ClientConnection*> ConnectionPool::open(sched::Deadline deadline) {
    sched::Deadline connect_deadline = sched::now() + m_options.timeouts.connect_ns;
    if (deadline < connect_deadline) connect_deadline = deadline;
    ++m_open;  // counted while connecting: the limit holds for connections being made too
    auto opened = [&]() -> Result<ClientConnection*> {
        net::Resolved resolved = TRY(net::resolve(m_options.host, connect_deadline));
        net::TcpStream stream =
            TRY(net::TcpStream::connect({resolved.address, m_options.port}, connect_deadline));
        auto* connection = new (std::nothrow) ClientConnection(
            static_cast<net::TcpStream&&>(stream), m_options.limits, m_options.timeouts);
        if (!connection) return Error::OutOfMemory;
        return connection;
    }();
    if (!opened) {
        ++m_stats.connect_failures;
        --m_open;
        m_waiters.notify_one();
        return opened.error();
    }
    ++m_stats.connects;
    return opened;
}

void ConnectionPool::release(ClientConnection* connection) {
    if (connection->reusable() && m_idle.size() < m_options.max_idle) {
        connection->idle_since = sched::now();
        m_idle.push_back(*connection);
        m_waiters.notify_one();
        return;
    }
    connection->close();
    forget(connection);
}

void ConnectionPool::discard(ClientConnection* connection) {
    connection->abort();
    forget(connection);
}

void ConnectionPool::close_idle() {
    while (ClientConnection* connection = m_idle.pop_front()) {
        connection->close();
        forget(connection);
    }
}

}  // namespace coronet::http
