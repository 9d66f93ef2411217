// Kernel log: printf-style lines with a level and the time since boot, to the console.
#pragma once

#include <string_view>

namespace coronet::log {

enum class Level : int { Error = 0, Warn = 1, Info = 2, Debug = 3, Trace = 4 };

void set_level(Level level);
Level level();
bool enabled(Level level);
// Parses "error", "warn", "info", "debug", "trace" (or 0-4); false if unknown.
bool parse_level(std::string_view text, Level& out);

void write(Level level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace coronet::log

#define LOG_ERROR(...) ::coronet::log::write(::coronet::log::Level::Error, __VA_ARGS__)
#define LOG_WARN(...) ::coronet::log::write(::coronet::log::Level::Warn, __VA_ARGS__)
#define LOG_INFO(...) ::coronet::log::write(::coronet::log::Level::Info, __VA_ARGS__)
#define LOG_DEBUG(...)                                                        \
    do {                                                                      \
        if (::coronet::log::enabled(::coronet::log::Level::Debug))            \
            ::coronet::log::write(::coronet::log::Level::Debug, __VA_ARGS__); \
    } while (0)
