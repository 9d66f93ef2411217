// Keyspace commands: existence, deletion, renaming, moving between databases, expiry, and the
// KEYS/SCAN/RANDOMKEY walks.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "apps/redis/clock.hpp"
#include "apps/redis/collection.hpp"
#include "apps/redis/collection_commands.hpp"
#include "apps/redis/config.hpp"
#include "apps/redis/lookup.hpp"

namespace coronet::redis {
namespace {

void del_command(Context& c) {
    int64_t removed = 0;
    for (size_t i = 1; i < c.argc(); ++i)
        if (c.db().remove(c.arg(i))) ++removed;
    c.reply.integer(removed);
}

void exists_command(Context& c) {
    int64_t found = 0;
    for (size_t i = 1; i < c.argc(); ++i)
        if (read_key(c, c.arg(i))) ++found;
    c.reply.integer(found);
}

void touch_command(Context& c) {
    int64_t found = 0;
    for (size_t i = 1; i < c.argc(); ++i)
        if (c.db().find(c.arg(i))) ++found;
    c.reply.integer(found);
}

void type_command(Context& c) {
    Entry* entry = c.db().find(c.arg(1));
    c.reply.simple(entry ? type_name(entry->type) : "none");
}

// A growable list of keys collected before the reply's length is known.
struct KeyList {
    std::string_view* items = nullptr;
    size_t count = 0, capacity = 0;
    bool failed = false;
    ~KeyList() { free(items); }
    void add(std::string_view key) {
        if (count == capacity) {
            size_t grown = capacity ? capacity * 2 : 64;
            auto* more = static_cast<std::string_view*>(realloc(items, grown * sizeof *items));
            if (!more) {
                failed = true;
                return;
            }
            items = more;
            capacity = grown;
        }
        items[count++] = key;
    }
};

struct KeysWalk {
    std::string_view pattern;
    bool match_all;
    int64_t now;
    KeyList keys;
    bool has_type = false;
    Type type = Type::String;
    size_t visited = 0;  // SCAN's COUNT counts keys visited, before MATCH and TYPE filter them
};

void collect(Entry* entry, void* context) {
    auto* walk = static_cast<KeysWalk*>(context);
    ++walk->visited;
    if (entry->expires_at_ms != kNoExpiry && entry->expires_at_ms <= walk->now) return;
    if (walk->has_type && entry->type != walk->type) return;
    if (!walk->match_all && !glob_match(walk->pattern, entry->key())) return;
    walk->keys.add(entry->key());
}

void reply_keys(Context& c, const KeyList& keys) {
    if (keys.failed) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    c.reply.array(keys.count);
    for (size_t i = 0; i < keys.count; ++i) c.reply.bulk(keys.items[i]);
}

// KEYS's matches, copied: the reply's length comes first. Over a big keyspace KEYS pauses
// (Context::breathe) between buckets.
struct KeysCopy {
    std::string_view pattern;
    bool match_all;
    int64_t now;
    char* bytes = nullptr;
    size_t used = 0, capacity = 0;
    size_t count = 0;
    bool failed = false;
    ~KeysCopy() { free(bytes); }
    void add(std::string_view key) {
        size_t needed = used + sizeof(uint32_t) + key.size();
        if (needed > capacity) {
            size_t grown = capacity ? capacity * 2 : 4096;
            while (grown < needed) grown *= 2;
            auto* more = static_cast<char*>(realloc(bytes, grown));
            if (!more) {
                failed = true;
                return;
            }
            bytes = more;
            capacity = grown;
        }
        auto length = static_cast<uint32_t>(key.size());
        std::memcpy(bytes + used, &length, sizeof length);
        std::memcpy(bytes + used + sizeof length, key.data(), key.size());
        used = needed;
        ++count;
    }
};

void keys_command(Context& c) {
    KeysCopy walk{c.arg(1), c.arg(1) == "*", unix_time_ms()};
    uint64_t cursor = 0;
    size_t db = c.session.db;
    do {
        cursor = c.engine.keyspace().database(db).scan(
            cursor,
            [](Entry* entry, void* context) {
                auto* w = static_cast<KeysCopy*>(context);
                if (entry->expires_at_ms != kNoExpiry && entry->expires_at_ms <= w->now) return;
                if (!w->match_all && !glob_match(w->pattern, entry->key())) return;
                w->add(entry->key());
            },
            &walk);
        c.breathe();
    } while (cursor != 0 && !walk.failed);
    if (walk.failed) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    c.reply.array(walk.count);
    for (size_t at = 0; at < walk.used;) {
        uint32_t length;
        std::memcpy(&length, walk.bytes + at, sizeof length);
        c.reply.bulk({walk.bytes + at + sizeof length, length});
        at += sizeof length + length;
    }
}

bool parse_type(std::string_view text, Type& type) {
    for (Type t : {Type::String, Type::List, Type::Hash, Type::Set, Type::SortedSet}) {
        if (is_word(text, type_name(t))) {
            type = t;
            return true;
        }
    }
    return false;
}

void scan_command(Context& c) {
    uint64_t cursor = 0;
    if (!scan_cursor(c, 1, cursor)) return;
    KeysWalk walk{"*", true, unix_time_ms(), {}};
    int64_t count = 10;
    for (size_t i = 2; i < c.argc(); i += 2) {
        if (i + 1 >= c.argc()) {
            c.reply.error(errors::kSyntax);
            return;
        }
        std::string_view option = c.arg(i), value = c.arg(i + 1);
        if (is_word(option, "count")) {
            if (!int_argument(c, i + 1, count)) return;
            if (count < 1) {
                c.reply.error(errors::kSyntax);
                return;
            }
        } else if (is_word(option, "match")) {
            walk.pattern = value;
            walk.match_all = value == "*";
        } else if (is_word(option, "type")) {
            walk.has_type = true;
            if (!parse_type(value, walk.type)) {
                // Redis accepts any type name and simply matches nothing.
                walk.type = static_cast<Type>(0xff);
            }
        } else {
            c.reply.error(errors::kSyntax);
            return;
        }
    }
    // Each call visits about `count` buckets, at most ten times that when they are empty.
    size_t visits = 0, limit = static_cast<size_t>(count) * 10;
    do {
        cursor = c.db().scan(cursor, collect, &walk);
    } while (cursor != 0 && walk.visited < static_cast<size_t>(count) && ++visits < limit);
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", static_cast<unsigned long long>(cursor));
    c.reply.array(2);
    c.reply.bulk({digits, static_cast<size_t>(n)});
    reply_keys(c, walk.keys);
}

void randomkey_command(Context& c) {
    Database& db = c.db();
    // Sample until a live key turns up; expired ones found on the way are deleted.
    for (size_t attempt = 0; attempt < 100 && db.size() > 0; ++attempt) {
        Entry* entry = db.random_entry(random_u64());
        if (!entry) break;
        if (db.find(entry->key())) {
            c.reply.bulk(entry->key());
            return;
        }
    }
    c.reply.null();
}

void rename_generic(Context& c, bool nx) {
    Database& db = c.db();
    Entry* source = db.find(c.arg(1));
    if (!source) {
        c.reply.error(errors::kNoSuchKey);
        return;
    }
    if (c.arg(1) == c.arg(2)) {
        if (nx) c.reply.integer(0);
        else c.reply.ok();
        return;
    }
    if (Entry* target = db.find(c.arg(2))) {
        if (nx) {
            c.reply.integer(0);
            return;
        }
        db.remove(target);
    }
    if (!db.rename(source, c.arg(2))) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    if (nx) c.reply.integer(1);
    else c.reply.ok();
}
void rename_command(Context& c) { rename_generic(c, false); }
void renamenx_command(Context& c) { rename_generic(c, true); }

bool database_argument(Context& c, size_t index, size_t& number) {
    int64_t value;
    if (!int_argument(c, index, value)) return false;
    if (value < 0 || value >= static_cast<int64_t>(kDatabases)) {
        c.reply.error(errors::kDbIndex);
        return false;
    }
    number = static_cast<size_t>(value);
    return true;
}

void move_command(Context& c) {
    size_t target;
    if (!database_argument(c, 2, target)) return;
    if (target == c.session.db) {
        c.reply.error("ERR source and destination objects are the same");
        return;
    }
    Database& from = c.db();
    Database& to = c.engine.keyspace().database(target);
    Entry* entry = from.find(c.arg(1));
    if (!entry || to.find(c.arg(1))) {
        c.reply.integer(0);
        return;
    }
    from.detach(entry);
    to.adopt(entry);
    c.reply.integer(1);
}

void copy_command(Context& c) {
    size_t target = c.session.db;
    bool replace = false;
    for (size_t i = 3; i < c.argc(); ++i) {
        if (is_word(c.arg(i), "replace")) {
            replace = true;
        } else if (is_word(c.arg(i), "db") && i + 1 < c.argc()) {
            if (!database_argument(c, ++i, target)) return;
        } else {
            c.reply.error(errors::kSyntax);
            return;
        }
    }
    if (target == c.session.db && c.arg(1) == c.arg(2)) {
        c.reply.error("ERR source and destination objects are the same");
        return;
    }
    Database& from = c.db();
    Database& to = c.engine.keyspace().database(target);
    Entry* source = from.find(c.arg(1));
    if (!source) {
        c.reply.integer(0);
        return;
    }
    if (Entry* existing = to.find(c.arg(2))) {
        if (!replace) {
            c.reply.integer(0);
            return;
        }
        to.remove(existing);
    }
    Result<Entry*> copied = Error::OutOfMemory;
    if (source->type == Type::String) {
        copied = to.create_string(c.arg(2), source->string());
    } else if (Collection* clone = source->collection()->clone()) {
        copied = to.create_collection(c.arg(2), source->type, clone);
        if (!copied) delete clone;
    }
    if (!copied) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    if (source->expires_at_ms != kNoExpiry) to.set_expiry(*copied, source->expires_at_ms);
    c.reply.integer(1);
}

void expire_generic(Context& c, int64_t unit_ms, bool absolute) {
    int64_t when;
    if (!int_argument(c, 2, when)) return;
    enum : unsigned { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };
    unsigned flags = 0;
    for (size_t i = 3; i < c.argc(); ++i) {
        std::string_view option = c.arg(i);
        if (is_word(option, "nx")) flags |= kNx;
        else if (is_word(option, "xx")) flags |= kXx;
        else if (is_word(option, "gt")) flags |= kGt;
        else if (is_word(option, "lt")) flags |= kLt;
        else return error_quoting(c, "ERR Unsupported option ", option, {});
    }
    if ((flags & kNx) && (flags & (kXx | kGt | kLt))) {
        c.reply.error("ERR NX and XX, GT or LT options at the same time are not compatible");
        return;
    }
    if ((flags & kGt) && (flags & kLt)) {
        c.reply.error("ERR GT and LT options at the same time are not compatible");
        return;
    }
    if (unit_ms == 1000 && (when > INT64_MAX / 1000 || when < INT64_MIN / 1000)) {
        invalid_expire_time(c);
        return;
    }
    when *= unit_ms;
    if (!absolute) {
        int64_t now = unix_time_ms();
        if ((when > 0 && when > INT64_MAX - now) || (when < 0 && when < INT64_MIN + now)) {
            invalid_expire_time(c);
            return;
        }
        when += now;
    }
    Database& db = c.db();
    Entry* entry = db.find(c.arg(1));
    if (!entry) {
        c.reply.integer(0);
        return;
    }
    int64_t current = entry->expires_at_ms;  // kNoExpiry: none, which GT/LT treat as infinite
    bool has = current != kNoExpiry;
    if (((flags & kNx) && has) || ((flags & kXx) && !has) ||
        ((flags & kGt) && (!has || when <= current)) || ((flags & kLt) && has && when >= current)) {
        c.reply.integer(0);
        return;
    }
    if (when <= unix_time_ms()) {
        db.remove(entry);
    } else {
        db.set_expiry(entry, when);
        db.touched(entry->key());
    }
    c.reply.integer(1);
}
void expire_command(Context& c) { expire_generic(c, 1000, false); }
void pexpire_command(Context& c) { expire_generic(c, 1, false); }
void expireat_command(Context& c) { expire_generic(c, 1000, true); }
void pexpireat_command(Context& c) { expire_generic(c, 1, true); }

// TTL family: -2 missing, -1 no expiry, else the remaining time or the deadline.
void ttl_generic(Context& c, bool milliseconds, bool absolute) {
    Entry* entry = read_key(c, c.arg(1));
    if (!entry) {
        c.reply.integer(-2);
        return;
    }
    if (entry->expires_at_ms == kNoExpiry) {
        c.reply.integer(-1);
        return;
    }
    int64_t value = entry->expires_at_ms;
    if (!absolute) {
        value -= unix_time_ms();
        if (value < 0) value = 0;
        if (!milliseconds) value = (value + 500) / 1000;
    } else if (!milliseconds) {
        value /= 1000;
    }
    c.reply.integer(value);
}
void ttl_command(Context& c) { ttl_generic(c, false, false); }
void pttl_command(Context& c) { ttl_generic(c, true, false); }
void expiretime_command(Context& c) { ttl_generic(c, false, true); }
void pexpiretime_command(Context& c) { ttl_generic(c, true, true); }

void persist_command(Context& c) {
    Entry* entry = c.db().find(c.arg(1));
    if (!entry || entry->expires_at_ms == kNoExpiry) {
        c.reply.integer(0);
        return;
    }
    c.db().set_expiry(entry, kNoExpiry);
    c.db().touched(entry->key());
    c.reply.integer(1);
}

const char* encoding_of(const Entry* entry) {
    int64_t ignored;
    switch (entry->type) {
    case Type::String:
        if (entry->value_length <= 20 && parse_int64(entry->string(), ignored)) return "int";
        return entry->value_length <= 44 ? "embstr" : "raw";
    case Type::List: return "quicklist";
    case Type::Hash: return "hashtable";
    case Type::Set: return "hashtable";
    case Type::SortedSet: return "skiplist";
    }
    return "raw";
}

void object_command(Context& c) {
    std::string_view sub = c.arg(1);
    if (is_word(sub, "help")) {
        c.reply.array(4);
        c.reply.simple("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        c.reply.simple("ENCODING <key>");
        c.reply.simple("IDLETIME <key>");
        c.reply.simple("REFCOUNT <key>");
        return;
    }
    bool known = is_word(sub, "encoding") || is_word(sub, "idletime") || is_word(sub, "refcount") ||
                 is_word(sub, "freq");
    if (!known || c.argc() != 3)
        return error_quoting(c, "ERR unknown subcommand or wrong number of arguments for '", sub,
                             "'. Try OBJECT HELP.");
    Entry* entry = c.db().peek(c.arg(2));
    if (entry && c.db().is_expired(entry)) entry = c.db().find(c.arg(2));
    if (!entry) {
        c.reply.null();
        return;
    }
    if (is_word(sub, "encoding")) c.reply.bulk(encoding_of(entry));
    else if (is_word(sub, "refcount")) c.reply.integer(1);
    else if (is_word(sub, "idletime"))
        c.reply.integer((access_clock() - entry->last_access) / kAccessTicksPerSecond);
    else if (c.engine.evictor().policy == EvictionPolicy::AllKeysLfu ||
             c.engine.evictor().policy == EvictionPolicy::VolatileLfu)
        c.reply.integer(decayed_frequency(entry));
    else
        c.reply.error(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
            "note that when switching between policies at runtime LRU and LFU data will take "
            "some time to adjust.");
}

const Command kCommands[] = {
    {"del", -2, kWrite, del_command, 1, -1, 1},
    {"unlink", -2, kWrite | kFast, del_command, 1, -1, 1},
    {"exists", -2, kReadOnly | kFast, exists_command, 1, -1, 1},
    {"touch", -2, kReadOnly | kFast, touch_command, 1, -1, 1},
    {"type", 2, kReadOnly | kFast, type_command, 1, 1, 1},
    {"keys", 2, kReadOnly, keys_command, 0, 0, 0},
    {"scan", -2, kReadOnly, scan_command, 0, 0, 0},
    {"randomkey", 1, kReadOnly, randomkey_command, 0, 0, 0},
    {"rename", 3, kWrite, rename_command, 1, 2, 1},
    {"renamenx", 3, kWrite | kFast, renamenx_command, 1, 2, 1},
    {"move", 3, kWrite | kFast, move_command, 1, 1, 1},
    {"copy", -3, kWrite | kDenyOom, copy_command, 1, 2, 1},
    {"expire", -3, kWrite | kFast, expire_command, 1, 1, 1},
    {"pexpire", -3, kWrite | kFast, pexpire_command, 1, 1, 1},
    {"expireat", -3, kWrite | kFast, expireat_command, 1, 1, 1},
    {"pexpireat", -3, kWrite | kFast, pexpireat_command, 1, 1, 1},
    {"ttl", 2, kReadOnly | kFast, ttl_command, 1, 1, 1},
    {"pttl", 2, kReadOnly | kFast, pttl_command, 1, 1, 1},
    {"expiretime", 2, kReadOnly | kFast, expiretime_command, 1, 1, 1},
    {"pexpiretime", 2, kReadOnly | kFast, pexpiretime_command, 1, 1, 1},
    {"persist", 2, kWrite | kFast, persist_command, 1, 1, 1},
    {"object", -2, kReadOnly, object_command, 2, 2, 1},
};

}  // namespace

const CommandFamily kKeyCommands{kCommands, sizeof kCommands / sizeof kCommands[0]};

}  // namespace coronet::redis
