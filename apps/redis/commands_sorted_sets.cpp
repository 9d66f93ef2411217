// Sorted set commands as Redis 7.0 runs them: ZADD and its options, scores, ranks, the ZRANGE
// family (by rank, score or lex, reversed, limited, stored), range deletions, pops, unions,
// intersections and differences (plain sets count as members of score 1), random members and
// ZSCAN. Arguments are checked in Redis's order, so the same bad command gets the same error. A
// sorted set that a command empties is deleted. Blocking pops are not here.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "apps/redis/clock.hpp"
#include "apps/redis/collection_commands.hpp"
#include "apps/redis/config.hpp"
#include "apps/redis/lookup.hpp"
#include "apps/redis/set.hpp"
#include "apps/redis/sorted_set.hpp"

namespace coronet::redis {
namespace {

using Node = SortedSet::Node;

constexpr std::string_view kNotFloatRange = "ERR min or max is not a float";
constexpr std::string_view kNotLexRange = "ERR min or max not valid string range item";
constexpr std::string_view kNotPositive = "ERR value is out of range, must be positive";
constexpr std::string_view kNanScore = "ERR resulting score is not a number (NaN)";

SortedSet& zset_of(const Entry* entry) { return *static_cast<SortedSet*>(entry->collection()); }

void out_of_memory(Context& c) { c.reply.error(errors::kOutOfMemory); }

// After a write to `key`'s sorted set: WATCH hears of it, and an emptied set goes.
void changed(Context& c, Entry* entry, std::string_view key) {
    if (zset_of(entry).size() == 0) c.db().remove(entry);
    else c.db().touched(key);
}

// Replaces whatever `key` holds with `result` (taking it), or deletes the key when `result` is
// empty, and answers the new size: the STORE commands' ending.
void store_result(Context& c, std::string_view key, SortedSet* result) {
    size_t size = result->size();
    if (Entry* existing = c.db().find(key)) c.db().remove(existing);
    if (size == 0) {
        delete result;
        c.reply.integer(0);
        return;
    }
    if (!c.db().create_collection(key, Type::SortedSet, result)) {
        delete result;
        return out_of_memory(c);
    }
    c.reply.integer(static_cast<int64_t>(size));
}

// ---- members with scores in replies ----

// The array header for `count` members, with their scores when `withscores`: flat in RESP2,
// [member, score] pairs in RESP3.
void members_header(Context& c, size_t count, bool withscores) {
    c.reply.array(withscores && !c.reply.resp3() ? count * 2 : count);
}

void member_reply(Context& c, std::string_view member, double score, bool withscores) {
    if (withscores && c.reply.resp3()) c.reply.array(2);
    c.reply.bulk(member);
    if (withscores) c.reply.double_value(score);
}

// ---- ranges ----

// "(1.5" is exclusive; the number is read as strtod reads it.
bool parse_score_bound(std::string_view text, double& value, bool& exclusive) {
    exclusive = !text.empty() && text[0] == '(';
    if (exclusive) text.remove_prefix(1);
    return parse_double_loose(text, value);
}

bool parse_score_range(std::string_view min, std::string_view max, ScoreRange& range) {
    return parse_score_bound(min, range.min, range.min_exclusive) &&
           parse_score_bound(max, range.max, range.max_exclusive);
}

// "-", "+", "[member" or "(member". Redis tests the single character of "-" and "+" as a C
// string, so "-\0..." counts as "-" too.
bool parse_lex_bound(std::string_view text, LexBound& bound) {
    if (text.empty()) return false;
    switch (text[0]) {
    case '+':
    case '-':
        if (text.size() > 1 && text[1] != '\0') return false;
        bound = {text[0] == '-' ? LexBound::kLowest : LexBound::kHighest, {}};
        return true;
    case '[': bound = {LexBound::kInclusive, text.substr(1)}; return true;
    case '(': bound = {LexBound::kExclusive, text.substr(1)}; return true;
    default: return false;
    }
}

bool parse_lex_range(std::string_view min, std::string_view max, LexRange& range) {
    return parse_lex_bound(min, range.min) && parse_lex_bound(max, range.max);
}

enum class RangeKind { Auto, Rank, Score, Lex };
enum class Direction { Auto, Forward, Reverse };

struct RangeQuery {
    RangeKind kind;
    bool reverse;
    bool withscores = false;
    int64_t offset = 0;
    int64_t limit = -1;  // negative: no limit
    int64_t start = 0, end = 0;
    ScoreRange score{};
    LexRange lex{};
};

// ZRANGE's arguments after <key> <min> <max>, as zrangeGenericCommand reads them; false after
// answering an error.
bool parse_range_query(Context& c, size_t key_index, bool store, RangeKind kind,
                       Direction direction, RangeQuery& query) {
    for (size_t i = key_index + 3; i < c.argc(); ++i) {
        std::string_view option = c.arg(i);
        size_t left = c.argc() - i - 1;
        if (!store && is_word(option, "withscores")) {
            query.withscores = true;
        } else if (is_word(option, "limit") && left >= 2) {
            if (!int_argument(c, i + 1, query.offset) || !int_argument(c, i + 2, query.limit))
                return false;
            i += 2;
        } else if (direction == Direction::Auto && is_word(option, "rev")) {
            direction = Direction::Reverse;
        } else if (kind == RangeKind::Auto && is_word(option, "bylex")) {
            kind = RangeKind::Lex;
        } else if (kind == RangeKind::Auto && is_word(option, "byscore")) {
            kind = RangeKind::Score;
        } else {
            c.reply.error(errors::kSyntax);
            return false;
        }
    }
    if (kind == RangeKind::Auto) kind = RangeKind::Rank;
    query.kind = kind;
    query.reverse = direction == Direction::Reverse;
    if (query.limit != -1 && kind == RangeKind::Rank) {
        c.reply.error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX");
        return false;
    }
    if (query.withscores && kind == RangeKind::Lex) {
        c.reply.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return false;
    }
    size_t min_index = key_index + 1, max_index = key_index + 2;
    if (query.reverse && kind != RangeKind::Rank) {  // given as <max> <min>
        min_index = key_index + 2;
        max_index = key_index + 1;
    }
    switch (kind) {
    case RangeKind::Auto:
    case RangeKind::Rank:
        return int_argument(c, min_index, query.start) && int_argument(c, max_index, query.end);
    case RangeKind::Score:
        if (parse_score_range(c.arg(min_index), c.arg(max_index), query.score)) return true;
        c.reply.error(kNotFloatRange);
        return false;
    case RangeKind::Lex:
        if (parse_lex_range(c.arg(min_index), c.arg(max_index), query.lex)) return true;
        c.reply.error(kNotLexRange);
        return false;
    }
    return false;
}

// Calls visit(node) on the query's nodes in reply order; returns how many.
template <typename Visit>
size_t visit_range(const SortedSet& set, const RangeQuery& query, Visit&& visit) {
    size_t visited = 0;
    auto step = [&](const Node* node) { return query.reverse ? node->previous() : node->next(); };
    if (query.kind == RangeKind::Rank || query.kind == RangeKind::Auto) {
        size_t first, last;
        if (!resolve_ranks(query.start, query.end, set.size(), first, last)) return 0;
        const Node* node = set.at_rank(query.reverse ? set.size() - 1 - first : first);
        for (size_t i = first; i <= last; ++i, node = step(node)) {
            visit(node);
            ++visited;
        }
        return visited;
    }
    auto in_range = [&](const Node* node) {
        if (query.kind == RangeKind::Score)
            return query.reverse ? query.score.above_min(node->score)
                                 : query.score.below_max(node->score);
        return query.reverse ? query.lex.above_min(node->member())
                             : query.lex.below_max(node->member());
    };
    const Node* node;
    if (query.kind == RangeKind::Score)
        node = query.reverse ? set.last_in(query.score) : set.first_in(query.score);
    else node = query.reverse ? set.last_in(query.lex) : set.first_in(query.lex);
    // A negative offset walks off the end, as Redis's `while (ln && offset--)` does.
    if (query.offset < 0) return 0;
    for (int64_t skip = query.offset; node && skip > 0; --skip) node = step(node);
    for (int64_t left = query.limit; node && left != 0; node = step(node)) {
        if (!in_range(node)) break;
        visit(node);
        ++visited;
        if (left > 0) --left;
    }
    return visited;
}

// ZRANGE and the commands that are ZRANGE with fixed options; `store` for ZRANGESTORE
// (destination first, the source after it).
void range_generic(Context& c, bool store, RangeKind kind, Direction direction) {
    size_t key_index = store ? 2 : 1;
    RangeQuery query;
    if (!parse_range_query(c, key_index, store, kind, direction, query)) return;
    Entry* entry = read_key(c, c.arg(key_index));
    if (entry && entry->type != Type::SortedSet) {
        c.reply.error(errors::kWrongType);
        return;
    }
    if (store) {
        auto* result = new (std::nothrow) SortedSet;
        if (!result) return out_of_memory(c);
        // Redis picks the result's encoding from the length when it is known up front.
        if (entry && (query.kind == RangeKind::Rank) &&
            visit_range(zset_of(entry), query, [](const Node*) {}) > SortedSet::kCompactEntries)
            result->expand();
        bool ok = true;
        if (entry) {
            visit_range(zset_of(entry), query, [&](const Node* node) {
                if (ok && !result->insert(node->member(), node->score)) ok = false;
                c.breathe();
            });
        }
        if (!ok) {
            delete result;
            return out_of_memory(c);
        }
        store_result(c, c.arg(1), result);
        return;
    }
    if (!entry) {
        c.reply.array(0);
        return;
    }
    const SortedSet& set = zset_of(entry);
    size_t count = visit_range(set, query, [](const Node*) {});
    members_header(c, count, query.withscores);
    visit_range(set, query, [&](const Node* node) {
        member_reply(c, node->member(), node->score, query.withscores);
        c.breathe();
    });
}

void zrange_command(Context& c) { range_generic(c, false, RangeKind::Auto, Direction::Auto); }
void zrangestore_command(Context& c) { range_generic(c, true, RangeKind::Auto, Direction::Auto); }
void zrevrange_command(Context& c) { range_generic(c, false, RangeKind::Rank, Direction::Reverse); }
void zrangebyscore_command(Context& c) {
    range_generic(c, false, RangeKind::Score, Direction::Forward);
}
void zrevrangebyscore_command(Context& c) {
    range_generic(c, false, RangeKind::Score, Direction::Reverse);
}
void zrangebylex_command(Context& c) {
    range_generic(c, false, RangeKind::Lex, Direction::Forward);
}
void zrevrangebylex_command(Context& c) {
    range_generic(c, false, RangeKind::Lex, Direction::Reverse);
}

// ---- ZADD, ZINCRBY, ZREM ----

// ZADD [NX|XX] [GT|LT] [CH] [INCR] score member ...; ZINCRBY is ZADD with INCR (and reads
// options in the same place, as Redis does).
void zadd_generic(Context& c, bool incr) {
    bool nx = false, xx = false, gt = false, lt = false, ch = false;
    size_t first = 2;
    for (; first < c.argc(); ++first) {
        std::string_view option = c.arg(first);
        if (is_word(option, "nx")) nx = true;
        else if (is_word(option, "xx")) xx = true;
        else if (is_word(option, "ch")) ch = true;
        else if (is_word(option, "incr")) incr = true;
        else if (is_word(option, "gt")) gt = true;
        else if (is_word(option, "lt")) lt = true;
        else break;
    }
    size_t elements = c.argc() - first;
    if (elements % 2 != 0 || elements == 0) {
        c.reply.error(errors::kSyntax);
        return;
    }
    elements /= 2;
    if (nx && xx) {
        c.reply.error("ERR XX and NX options at the same time are not compatible");
        return;
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
        c.reply.error("ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if (incr && elements > 1) {
        c.reply.error("ERR INCR option supports a single increment-element pair");
        return;
    }
    // Every score is checked before anything changes: the command does all or nothing.
    auto score_at = [&](size_t j, double& score) {
        return parse_double(c.arg(first + 2 * j), score);
    };
    auto member_at = [&](size_t j) { return c.arg(first + 2 * j + 1); };
    for (size_t j = 0; j < elements; ++j) {
        double score;
        if (!score_at(j, score)) {
            c.reply.error(errors::kNotFloat);
            return;
        }
    }
    std::string_view key = c.arg(1);
    Entry* entry;
    if (!write_typed(c, key, Type::SortedSet, entry)) return;
    if (!entry && xx) {
        if (incr) c.reply.null();
        else c.reply.integer(0);
        return;
    }
    SortedSet* set = entry ? &zset_of(entry) : new (std::nothrow) SortedSet;
    if (!set) return out_of_memory(c);
    // Redis creates a set in its compact encoding unless the first member is already too long.
    if (!entry && member_at(0).size() > SortedSet::kCompactMember) set->expand();
    // The nodes new members need are made first, so that running out of memory changes nothing.
    Node* small[8] = {};
    Node** fresh = elements <= 8 ? small : static_cast<Node**>(calloc(elements, sizeof(Node*)));
    bool ok = fresh != nullptr;
    for (size_t j = 0; ok && j < elements; ++j) {
        if (xx || set->find(member_at(j))) continue;
        fresh[j] = SortedSet::make_node(member_at(j), 0);
        if (!fresh[j]) ok = false;
    }
    size_t added = 0, updated = 0, processed = 0;
    double result = 0;
    bool nan = false;
    for (size_t j = 0; ok && j < elements; ++j) {
        double score;
        score_at(j, score);
        Node* node = set->find(member_at(j));
        if (node) {
            if (nx) continue;
            double current = node->score;
            if (incr) {
                score += current;
                if (std::isnan(score)) {
                    nan = true;
                    break;
                }
            }
            if ((lt && score >= current) || (gt && score <= current)) continue;
            ++processed;
            result = score;
            if (score != current) {
                set->update_score(node, score);
                ++updated;
            }
        } else if (!xx) {
            node = fresh[j];
            fresh[j] = nullptr;
            node->score = score;
            if (!set->insert(node)) {
                SortedSet::destroy_node(node);
                ok = false;
                break;
            }
            ++added;
            ++processed;
            result = score;
        }
    }
    if (fresh) {
        for (size_t j = 0; j < elements; ++j) SortedSet::destroy_node(fresh[j]);
        if (fresh != small) free(fresh);
    }
    if (!commit_write(c, key, Type::SortedSet, entry, set, added || updated, !ok)) return;
    if (nan) {
        c.reply.error(kNanScore);
        return;
    }
    if (incr) {
        if (processed) c.reply.double_value(result);
        else c.reply.null();
    } else {
        c.reply.integer(static_cast<int64_t>(ch ? added + updated : added));
    }
}

void zadd_command(Context& c) { zadd_generic(c, false); }
void zincrby_command(Context& c) { zadd_generic(c, true); }

void zrem_command(Context& c) {
    std::string_view key = c.arg(1);
    Entry* entry;
    if (!write_typed(c, key, Type::SortedSet, entry)) return;
    if (!entry) {
        c.reply.integer(0);
        return;
    }
    SortedSet& set = zset_of(entry);
    int64_t deleted = 0;
    for (size_t i = 2; i < c.argc() && set.size() > 0; ++i) {
        if (set.erase(c.arg(i))) ++deleted;
    }
    if (deleted) changed(c, entry, key);
    c.reply.integer(deleted);
}

// ---- reads ----

void zcard_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::SortedSet, entry)) return;
    c.reply.integer(entry ? static_cast<int64_t>(zset_of(entry).size()) : 0);
}

