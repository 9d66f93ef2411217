// What a command is to the dispatcher: its name, arity and flags as `COMMAND INFO` reports
// them, and the handler that runs it against a Context (the client's session, the keyspace,
// the arguments and the reply being written).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/redis/arguments.hpp"
#include "apps/redis/reply.hpp"
#include "lib/time_units.hpp"

namespace coronet::redis {

class Engine;
class Database;
struct Session;

// Work a command does before it checks the clock (Context::breathe), and how long it may hold
// the reactor before it lets it run.
inline constexpr uint32_t kBreatheSteps = 256;
inline constexpr uint64_t kCommandSlice = 5 * kMillisecond;

struct Context {
    Engine& engine;
    Session& session;
    const Arguments& args;
    Reply& reply;

    Database& db();
    std::string_view arg(size_t index) const { return args[index]; }
    size_t argc() const { return args.size(); }

    // Called once per element by commands that may walk a huge collection or keyspace: past
    // kCommandSlice it lets the reactor run (the network, timers, the other apps) while every
    // other Redis client waits, so the command stays atomic, as in Redis (Engine::pause).
    void breathe() {
        if (++steps % kBreatheSteps == 0) breathe_slow();
    }
    void breathe_slow();
    uint32_t steps = 0;
    uint64_t slice_start = 0;  // 0 until the first check
};

using CommandHandler = void (*)(Context& context);

enum CommandFlag : uint32_t {
    kWrite = 1 << 0,
    kReadOnly = 1 << 1,
    kAdmin = 1 << 2,
    kFast = 1 << 3,
    kDenyOom = 1 << 4,  // refused with -OOM when over maxmemory
    kNoMulti = 1 << 5,  // run at once even inside MULTI (EXEC, DISCARD, WATCH's errors)
    kPubSub = 1 << 6,   // allowed in RESP2 subscriber mode
    kNoScript = 1 << 7,
    kBlocking = 1 << 8,
};

struct Command {
    const char* name;  // lower case, as Redis's error messages spell it
    int arity;         // argc exactly, or at least -arity when negative
    uint32_t flags;
    CommandHandler handler;
    // Key positions for COMMAND INFO / GETKEYS: first, last (-1: the last argument), step.
    int8_t first_key, last_key, key_step;
};

// The command named `name` in any case, or nullptr.
const Command* find_command(std::string_view name);
// Every command, for COMMAND COUNT / LIST / INFO.
size_t command_count();
const Command& command_at(size_t index);

// Redis's error texts that commands share.
namespace errors {
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kDbIndex = "ERR DB index is out of range";
inline constexpr std::string_view kOutOfMemory =
    "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
}  // namespace errors

// Per-family tables (commands_*.cpp), gathered by command_table.cpp.
struct CommandFamily {
    const Command* commands;
    size_t count;
};
extern const CommandFamily kServerCommands;
extern const CommandFamily kKeyCommands;
extern const CommandFamily kStringCommands;
extern const CommandFamily kListCommands;
extern const CommandFamily kHashCommands;
extern const CommandFamily kSetCommands;
extern const CommandFamily kSortedSetCommands;
extern const CommandFamily kBlockingCommands;
extern const CommandFamily kPubSubCommands;

}  // namespace coronet::redis
