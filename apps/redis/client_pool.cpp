// The pool: a stack of idle connections, a count of open ones, and a wait queue for callers
// when every connection is leased.
#include "apps/redis/client_pool.hpp"

#include <cstring>
#include <new>

#include "lib/assert.hpp"

namespace coronet::redis {

namespace {

PoolOptions clamped(PoolOptions options) {
    if (options.max_connections > kPoolConnectionsCeiling)
        options.max_connections = kPoolConnectionsCeiling;
    if (options.max_connections == 0) options.max_connections = 1;
    return options;
}

}  // namespace

ClientPool::ClientPool(std::string_view server, const PoolOptions& options)
    : m_options(clamped(options)), m_by_name(true) {
    net::HostPort split;
    m_valid = net::split_host_port(server, split) && split.host.size() < sizeof m_host;
    if (!m_valid) return;
    memcpy(m_host, split.host.data(), split.host.size());
    m_host[split.host.size()] = '\0';
    m_endpoint.port = split.port;
}

ClientPool::ClientPool(const net::Endpoint& server, const PoolOptions& options)
    : m_options(clamped(options)), m_endpoint(server) {}

ClientPool::~ClientPool() {
    CORONET_ASSERT(m_open == m_idle_count && "ClientPool destroyed with connections leased");
    while (m_idle_count > 0) drop(m_idle[--m_idle_count]);
}

void ClientPool::drop(Client* client) {
    delete client;  // closes it
    --m_open;
}

Result<Client*> ClientPool::open_one(sched::Deadline deadline) {
    auto* client = new (std::nothrow) Client(m_options.client);
    if (client == nullptr) return Error::OutOfMemory;
    Result<void> connected = m_by_name ? client->connect(m_host, m_endpoint.port, deadline)
                                       : client->connect(m_endpoint, deadline);
    if (!connected) {
        delete client;
        return connected.error();
    }
    ++m_stats.connects;
    return client;
}

Result<ClientPool::Lease> ClientPool::acquire(sched::Deadline deadline) {
    if (!m_valid) return Error::InvalidArgument;
    bool waited = false;
    for (;;) {
        while (m_idle_count > 0) {
            Client* client = m_idle[--m_idle_count];
            // The server may have closed it meanwhile (timeout, restart, CLIENT KILL).
            if (client->is_idle()) {
                ++m_stats.reuses;
                return Lease(this, client);
            }
            ++m_stats.drops;
            drop(client);
        }
        if (m_open < m_options.max_connections) {
            ++m_open;  // the slot is taken while connecting: others count it
            Result<Client*> client = open_one(deadline);
            if (!client) {
                --m_open;
                m_waiters.notify_one();  // the slot is free again for someone waiting
                return client.error();
            }
            return Lease(this, *client);
        }
        if (!waited) ++m_stats.waits;
        waited = true;
        // A connection given back, or a slot freed, wakes one waiter, who looks again. One woken
        // as its deadline passes still takes what it was woken for, so no wake-up is lost.
        Result<void> woken = m_waiters.wait(deadline);
        if (!woken && m_idle_count == 0 && m_open >= m_options.max_connections)
            return woken.error();
    }
}

void ClientPool::take_back(Client* client) {
    client->go_idle();
    if (client->is_idle()) {
        m_idle[m_idle_count++] = client;
    } else {
        ++m_stats.drops;
        drop(client);
    }
    m_waiters.notify_one();
}

void ClientPool::Lease::give_back() {
    if (m_client == nullptr) return;
    Client* client = m_client;
    m_client = nullptr;
    m_pool->take_back(client);
}

ClientPool::Stats ClientPool::stats() const {
    Stats stats = m_stats;
    stats.open = m_open;
    stats.idle = m_idle_count;
    return stats;
}

}  // namespace coronet::redis