void zscore_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::SortedSet, entry)) return;
    const Node* node = entry ? zset_of(entry).find(c.arg(2)) : nullptr;
    if (node) c.reply.double_value(node->score);
    else c.reply.null();
}

void zmscore_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::SortedSet, entry)) return;
    c.reply.array(c.argc() - 2);
    for (size_t i = 2; i < c.argc(); ++i) {
        const Node* node = entry ? zset_of(entry).find(c.arg(i)) : nullptr;
        if (node) c.reply.double_value(node->score);
        else c.reply.null();
    }
}

void rank_generic(Context& c, bool reverse) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::SortedSet, entry)) return;
    if (!entry) {
        c.reply.null();
        return;
    }
    SortedSet& set = zset_of(entry);
    const Node* node = set.find(c.arg(2));
    if (!node) {
        c.reply.null();
        return;
    }
    size_t rank = set.rank(node);
    c.reply.integer(static_cast<int64_t>(reverse ? set.size() - 1 - rank : rank));
}

void zrank_command(Context& c) { rank_generic(c, false); }
void zrevrank_command(Context& c) { rank_generic(c, true); }

void zcount_command(Context& c) {
    ScoreRange range;
    if (!parse_score_range(c.arg(2), c.arg(3), range)) {
        c.reply.error(kNotFloatRange);
        return;
    }
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::SortedSet, entry)) return;
    c.reply.integer(entry ? static_cast<int64_t>(zset_of(entry).count_in(range)) : 0);
}

