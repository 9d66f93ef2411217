// What the hash and set command families share: ending a write to a collection (a new one
// enters the keyspace, an emptied one leaves it), HSCAN/SSCAN's cursor and options, and a
// growable list of pointers for replies whose length is known only at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "apps/redis/collection.hpp"
#include "apps/redis/lookup.hpp"

namespace coronet::redis {

// Ends a write to the collection at `key`. A new one (`entry` nullptr) enters the keyspace
// unless it is empty; an existing one is announced when `changed`, deleted when emptied.
// `failed`: memory ran out part way (a new collection is dropped, an existing one keeps what
// was done). False after answering OOM.
inline bool commit_write(Context& c, std::string_view key, Type type, Entry* entry,
                         Collection* collection, bool changed, bool failed = false) {
    Database& db = c.db();
    if (!entry) {
        if (!failed && collection->size() == 0) {
            delete collection;
            return true;
        }
        if (!failed && db.create_collection(key, type, collection)) return true;
        delete collection;
        c.reply.error(errors::kOutOfMemory);
        return false;
    }
    if (collection->size() == 0) db.remove(entry);
    else if (changed) db.touched(key);
    if (!failed) return true;
    c.reply.error(errors::kOutOfMemory);
    return false;
}

// "ERR wrong number of arguments for '<command>' command" (HSET/HMSET's odd pairs).
inline void wrong_arguments(Context& c) {
    char text[128];
    int n = snprintf(text, sizeof text, "ERR wrong number of arguments for '%s' command",
                     c.session.last_command);
    c.reply.error({text, static_cast<size_t>(n)});
}

// A pointer per element, gathered before the reply's length is known.
template <typename T>
struct PointerList {
    T** items = nullptr;
    size_t count = 0, capacity = 0;
    bool failed = false;

    PointerList() = default;
    PointerList(const PointerList&) = delete;
    PointerList& operator=(const PointerList&) = delete;
    ~PointerList() { free(items); }

    bool reserve(size_t wanted) {
        if (wanted <= capacity) return true;
        auto** more = static_cast<T**>(realloc(items, wanted * sizeof(T*)));
        if (!more) {
            failed = true;
            return false;
        }
        items = more;
        capacity = wanted;
        return true;
    }
    void add(T* item) {
        if (count == capacity && !reserve(capacity ? capacity * 2 : 16)) return;
        items[count++] = item;
    }
};

// A SCAN cursor as Redis reads one (strtoul: an optional sign, a negative one wrapping; no
// leading space, nothing after the digits, no overflow). False after answering the error.
inline bool scan_cursor(Context& c, size_t index, uint64_t& cursor) {
    std::string_view text = c.arg(index);
    size_t i = 0;
    bool negative = false;
    if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
        negative = text[0] == '-';
        i = 1;
        if (text.size() == 1) {
            c.reply.error("ERR invalid cursor");
            return false;
        }
    }
    uint64_t value = 0;
    for (; i < text.size(); ++i) {
        char ch = text[i];
        if (ch < '0' || ch > '9' || value > (UINT64_MAX - static_cast<uint64_t>(ch - '0')) / 10) {
            c.reply.error("ERR invalid cursor");
            return false;
        }
        value = value * 10 + static_cast<uint64_t>(ch - '0');
    }
    cursor = negative ? 0 - value : value;
    return true;
}

struct ScanOptions {
    std::string_view pattern;
    bool match_all = true;
    size_t count = 10;
};

// MATCH and COUNT from `first` on; false after answering Redis's error.
inline bool scan_options(Context& c, size_t first, ScanOptions& options) {
    for (size_t i = first; i < c.argc(); i += 2) {
        bool has_value = i + 1 < c.argc();
        if (has_value && is_word(c.arg(i), "count")) {
            int64_t count;
            if (!int_argument(c, i + 1, count)) return false;
            if (count < 1) {
                c.reply.error(errors::kSyntax);
                return false;
            }
            options.count = static_cast<size_t>(count);
        } else if (has_value && is_word(c.arg(i), "match")) {
            options.pattern = c.arg(i + 1);
            options.match_all = options.pattern == "*";
        } else {
            c.reply.error(errors::kSyntax);
            return false;
        }
    }
    return true;
}

// Buckets one call may visit: ten times COUNT, as Redis, for when most of them are empty.
inline size_t scan_step_limit(const ScanOptions& options) {
    return options.count > SIZE_MAX / 10 ? SIZE_MAX : options.count * 10;
}

// The first element of a SCAN reply.
inline void reply_cursor(Context& c, uint64_t cursor) {
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", static_cast<unsigned long long>(cursor));
    c.reply.array(2);
    c.reply.bulk({digits, static_cast<size_t>(n)});
}

// A random-count argument as HRANDFIELD and SRANDMEMBER read it; false after the error.
inline bool random_count(Context& c, size_t index, int64_t& count) {
    if (!int_argument(c, index, count)) return false;
    if (count == INT64_MIN) {
        c.reply.error(
            "ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
        return false;
    }
    return true;
}

// The tail of LMPOP, BLMPOP, ZMPOP and BZMPOP: numkeys key [key ...] SIDE [COUNT count], SIDE
// being `first_side` or `second_side` (LEFT/RIGHT, MIN/MAX); false after Redis's error.
struct MultiPop {
    size_t first_key = 0;
    size_t key_count = 0;
    bool first_side = true;
    uint64_t count = 1;
};

inline bool multi_pop_arguments(Context& c, size_t numkeys_index, std::string_view first_side,
                                std::string_view second_side, MultiPop& out) {
    int64_t numkeys;
    if (!parse_int64(c.arg(numkeys_index), numkeys) || numkeys < 1) {
        c.reply.error("ERR numkeys should be greater than 0");
        return false;
    }
    // The side follows the keys.
    if (static_cast<uint64_t>(numkeys) >= c.argc() - numkeys_index - 1) {
        c.reply.error(errors::kSyntax);
        return false;
    }
    size_t side_index = numkeys_index + 1 + static_cast<size_t>(numkeys);
    if (is_word(c.arg(side_index), first_side)) out.first_side = true;
    else if (is_word(c.arg(side_index), second_side)) out.first_side = false;
    else {
        c.reply.error(errors::kSyntax);
        return false;
    }
    int64_t count = -1;
    for (size_t i = side_index + 1; i < c.argc(); ++i) {
        if (count == -1 && is_word(c.arg(i), "count") && i + 1 < c.argc()) {
            if (!parse_int64(c.arg(++i), count) || count < 1) {
                c.reply.error("ERR count should be greater than 0");
                return false;
            }
        } else {
            c.reply.error(errors::kSyntax);
            return false;
        }
    }
    out.first_key = numkeys_index + 1;
    out.key_count = static_cast<size_t>(numkeys);
    out.count = count == -1 ? 1 : static_cast<uint64_t>(count);
    return true;
}

// Resolves Redis's inclusive rank range [start, end] (negative counts from the end: LRANGE,
// LTRIM, ZRANGE, ZREMRANGEBYRANK) against `length`; false when the range is empty.
inline bool resolve_ranks(int64_t start, int64_t end, size_t length, size_t& first, size_t& last) {
    auto size = static_cast<int64_t>(length);
    if (start < 0) start += size;
    if (end < 0) end += size;
    if (start < 0) start = 0;
    if (start > end || start >= size) return false;
    if (end >= size) end = size - 1;
    first = static_cast<size_t>(start);
    last = static_cast<size_t>(end);
    return true;
}

}  // namespace coronet::redis
