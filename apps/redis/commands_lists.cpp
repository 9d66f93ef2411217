// List commands as Redis 7.0 runs them: pushes and pops at either end (with counts), ranges,
// positional reads and writes, moves between lists. A list that a command empties is deleted,
// since Redis never keeps an empty one. Blocking forms are not here.
#include <cstdio>
#include <new>

#include "apps/redis/collection_commands.hpp"
#include "apps/redis/list.hpp"
#include "apps/redis/lookup.hpp"

namespace coronet::redis {
namespace {

List& list_of(const Entry* entry) { return *static_cast<List*>(entry->collection()); }

void out_of_memory(Context& c) { c.reply.error(errors::kOutOfMemory); }

// After a write to `key`'s list: WATCH hears of it, and an emptied list goes.
void changed(Context& c, Entry* entry, std::string_view key) {
    c.db().touched(key);
    if (list_of(entry).size() == 0) c.db().remove(entry);
}

// LEFT or RIGHT; false after answering a syntax error.
bool side_argument(Context& c, size_t index, bool& left) {
    if (is_word(c.arg(index), "left")) left = true;
    else if (is_word(c.arg(index), "right")) left = false;
    else {
        c.reply.error(errors::kSyntax);
        return false;
    }
    return true;
}

// An index into a list (negative counts from the end); false when out of range.
bool resolve_index(int64_t index, size_t length, size_t& position) {
    auto size = static_cast<int64_t>(length);
    if (index < 0) index += size;
    if (index < 0 || index >= size) return false;
    position = static_cast<size_t>(index);
    return true;
}

ListItem* pop(List& list, bool left) { return left ? list.pop_front() : list.pop_back(); }

// Pushes arguments [2, argc) one by one at an end; on failure the ones pushed are taken back.
bool push_arguments(Context& c, List& list, bool left) {
    if (!list.reserve(c.argc() - 2)) return false;
    for (size_t i = 2; i < c.argc(); ++i) {
        ListItem* item = ListItem::make(c.arg(i));
        if (!item) {
            for (size_t undo = 2; undo < i; ++undo) ListItem::destroy(pop(list, left));
            return false;
        }
        if (left) list.push_front(item);  // room reserved: cannot fail
        else list.push_back(item);
    }
    return true;
}

void push_generic(Context& c, bool left, bool only_existing) {
    std::string_view key = c.arg(1);
    Entry* entry;
    if (!write_typed(c, key, Type::List, entry)) return;
    if (entry) {
        List& list = list_of(entry);
        if (!push_arguments(c, list, left)) return out_of_memory(c);
        c.db().touched(key);
        c.reply.integer(static_cast<int64_t>(list.size()));
        return;
    }
    if (only_existing) {
        c.reply.integer(0);
        return;
    }
    auto* list = new (std::nothrow) List;
    if (!list || !push_arguments(c, *list, left) ||
        !c.db().create_collection(key, Type::List, list)) {
        delete list;
        return out_of_memory(c);
    }
    c.reply.integer(static_cast<int64_t>(list->size()));
}

void lpush_command(Context& c) { push_generic(c, true, false); }
void rpush_command(Context& c) { push_generic(c, false, false); }
void lpushx_command(Context& c) { push_generic(c, true, true); }
void rpushx_command(Context& c) { push_generic(c, false, true); }

// Pops up to `count` items from one end as an array.
void pop_items(Context& c, List& list, bool left, uint64_t count) {
    size_t popped = count < list.size() ? static_cast<size_t>(count) : list.size();
    c.reply.array(popped);
    for (size_t i = 0; i < popped; ++i) {
        ListItem* item = pop(list, left);
        c.reply.bulk(item->view());
        ListItem::destroy(item);
    }
}

void pop_generic(Context& c, bool left) {
    if (c.argc() > 3) {
        char text[160];
        int n = snprintf(text, sizeof text, "ERR wrong number of arguments for '%s' command",
                         c.session.last_command);
        c.reply.error({text, static_cast<size_t>(n)});
        return;
    }
    bool has_count = c.argc() == 3;
    int64_t count = 0;
    if (has_count && (!parse_int64(c.arg(2), count) || count < 0)) {
        c.reply.error("ERR value is out of range, must be positive");
        return;
    }
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::List, entry)) return;
    if (!entry) {
        if (has_count) c.reply.null_array();
        else c.reply.null();
        return;
    }
    if (has_count && count == 0) {
        c.reply.array(0);
        return;
    }
    List& list = list_of(entry);
    if (has_count) {
        pop_items(c, list, left, static_cast<uint64_t>(count));
    } else {
        ListItem* item = pop(list, left);
        c.reply.bulk(item->view());
        ListItem::destroy(item);
    }
    changed(c, entry, c.arg(1));
}