void zlexcount_command(Context& c) {
    LexRange range;
    if (!parse_lex_range(c.arg(2), c.arg(3), range)) {
        c.reply.error(kNotLexRange);
        return;
    }
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::SortedSet, entry)) return;
    c.reply.integer(entry ? static_cast<int64_t>(zset_of(entry).count_in(range)) : 0);
}

// ---- range deletions ----

void zremrangebyrank_command(Context& c) {
    int64_t start, end;
    if (!int_argument(c, 2, start) || !int_argument(c, 3, end)) return;
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::SortedSet, entry)) return;
    size_t first, last;
    if (!entry || !resolve_ranks(start, end, zset_of(entry).size(), first, last)) {
        c.reply.integer(0);
        return;
    }
    size_t deleted = zset_of(entry).erase_ranks(first, last);
    changed(c, entry, c.arg(1));
    c.reply.integer(static_cast<int64_t>(deleted));
}

void zremrangebyscore_command(Context& c) {
    ScoreRange range;
    if (!parse_score_range(c.arg(2), c.arg(3), range)) {
        c.reply.error(kNotFloatRange);
        return;
    }
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::SortedSet, entry)) return;
    size_t deleted = entry ? zset_of(entry).erase_range(range) : 0;
    if (deleted) changed(c, entry, c.arg(1));
    c.reply.integer(static_cast<int64_t>(deleted));
}

