// Set commands: membership, random picks and pops, moves, the intersection/union/difference
// family (replying or storing) and SSCAN, with Redis's errors and reply shapes. A set emptied
// by a removal leaves the keyspace.
#include <new>

#include "apps/redis/collection_commands.hpp"
#include "apps/redis/config.hpp"
#include "apps/redis/lookup.hpp"
#include "apps/redis/set.hpp"

namespace coronet::redis {
namespace {

Set* set_of(Entry* entry) { return entry ? static_cast<Set*>(entry->collection()) : nullptr; }

Set* set_or_new(Context& c, Entry* entry) {
    if (entry) return set_of(entry);
    Set* set = new (std::nothrow) Set;
    if (!set) c.reply.error(errors::kOutOfMemory);
    return set;
}

void sadd_command(Context& c) {
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::Set, entry)) return;
    Set* set = set_or_new(c, entry);
    if (!set) return;
    int64_t added = 0;
    bool failed = false;
    for (size_t i = 2; i < c.argc() && !failed; ++i) {
        Result<bool> add = set->add(c.arg(i));
        if (!add) failed = true;
        else if (*add) ++added;
    }
    if (commit_write(c, c.arg(1), Type::Set, entry, set, added > 0, failed)) c.reply.integer(added);
}

void srem_command(Context& c) {
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::Set, entry)) return;
    int64_t removed = 0;
    if (entry) {
        Set* set = set_of(entry);
        for (size_t i = 2; i < c.argc() && set->size() > 0; ++i)
            if (set->remove(c.arg(i))) ++removed;
        commit_write(c, c.arg(1), Type::Set, entry, set, removed > 0);
    }
    c.reply.integer(removed);
}

void smembers_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Set, entry)) return;
    Set* set = set_of(entry);
    c.reply.set(set ? set->size() : 0);
    if (set) {
        set->for_each([&](const Set::Member* member) {
            c.reply.bulk(member->name());
            c.breathe();
        });
    }
}

void sismember_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Set, entry)) return;
    c.reply.integer(entry && set_of(entry)->contains(c.arg(2)) ? 1 : 0);
}

void smismember_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Set, entry)) return;
    Set* set = set_of(entry);
    c.reply.array(c.argc() - 2);
    for (size_t i = 2; i < c.argc(); ++i) c.reply.integer(set && set->contains(c.arg(i)) ? 1 : 0);
}

void scard_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Set, entry)) return;
    c.reply.integer(entry ? static_cast<int64_t>(set_of(entry)->size()) : 0);
}

void spop_command(Context& c) {
    if (c.argc() > 3) {
        c.reply.error(errors::kSyntax);
        return;
    }
    int64_t count = 1;
    if (c.argc() == 3 && (!parse_int64(c.arg(2), count) || count < 0)) {
        c.reply.error("ERR value is out of range, must be positive");
        return;
    }
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::Set, entry)) return;
    Set* set = set_of(entry);
    if (c.argc() == 2) {
        if (!set) {
            c.reply.null();
            return;
        }
        // Out of the set (and the set out of the keyspace) before the reply, which may wait.
        Set::Member* member = set->take_random();
        commit_write(c, c.arg(1), Type::Set, entry, set, true);
        c.reply.bulk(member->name());
        Set::release(member);
        return;
    }
    if (!set || count == 0) {
        c.reply.set(0);
        return;
    }
    if (static_cast<uint64_t>(count) >= set->size()) {
        Set taken;
        set->move_to(taken);
        c.db().remove(entry);
        c.reply.set(taken.size());
        taken.for_each([&](const Set::Member* member) {
            c.reply.bulk(member->name());
            c.breathe();
        });
        return;
    }
    PointerList<Set::Member> popped;
    if (!popped.reserve(static_cast<size_t>(count))) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    for (popped.count = 0; popped.count < static_cast<size_t>(count); ++popped.count) {
        popped.items[popped.count] = set->take_random();
        c.breathe();
    }
    commit_write(c, c.arg(1), Type::Set, entry, set, true);
    c.reply.set(popped.count);
    for (size_t i = 0; i < popped.count; ++i) {
        c.reply.bulk(popped.items[i]->name());
        Set::release(popped.items[i]);
    }
}

