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

// Idle connections the server has closed, or that waited longer than the idle timeout.
void ConnectionPool::expire_idle() {
    sched::Deadline now = sched::now();
    for (size_t n = m_idle.size(); n > 0; --n) {
        ClientConnection* connection = m_idle.pop_front();  // oldest first
        if (connection->peer_gone() || now - connection->idle_since >= m_options.idle_timeout_ns) {
            ++m_stats.expired;
            connection->close();
            forget(connection);
        } else {
            m_idle.push_back(*connection);
        }
    }
}

Result<ClientConnection*> ConnectionPool::acquire(sched::Deadline deadline, bool* reused) {
    for (;;) {
        expire_idle();
        if (ClientConnection* connection = m_idle.pop_front()) {  // oldest first: all stay warm
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
