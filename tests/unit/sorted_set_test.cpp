// SortedSet: order by (score, member bytes), ranks through the span counts, score and lex ranges,
// range deletion, and random operations checked against a std::set model after every step; and
// scores as text, as Redis prints them.
#include "apps/redis/sorted_set.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "apps/redis/numbers.hpp"

using namespace coronet::redis;

namespace {

constexpr double kInf = INFINITY;

struct ModelOrder {
    bool operator()(const std::pair<double, std::string>& a,
                    const std::pair<double, std::string>& b) const {
        if (a.first != b.first) return a.first < b.first;
        return compare_members(a.second, b.second) < 0;
    }
};
using Model = std::set<std::pair<double, std::string>, ModelOrder>;

std::vector<std::pair<double, std::string>> contents(const SortedSet& set) {
    std::vector<std::pair<double, std::string>> out;
    for (auto* node = set.first(); node; node = node->next())
        out.emplace_back(node->score, std::string(node->member()));
    return out;
}

std::vector<std::string> members(const SortedSet& set) {
    std::vector<std::string> out;
    for (auto* node = set.first(); node; node = node->next()) out.emplace_back(node->member());
    return out;
}

// Every structural promise at once: order, backward links, tail, ranks both ways, the index.
void expect_consistent(SortedSet& set, const Model& model) {
    ASSERT_EQ(set.size(), model.size());
    std::vector<std::pair<double, std::string>> expected(model.begin(), model.end());
    ASSERT_EQ(contents(set), expected);
    size_t i = 0;
    const SortedSet::Node* previous = nullptr;
    for (auto* node = set.first(); node; node = node->next(), ++i) {
        ASSERT_EQ(node->previous(), previous);
        ASSERT_EQ(set.rank(node), i);
        ASSERT_EQ(set.at_rank(i), node);
        ASSERT_EQ(set.find(node->member()), node);
        previous = node;
    }
    ASSERT_EQ(set.last(), previous);
}

ScoreRange score_range(double min, double max, bool min_ex = false, bool max_ex = false) {
    return {min, max, min_ex, max_ex};
}

LexRange lex(LexBound min, LexBound max) { return {min, max}; }
LexBound incl(std::string_view text) { return {LexBound::kInclusive, text}; }
LexBound excl(std::string_view text) { return {LexBound::kExclusive, text}; }
constexpr LexBound kMinus{LexBound::kLowest, {}};
constexpr LexBound kPlus{LexBound::kHighest, {}};

std::vector<std::string> range_members(const SortedSet& set, const ScoreRange& range) {
    std::vector<std::string> out;
    for (auto* node = set.first_in(range); node && range.contains(node->score); node = node->next())
        out.emplace_back(node->member());
    return out;
}

std::vector<std::string> range_members(const SortedSet& set, const LexRange& range) {
    std::vector<std::string> out;
    for (auto* node = set.first_in(range); node && range.contains(node->member());
         node = node->next())
        out.emplace_back(node->member());
    return out;
}

}  // namespace

TEST(SortedSet, EmptySet) {
    SortedSet set;
    EXPECT_EQ(set.size(), 0u);
    EXPECT_EQ(set.first(), nullptr);
    EXPECT_EQ(set.last(), nullptr);
    EXPECT_EQ(set.find("a"), nullptr);
    EXPECT_EQ(set.first_in(score_range(-kInf, kInf)), nullptr);
    EXPECT_EQ(set.last_in(lex(kMinus, kPlus)), nullptr);
    EXPECT_EQ(set.count_in(score_range(-kInf, kInf)), 0u);
    EXPECT_EQ(set.erase_ranks(0, 10), 0u);
    EXPECT_EQ(set.erase_range(score_range(-kInf, kInf)), 0u);
    EXPECT_FALSE(set.erase("a"));
}

TEST(SortedSet, OrdersByScoreThenMemberBytes) {
    SortedSet set;
    ASSERT_TRUE(set.insert("b", 1));
    ASSERT_TRUE(set.insert("a", 1));
    ASSERT_TRUE(set.insert("c", 0));
    ASSERT_TRUE(set.insert("ab", 1));
    ASSERT_TRUE(set.insert(std::string_view("a\0", 2), 1));
    ASSERT_TRUE(set.insert("\xff", 1));
    ASSERT_TRUE(set.insert("z", -kInf));
    ASSERT_TRUE(set.insert("y", kInf));
    ASSERT_TRUE(set.insert("", 1));
    EXPECT_EQ(members(set), (std::vector<std::string>{"z", "c", "", "a", std::string("a\0", 2),
                                                      "ab", "b", "\xff", "y"}));
    EXPECT_EQ(set.rank(set.find("c")), 1u);
    EXPECT_EQ(set.at_rank(8)->member(), "y");
    EXPECT_EQ(set.find("ab")->score, 1);
}