void zremrangebylex_command(Context& c) {
    LexRange range;
    if (!parse_lex_range(c.arg(2), c.arg(3), range)) {
        c.reply.error(kNotLexRange);
        return;
    }
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::SortedSet, entry)) return;
    size_t deleted = entry ? zset_of(entry).erase_range(range) : 0;
    if (deleted) changed(c, entry, c.arg(1));
    c.reply.integer(static_cast<int64_t>(deleted));
}

// ---- pops ----

// Pops up to `count` members from one end of the set at `entry` (deleted when emptied), each a
// [member, score] pair when `nested`, else flat; the caller wrote nothing yet.
void pop_members(Context& c, Entry* entry, std::string_view key, bool max, size_t count,
                 bool nested) {
    SortedSet& set = zset_of(entry);
    size_t popped = count < set.size() ? count : set.size();
    c.reply.array(nested ? popped : popped * 2);
    for (size_t i = 0; i < popped; ++i) {
        Node* node = max ? set.last() : set.first();
        if (nested) c.reply.array(2);
        c.reply.bulk(node->member());
        c.reply.double_value(node->score);
        set.erase(node);
    }
    changed(c, entry, key);
}

void pop_generic(Context& c, bool max) {
    if (c.argc() > 3) {
        c.reply.error(errors::kSyntax);
        return;
    }
    int64_t count = -1;  // no count: one member, a flat reply in RESP3 too
    if (c.argc() == 3 && (!parse_int64(c.arg(2), count) || count < 0)) {
        c.reply.error(kNotPositive);
        return;
    }
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::SortedSet, entry)) return;
    if (!entry || count == 0) {
        c.reply.array(0);
        return;
    }
    bool nested = c.reply.resp3() && count != -1;
    pop_members(c, entry, c.arg(1), max, count == -1 ? 1 : static_cast<size_t>(count), nested);
}

