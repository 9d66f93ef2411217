// Hash commands: fields set, read, deleted, counted, incremented, sampled and scanned, with
// Redis's errors and reply shapes. A hash emptied by a removal leaves the keyspace.
#include <cmath>
#include <new>

#include "apps/redis/collection_commands.hpp"
#include "apps/redis/config.hpp"
#include "apps/redis/hash.hpp"
#include "apps/redis/lookup.hpp"

namespace coronet::redis {
namespace {

Hash* hash_of(Entry* entry) { return entry ? static_cast<Hash*>(entry->collection()) : nullptr; }

// The hash of `entry`, or a new one (not yet in the keyspace) when it is null; nullptr after
// answering OOM.
Hash* hash_or_new(Context& c, Entry* entry) {
    if (entry) return hash_of(entry);
    Hash* hash = new (std::nothrow) Hash;
    if (!hash) c.reply.error(errors::kOutOfMemory);
    return hash;
}

// HSET and HMSET: any number of pairs, added or replaced.
void hset_generic(Context& c, bool hmset) {
    if (c.argc() % 2 == 1) {
        wrong_arguments(c);
        return;
    }
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::Hash, entry)) return;
    Hash* hash = hash_or_new(c, entry);
    if (!hash) return;
    int64_t added = 0;
    bool failed = false;
    for (size_t i = 2; i < c.argc() && !failed; i += 2) {
        Result<bool> set = hash->set(c.arg(i), c.arg(i + 1));
        if (!set) failed = true;
        else if (*set) ++added;
    }
    if (!commit_write(c, c.arg(1), Type::Hash, entry, hash, true, failed)) return;
    if (hmset) c.reply.ok();
    else c.reply.integer(added);
}
void hset_command(Context& c) { hset_generic(c, false); }
void hmset_command(Context& c) { hset_generic(c, true); }

void hsetnx_command(Context& c) {
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::Hash, entry)) return;
    if (entry && hash_of(entry)->find(c.arg(2))) {
        c.reply.integer(0);
        return;
    }
    Hash* hash = hash_or_new(c, entry);
    if (!hash) return;
    bool failed = !hash->set(c.arg(2), c.arg(3));
    if (commit_write(c, c.arg(1), Type::Hash, entry, hash, true, failed)) c.reply.integer(1);
}

void hget_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Hash, entry)) return;
    const Hash::Field* field = entry ? hash_of(entry)->find(c.arg(2)) : nullptr;
    if (field) c.reply.bulk(field->value());
    else c.reply.null();
}

void hmget_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Hash, entry)) return;
    Hash* hash = hash_of(entry);
    c.reply.array(c.argc() - 2);
    for (size_t i = 2; i < c.argc(); ++i) {
        const Hash::Field* field = hash ? hash->find(c.arg(i)) : nullptr;
        if (field) c.reply.bulk(field->value());
        else c.reply.null();
    }
}

void hdel_command(Context& c) {
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::Hash, entry)) return;
    int64_t removed = 0;
    if (entry) {
        Hash* hash = hash_of(entry);
        for (size_t i = 2; i < c.argc() && hash->size() > 0; ++i)
            if (hash->remove(c.arg(i))) ++removed;
        commit_write(c, c.arg(1), Type::Hash, entry, hash, removed > 0);
    }
    c.reply.integer(removed);
}

void hlen_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Hash, entry)) return;
    c.reply.integer(entry ? static_cast<int64_t>(hash_of(entry)->size()) : 0);
}

void hstrlen_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Hash, entry)) return;
    const Hash::Field* field = entry ? hash_of(entry)->find(c.arg(2)) : nullptr;
    c.reply.integer(field ? field->value_length : 0);
}

void hexists_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Hash, entry)) return;
    c.reply.integer(entry && hash_of(entry)->find(c.arg(2)) ? 1 : 0);
}

