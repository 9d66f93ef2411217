// A Redis sorted set: a skip list ordered by (score, member bytes) whose forward links count the
// nodes they span, so ranks and rank lookups take O(log n) steps, plus a hash index from member
// to node for O(1) scores. Each node is one malloc block (links, then the member's bytes); every
// allocation may fail, and the call then says so and leaves the set as it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/redis/collection.hpp"
#include "lib/hash_index.hpp"

namespace coronet::redis {

// Members compare as Redis's sdscmp does: bytes as unsigned, a prefix before the longer string.
int compare_members(std::string_view a, std::string_view b);

// Scores from `min` to `max`, each end inclusive or exclusive (ZRANGEBYSCORE's "(1").
struct ScoreRange {
    double min, max;
    bool min_exclusive, max_exclusive;

    bool above_min(double score) const { return min_exclusive ? score > min : score >= min; }
    bool below_max(double score) const { return max_exclusive ? score < max : score <= max; }
    bool contains(double score) const { return above_min(score) && below_max(score); }
    // True when no score can be in the range.
    bool empty() const { return min > max || (min == max && (min_exclusive || max_exclusive)); }
};

// One end of a ZRANGEBYLEX range: "-" (before every member), "+" (after every member), or a
// member with "[" (inclusive) or "(" (exclusive).
struct LexBound {
    enum Kind : uint8_t { kLowest, kHighest, kInclusive, kExclusive };
    Kind kind;
    std::string_view text;
};

struct LexRange {
    LexBound min, max;

    bool above_min(std::string_view member) const;
    bool below_max(std::string_view member) const;
    bool contains(std::string_view member) const { return above_min(member) && below_max(member); }
    bool empty() const;
};

class SortedSet final : public Collection {
public:
    static constexpr int kMaxLevel = 32;  // levels of a node: 1 + one more with chance 1/4 each

    struct Node;
    struct Level {
        Node* forward;
        size_t span;  // nodes from this one to `forward` (to the end when forward is null)
    };
    struct Node {
        HashIndex::Link link;  // in the member index (first: a node is found from its link)
        double score;
        Node* backward;  // the previous node in order, nullptr for the first
        uint32_t length;
        uint8_t level_count;
        Level levels[];  // then the member's bytes

        std::string_view member() const {
            return {reinterpret_cast<const char*>(levels + level_count), length};
        }
        Node* next() const { return levels[0].forward; }
        Node* previous() const { return backward; }
    };

    SortedSet();
    SortedSet(const SortedSet&) = delete;
    SortedSet& operator=(const SortedSet&) = delete;
    ~SortedSet() override;

    size_t size() const override { return m_length; }
    Collection* clone() const override;
    bool release_some(size_t budget) override;

    // A node holding `member` and `score`, in no set yet, with a random level; nullptr when
    // memory runs out. Free one that is not inserted with destroy_node().
    static Node* make_node(std::string_view member, double score);
    static void destroy_node(Node* node);

    // The node of `member`, or nullptr.
    Node* find(std::string_view member);
    // Adds a node whose member is absent (the set owns it after); false when the member index
    // cannot take it (the caller still owns it).
    [[nodiscard]] bool insert(Node* node);
    // Adds a copy of `member` (absent); false when memory runs out.
    [[nodiscard]] bool insert(std::string_view member, double score);
    // Moves a node to a new score (not NaN). Never allocates.
    void update_score(Node* node, double score);
    // Takes a node out and frees it.
    void erase(Node* node);
    bool erase(std::string_view member);

    Node* first() const { return m_head[0].forward; }
    Node* last() const { return m_tail; }
    // The 0-based position of a node of this set in ascending order.
    size_t rank(const Node* node) const;
    // The node at 0-based position `rank` (below size()).
    Node* at_rank(size_t rank) const;

    // The first and last nodes in a range, or nullptr when none is.
    Node* first_in(const ScoreRange& range) const;
    Node* last_in(const ScoreRange& range) const;
    Node* first_in(const LexRange& range) const;
    Node* last_in(const LexRange& range) const;
    // How many members are in a range.
    size_t count_in(const ScoreRange& range) const;
    size_t count_in(const LexRange& range) const;

    // Remove and free members; each returns how many went. Ranks are 0-based, [first, last].
    size_t erase_ranks(size_t first, size_t last);
    size_t erase_range(const ScoreRange& range);
    size_t erase_range(const LexRange& range);

    // Redis keeps a small sorted set in a compact encoding (a listpack) until it holds more
    // than kCompactEntries members or one longer than kCompactMember bytes, and then for good
    // in a skip list. Two things show through, so the set follows the same rule: a compact set
    // stores a score of -0 as 0, and ZSCAN returns a compact set whole and in order.
    static constexpr size_t kCompactEntries = 128;  // zset-max-listpack-entries
    static constexpr size_t kCompactMember = 64;    // zset-max-listpack-value
    bool compact() const { return m_compact; }
    // Leaves the compact encoding (a new set starts in it).
    void expand() { m_compact = false; }
    // Back to the compact encoding when small enough, as Redis converts a stored result.
    void compact_if_small();

    // HashIndex::scan over the members (ZSCAN); `visit` must not change the set.
    uint64_t scan(uint64_t cursor, void (*visit)(const Node*, void*), void* context);

private:
    template <typename Before>
    Node* walk(Before before, Level** update, size_t* traversed) const;
    void link(Node* node);
    void unlink(Node* node, Level** update);
    void release(Node* node);
    template <typename Predicate>
    size_t erase_from(Level** update, Node* node, Predicate keep_going);

    HashIndex m_index;
    Level m_head[kMaxLevel];
    Node* m_tail = nullptr;
    size_t m_length = 0;
    size_t m_long_members = 0;  // members over kCompactMember bytes
    int m_level = 1;
    bool m_compact = true;
};

}  // namespace coronet::redis