void srandmember_command(Context& c) {
    if (c.argc() > 3) {
        c.reply.error(errors::kSyntax);
        return;
    }
    int64_t count = 0;
    if (c.argc() == 3 && !random_count(c, 2, count)) return;
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Set, entry)) return;
    Set* set = set_of(entry);
    if (c.argc() == 2) {
        if (set) c.reply.bulk(set->random()->name());
        else c.reply.null();
        return;
    }
    if (!set || count == 0) {
        c.reply.array(0);
        return;
    }
    if (count < 0 || count == 1) {
        // With repeats: each pick is independent.
        uint64_t n = count < 0 ? 0 - static_cast<uint64_t>(count) : 1;
        c.reply.array(n);
        for (uint64_t i = 0; i < n && !c.reply.failed(); ++i) {
            c.reply.bulk(set->random()->name());
            c.breathe();
        }
        return;
    }
    size_t size = set->size();
    if (static_cast<uint64_t>(count) >= size) {
        c.reply.array(size);
        set->for_each([&](const Set::Member* member) {
            c.reply.bulk(member->name());
            c.breathe();
        });
        return;
    }
    PointerList<const Set::Member> picks;
    if (!picks.reserve(static_cast<size_t>(count)) ||
        !set->random_distinct(picks.items, static_cast<size_t>(count))) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    c.reply.array(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
        c.reply.bulk(picks.items[i]->name());
        c.breathe();
    }
}

void smove_command(Context& c) {
    Database& db = c.db();
    Entry* source = db.find(c.arg(1));
    Entry* target = db.find(c.arg(2));
    if (!source) {
        c.reply.integer(0);
        return;
    }
    if (source->type != Type::Set || (target && target->type != Type::Set)) {
        c.reply.error(errors::kWrongType);
        return;
    }
    Set* from = set_of(source);
    std::string_view member = c.arg(3);
    if (source == target || !from->contains(member)) {
        c.reply.integer(source == target && from->contains(member) ? 1 : 0);
        return;
    }
    // Into the destination first, so that running out of memory changes nothing.
    Set* to = set_or_new(c, target);
    if (!to) return;
    bool failed = !to->add(member);
    if (!commit_write(c, c.arg(2), Type::Set, target, to, true, failed)) return;
    from->remove(member);
    commit_write(c, c.arg(1), Type::Set, source, from, true);
    c.reply.integer(1);
}

// The sets named by `count` arguments from `first` (nullptr for a missing key) into `sets`;
// false after answering WRONGTYPE or OOM. A store looks its sources up as writes do.
bool source_sets(Context& c, size_t first, size_t count, bool store, PointerList<Set>& sets) {
    if (!sets.reserve(count)) {
        c.reply.error(errors::kOutOfMemory);
        return false;
    }
    for (size_t i = 0; i < count; ++i) {
        Entry* entry;
        bool typed = store ? write_typed(c, c.arg(first + i), Type::Set, entry)
                           : read_typed(c, c.arg(first + i), Type::Set, entry);
        if (!typed) return false;
        sets.items[sets.count++] = set_of(entry);
    }
    return true;
}

// The members of `set` into `members`; false after answering OOM.
bool gather(Context& c, Set* set, PointerList<const Set::Member>& members) {
    if (!members.reserve(set->size() ? set->size() : 1)) {
        c.reply.error(errors::kOutOfMemory);
        return false;
    }
    set->for_each([&](const Set::Member* member) {
        members.items[members.count++] = member;
        c.breathe();
    });
    return true;
}

// Replaces `destination` (of any type) with `result`, or deletes it when `result` is empty, and
// answers the new size.
void store_result(Context& c, std::string_view destination, Set* result) {
    Database& db = c.db();
    if (Entry* old = db.find(destination)) db.remove(old);
    int64_t size = static_cast<int64_t>(result->size());
    if (commit_write(c, destination, Type::Set, nullptr, result, true)) c.reply.integer(size);
}