void lpop_command(Context& c) { pop_generic(c, true); }
void rpop_command(Context& c) { pop_generic(c, false); }

void lrange_command(Context& c) {
    int64_t start, end;
    if (!int_argument(c, 2, start) || !int_argument(c, 3, end)) return;
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::List, entry)) return;
    size_t first, last;
    if (!entry || !resolve_ranks(start, end, list_of(entry).size(), first, last)) {
        c.reply.array(0);
        return;
    }
    const List& list = list_of(entry);
    c.reply.array(last - first + 1);
    for (size_t i = first; i <= last; ++i) {
        c.reply.bulk(list.at(i));
        c.breathe();
    }
}

void lindex_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::List, entry)) return;
    if (!entry) {
        c.reply.null();
        return;
    }
    int64_t index;
    if (!int_argument(c, 2, index)) return;
    const List& list = list_of(entry);
    size_t position;
    if (resolve_index(index, list.size(), position)) c.reply.bulk(list.at(position));
    else c.reply.null();
}

void lset_command(Context& c) {
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::List, entry)) return;
    if (!entry) {
        c.reply.error(errors::kNoSuchKey);
        return;
    }
    int64_t index;
    if (!int_argument(c, 2, index)) return;
    List& list = list_of(entry);
    size_t position;
    if (!resolve_index(index, list.size(), position)) {
        c.reply.error("ERR index out of range");
        return;
    }
    if (!list.set(position, c.arg(3))) return out_of_memory(c);
    c.db().touched(c.arg(1));
    c.reply.ok();
}

void linsert_command(Context& c) {
    bool after;
    if (is_word(c.arg(2), "after")) after = true;
    else if (is_word(c.arg(2), "before")) after = false;
    else {
        c.reply.error(errors::kSyntax);
        return;
    }
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::List, entry)) return;
    if (!entry) {
        c.reply.integer(0);
        return;
    }
    List& list = list_of(entry);
    std::string_view pivot = c.arg(3);
    for (size_t i = 0; i < list.size(); ++i) {
        c.breathe();
        if (list.at(i) != pivot) continue;
        if (!list.insert(after ? i + 1 : i, c.arg(4))) return out_of_memory(c);
        c.db().touched(c.arg(1));
        c.reply.integer(static_cast<int64_t>(list.size()));
        return;
    }
    c.reply.integer(-1);
}

void lrem_command(Context& c) {
    int64_t count;
    if (!int_argument(c, 2, count)) return;
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::List, entry)) return;
    if (!entry) {
        c.reply.integer(0);
        return;
    }
    // |count| as unsigned, so that INT64_MIN is simply "a great many".
    uint64_t limit = count < 0 ? 0 - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
    size_t removed = list_of(entry).remove(c.arg(3), limit > SIZE_MAX ? 0 : limit, count < 0);
    if (removed) changed(c, entry, c.arg(1));
    c.reply.integer(static_cast<int64_t>(removed));
}

void ltrim_command(Context& c) {
    int64_t start, end;
    if (!int_argument(c, 2, start) || !int_argument(c, 3, end)) return;
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::List, entry)) return;
    if (!entry) {
        c.reply.ok();
        return;
    }
    List& list = list_of(entry);
    size_t first, last;
    if (resolve_ranks(start, end, list.size(), first, last)) list.trim(first, last + 1);
    else list.trim(0, 0);
    changed(c, entry, c.arg(1));
    c.reply.ok();
}

