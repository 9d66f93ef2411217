// The Redis app's reports in Redis's formats: INFO's sections, CLIENT LIST/INFO lines, CLIENT
// KILL's filters, and the DEBUG subcommands tests use. Kept apart from the commands because
// they read the kernel's memory and clock counters.
#pragma once

#include <cstddef>

#include "apps/redis/command.hpp"
#include "apps/redis/engine.hpp"

namespace coronet::redis {

// The Redis release whose behaviour the appliance follows (HELLO, INFO redis_version): client
// libraries pick features by it.
inline constexpr const char* kRedisCompatibleVersion = "7.0.15";
inline constexpr size_t kClientLineMax = 1024;

size_t format_client_line(Engine& engine, const Session& session, char* out, size_t size);
void write_client_list(Context& c);
void kill_clients(Context& c);
void write_info(Context& c);
void run_debug(Context& c);

}  // namespace coronet::redis