// Stores or answers the members gathered (a copy of each into the destination).
void finish_members(Context& c, const PointerList<const Set::Member>& members, bool store,
                    std::string_view destination) {
    if (!store) {
        c.reply.set(members.count);
        for (size_t i = 0; i < members.count; ++i) {
            c.reply.bulk(members.items[i]->name());
            c.breathe();
        }
        return;
    }
    Set* result = new (std::nothrow) Set;
    bool failed = !result;
    for (size_t i = 0; i < members.count && !failed; ++i) {
        failed = !result->add(members.items[i]->name());
        c.breathe();
    }
    if (failed) {
        delete result;
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    store_result(c, destination, result);
}

// SINTER, SINTERSTORE and SINTERCARD: `count` keys from `first`.
enum class Intersection { Members, Store, Cardinality };

void sinter_generic(Context& c, size_t first, size_t count, Intersection output,
                    uint64_t limit = 0) {
    PointerList<Set> sets;
    if (!source_sets(c, first, count, output == Intersection::Store, sets)) return;
    bool empty = false;
    for (size_t i = 0; i < sets.count; ++i) empty = empty || !sets.items[i];
    if (empty) {
        if (output == Intersection::Store) {
            c.db().remove(c.arg(1));
            c.reply.integer(0);
        } else if (output == Intersection::Cardinality) {
            c.reply.integer(0);
        } else {
            c.reply.set(0);
        }
        return;
    }
    // Smallest first: its members are the candidates, looked up in the others.
    for (size_t i = 1; i < sets.count; ++i) {
        for (size_t j = i; j > 0 && sets.items[j]->size() < sets.items[j - 1]->size(); --j) {
            Set* swap = sets.items[j];
            sets.items[j] = sets.items[j - 1];
            sets.items[j - 1] = swap;
        }
    }
    PointerList<const Set::Member> members;
    if (!gather(c, sets.items[0], members)) return;
    size_t kept = 0;
    for (size_t i = 0; i < members.count; ++i) {
        if (output == Intersection::Cardinality && limit != 0 && kept == limit) break;
        c.breathe();
        bool everywhere = true;
        for (size_t j = 1; j < sets.count && everywhere; ++j)
            everywhere =
                sets.items[j] == sets.items[0] || sets.items[j]->contains(members.items[i]->name());
        if (everywhere) members.items[kept++] = members.items[i];
    }
    members.count = kept;
    if (output == Intersection::Cardinality) c.reply.integer(static_cast<int64_t>(kept));
    else finish_members(c, members, output == Intersection::Store, c.arg(1));
}

void sinter_command(Context& c) { sinter_generic(c, 1, c.argc() - 1, Intersection::Members); }
void sinterstore_command(Context& c) { sinter_generic(c, 2, c.argc() - 2, Intersection::Store); }

void sintercard_command(Context& c) {
    int64_t keys;
    if (!parse_int64(c.arg(1), keys) || keys < 1) {
        c.reply.error("ERR numkeys should be greater than 0");
        return;
    }
    if (static_cast<uint64_t>(keys) > c.argc() - 2) {
        c.reply.error("ERR Number of keys can't be greater than number of args");
        return;
    }
    int64_t limit = 0;
    for (size_t i = 2 + static_cast<size_t>(keys); i < c.argc(); ++i) {
        if (is_word(c.arg(i), "limit") && i + 1 < c.argc()) {
            if (!parse_int64(c.arg(++i), limit) || limit < 0) {
                c.reply.error("ERR LIMIT can't be negative");
                return;
            }
        } else {
            c.reply.error(errors::kSyntax);
            return;
        }
    }
    sinter_generic(c, 2, static_cast<size_t>(keys), Intersection::Cardinality,
                   static_cast<uint64_t>(limit));
}

// SUNION, SDIFF and their STORE forms: `count` keys from `first`.
void sunion_generic(Context& c, size_t first, size_t count, bool store) {
    PointerList<Set> sets;
    if (!source_sets(c, first, count, store, sets)) return;
    Set* result = new (std::nothrow) Set;
    bool failed = !result;
    for (size_t i = 0; i < sets.count && !failed; ++i) {
        if (!sets.items[i]) continue;
        sets.items[i]->for_each([&](const Set::Member* member) {
            if (!failed) failed = !result->add(member->name());
            c.breathe();
        });
    }
    if (failed) {
        delete result;
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    if (store) {
        store_result(c, c.arg(1), result);
        return;
    }
    c.reply.set(result->size());
    result->for_each([&](const Set::Member* member) {
        c.reply.bulk(member->name());
        c.breathe();
    });
    delete result;
}

void sdiff_generic(Context& c, size_t first, size_t count, bool store) {
    PointerList<Set> sets;
    if (!source_sets(c, first, count, store, sets)) return;
    PointerList<const Set::Member> members;
    if (Set* base = sets.items[0]) {
        if (!gather(c, base, members)) return;
        size_t kept = 0;
        for (size_t i = 0; i < members.count; ++i) {
            c.breathe();
            bool elsewhere = false;
            for (size_t j = 1; j < sets.count && !elsewhere; ++j)
                elsewhere = sets.items[j] && sets.items[j]->contains(members.items[i]->name());
            if (!elsewhere) members.items[kept++] = members.items[i];
        }
        members.count = kept;
    }
    finish_members(c, members, store, c.arg(1));
}

void sunion_command(Context& c) { sunion_generic(c, 1, c.argc() - 1, false); }
void sunionstore_command(Context& c) { sunion_generic(c, 2, c.argc() - 2, true); }
void sdiff_command(Context& c) { sdiff_generic(c, 1, c.argc() - 1, false); }
void sdiffstore_command(Context& c) { sdiff_generic(c, 2, c.argc() - 2, true); }

struct SetScan {
    ScanOptions options;
    PointerList<const Set::Member> members;
    size_t visited = 0;
};

void sscan_command(Context& c) {
    uint64_t cursor;
    if (!scan_cursor(c, 2, cursor)) return;
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::Set, entry)) return;
    if (!entry) {
        reply_cursor(c, 0);
        c.reply.array(0);
        return;
    }
    SetScan walk;
    if (!scan_options(c, 3, walk.options)) return;
    Set* set = set_of(entry);
    size_t steps = 0, limit = scan_step_limit(walk.options);
    do {
        cursor = set->scan(
            cursor,
            [](const Set::Member* member, void* context) {
                auto* w = static_cast<SetScan*>(context);
                ++w->visited;
                if (w->options.match_all || glob_match(w->options.pattern, member->name()))
                    w->members.add(member);
            },
            &walk);
    } while (cursor != 0 && walk.visited < walk.options.count && ++steps < limit);
    if (walk.members.failed) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    reply_cursor(c, cursor);
    c.reply.array(walk.members.count);
    for (size_t i = 0; i < walk.members.count; ++i) c.reply.bulk(walk.members.items[i]->name());
}