void zpopmin_command(Context& c) { pop_generic(c, false); }
void zpopmax_command(Context& c) { pop_generic(c, true); }

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
void zmpop_command(Context& c) {
    MultiPop pop;
    if (!multi_pop_arguments(c, 1, "min", "max", pop)) return;
    for (size_t i = 0; i < pop.key_count; ++i) {
        std::string_view key = c.arg(pop.first_key + i);
        Entry* entry = c.db().find(key);
        if (!entry) continue;
        if (entry->type != Type::SortedSet) {
            c.reply.error(errors::kWrongType);
            return;
        }
        c.reply.array(2);
        c.reply.bulk(key);
        size_t count = pop.count < SIZE_MAX ? static_cast<size_t>(pop.count) : SIZE_MAX;
        pop_members(c, entry, key, !pop.first_side, count, true);
        return;
    }
    c.reply.null_array();
}

// ---- unions, intersections, differences ----

// One input: a sorted set, a plain set (every member scores 1) or a missing key (empty).
struct Source {
    SortedSet* zset;
    Set* set;
    double weight;

    size_t size() const { return zset ? zset->size() : set ? set->size() : 0; }
    bool same(const Source& other) const {
        return (zset && zset == other.zset) || (set && set == other.set);
    }
    bool find(std::string_view member, double& score) const {
        if (zset) {
            const Node* node = zset->find(member);
            if (node) score = node->score;
            return node != nullptr;
        }
        score = 1.0;
        return set && set->contains(member);
    }
    // visit(member, score) on every member.
    template <typename Visit>
    void for_each(Visit&& visit) const {
        if (zset) {
            for (const Node* node = zset->first(); node; node = node->next())
                visit(node->member(), node->score);
        } else if (set) {
            set->for_each([&](const Set::Member* member) { visit(member->name(), 1.0); });
        }
    }
};

enum class SetOp { Union, Inter, Diff };
enum class Aggregate { Sum, Min, Max };

void aggregate(double& target, double value, Aggregate how) {
    switch (how) {
    case Aggregate::Sum:
        target += value;
        // inf + -inf: Redis keeps 0 rather than NaN.
        if (std::isnan(target)) target = 0.0;
        break;
    case Aggregate::Min: target = value < target ? value : target; break;
    case Aggregate::Max: target = value > target ? value : target; break;
    }
}

// Orders the sources by size, smallest first, keeping the order of equal ones (glibc's qsort,
// which Redis calls, is a merge sort): the order in which scores are summed.
bool sort_by_size(Source* sources, size_t count) {
    if (count < 2) return true;
    auto* scratch = static_cast<Source*>(malloc(count * sizeof(Source)));
    if (!scratch) return false;
    for (size_t width = 1; width < count; width *= 2) {
        for (size_t low = 0; low < count; low += 2 * width) {
            size_t middle = low + width < count ? low + width : count;
            size_t high = low + 2 * width < count ? low + 2 * width : count;
            size_t i = low, j = middle, k = low;
            while (i < middle && j < high)
                scratch[k++] = sources[j].size() < sources[i].size() ? sources[j++] : sources[i++];
            while (i < middle) scratch[k++] = sources[i++];
            while (j < high) scratch[k++] = sources[j++];
        }
        std::memcpy(sources, scratch, count * sizeof(Source));
    }
    free(scratch);
    return true;
}

// Computes the operation into `result`; false when memory runs out.
bool combine(Context& c, Source* sources, size_t count, SetOp op, Aggregate how,
             SortedSet& result) {
    bool ok = true;
    if (op == SetOp::Union) {
        for (size_t i = 0; i < count && ok; ++i) {
            sources[i].for_each([&](std::string_view member, double score) {
                c.breathe();
                if (!ok) return;
                double value = sources[i].weight * score;
                if (std::isnan(value)) value = 0;
                Node* node = result.find(member);
                if (!node) {
                    ok = result.insert(member, value);
                    return;
                }
                double total = node->score;
                aggregate(total, value, how);
                result.update_score(node, total);
            });
        }
        return ok;
    }
    const Source& base = sources[0];
    if (base.size() == 0) return true;
    if (op == SetOp::Diff) {
        // A source that is the first one again removes everything.
        for (size_t j = 1; j < count; ++j)
            if (sources[j].same(base)) return true;
        base.for_each([&](std::string_view member, double score) {
            c.breathe();
            if (!ok) return;
            double ignored;
            for (size_t j = 1; j < count; ++j)
                if (sources[j].find(member, ignored)) return;
            ok = result.insert(member, score);
        });
        return ok;
    }
    base.for_each([&](std::string_view member, double score) {
        c.breathe();
        if (!ok) return;
        double total = base.weight * score;
        if (std::isnan(total)) total = 0;
        for (size_t j = 1; j < count; ++j) {
            double value;
            // The set being walked is not looked up in (its index must stay as it is).
            if (sources[j].same(base)) value = score * sources[j].weight;
            else if (sources[j].find(member, value)) value *= sources[j].weight;
            else return;
            aggregate(total, value, how);
        }
        ok = result.insert(member, total);
    });
    return ok;
}

