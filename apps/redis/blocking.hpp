// Blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP; BZPOPMIN, BZPOPMAX, BZMPOP for
// sorted sets): a client that finds its keys
// empty waits in its own coroutine, queued per key in arrival order. When a command makes a
// waited-on key non-empty, the engine serves the waiters right after that command, before
// any other client runs, as Redis does: the pop is done for the waiter and its reply written
// to its connection, then it is woken.
#pragma once

#include <cstddef>
#include <string_view>

#include "apps/redis/command.hpp"
#include "lib/hash_index.hpp"

namespace coronet::redis {

class Engine;
struct Waiter;

class BlockingRegistry {
public:
    BlockingRegistry();
    BlockingRegistry(const BlockingRegistry&) = delete;
    BlockingRegistry& operator=(const BlockingRegistry&) = delete;
    ~BlockingRegistry();

    bool empty() const { return m_waiters == 0; }
    // A key of database `db` changed: if clients wait on it, serve them after this command.
    void key_changed(size_t db, std::string_view key);
    // Serves waiters of the keys that changed (called by the engine between commands).
    void serve(Engine& engine);

    // For the blocking commands (blocking.cpp).
    bool add(Waiter& waiter);
    void remove(Waiter& waiter);
    // Clients blocked now (INFO's blocked_clients).
    size_t waiting() const { return m_waiters; }
    // Wakes a session's waiter: served, or not (CLIENT KILL, its client gone).
    static void wake(Waiter& waiter);

    struct KeyWaiters;  // the queue of one (database, key)

private:
    KeyWaiters* find(size_t db, std::string_view key);
    bool serve_key(Engine& engine, size_t db, std::string_view key);

    HashIndex m_keys;  // KeyWaiters by database number and key
    size_t m_waiters = 0;
    // Keys that changed while clients waited on them, served after the command.
    struct Ready {
        size_t db;
        char* key;
        size_t length;
    };
    Ready* m_ready = nullptr;
    size_t m_ready_count = 0, m_ready_capacity = 0;
};

extern const CommandFamily kBlockingCommands;

}  // namespace coronet::redis
