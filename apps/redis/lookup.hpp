// Small helpers every command family uses: typed key lookups that answer WRONGTYPE, number
// arguments that answer Redis's errors, and expiry arguments.
#pragma once

#include <cstdint>
#include <string_view>

#include "apps/redis/command.hpp"
#include "apps/redis/engine.hpp"
#include "apps/redis/keyspace.hpp"
#include "apps/redis/numbers.hpp"

namespace coronet::redis {

// For reads: counts a hit or a miss (INFO keyspace_hits/misses).
inline Entry* read_key(Context& c, std::string_view key) {
    Entry* entry = c.db().find(key);
    if (entry) ++keyspace_stats().keyspace_hits;
    else ++keyspace_stats().keyspace_misses;
    return entry;
}

// False (WRONGTYPE answered) when the key holds another type; `entry` is nullptr when absent.
inline bool read_typed(Context& c, std::string_view key, Type type, Entry*& entry) {
    entry = read_key(c, key);
    if (entry && entry->type != type) {
        c.reply.error(errors::kWrongType);
        return false;
    }
    return true;
}

inline bool write_typed(Context& c, std::string_view key, Type type, Entry*& entry) {
    entry = c.db().find(key);
    if (entry && entry->type != type) {
        c.reply.error(errors::kWrongType);
        return false;
    }
    return true;
}

inline bool int_argument(Context& c, size_t index, int64_t& value,
                         std::string_view error = errors::kNotInteger) {
    if (parse_int64(c.arg(index), value)) return true;
    c.reply.error(error);
    return false;
}

// Case-insensitive comparison with a lower-case word.
inline bool is_word(std::string_view text, std::string_view lower) {
    if (text.size() != lower.size()) return false;
    for (size_t i = 0; i < text.size(); ++i) {
        char ch = text[i];
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        if (ch != lower[i]) return false;
    }
    return true;
}

// An error that quotes what the client sent: `before`, then `quoted` (at most 128 bytes, CR
// and LF as spaces, as Redis keeps its error replies to one line), then `after`.
void error_quoting(Context& c, std::string_view before, std::string_view quoted,
                   std::string_view after);

// "ERR invalid expire time in '<command>' command".
void invalid_expire_time(Context& c);

// An expiry argument in `unit_ms` (1000 for seconds, 1 for milliseconds), relative or absolute,
// as the unix millisecond it ends at; false after answering Redis's error.
bool expiry_argument(Context& c, size_t index, int64_t unit_ms, bool absolute, int64_t& at_ms);

}  // namespace coronet::redis