void llen_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::List, entry)) return;
    c.reply.integer(entry ? static_cast<int64_t>(list_of(entry).size()) : 0);
}

// LPOS's scan: visits matching positions in order (from the tail for a negative rank),
// skipping the first rank - 1 matches and looking at no more than `maxlen` items. Calls
// `found` with each position until it returns false; returns how many it was given.
template <typename Found>
size_t scan_matches(const List& list, std::string_view element, int64_t rank, uint64_t maxlen,
                    Found found) {
    bool from_tail = rank < 0;
    // Redis negates the rank in a long: INT64_MIN stays negative and every match counts.
    uint64_t skip = rank == INT64_MIN ? 0 : (from_tail ? static_cast<uint64_t>(-rank) : rank) - 1;
    size_t length = list.size();
    uint64_t matches = 0;
    size_t given = 0;
    for (size_t i = 0; i < length && (maxlen == 0 || i < maxlen); ++i) {
        size_t position = from_tail ? length - 1 - i : i;
        if (list.at(position) != element) continue;
        if (matches++ < skip) continue;
        ++given;
        if (!found(position)) break;
    }
    return given;
}

// A non-negative LPOS option value; false after answering `error`.
bool lpos_count(Context& c, size_t index, std::string_view error, int64_t& value) {
    if (parse_int64(c.arg(index), value) && value >= 0) return true;
    c.reply.error(error);
    return false;
}

void lpos_command(Context& c) {
    int64_t rank = 1, count = -1, maxlen = 0;  // count -1: no COUNT given
    for (size_t i = 3; i < c.argc(); ++i) {
        std::string_view option = c.arg(i);
        bool has_value = i + 1 < c.argc();
        if (is_word(option, "rank") && has_value) {
            if (!int_argument(c, ++i, rank)) return;
            if (rank == 0) {
                c.reply.error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                    "second ... or use negative to start from the end of the list");
                return;
            }
        } else if (is_word(option, "count") && has_value) {
            if (!lpos_count(c, ++i, "ERR COUNT can't be negative", count)) return;
        } else if (is_word(option, "maxlen") && has_value) {
            if (!lpos_count(c, ++i, "ERR MAXLEN can't be negative", maxlen)) return;
        } else {
            c.reply.error(errors::kSyntax);
            return;
        }
    }
    Entry* entry = read_key(c, c.arg(1));
    if (!entry) {
        if (count != -1) c.reply.array(0);
        else c.reply.null();
        return;
    }
    if (entry->type != Type::List) {
        c.reply.error(errors::kWrongType);
        return;
    }
    const List& list = list_of(entry);
    std::string_view element = c.arg(2);
    auto limit = static_cast<uint64_t>(maxlen);
    if (count == -1) {
        size_t first = 0;
        auto take_first = [&](size_t position) {
            first = position;
            return false;
        };
        if (scan_matches(list, element, rank, limit, take_first)) c.reply.integer(first);
        else c.reply.null();
        return;
    }
    // Count the matches first: the array's length goes before its elements. With a rank of
    // INT64_MIN Redis's "enough matches" test overflows and never holds: COUNT is ignored.
    auto wanted = rank == INT64_MIN ? 0 : static_cast<uint64_t>(count);
    uint64_t seen = 0;
    auto counting = [&](size_t) { return wanted == 0 || ++seen < wanted; };
    size_t total = scan_matches(list, element, rank, limit, counting);
    c.reply.array(total);
    seen = 0;
    auto emitting = [&](size_t position) {
        c.reply.integer(static_cast<int64_t>(position));
        return wanted == 0 || ++seen < wanted;
    };
    scan_matches(list, element, rank, limit, emitting);
}

