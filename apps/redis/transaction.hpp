// MULTI/EXEC/DISCARD/WATCH/UNWATCH: a session's queue of commands (each with its own copy of
// its arguments, since the input buffer moves on) and the watched keys that make EXEC fail
// when another client, an expiry or a flush changed them.
#pragma once

#include "apps/redis/arguments.hpp"
#include "apps/redis/command.hpp"
#include "apps/redis/session.hpp"

namespace coronet::redis {

// Copies the command into the session's queue; false when out of memory.
bool queue_command(Session& session, const Command& command, const Arguments& args);

extern const CommandFamily kTransactionCommands;

}  // namespace coronet::redis