// HGETALL (a RESP3 map), HKEYS and HVALS.
void hgetall_generic(Context& c, bool names, bool values) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Hash, entry)) return;
    Hash* hash = hash_of(entry);
    size_t size = hash ? hash->size() : 0;
    if (names && values) c.reply.map(size);
    else c.reply.array(size);
    if (!hash) return;
    hash->for_each([&](const Hash::Field* field) {
        if (names) c.reply.bulk(field->name());
        if (values) c.reply.bulk(field->value());
        c.breathe();
    });
}
void hgetall_command(Context& c) { hgetall_generic(c, true, true); }
void hkeys_command(Context& c) { hgetall_generic(c, true, false); }
void hvals_command(Context& c) { hgetall_generic(c, false, true); }

// Stores `text` as the field's value in the hash of `entry` (a new hash when null) and answers
// OOM on failure.
bool store_field(Context& c, Entry* entry, std::string_view text) {
    Hash* hash = hash_or_new(c, entry);
    if (!hash) return false;
    bool failed = !hash->set(c.arg(2), text);
    return commit_write(c, c.arg(1), Type::Hash, entry, hash, true, failed);
}

void hincrby_command(Context& c) {
    int64_t increment;
    if (!int_argument(c, 3, increment)) return;
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::Hash, entry)) return;
    int64_t value = 0;
    const Hash::Field* field = entry ? hash_of(entry)->find(c.arg(2)) : nullptr;
    if (field && !parse_int64(field->value(), value)) {
        c.reply.error("ERR hash value is not an integer");
        return;
    }
    if (!checked_add(value, increment, value)) {
        c.reply.error(errors::kOverflow);
        return;
    }
    char digits[24];
    size_t length = format_int64(value, digits);
    if (store_field(c, entry, {digits, length})) c.reply.integer(value);
}

void hincrbyfloat_command(Context& c) {
    long double increment, value = 0;
    if (!parse_long_double(c.arg(3), increment)) {
        c.reply.error(errors::kNotFloat);
        return;
    }
    if (std::isnan(increment) || std::isinf(increment)) {
        c.reply.error("ERR value is NaN or Infinity");
        return;
    }
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::Hash, entry)) return;
    const Hash::Field* field = entry ? hash_of(entry)->find(c.arg(2)) : nullptr;
    if (field && !parse_long_double(field->value(), value)) {
        c.reply.error("ERR hash value is not a float");
        return;
    }
    value += increment;
    if (std::isnan(value) || std::isinf(value)) {
        c.reply.error("ERR increment would produce NaN or Infinity");
        return;
    }
    static char text[kLongDoubleTextMax];  // reactor-only: one command runs at a time
    size_t length = format_long_double(value, text);
    if (store_field(c, entry, {text, length})) c.reply.bulk({text, length});
}

// One field of HRANDFIELD's reply: a name, or with values a pair (a nested array in RESP3).
void reply_random_field(Context& c, const Hash::Field* field, bool with_values) {
    if (with_values && c.reply.resp3()) c.reply.array(2);
    c.reply.bulk(field->name());
    if (with_values) c.reply.bulk(field->value());
}

void hrandfield_command(Context& c) {
    if (c.argc() == 2) {
        Entry* entry;
        if (!read_typed(c, c.arg(1), Type::Hash, entry)) return;
        if (entry) c.reply.bulk(hash_of(entry)->random()->name());
        else c.reply.null();
        return;
    }
    int64_t count;
    if (!random_count(c, 2, count)) return;
    bool with_values = c.argc() == 4;
    if (c.argc() > 4 || (with_values && !is_word(c.arg(3), "withvalues"))) {
        c.reply.error(errors::kSyntax);
        return;
    }
    if (with_values && (count < -INT64_MAX / 2 || count > INT64_MAX / 2)) {
        c.reply.error("ERR value is out of range");
        return;
    }
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Hash, entry)) return;
    Hash* hash = hash_of(entry);
    if (!hash || count == 0) {
        c.reply.array(0);
        return;
    }
    // RESP2 flattens the pairs into one array; RESP3 nests them.
    auto header = [&](size_t n) { c.reply.array(with_values && !c.reply.resp3() ? 2 * n : n); };
    if (count < 0 || count == 1) {
        // With repeats: each pick is independent.
        uint64_t n = count < 0 ? 0 - static_cast<uint64_t>(count) : 1;
        header(n);
        for (uint64_t i = 0; i < n && !c.reply.failed(); ++i) {
            reply_random_field(c, hash->random(), with_values);
            c.breathe();
        }
        return;
    }
    size_t size = hash->size();
    if (static_cast<uint64_t>(count) >= size) {
        header(size);
        hash->for_each([&](const Hash::Field* field) {
            reply_random_field(c, field, with_values);
            c.breathe();
        });
        return;
    }
    PointerList<const Hash::Field> picks;
    if (!picks.reserve(static_cast<size_t>(count)) ||
        !hash->random_distinct(picks.items, static_cast<size_t>(count))) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    header(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
        reply_random_field(c, picks.items[i], with_values);
        c.breathe();
    }
}

