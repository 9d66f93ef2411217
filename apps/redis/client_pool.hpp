// A bounded pool of client connections to one Redis server: a caller leases a connection, uses it
// and gives it back by dropping the lease. Idle connections are reused (the most recent first,
// its buffers likely still warm); one given back in mid-conversation, closed by the server or
// subscribed is closed instead. With every connection leased, callers wait for one to come back.
//
//     redis::ClientPool cache("cache.local:6379", {.max_connections = 4});
//     ...in a handler:
//     auto lease = TRY(cache.acquire(deadline));
//     redis::ReplyValue hits = TRY(lease->command({"INCR", "hits"}, deadline));
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/redis/client.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/result.hpp"
#include "net/ip_address.hpp"
#include "net/resolver.hpp"

namespace coronet::redis {

inline constexpr size_t kPoolMaxConnections = 8;        // per server, by default
inline constexpr size_t kPoolConnectionsCeiling = 256;  // what a pool may be configured to

struct PoolOptions {
    size_t max_connections = kPoolMaxConnections;  // open at once, leased or idle
    ClientOptions client;                          // every connection's
};

class ClientPool {
public:
    // `server` is "host:port", the host resolved for each new connection (the name is copied).
    explicit ClientPool(std::string_view server, const PoolOptions& options = {});
    explicit ClientPool(const net::Endpoint& server, const PoolOptions& options = {});
    ClientPool(const ClientPool&) = delete;
    ClientPool& operator=(const ClientPool&) = delete;
    // Closes the idle connections. Every lease must have been given back.
    ~ClientPool();

    // A connection, the pool's until the lease is dropped; replies read through it are valid
    // while it is held.
    class Lease {
    public:
        Lease(Lease&& other) : m_pool(other.m_pool), m_client(other.m_client) {
            other.m_client = nullptr;
        }
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        ~Lease() { give_back(); }

        Client* operator->() const { return m_client; }
        Client& operator*() const { return *m_client; }
        // Back to the pool now (idle, or closed when it is not).
        void give_back();

    private:
        friend class ClientPool;
        Lease(ClientPool* pool, Client* client) : m_pool(pool), m_client(client) {}

        ClientPool* m_pool;
        Client* m_client;
    };

    // An idle connection; else a new one while fewer than max_connections are open; else the
    // first given back before `deadline` (Timeout). A new connection's errors are connect()'s;
    // InvalidArgument when the server given was not "host:port".
    Result<Lease> acquire(sched::Deadline deadline);

    struct Stats {
        uint64_t connects;  // new connections made
        uint64_t reuses;    // leases of an idle connection
        uint64_t drops;     // connections closed when given back (or found dead when idle)
        uint64_t waits;     // acquires that had to wait for a connection to come back
        size_t open;        // leased or idle now
        size_t idle;
    };
    Stats stats() const;

private:
    void take_back(Client* client);
    void drop(Client* client);
    Result<Client*> open_one(sched::Deadline deadline);

    PoolOptions m_options;
    char m_host[net::kMaxHostNameLength + 1] = {};
    net::Endpoint m_endpoint{};
    bool m_by_name = false;
    bool m_valid = true;
    Client* m_idle[kPoolConnectionsCeiling] = {};
    size_t m_idle_count = 0;
    size_t m_open = 0;  // leased, idle, or being connected
    sched::WaitQueue m_waiters;
    Stats m_stats{};
};

}  // namespace coronet::redis