TEST(SortedSet, UpdateScoreMovesOnlyWhenNeeded) {
    SortedSet set;
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(set.insert(std::string(1, 'a' + i), i));
    SortedSet::Node* e = set.find("e");
    set.update_score(e, 4.5);  // stays between d and f
    EXPECT_EQ(set.find("e"), e);
    EXPECT_EQ(set.rank(e), 4u);
    set.update_score(e, 100);
    EXPECT_EQ(set.rank(e), 9u);
    EXPECT_EQ(set.last(), e);
    set.update_score(e, -1);
    EXPECT_EQ(set.first(), e);
    set.update_score(set.find("a"), -1);  // ties with e, and "a" < "e"
    EXPECT_EQ(members(set)[0], "a");
    EXPECT_EQ(members(set)[1], "e");
}

TEST(SortedSet, ScoreRanges) {
    SortedSet set;
    for (int i = 1; i <= 5; ++i) ASSERT_TRUE(set.insert(std::string(1, 'a' + i - 1), i));
    using V = std::vector<std::string>;
    EXPECT_EQ(range_members(set, score_range(2, 4)), (V{"b", "c", "d"}));
    EXPECT_EQ(range_members(set, score_range(2, 4, true, false)), (V{"c", "d"}));
    EXPECT_EQ(range_members(set, score_range(2, 4, true, true)), (V{"c"}));
    EXPECT_EQ(range_members(set, score_range(-kInf, kInf)), (V{"a", "b", "c", "d", "e"}));
    EXPECT_EQ(range_members(set, score_range(5, 5)), (V{"e"}));
    EXPECT_EQ(range_members(set, score_range(5, 5, true)), V{});
    EXPECT_EQ(range_members(set, score_range(4, 2)), V{});
    EXPECT_EQ(range_members(set, score_range(2.5, 2.7)), V{});
    EXPECT_EQ(set.last_in(score_range(2, 4))->member(), "d");
    EXPECT_EQ(set.last_in(score_range(0, 1, false, true)), nullptr);
    EXPECT_EQ(set.count_in(score_range(2, 4)), 3u);
    EXPECT_EQ(set.count_in(score_range(6, kInf)), 0u);
    EXPECT_EQ(set.count_in(score_range(-kInf, kInf)), 5u);
}

TEST(SortedSet, LexRanges) {
    SortedSet set;
    for (const char* m : {"a", "b", "c", "d", "e", "ee"}) ASSERT_TRUE(set.insert(m, 0));
    using V = std::vector<std::string>;
    EXPECT_EQ(range_members(set, lex(kMinus, kPlus)), (V{"a", "b", "c", "d", "e", "ee"}));
    EXPECT_EQ(range_members(set, lex(incl("b"), incl("d"))), (V{"b", "c", "d"}));
    EXPECT_EQ(range_members(set, lex(excl("b"), excl("d"))), (V{"c"}));
    EXPECT_EQ(range_members(set, lex(excl("e"), kPlus)), (V{"ee"}));
    EXPECT_EQ(range_members(set, lex(kMinus, excl("b"))), (V{"a"}));
    EXPECT_EQ(range_members(set, lex(incl("bb"), incl("cc"))), (V{"c"}));
    EXPECT_EQ(range_members(set, lex(kPlus, kMinus)), V{});
    EXPECT_EQ(range_members(set, lex(kMinus, kMinus)), V{});
    EXPECT_EQ(range_members(set, lex(incl("c"), excl("c"))), V{});
    EXPECT_EQ(range_members(set, lex(incl("d"), incl("b"))), V{});
    EXPECT_TRUE(lex(incl("c"), excl("c")).empty());
    EXPECT_FALSE(lex(incl("c"), incl("c")).empty());
    EXPECT_TRUE(lex(kPlus, kPlus).empty());
    EXPECT_FALSE(lex(kMinus, kPlus).empty());
    EXPECT_EQ(set.last_in(lex(kMinus, incl("dz")))->member(), "d");
    EXPECT_EQ(set.count_in(lex(incl("b"), kPlus)), 5u);
    EXPECT_EQ(set.count_in(lex(excl("ee"), kPlus)), 0u);
}