// LMOVE / RPOPLPUSH: the source item goes to the destination before the source may be
// deleted; room at the destination is made first so the item cannot be lost on the way.
void move_generic(Context& c, bool from_left, bool to_left) {
    std::string_view source_key = c.arg(1), target_key = c.arg(2);
    Entry* source;
    if (!write_typed(c, source_key, Type::List, source)) return;
    if (!source) {
        c.reply.null();
        return;
    }
    Entry* target;
    if (!write_typed(c, target_key, Type::List, target)) return;
    List* target_list;
    if (target) {
        target_list = &list_of(target);
        if (!target_list->reserve(1)) return out_of_memory(c);
    } else {
        target_list = new (std::nothrow) List;
        if (!target_list || !target_list->reserve(1) ||
            !c.db().create_collection(target_key, Type::List, target_list)) {
            delete target_list;
            return out_of_memory(c);
        }
    }
    // The pop leaves room in its own list, so with the same key as both ends this cannot fail
    // either.
    ListItem* item = pop(list_of(source), from_left);
    bool pushed = to_left ? target_list->push_front(item) : target_list->push_back(item);
    if (!pushed) {
        ListItem::destroy(item);
        return out_of_memory(c);
    }
    c.reply.bulk(item->view());
    c.db().touched(target_key);
    changed(c, source, source_key);
}

void lmove_command(Context& c) {
    bool from_left, to_left;
    if (!side_argument(c, 3, from_left) || !side_argument(c, 4, to_left)) return;
    move_generic(c, from_left, to_left);
}

void rpoplpush_command(Context& c) { move_generic(c, false, true); }

void lmpop_command(Context& c) {
    MultiPop pop;
    if (!multi_pop_arguments(c, 1, "left", "right", pop)) return;
    bool left = pop.first_side;
    uint64_t count = pop.count;
    size_t side_index = pop.first_key + pop.key_count;
    for (size_t i = 2; i < side_index; ++i) {
        std::string_view key = c.arg(i);
        Entry* entry = c.db().find(key);
        if (!entry) continue;
        if (entry->type != Type::List) {
            c.reply.error(errors::kWrongType);
            return;
        }
        c.reply.array(2);
        c.reply.bulk(key);
        pop_items(c, list_of(entry), left, count);
        changed(c, entry, key);
        return;
    }
    c.reply.null_array();
}

const Command kCommands[] = {
    {"lpush", -3, kWrite | kDenyOom | kFast, lpush_command, 1, 1, 1},
    {"rpush", -3, kWrite | kDenyOom | kFast, rpush_command, 1, 1, 1},
    {"lpushx", -3, kWrite | kDenyOom | kFast, lpushx_command, 1, 1, 1},
    {"rpushx", -3, kWrite | kDenyOom | kFast, rpushx_command, 1, 1, 1},
    {"lpop", -2, kWrite | kFast, lpop_command, 1, 1, 1},
    {"rpop", -2, kWrite | kFast, rpop_command, 1, 1, 1},
    {"lrange", 4, kReadOnly, lrange_command, 1, 1, 1},
    {"lindex", 3, kReadOnly, lindex_command, 1, 1, 1},
    {"lset", 4, kWrite | kDenyOom, lset_command, 1, 1, 1},
    {"linsert", 5, kWrite | kDenyOom, linsert_command, 1, 1, 1},
    {"lrem", 4, kWrite, lrem_command, 1, 1, 1},
    {"ltrim", 4, kWrite, ltrim_command, 1, 1, 1},
    {"llen", 2, kReadOnly | kFast, llen_command, 1, 1, 1},
    {"lpos", -3, kReadOnly, lpos_command, 1, 1, 1},
    {"lmove", 5, kWrite | kDenyOom, lmove_command, 1, 2, 1},
    {"rpoplpush", 3, kWrite | kDenyOom, rpoplpush_command, 1, 2, 1},
    // The keys follow a count: no fixed positions (Redis's "movablekeys").
    {"lmpop", -4, kWrite, lmpop_command, 0, 0, 0},
};

}  // namespace

const CommandFamily kListCommands{kCommands, sizeof kCommands / sizeof kCommands[0]};

}  // namespace coronet::redis