// Counts the members in every source, stopping at `limit` (0: no limit): ZINTERCARD.
size_t intersection_size(Context& c, const Source* sources, size_t count, size_t limit) {
    size_t found = 0;
    const Source& base = sources[0];
    if (base.size() == 0) return 0;
    base.for_each([&](std::string_view member, double) {
        c.breathe();
        if (limit && found >= limit) return;
        double ignored;
        for (size_t j = 1; j < count; ++j)
            if (!sources[j].same(base) && !sources[j].find(member, ignored)) return;
        ++found;
    });
    return found;
}

// ZUNION/ZINTER/ZDIFF[STORE] and ZINTERCARD, as zunionInterDiffGenericCommand: `numkeys_index`
// is where the key count is; `store` when argument 1 is the destination.
void set_op_generic(Context& c, const char* name, SetOp op, bool store, bool cardinality) {
    size_t numkeys_index = store ? 2 : 1;
    int64_t numkeys;
    if (!int_argument(c, numkeys_index, numkeys)) return;
    if (numkeys < 1) {
        char text[96];
        int n = snprintf(text, sizeof text, "ERR at least 1 input key is needed for '%s' command",
                         name);
        c.reply.error({text, static_cast<size_t>(n)});
        return;
    }
    if (static_cast<uint64_t>(numkeys) > c.argc() - (numkeys_index + 1)) {
        c.reply.error(errors::kSyntax);
        return;
    }
    auto count = static_cast<size_t>(numkeys);
    auto* sources = static_cast<Source*>(malloc(count * sizeof(Source)));
    if (!sources) return out_of_memory(c);
    struct Cleanup {
        Source* sources;
        ~Cleanup() { free(sources); }
    } cleanup{sources};
    size_t arg = numkeys_index + 1;
    for (size_t i = 0; i < count; ++i, ++arg) {
        sources[i] = {nullptr, nullptr, 1.0};
        Entry* entry = read_key(c, c.arg(arg));
        if (!entry) continue;
        if (entry->type == Type::SortedSet) {
            sources[i].zset = &zset_of(entry);
        } else if (entry->type == Type::Set) {
            sources[i].set = static_cast<Set*>(entry->collection());
        } else {
            c.reply.error(errors::kWrongType);
            return;
        }
    }
    Aggregate how = Aggregate::Sum;
    bool withscores = false;
    int64_t limit = 0;
    while (arg < c.argc()) {
        std::string_view option = c.arg(arg);
        size_t remaining = c.argc() - arg;
        if (op != SetOp::Diff && !cardinality && remaining >= count + 1 &&
            is_word(option, "weights")) {
            ++arg;
            for (size_t i = 0; i < count; ++i, ++arg) {
                if (!parse_double(c.arg(arg), sources[i].weight)) {
                    c.reply.error("ERR weight value is not a float");
                    return;
                }
            }
        } else if (op != SetOp::Diff && !cardinality && remaining >= 2 &&
                   is_word(option, "aggregate")) {
            std::string_view value = c.arg(arg + 1);
            if (is_word(value, "sum")) how = Aggregate::Sum;
            else if (is_word(value, "min")) how = Aggregate::Min;
            else if (is_word(value, "max")) how = Aggregate::Max;
            else {
                c.reply.error(errors::kSyntax);
                return;
            }
            arg += 2;
        } else if (!store && !cardinality && is_word(option, "withscores")) {
            withscores = true;
            ++arg;
        } else if (cardinality && remaining >= 2 && is_word(option, "limit")) {
            if (!parse_int64(c.arg(arg + 1), limit) || limit < 0) {
                c.reply.error("ERR LIMIT can't be negative");
                return;
            }
            arg += 2;
        } else {
            c.reply.error(errors::kSyntax);
            return;
        }
    }
    if (op != SetOp::Diff && !sort_by_size(sources, count)) return out_of_memory(c);
    if (cardinality) {
        c.reply.integer(
            static_cast<int64_t>(intersection_size(c, sources, count, static_cast<size_t>(limit))));
        return;
    }
    // Worked out in a skip list (where -0 stays -0); a stored result small enough is made
    // compact, as Redis converts it.
    auto* result = new (std::nothrow) SortedSet;
    if (result) result->expand();
    if (!result || !combine(c, sources, count, op, how, *result)) {
        delete result;
        return out_of_memory(c);
    }
    if (store) {
        result->compact_if_small();
        store_result(c, c.arg(1), result);
        return;
    }
    members_header(c, result->size(), withscores);
    for (const Node* node = result->first(); node; node = node->next()) {
        member_reply(c, node->member(), node->score, withscores);
        c.breathe();
    }
    delete result;
}