TEST(SortedSet, RangeDeletion) {
    SortedSet set;
    Model model;
    for (int i = 0; i < 100; ++i) {
        std::string m = "m" + std::to_string(i);
        ASSERT_TRUE(set.insert(m, i % 10));
        model.emplace(i % 10, m);
    }
    expect_consistent(set, model);
    // Ranks 10..19 are the members with score 1.
    EXPECT_EQ(set.erase_ranks(10, 19), 10u);
    for (auto it = model.begin(); it != model.end();)
        it = it->first == 1 ? model.erase(it) : std::next(it);
    expect_consistent(set, model);
    EXPECT_EQ(set.erase_range(score_range(2, 4, false, true)), 20u);
    for (auto it = model.begin(); it != model.end();)
        it = it->first >= 2 && it->first < 4 ? model.erase(it) : std::next(it);
    expect_consistent(set, model);
    EXPECT_EQ(set.erase_ranks(0, set.size() - 1), model.size());
    model.clear();
    expect_consistent(set, model);
    EXPECT_EQ(set.first(), nullptr);
}

TEST(SortedSet, CompactEncodingAsRedis) {
    SortedSet set;
    EXPECT_TRUE(set.compact());
    ASSERT_TRUE(set.insert("zero", -0.0));
    EXPECT_FALSE(std::signbit(set.find("zero")->score));  // a listpack keeps -0 as 0
    ASSERT_TRUE(set.insert(std::string(SortedSet::kCompactMember, 'y'), 1));
    EXPECT_TRUE(set.compact());
    std::string long_member(SortedSet::kCompactMember + 1, 'x');
    ASSERT_TRUE(set.insert(long_member, -0.0));
    EXPECT_FALSE(set.compact());
    EXPECT_TRUE(std::signbit(set.find(long_member)->score));
    set.update_score(set.find("zero"), -0.0);  // equal: stays where it is
    set.update_score(set.find("zero"), -1);
    set.update_score(set.find("zero"), -0.0);
    EXPECT_TRUE(std::signbit(set.find("zero")->score));
    std::unique_ptr<SortedSet> copy(static_cast<SortedSet*>(set.clone()));
    EXPECT_FALSE(copy->compact());
    EXPECT_TRUE(set.erase(long_member));
    EXPECT_FALSE(set.compact());  // never converted back on its own
    set.compact_if_small();
    EXPECT_TRUE(set.compact());
    EXPECT_FALSE(std::signbit(set.find("zero")->score));
    SortedSet big;
    for (size_t i = 0; i < SortedSet::kCompactEntries; ++i)
        ASSERT_TRUE(big.insert("m" + std::to_string(i), 0));
    EXPECT_TRUE(big.compact());
    ASSERT_TRUE(big.insert("one more", 0));
    EXPECT_FALSE(big.compact());
    big.compact_if_small();
    EXPECT_FALSE(big.compact());
}

TEST(SortedSet, CloneIsDeep) {
    SortedSet set;
    Model model;
    for (int i = 0; i < 300; ++i) {
        std::string m = "k" + std::to_string(i * 7919 % 1000);
        ASSERT_TRUE(set.insert(m, (i * 31) % 17));
        model.emplace((i * 31) % 17, m);
    }
    std::unique_ptr<SortedSet> copy(static_cast<SortedSet*>(set.clone()));
    ASSERT_NE(copy, nullptr);
    expect_consistent(*copy, model);
    set.erase_ranks(0, 100);
    expect_consistent(*copy, model);
}

TEST(SortedSet, ReleasedInSlices) {
    auto* set = new SortedSet;
    for (int i = 0; i < 5000; ++i) ASSERT_TRUE(set->insert("r" + std::to_string(i), i % 7));
    int slices = 0;
    while (!set->release_some(1000)) ++slices;
    EXPECT_EQ(slices, 4);
    delete set;
    set = new SortedSet;  // deleted part way through: the rest goes with it
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(set->insert("r" + std::to_string(i), i));
    EXPECT_FALSE(set->release_some(10));
    delete set;
}

