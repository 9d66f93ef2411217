// Log levels and line formatting. Lines go straight to the (polled) console.
#include "kernel/log.hpp"

#include <cstdarg>
#include <cstdio>

#include "kernel/uptime.hpp"
#include "lib/time_units.hpp"

namespace coronet::log {
namespace {

Level g_level = Level::Info;
constexpr const char* kLevelNames[] = {"error", "warn", "info", "debug", "trace"};
constexpr const char* kLevelTags[] = {"E", "W", "I", "D", "T"};

}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }
bool enabled(Level level) { return static_cast<int>(level) <= static_cast<int>(g_level); }

bool parse_level(std::string_view text, Level& out) {
    for (int i = 0; i < 5; ++i) {
        if (text == kLevelNames[i] || (text.size() == 1 && text[0] == '0' + i)) {
            out = static_cast<Level>(i);
            return true;
        }
    }
    return false;
}

void write(Level level, const char* format, ...) {
    if (!enabled(level)) return;
    uint64_t ns = uptime_ns();
    printf("[%4llu.%06llu] %s ", static_cast<unsigned long long>(ns_to_s(ns)),
           static_cast<unsigned long long>(ns_to_us(ns % kSecond)),
           kLevelTags[static_cast<int>(level)]);
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
}

}  // namespace coronet::log
