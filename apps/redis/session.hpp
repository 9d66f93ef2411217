// One client's state as Redis keeps it: its id and name, selected database, protocol, MULTI
// queue and watched keys, and what CLIENT LIST shows. Lives on the connection's coroutine
// stack; the engine links every session into its client list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace coronet::redis {

inline constexpr size_t kClientNameMax = 128;

struct QueuedCommand;
struct WatchedKey;

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

    // The engine's list of clients.
    Session* previous = nullptr;
    Session* next = nullptr;

    std::string_view name_view() const { return name; }
};

}  // namespace coronet::redis