TEST(SortedSet, ScanVisitsEveryMember) {
    SortedSet set;
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(set.insert("s" + std::to_string(i), i));
    std::multiset<std::string> seen;
    uint64_t cursor = 0;
    do {
        cursor = set.scan(
            cursor,
            [](const SortedSet::Node* node, void* context) {
                static_cast<std::multiset<std::string>*>(context)->emplace(node->member());
            },
            &seen);
    } while (cursor != 0);
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), 1000u);
}

// Random inserts, score updates, deletions and range deletions, checked against a model after
// each, with random range queries.
TEST(SortedSet, RandomOperationsMatchModel) {
    std::mt19937_64 rng(12345);
    auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
    auto random_member = [&] {
        std::string m;
        size_t length = pick(4);
        for (size_t i = 0; i < length; ++i) m += static_cast<char>("ab\0\xff"[pick(4)]);
        return m + std::to_string(pick(300));
    };
    auto random_score = [&]() -> double {
        switch (pick(8)) {
        case 0: return -kInf;
        case 1: return kInf;
        case 2: return static_cast<double>(pick(5));
        default: return static_cast<double>(static_cast<int64_t>(pick(200)) - 100) / 4;
        }
    };
    SortedSet set;
    Model model;
    std::map<std::string, double> scores;
    for (int step = 0; step < 4000; ++step) {
        switch (pick(9)) {
        case 0:
        case 1:
        case 2:
        case 3: {  // insert or update
            std::string m = random_member();
            double score = random_score();
            auto it = scores.find(m);
            if (it == scores.end()) {
                ASSERT_TRUE(set.insert(m, score));
            } else {
                ASSERT_EQ(set.find(m)->score, it->second);
                set.update_score(set.find(m), score);
                model.erase({it->second, m});
            }
            scores[m] = score;
            model.emplace(score, m);
            break;
        }
        case 4:
        case 5: {  // delete
            std::string m = random_member();
            bool present = scores.count(m) != 0;
            ASSERT_EQ(set.erase(m), present);
            if (present) {
                model.erase({scores[m], m});
                scores.erase(m);
            }
            break;
        }
        case 6: {  // delete ranks
            if (model.empty()) break;
            size_t a = pick(model.size()), b = pick(model.size());
            if (a > b) std::swap(a, b);
            if (pick(4) != 0) b = std::min(a + pick(3), model.size() - 1);
            ASSERT_EQ(set.erase_ranks(a, b), b - a + 1);
            auto first = std::next(model.begin(), static_cast<long>(a));
            auto end = std::next(first, static_cast<long>(b - a + 1));
            for (auto it = first; it != end; ++it) scores.erase(it->second);
            model.erase(first, end);
            break;
        }
        case 7: {  // delete a score range (rarely wide)
            double x = random_score(), y = pick(3) ? x + 1 : random_score();
            ScoreRange range = score_range(x, y, pick(2), pick(2));
            size_t expected = 0;
            for (auto it = model.begin(); it != model.end();) {
                if (range.contains(it->first)) {
                    scores.erase(it->second);
                    it = model.erase(it);
                    ++expected;
                } else {
                    ++it;
                }
            }
            ASSERT_EQ(set.erase_range(range), expected);
            break;
        }
        default: {  // queries
            double x = random_score(), y = random_score();
            ScoreRange range = score_range(x, y, pick(2), pick(2));
            size_t count = 0;
            const std::pair<double, std::string>* first = nullptr;
            const std::pair<double, std::string>* last = nullptr;
            for (const auto& entry : model) {
                if (!range.contains(entry.first)) continue;
                ++count;
                if (!first) first = &entry;
                last = &entry;
            }
            ASSERT_EQ(set.count_in(range), count);
            auto* low = set.first_in(range);
            auto* high = set.last_in(range);
            ASSERT_EQ(low == nullptr, first == nullptr);
            if (first) {
                ASSERT_EQ(low->member(), first->second);
                ASSERT_EQ(high->member(), last->second);
            }
            break;
        }
        }
        expect_consistent(set, model);
        if (testing::Test::HasFatalFailure()) return;
    }
}

