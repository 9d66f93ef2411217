// Connection reuse per origin (see client_pool.hpp).
#include "apps/http/client_pool.hpp"

#include <new>

#include "net/ip_address.hpp"
#include "net/resolver.hpp"

namespace coronet::http {
namespace {

// The pools holding idle connections, for the coroutine that expires them: it sleeps until the
// earliest expiry among them and ends when none holds any (the next release starts it again).
sched::IntrusiveList<ConnectionPool, &ConnectionPool::reaper_node> g_reaped;
sched::WaitQueue g_reaper_wake;  // a pool joined: its expiry may come before the one slept for
bool g_reaper_running = false;

}  // namespace

void ConnectionPool::reaper_main() {
    while (!g_reaped.empty()) {
        // Taken from every pool first, closed after: closing waits (for the server's end), and
        // meanwhile a pool may go.
        ConnectionList expired;
        sched::Deadline next = sched::kForever;
        g_reaped.for_each([&](ConnectionPool& pool) {
            sched::Deadline expiry = pool.take_expired(expired);
            if (expiry == sched::kForever) g_reaped.remove(pool);
            if (expiry < next) next = expiry;
        });
        close_all(expired);
        if (!g_reaped.empty()) (void)g_reaper_wake.wait(next);  // Timeout: the expiry came
    }
    g_reaper_running = false;
}

void ConnectionPool::reap_later(ConnectionPool& pool) {
    if (!pool.reaper_node.linked()) {
        g_reaped.push_back(pool);
        g_reaper_wake.notify_all();
    }
    if (g_reaper_running) return;
    // Without the memory for a coroutine, acquire() still expires them.
    g_reaper_running =
        sched::spawn(reaper_main,
                     {.name = "http-pool-reaper", .stack_size = 16 * 1024, .detached = true})
            .ok();
}

ConnectionPool::~ConnectionPool() {
    if (reaper_node.linked()) g_reaped.remove(*this);
    close_idle();
}

PoolStats ConnectionPool::stats() const {
    PoolStats stats = m_stats;
    stats.open = m_open;
    stats.idle = m_idle.size();
    return stats;
}

void ConnectionPool::free_slot() {
    --m_open;
    m_waiters.notify_one();
}

void ConnectionPool::forget(ClientConnection* connection) {
    delete connection;
    free_slot();
}

// The idle list is in the order connections came back, so the expired ones are at its front.
sched::Deadline ConnectionPool::take_expired(ConnectionList& expired) {
    sched::Deadline now = sched::now();
    while (ClientConnection* oldest = m_idle.front()) {
        if (now - oldest->idle_since < m_options.idle_timeout_ns)
            return oldest->idle_since + m_options.idle_timeout_ns;
        m_idle.remove(*oldest);
        expired.push_back(*oldest);
        ++m_stats.expired;
        free_slot();
    }
    return sched::kForever;
}

void ConnectionPool::close_all(ConnectionList& connections) {
    while (ClientConnection* connection = connections.pop_front()) {
        connection->close();
        delete connection;
    }
}

Result<ClientConnection*> ConnectionPool::acquire(sched::Deadline deadline, bool* reused) {
    for (;;) {
        ConnectionList expired;
        take_expired(expired);
        close_all(expired);
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
        free_slot();
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
        reap_later(*this);
        return;
    }
    connection->close();
    forget(connection);
}

void ConnectionPool::discard(ClientConnection* connection) {
    connection->abort();
    forget(connection);
}

void ConnectionPool::detach(ClientConnection*) { free_slot(); }

void ConnectionPool::close_idle() {
    while (ClientConnection* connection = m_idle.pop_front()) {
        connection->close();
        forget(connection);
    }
}

}  // namespace coronet::http
