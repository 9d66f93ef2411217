// The Redis app's server-wide state and its dispatcher: the keyspace, the client list, the
// configuration CONFIG GET/SET sees, the counters INFO reports, and execute(), which checks a
// command's name and arity, queues it inside MULTI, and runs it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/redis/arguments.hpp"
#include "apps/redis/blocking.hpp"
#include "apps/redis/collection.hpp"
#include "apps/redis/command.hpp"
#include "apps/redis/eviction.hpp"
#include "apps/redis/keyspace.hpp"
#include "apps/redis/pubsub.hpp"
#include "apps/redis/reply.hpp"
#include "apps/redis/session.hpp"
#include "kernel/sched/wait_queue.hpp"

namespace coronet::redis {

struct EngineOptions {
    uint16_t port = 6379;
    size_t max_clients = 10000;
    uint64_t max_bulk_length = 512ULL << 20;             // proto-max-bulk-len
    uint64_t max_query_buffer = 1ULL << 30;              // client-query-buffer-limit
    uint64_t max_memory = 0;                             // maxmemory (0: no limit)
    EvictionPolicy policy = EvictionPolicy::NoEviction;  // maxmemory-policy
    // client-output-buffer-limit for pub/sub clients: unsent messages past this disconnect
    // the subscriber (Redis's default hard limit is 32 MB).
    uint64_t pubsub_output_limit = 32ULL << 20;
};

struct EngineStats {
    uint64_t total_connections_received;
    uint64_t total_commands_processed;
    uint64_t rejected_connections;
    uint64_t total_net_input_bytes;
    uint64_t total_net_output_bytes;
    uint64_t total_error_replies;
    uint64_t unexpected_error_replies;
    int64_t start_ms;
};

struct ConfigParameter;

class Engine {
public:
    explicit Engine(const EngineOptions& options);
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    Keyspace& keyspace() { return m_keyspace; }
    BlockingRegistry& blocking() { return m_blocking; }
    PubSub& pubsub() { return m_pubsub; }
    Evictor& evictor() { return m_evictor; }
    // FLUSHDB/FLUSHALL: the database is empty at once; its entries are freed in slices by
    // free_flushed(), run by the server's lazy-free coroutine (woken through flushed()).
    void flush(size_t db);
    bool free_flushed(size_t budget);  // true when nothing is left to free
    bool lazy_free_pending() const { return m_graves != nullptr || m_doomed_count > 0; }
    sched::Event& flushed() { return m_flushed; }

    // CONFIG SET of a parameter the engine acts on: checks the value and applies it; false (the
    // parameter unchanged) when the value is not valid for it, with Redis's reason in `why`.
    bool apply_config(std::string_view name, std::string_view value, const char** why = nullptr);
    // Keyspace notifications (notify-keyspace-events): the `event` of class `type` on `key`.
    void notify(char type, const char* event, size_t db, std::string_view key);
    const EngineOptions& options() const { return m_options; }
    EngineStats& stats() { return m_stats; }

    // Runs one command (args non-empty) for `session`, writing its reply. While another
    // session's command is paused (pause()), waits for it to end first.
    void execute(Session& session, const Arguments& args, Reply& reply);
    // For a long command of `session` (Context::breathe): lets the reactor and the other
    // coroutines run, but no other Redis command until this one ends; nor the active expiry
    // (paused()).
    void pause(Session& session);
    bool paused() const { return m_paused_by != nullptr; }

    void attach(Session& session);
    void detach(Session& session);
    Session* clients() { return m_clients; }
    size_t client_count() const { return m_client_count; }
    // maxclients: at most the boot option's value (what the listener was sized for); CONFIG SET
    // may lower it and raise it back.
    size_t max_clients() const { return m_max_clients; }
    Session* find_client(uint64_t id);
    // CLIENT KILL: the session's connection closes as soon as its coroutine runs (woken from a
    // wait for input or from a blocking command).
    void kill(Session& session, const Session* caller);

    // CONFIG: the current value of a parameter, or nullptr when Redis has no such parameter.
    ConfigParameter* config(std::string_view name);
    ConfigParameter* config_parameters(size_t& count);

    // WATCH bookkeeping (apps/redis/transactions.cpp).
    void watch(Session& session, std::string_view key);
    void unwatch(Session& session);
    void touch_watched(size_t db, std::string_view key);
    void touch_all_watched(size_t db);  // FLUSHDB, SWAPDB
    void discard(Session& session);     // drop a MULTI queue
    void exec(Context& context);        // EXEC

    // DEBUG SET-ACTIVE-EXPIRE: whether the active cycle runs.
    bool active_expire = true;

    // INFO's instantaneous_ops_per_sec: the server samples the command count every 100 ms
    // (sample_ops) and the rate is the average over the last kOpsSamples samples.
    static constexpr size_t kOpsSamples = 16;
    void sample_ops(uint64_t now_ns);
    uint64_t ops_per_second() const;

    uint64_t lastsave_seconds() const { return m_lastsave_seconds; }
    void reset_stats();

    // Runs a command for EXEC (no MULTI check, counted like any other).
    void run(Context& context, const Command& command);

private:
    void execute_command(Session& session, const Arguments& args, Reply& reply);

    EngineOptions m_options;
    Keyspace m_keyspace;
    BlockingRegistry m_blocking;
    PubSub m_pubsub;
    Evictor m_evictor;
    struct Grave;
    uint64_t m_ops_rates[kOpsSamples] = {};
    size_t m_ops_index = 0;
    uint64_t m_ops_last_count = 0, m_ops_last_ns = 0;
    Grave* m_graves = nullptr;  // flushed databases' entries still to free
    // Big collections of deleted keys still to free (kLazyFreeElements).
    Collection** m_doomed = nullptr;
    size_t m_doomed_count = 0, m_doomed_capacity = 0;
    static void doom(Collection* collection, void* engine);
    sched::Event m_flushed;
    Session* m_paused_by = nullptr;  // whose command is paused (pause())
    sched::Event m_resumed;          // set when no command is paused
    EngineStats m_stats{};
    Session* m_clients = nullptr;
    size_t m_client_count = 0;
    size_t m_max_clients = 0;
    uint64_t m_next_client_id = 1;
    uint64_t m_lastsave_seconds = 0;
    WatchedKey* m_watched_keys = nullptr;  // every watched (db, key) with its sessions
};

}  // namespace coronet::redis