// Lex ranges assume every score is the same (Redis's rule): members with score 0 only, random
// inserts and lex range deletions and queries against a model.
TEST(SortedSet, RandomLexOperationsMatchModel) {
    std::mt19937_64 rng(777);
    auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
    auto random_member = [&] {
        std::string m;
        size_t length = pick(5);
        for (size_t i = 0; i < length; ++i) m += static_cast<char>("ab\0\xff"[pick(4)]);
        return m;
    };
    auto random_bound = [&](std::string& storage) -> LexBound {
        switch (pick(6)) {
        case 0: return kMinus;
        case 1: return kPlus;
        default: storage = random_member(); return pick(2) ? incl(storage) : excl(storage);
        }
    };
    SortedSet set;
    Model model;
    for (int step = 0; step < 3000; ++step) {
        std::string low, high;
        LexRange range = lex(random_bound(low), random_bound(high));
        std::vector<std::string> expected;
        for (const auto& entry : model)
            if (range.contains(entry.second)) expected.push_back(entry.second);
        if (range.empty()) {
            ASSERT_TRUE(expected.empty());
        }
        switch (pick(4)) {
        case 0:
        case 1: {
            std::string m = random_member();
            if (!set.find(m)) {
                ASSERT_TRUE(set.insert(m, 0));
                model.emplace(0, m);
            }
            break;
        }
        case 2:
            ASSERT_EQ(set.erase_range(range), expected.size());
            for (const auto& m : expected) model.erase({0, m});
            break;
        default:
            ASSERT_EQ(range_members(set, range), expected);
            ASSERT_EQ(set.count_in(range), expected.size());
            if (!expected.empty()) {
                ASSERT_EQ(set.last_in(range)->member(), expected.back());
            }
            break;
        }
        expect_consistent(set, model);
        if (testing::Test::HasFatalFailure()) return;
    }
}

// Scores are written as Redis 7.0 writes them, with glibc's exact "%.17g" (the host's printf
// here; picolibc's in the image is not exact, hence format_double).
TEST(SortedSetScoreText, MatchesGlibcPrintf) {
    auto expect_same = [](double value) {
        char ours[kDoubleTextMax + 1] = {};
        size_t length = format_double(value, ours);
        char theirs[64];
        if (std::isinf(value)) snprintf(theirs, sizeof theirs, "%s", value > 0 ? "inf" : "-inf");
        else snprintf(theirs, sizeof theirs, "%.17g", value);
        ASSERT_EQ(std::string(ours, length), std::string(theirs)) << value;
    };
    for (double v : {0.0,
                     -0.0,
                     1.0,
                     -1.0,
                     0.1,
                     0.2,
                     0.3,
                     1.1,
                     2.675,
                     1e17,
                     1e16,
                     99999999999999984.0,
                     123456789012345678.0,
                     1e-300,
                     5e-324,
                     2.2250738585072014e-308,
                     1.7976931348623157e308,
                     1e21,
                     1e22,
                     1e23,
                     0.0001,
                     0.00001,
                     1e-5,
                     123.456,
                     -2.5,
                     4611686018427387904.0,
                     9007199254740993.0,
                     33.333333333333336,
                     kInf,
                     -kInf,
                     0.5,
                     1.5,
                     1e100,
                     0.000123456789012345678})
        expect_same(v);
    std::mt19937_64 rng(99);
    for (int i = 0; i < 50000; ++i) {
        uint64_t bits = rng();
        double value;
        std::memcpy(&value, &bits, sizeof value);
        if (std::isnan(value)) continue;
        expect_same(value);
        expect_same(static_cast<double>(static_cast<int64_t>(rng() % 2000000) - 1000000) /
                    static_cast<double>(1 + rng() % 1000));
        if (HasFatalFailure()) return;
    }
}

TEST(SortedSetScoreText, CompactFormKeepsIntegers) {
    auto compact = [](double value) {
        char out[kDoubleTextMax];
        return std::string(out, format_double_compact(value, out));
    };
    EXPECT_EQ(compact(0), "0");
    EXPECT_EQ(compact(-0.0), "-0");
    EXPECT_EQ(compact(1e17), "100000000000000000");
    EXPECT_EQ(compact(4611686018427387904.0), "4611686018427387904");
    EXPECT_EQ(compact(9223372036854775808.0), "9.2233720368547758e+18");
    EXPECT_EQ(compact(-3), "-3");
    EXPECT_EQ(compact(1.5), "1.5");
    EXPECT_EQ(compact(0.1), "0.10000000000000001");
    EXPECT_EQ(compact(kInf), "inf");
}