void zunionstore_command(Context& c) {
    set_op_generic(c, "zunionstore", SetOp::Union, true, false);
}
void zinterstore_command(Context& c) {
    set_op_generic(c, "zinterstore", SetOp::Inter, true, false);
}
void zdiffstore_command(Context& c) { set_op_generic(c, "zdiffstore", SetOp::Diff, true, false); }
void zunion_command(Context& c) { set_op_generic(c, "zunion", SetOp::Union, false, false); }
void zinter_command(Context& c) { set_op_generic(c, "zinter", SetOp::Inter, false, false); }
void zdiff_command(Context& c) { set_op_generic(c, "zdiff", SetOp::Diff, false, false); }
void zintercard_command(Context& c) { set_op_generic(c, "zintercard", SetOp::Inter, false, true); }

// ---- random members ----

int compare_ranks(const void* a, const void* b) {
    size_t x = *static_cast<const size_t*>(a), y = *static_cast<const size_t*>(b);
    return x < y ? -1 : x > y ? 1 : 0;
}

// `count` distinct members (count < size) in rank order.
bool reply_distinct(Context& c, const SortedSet& set, size_t count, bool withscores) {
    size_t size = set.size();
    if (count * 3 > size) {
        // Most of the set: one pass choosing each member with the odds still needed.
        members_header(c, count, withscores);
        size_t needed = count, left = size;
        for (const Node* node = set.first(); node && needed; node = node->next(), --left) {
            c.breathe();
            if (random_u64() % left >= needed) continue;
            member_reply(c, node->member(), node->score, withscores);
            --needed;
        }
        return true;
    }
    // A small part of a big set: random ranks, sorted and made distinct until there are enough.
    auto* ranks = static_cast<size_t*>(malloc(count * sizeof(size_t)));
    if (!ranks) return false;
    size_t have = 0;
    while (have < count) {
        for (size_t i = have; i < count; ++i) ranks[i] = random_u64() % size;
        qsort(ranks, count, sizeof(size_t), compare_ranks);
        have = 1;
        for (size_t i = 1; i < count; ++i)
            if (ranks[i] != ranks[have - 1]) ranks[have++] = ranks[i];
    }
    members_header(c, count, withscores);
    for (size_t i = 0; i < count; ++i) {
        const Node* node = set.at_rank(ranks[i]);
        member_reply(c, node->member(), node->score, withscores);
        c.breathe();
    }
    free(ranks);
    return true;
}

void zrandmember_command(Context& c) {
    if (c.argc() == 2) {
        Entry* entry;
        if (!read_typed(c, c.arg(1), Type::SortedSet, entry)) return;
        if (!entry) {
            c.reply.null();
            return;
        }
        const SortedSet& set = zset_of(entry);
        c.reply.bulk(set.at_rank(random_u64() % set.size())->member());
        return;
    }
    int64_t wanted;
    if (!random_count(c, 2, wanted)) return;
    if (c.argc() > 4 || (c.argc() == 4 && !is_word(c.arg(3), "withscores"))) {
        c.reply.error(errors::kSyntax);
        return;
    }
    bool withscores = c.argc() == 4;
    if (withscores && (wanted < -INT64_MAX / 2 || wanted > INT64_MAX / 2)) {
        c.reply.error("ERR value is out of range");
        return;
    }
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::SortedSet, entry)) return;
    if (!entry || wanted == 0) {
        c.reply.array(0);
        return;
    }
    const SortedSet& set = zset_of(entry);
    size_t size = set.size();
    auto count = static_cast<uint64_t>(wanted < 0 ? -wanted : wanted);
    if (wanted < 0 || count == 1) {
        // Repeats allowed: each pick on its own.
        members_header(c, static_cast<size_t>(count), withscores);
        for (uint64_t i = 0; i < count && !c.reply.failed(); ++i) {
            const Node* node = set.at_rank(random_u64() % size);
            member_reply(c, node->member(), node->score, withscores);
            c.breathe();
        }
        return;
    }
    if (count >= size) {
        // The whole set, highest first, as Redis's iterator walks a sorted set.
        members_header(c, size, withscores);
        for (const Node* node = set.last(); node; node = node->previous()) {
            member_reply(c, node->member(), node->score, withscores);
            c.breathe();
        }
        return;
    }
    if (!reply_distinct(c, set, static_cast<size_t>(count), withscores)) out_of_memory(c);
}

// ---- ZSCAN ----

struct ZsetScan {
    ScanOptions options;
    size_t visited = 0;  // before MATCH filters, which is what COUNT bounds
    PointerList<const Node> found;