struct HashScan {
    ScanOptions options;
    PointerList<const Hash::Field> fields;
    size_t visited = 0;  // names and values, which COUNT counts as Redis does
};

void hscan_command(Context& c) {
    uint64_t cursor;
    if (!scan_cursor(c, 2, cursor)) return;
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Hash, entry)) return;
    if (!entry) {
        reply_cursor(c, 0);
        c.reply.array(0);
        return;
    }
    HashScan walk;
    if (!scan_options(c, 3, walk.options)) return;
    Hash* hash = hash_of(entry);
    size_t steps = 0, limit = scan_step_limit(walk.options);
    do {
        cursor = hash->scan(
            cursor,
            [](const Hash::Field* field, void* context) {
                auto* w = static_cast<HashScan*>(context);
                w->visited += 2;
                if (w->options.match_all || glob_match(w->options.pattern, field->name()))
                    w->fields.add(field);
            },
            &walk);
    } while (cursor != 0 && walk.visited < walk.options.count && ++steps < limit);
    if (walk.fields.failed) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    reply_cursor(c, cursor);
    c.reply.array(2 * walk.fields.count);
    for (size_t i = 0; i < walk.fields.count; ++i) {
        c.reply.bulk(walk.fields.items[i]->name());
        c.reply.bulk(walk.fields.items[i]->value());
    }
}

const Command kCommands[] = {
    {"hset", -4, kWrite | kDenyOom | kFast, hset_command, 1, 1, 1},
    {"hsetnx", 4, kWrite | kDenyOom | kFast, hsetnx_command, 1, 1, 1},
    {"hget", 3, kReadOnly | kFast, hget_command, 1, 1, 1},
    {"hmget", -3, kReadOnly | kFast, hmget_command, 1, 1, 1},
    {"hmset", -4, kWrite | kDenyOom | kFast, hmset_command, 1, 1, 1},
    {"hdel", -3, kWrite | kFast, hdel_command, 1, 1, 1},
    {"hgetall", 2, kReadOnly, hgetall_command, 1, 1, 1},
    {"hkeys", 2, kReadOnly, hkeys_command, 1, 1, 1},
    {"hvals", 2, kReadOnly, hvals_command, 1, 1, 1},
    {"hlen", 2, kReadOnly | kFast, hlen_command, 1, 1, 1},
    {"hexists", 3, kReadOnly | kFast, hexists_command, 1, 1, 1},
    {"hstrlen", 3, kReadOnly | kFast, hstrlen_command, 1, 1, 1},
    {"hincrby", 4, kWrite | kDenyOom | kFast, hincrby_command, 1, 1, 1},
    {"hincrbyfloat", 4, kWrite | kDenyOom | kFast, hincrbyfloat_command, 1, 1, 1},
    {"hrandfield", -2, kReadOnly, hrandfield_command, 1, 1, 1},
    {"hscan", -3, kReadOnly, hscan_command, 1, 1, 1},
};

}  // namespace

const CommandFamily kHashCommands{kCommands, sizeof kCommands / sizeof kCommands[0]};

}  // namespace coronet::redis