const Command kCommands[] = {
    {"sadd", -3, kWrite | kDenyOom | kFast, sadd_command, 1, 1, 1},
    {"srem", -3, kWrite | kFast, srem_command, 1, 1, 1},
    {"smembers", 2, kReadOnly, smembers_command, 1, 1, 1},
    {"sismember", 3, kReadOnly | kFast, sismember_command, 1, 1, 1},
    {"smismember", -3, kReadOnly | kFast, smismember_command, 1, 1, 1},
    {"scard", 2, kReadOnly | kFast, scard_command, 1, 1, 1},
    {"spop", -2, kWrite | kFast, spop_command, 1, 1, 1},
    {"srandmember", -2, kReadOnly, srandmember_command, 1, 1, 1},
    {"smove", 4, kWrite | kFast, smove_command, 1, 2, 1},
    {"sinter", -2, kReadOnly, sinter_command, 1, -1, 1},
    {"sunion", -2, kReadOnly, sunion_command, 1, -1, 1},
    {"sdiff", -2, kReadOnly, sdiff_command, 1, -1, 1},
    {"sinterstore", -3, kWrite | kDenyOom, sinterstore_command, 1, -1, 1},
    {"sunionstore", -3, kWrite | kDenyOom, sunionstore_command, 1, -1, 1},
    {"sdiffstore", -3, kWrite | kDenyOom, sdiffstore_command, 1, -1, 1},
    // Keys follow numkeys (movable): no fixed range to report, as Redis says 0 0 0.
    {"sintercard", -3, kReadOnly, sintercard_command, 0, 0, 0},
    {"sscan", -3, kReadOnly, sscan_command, 1, 1, 1},
};

}  // namespace

const CommandFamily kSetCommands{kCommands, sizeof kCommands / sizeof kCommands[0]};

}  // namespace coronet::redis
