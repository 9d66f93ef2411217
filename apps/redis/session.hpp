// One client's state as Redis keeps it: its id and name, selected database, protocol, MULTI
// queue and watched keys, and what CLIENT LIST shows. Lives on the connection's coroutine
// stack; the engine links every session into its client list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace coronet::redis {

inline constexpr size_t kClientNameMax = 128;

// How a blocked client's wait ended (Session::wait_blocked).
enum class BlockedWake : uint8_t { Woken, Gone, TimedOut };

struct QueuedCommand;
struct WatchedKey;
struct Waiter;
struct ChannelSubscription;
struct PatternSubscription;

struct Session {
    uint64_t id = 0;
    size_t db = 0;
    int protocol = 2;
    char name[kClientNameMax + 1] = {};
    char lib_name[kClientNameMax + 1] = {};
    char lib_version[kClientNameMax + 1] = {};
    char address[64] = {};  // "ip:port" of the client
    char local_address[64] = {};
    int64_t created_ms = 0;
    int64_t last_interaction_ms = 0;
    const char* last_command = "NULL";
    bool close_after_reply = false;  // QUIT, CLIENT KILL, a protocol error
    bool killed = false;             // CLIENT KILL of this session from another client

    // MULTI ... EXEC
    bool in_multi = false;
    bool multi_failed = false;  // a queued command was refused: EXEC answers EXECABORT
    QueuedCommand* queue_head = nullptr;
    QueuedCommand* queue_tail = nullptr;
    size_t queued = 0;
    // WATCH
    WatchedKey* watched = nullptr;
    bool watch_touched = false;  // a watched key changed: EXEC answers null
    bool in_exec = false;        // EXEC is running its queue: blocking commands do not block
    Waiter* blocked = nullptr;   // while in a blocking command (blocking.cpp)

    // Pub/sub (apps/redis/pubsub.cpp): what it listens to, and the messages other clients
    // published for it, encoded for its protocol, which its own coroutine writes out.
    ChannelSubscription* channels = nullptr;
    PatternSubscription* patterns = nullptr;
    size_t channel_count = 0;
    size_t pattern_count = 0;
    char* pushes = nullptr;
    size_t push_length = 0;
    size_t push_capacity = 0;
    size_t subscriptions() const { return channel_count + pattern_count; }

    // Wakes the session's coroutine while it waits for input (its stream's interrupt()), so
    // that it sees work that did not come from its client: a kill, pub/sub messages.
    void (*interrupt)(void* context) = nullptr;
    void* interrupt_context = nullptr;
    // While the client is blocked (BLPOP and the like), with the same context: waits until
    // interrupt(), the deadline, or the client hanging up (its connection closed or reset),
    // whatever it sends meanwhile; and whether it has hung up, so that nothing is popped for a
    // client that is gone. Null (host tests): the client never hangs up.
    BlockedWake (*wait_blocked)(void* context, uint64_t deadline) = nullptr;
    bool (*gone)(void* context) = nullptr;

    // The engine's list of clients.
    Session* previous = nullptr;
    Session* next = nullptr;

    std::string_view name_view() const { return name; }
};

}  // namespace coronet::redis
