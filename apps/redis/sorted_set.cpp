// The sorted set's skip list (after Pugh, with Redis's span counts and backward links) and its
// member index. Every search is one walk from the head's top level down, moving forward while a
// predicate holds; what differs between insert, delete, rank and range lookups is the predicate.
#include "apps/redis/sorted_set.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "apps/redis/clock.hpp"

namespace coronet::redis {
namespace {

using Node = SortedSet::Node;
using Level = SortedSet::Level;

static_assert(offsetof(Node, link) == 0, "a node is found from its link");

std::string_view member_of(const HashIndex::Link* link) {
    return reinterpret_cast<const Node*>(link)->member();
}

void free_linked(HashIndex::Link* link, void*) {
    SortedSet::destroy_node(reinterpret_cast<Node*>(link));
}

// 1, then one more level with probability 1/4 each, from two random bits a level.
int random_level() {
    uint64_t bits = random_u64();
    int level = 1;
    while (level < SortedSet::kMaxLevel && (bits & 3) == 0) {
        ++level;
        bits >>= 2;
    }
    return level;
}

// (score, member) order.
bool before(const Node* a, double score, std::string_view member) {
    return a->score < score || (a->score == score && compare_members(a->member(), member) < 0);
}

int compare_with_bound(std::string_view member, const LexBound& bound) {
    switch (bound.kind) {
    case LexBound::kLowest: return 1;
    case LexBound::kHighest: return -1;
    case LexBound::kInclusive:
    case LexBound::kExclusive: return compare_members(member, bound.text);
    }
    return 0;
}

}  // namespace

int compare_members(std::string_view a, std::string_view b) {
    size_t common = a.size() < b.size() ? a.size() : b.size();
    int order = common ? std::memcmp(a.data(), b.data(), common) : 0;
    if (order != 0) return order;
    return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

bool LexRange::above_min(std::string_view member) const {
    int order = compare_with_bound(member, min);
    return min.kind == LexBound::kInclusive ? order >= 0 : order > 0;
}

bool LexRange::below_max(std::string_view member) const {
    int order = compare_with_bound(member, max);
    return max.kind == LexBound::kInclusive ? order <= 0 : order < 0;
}

bool LexRange::empty() const {
    // As Redis compares its bounds: "-" and "+" are exclusive ends, equal only to themselves.
    int order;
    bool special_min = min.kind == LexBound::kLowest || min.kind == LexBound::kHighest;
    bool special_max = max.kind == LexBound::kLowest || max.kind == LexBound::kHighest;
    if (special_min && special_max && min.kind == max.kind) order = 0;
    else if (min.kind == LexBound::kLowest || max.kind == LexBound::kHighest) order = -1;
    else if (min.kind == LexBound::kHighest || max.kind == LexBound::kLowest) order = 1;
    else order = compare_members(min.text, max.text);
    bool exclusive = min.kind != LexBound::kInclusive || max.kind != LexBound::kInclusive;
    return order > 0 || (order == 0 && exclusive);
}

SortedSet::SortedSet() : m_index(member_of, random_u64()) {
    for (Level& level : m_head) level = {nullptr, 0};
}

// Nodes are freed through the member index, which can do it a slice at a time (release_some).
SortedSet::~SortedSet() { m_index.clear(free_linked, nullptr); }

bool SortedSet::release_some(size_t budget) {
    // Only deletion follows (Collection::release_some): the skip list is left as it is.
    return m_index.clear_some(budget, free_linked, nullptr);
}

Node* SortedSet::make_node(std::string_view member, double score) {
    if (member.size() > UINT32_MAX) return nullptr;
    int level = random_level();
    size_t size = sizeof(Node) + static_cast<size_t>(level) * sizeof(Level) + member.size();
    auto* node = static_cast<Node*>(malloc(size));
    if (!node) return nullptr;
    node->link = {nullptr, 0};
    node->score = score;
    node->backward = nullptr;
    node->length = static_cast<uint32_t>(member.size());
    node->level_count = static_cast<uint8_t>(level);
    std::memcpy(reinterpret_cast<char*>(node->levels + level), member.data(), member.size());
    return node;
}

void SortedSet::destroy_node(Node* node) { free(node); }

void SortedSet::compact_if_small() {
    if (m_compact || m_length > kCompactEntries || m_long_members != 0) return;
    m_compact = true;
    // -0 and 0 are equal in the order: nothing moves.
    for (Node* node = first(); node; node = node->next())
        if (node->score == 0) node->score = 0.0;
}

Collection* SortedSet::clone() const {
    auto* copy = new (std::nothrow) SortedSet;
    if (!copy) return nullptr;
    copy->m_compact = m_compact;
    for (Node* node = first(); node; node = node->next()) {
        if (!copy->insert(node->member(), node->score)) {
            delete copy;
            return nullptr;
        }
    }
    return copy;
}

// From the head, at each level from the top down, moves forward while `before(next, rank)`
// holds (`rank`: the 1-based rank `next` has). Stores in update[i] the link at level i where it
// stopped and in traversed[i] the nodes passed until then; returns the last node passed
// (nullptr: still at the head).
template <typename Before>
Node* SortedSet::walk(Before before, Level** update, size_t* traversed) const {
    auto* links = const_cast<Level*>(m_head);
    Node* node = nullptr;
    size_t rank = 0;
    for (int i = m_level - 1; i >= 0; --i) {
        while (links[i].forward && before(links[i].forward, rank + links[i].span)) {
            rank += links[i].span;
            node = links[i].forward;
            links = node->levels;
        }
        if (update) update[i] = &links[i];
        if (traversed) traversed[i] = rank;
    }
    return node;
}

Node* SortedSet::find(std::string_view member) {
    return reinterpret_cast<Node*>(m_index.find(member));
}

// Puts a node (not in the list) at its place in the list.
void SortedSet::link(Node* node) {
    Level* update[kMaxLevel];
    size_t traversed[kMaxLevel] = {};  // walk() sets the levels in use; GCC cannot tell
    double score = node->score;
    std::string_view member = node->member();
    Node* previous = walk([&](const Node* next, size_t) { return before(next, score, member); },
                          update, traversed);
    int level = node->level_count;
    if (level > m_level) {
        for (int i = m_level; i < level; ++i) {
            traversed[i] = 0;
            update[i] = &m_head[i];
            update[i]->span = m_length;
        }
        m_level = level;
    }
    for (int i = 0; i < level; ++i) {
        node->levels[i].forward = update[i]->forward;
        update[i]->forward = node;
        size_t passed = traversed[0] - traversed[i];
        node->levels[i].span = update[i]->span - passed;
        update[i]->span = passed + 1;
    }
    for (int i = level; i < m_level; ++i) ++update[i]->span;
    node->backward = previous;
    if (node->levels[0].forward) node->levels[0].forward->backward = node;
    else m_tail = node;
    ++m_length;
}

// Takes a node out of the list; update[i] is the link before it at each level.
void SortedSet::unlink(Node* node, Level** update) {
    for (int i = 0; i < m_level; ++i) {
        if (update[i]->forward == node) {
            update[i]->span += node->levels[i].span - 1;
            update[i]->forward = node->levels[i].forward;
        } else {
            --update[i]->span;
        }
    }
    if (node->levels[0].forward) node->levels[0].forward->backward = node->backward;
    else m_tail = node->backward;
    while (m_level > 1 && !m_head[m_level - 1].forward) --m_level;
    --m_length;
}

bool SortedSet::insert(Node* node) {
    node->link.hash = m_index.hash(node->member());
    if (!m_index.insert(&node->link)) return false;
    // Redis converts before it inserts: the member that makes the set big keeps a -0.
    if (m_compact && (m_length + 1 > kCompactEntries || node->length > kCompactMember))
        m_compact = false;
    if (m_compact && node->score == 0) node->score = 0.0;
    link(node);
    if (node->length > kCompactMember) ++m_long_members;
    return true;
}

bool SortedSet::insert(std::string_view member, double score) {
    Node* node = make_node(member, score);
    if (!node) return false;
    if (insert(node)) return true;
    destroy_node(node);
    return false;
}

void SortedSet::update_score(Node* node, double score) {
    if (m_compact && score == 0) score = 0.0;
    // Still between its neighbours: the score changes in place, as Redis's zslUpdateScore does.
    Node* next = node->next();
    if ((!node->backward || node->backward->score < score) && (!next || next->score > score)) {
        node->score = score;
        return;
    }
    Level* update[kMaxLevel];
    double old_score = node->score;
    std::string_view member = node->member();
    walk([&](const Node* n, size_t) { return before(n, old_score, member); }, update, nullptr);
    unlink(node, update);
    node->score = score;
    link(node);
}

void SortedSet::release(Node* node) {
    m_index.remove(&node->link);
    if (node->length > kCompactMember) --m_long_members;
    destroy_node(node);
}

void SortedSet::erase(Node* node) {
    Level* update[kMaxLevel];
    double score = node->score;
    std::string_view member = node->member();
    walk([&](const Node* n, size_t) { return before(n, score, member); }, update, nullptr);
    unlink(node, update);
    release(node);
}

bool SortedSet::erase(std::string_view member) {
    Node* node = find(member);
    if (!node) return false;
    erase(node);
    return true;
}

size_t SortedSet::rank(const Node* node) const {
    size_t traversed[kMaxLevel] = {};  // walk() sets the levels in use; GCC cannot tell
    // Forward while the next node is not after `node`: the walk ends on it.
    walk([&](const Node* next, size_t) { return !before(node, next->score, next->member()); },
         nullptr, traversed);
    return traversed[0] - 1;
}

Node* SortedSet::at_rank(size_t rank) const {
    return walk([&](const Node*, size_t position) { return position <= rank + 1; }, nullptr,
                nullptr);
}

Node* SortedSet::first_in(const ScoreRange& range) const {
    if (range.empty() || !m_tail || !range.above_min(m_tail->score) ||
        !range.below_max(first()->score))
        return nullptr;
    Node* previous = walk([&](const Node* next, size_t) { return !range.above_min(next->score); },
                          nullptr, nullptr);
    Node* node = previous ? previous->next() : first();
    return node && range.below_max(node->score) ? node : nullptr;
}

Node* SortedSet::last_in(const ScoreRange& range) const {
    if (range.empty() || !m_tail || !range.above_min(m_tail->score) ||
        !range.below_max(first()->score))
        return nullptr;
    Node* node = walk([&](const Node* next, size_t) { return range.below_max(next->score); },
                      nullptr, nullptr);
    return node && range.above_min(node->score) ? node : nullptr;
}

Node* SortedSet::first_in(const LexRange& range) const {
    if (range.empty() || !m_tail || !range.above_min(m_tail->member()) ||
        !range.below_max(first()->member()))
        return nullptr;
    Node* previous =
        walk([&](const Node* next, size_t) { return !range.above_min(next->member()); }, nullptr,
             nullptr);
    Node* node = previous ? previous->next() : first();
    return node && range.below_max(node->member()) ? node : nullptr;
}

Node* SortedSet::last_in(const LexRange& range) const {
    if (range.empty() || !m_tail || !range.above_min(m_tail->member()) ||
        !range.below_max(first()->member()))
        return nullptr;
    Node* node = walk([&](const Node* next, size_t) { return range.below_max(next->member()); },
                      nullptr, nullptr);
    return node && range.above_min(node->member()) ? node : nullptr;
}

size_t SortedSet::count_in(const ScoreRange& range) const {
    Node* low = first_in(range);
    if (!low) return 0;
    return rank(last_in(range)) - rank(low) + 1;
}

size_t SortedSet::count_in(const LexRange& range) const {
    Node* low = first_in(range);
    if (!low) return 0;
    return rank(last_in(range)) - rank(low) + 1;
}

// Removes `node` and those after it while `keep_going(node)`; update[] is the walk to `node`.
template <typename Predicate>
size_t SortedSet::erase_from(Level** update, Node* node, Predicate keep_going) {
    size_t removed = 0;
    while (node && keep_going(node)) {
        Node* next = node->next();
        unlink(node, update);
        release(node);
        ++removed;
        node = next;
    }
    return removed;
}

size_t SortedSet::erase_ranks(size_t first_rank, size_t last_rank) {
    Level* update[kMaxLevel];
    size_t traversed[kMaxLevel] = {};  // walk() sets the levels in use; GCC cannot tell
    Node* previous = walk([&](const Node*, size_t position) { return position < first_rank + 1; },
                          update, traversed);
    size_t position = traversed[0];  // 0-based rank of the node after `previous`
    Node* node = previous ? previous->next() : first();
    return erase_from(update, node, [&](const Node*) { return position++ <= last_rank; });
}

size_t SortedSet::erase_range(const ScoreRange& range) {
    Level* update[kMaxLevel];
    Node* previous = walk([&](const Node* next, size_t) { return !range.above_min(next->score); },
                          update, nullptr);
    Node* node = previous ? previous->next() : first();
    return erase_from(update, node, [&](const Node* n) { return range.below_max(n->score); });
}

size_t SortedSet::erase_range(const LexRange& range) {
    if (range.empty()) return 0;
    Level* update[kMaxLevel];
    Node* previous =
        walk([&](const Node* next, size_t) { return !range.above_min(next->member()); }, update,
             nullptr);
    Node* node = previous ? previous->next() : first();
    return erase_from(update, node, [&](const Node* n) { return range.below_max(n->member()); });
}

uint64_t SortedSet::scan(uint64_t cursor, void (*visit)(const Node*, void*), void* context) {
    struct Visit {
        void (*visit)(const Node*, void*);
        void* context;
    } walk_state{visit, context};
    return m_index.scan(
        cursor,
        [](HashIndex::Link* link, void* state) {
            auto* v = static_cast<Visit*>(state);
            v->visit(reinterpret_cast<const Node*>(link), v->context);
        },
        &walk_state);
}

}  // namespace coronet::redis