    void visit(const Node* node) {
        ++visited;
        if (options.match_all || glob_match(options.pattern, node->member())) found.add(node);
    }
};

void zscan_command(Context& c) {
    uint64_t cursor;
    if (!scan_cursor(c, 2, cursor)) return;
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::SortedSet, entry)) return;
    if (!entry) {
        reply_cursor(c, 0);
        c.reply.array(0);
        return;
    }
    ZsetScan walk;
    if (!scan_options(c, 3, walk.options)) return;
    SortedSet& set = zset_of(entry);
    bool compact = set.compact();
    if (compact) {
        // All at once in order, scores as Redis keeps them in its compact encoding.
        for (const Node* node = set.first(); node; node = node->next()) walk.visit(node);
        cursor = 0;
    } else {
        size_t steps = 0, limit = scan_step_limit(walk.options);
        do {
            cursor = set.scan(
                cursor,
                [](const Node* node, void* context) {
                    static_cast<ZsetScan*>(context)->visit(node);
                },
                &walk);
        } while (cursor != 0 && walk.visited < walk.options.count && ++steps < limit);
    }
    if (walk.found.failed) return out_of_memory(c);
    reply_cursor(c, cursor);
    c.reply.array(walk.found.count * 2);
    for (size_t i = 0; i < walk.found.count; ++i) {
        const Node* node = walk.found.items[i];
        char score[kDoubleTextMax];
        size_t length =
            compact ? format_double_compact(node->score, score) : format_double(node->score, score);
        c.reply.bulk(node->member());
        c.reply.bulk({score, length});
    }
}

const Command kCommands[] = {
    {"zadd", -4, kWrite | kDenyOom | kFast, zadd_command, 1, 1, 1},
    {"zincrby", 4, kWrite | kDenyOom | kFast, zincrby_command, 1, 1, 1},
    {"zrem", -3, kWrite | kFast, zrem_command, 1, 1, 1},
    {"zcard", 2, kReadOnly | kFast, zcard_command, 1, 1, 1},
    {"zcount", 4, kReadOnly | kFast, zcount_command, 1, 1, 1},
    {"zlexcount", 4, kReadOnly | kFast, zlexcount_command, 1, 1, 1},
    {"zscore", 3, kReadOnly | kFast, zscore_command, 1, 1, 1},
    {"zmscore", -3, kReadOnly | kFast, zmscore_command, 1, 1, 1},
    {"zrank", 3, kReadOnly | kFast, zrank_command, 1, 1, 1},
    {"zrevrank", 3, kReadOnly | kFast, zrevrank_command, 1, 1, 1},
    {"zrange", -4, kReadOnly, zrange_command, 1, 1, 1},
    {"zrangestore", -5, kWrite | kDenyOom, zrangestore_command, 1, 2, 1},
    {"zrevrange", -4, kReadOnly, zrevrange_command, 1, 1, 1},
    {"zrangebyscore", -4, kReadOnly, zrangebyscore_command, 1, 1, 1},
    {"zrevrangebyscore", -4, kReadOnly, zrevrangebyscore_command, 1, 1, 1},
    {"zrangebylex", -4, kReadOnly, zrangebylex_command, 1, 1, 1},
    {"zrevrangebylex", -4, kReadOnly, zrevrangebylex_command, 1, 1, 1},
    {"zremrangebyrank", 4, kWrite, zremrangebyrank_command, 1, 1, 1},
    {"zremrangebyscore", 4, kWrite, zremrangebyscore_command, 1, 1, 1},
    {"zremrangebylex", 4, kWrite, zremrangebylex_command, 1, 1, 1},
    {"zpopmin", -2, kWrite | kFast, zpopmin_command, 1, 1, 1},
    {"zpopmax", -2, kWrite | kFast, zpopmax_command, 1, 1, 1},
    // The source keys follow a count: only the destination has a fixed place ("movablekeys").
    {"zunionstore", -4, kWrite | kDenyOom, zunionstore_command, 1, 1, 1},
    {"zinterstore", -4, kWrite | kDenyOom, zinterstore_command, 1, 1, 1},
    {"zdiffstore", -4, kWrite | kDenyOom, zdiffstore_command, 1, 1, 1},
    {"zunion", -3, kReadOnly, zunion_command, 0, 0, 0},
    {"zinter", -3, kReadOnly, zinter_command, 0, 0, 0},
    {"zdiff", -3, kReadOnly, zdiff_command, 0, 0, 0},
    {"zintercard", -3, kReadOnly, zintercard_command, 0, 0, 0},
    {"zmpop", -4, kWrite, zmpop_command, 0, 0, 0},
    {"zrandmember", -2, kReadOnly, zrandmember_command, 1, 1, 1},
    {"zscan", -3, kReadOnly, zscan_command, 1, 1, 1},
};

}  // namespace

const CommandFamily kSortedSetCommands{kCommands, sizeof kCommands / sizeof kCommands[0]};

}  // namespace coronet::redis
