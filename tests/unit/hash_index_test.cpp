// HashIndex: lookups through growth and shrinking (incremental rehash), and SCAN's promise:
// every node present for a whole walk is visited, however the table resizes between calls.
#include "lib/hash_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace coronet;

namespace {

struct Node {
    HashIndex::Link link;
    std::string key;
};

std::string_view key_of(const HashIndex::Link* link) {
    return reinterpret_cast<const Node*>(link)->key;
}

class Table {
public:
    explicit Table(uint64_t seed = 7) : index(key_of, seed) {}
    bool add(const std::string& key) {
        if (index.find(key)) return false;
        auto node = std::make_unique<Node>();
        node->key = key;
        node->link.hash = index.hash(key);
        EXPECT_TRUE(index.insert(&node->link));
        nodes[key] = std::move(node);
        return true;
    }
    bool remove(const std::string& key) {
        HashIndex::Link* link = index.find(key);
        if (!link) return false;
        index.remove(link);
        nodes.erase(key);
        return true;
    }
    HashIndex index;
    std::map<std::string, std::unique_ptr<Node>> nodes;
};

void collect(HashIndex::Link* link, void* out) {
    static_cast<std::set<std::string>*>(out)->insert(reinterpret_cast<Node*>(link)->key);
}

}  // namespace

TEST(HashIndex, FindsEveryKeyWhileGrowingAndShrinking) {
    Table table;
    for (int i = 0; i < 20000; ++i) ASSERT_TRUE(table.add("key:" + std::to_string(i)));
    EXPECT_EQ(table.index.size(), 20000u);
    for (int i = 0; i < 20000; ++i)
        ASSERT_NE(table.index.find("key:" + std::to_string(i)), nullptr) << i;
    EXPECT_EQ(table.index.find("key:20000"), nullptr);
    for (int i = 0; i < 19990; ++i) ASSERT_TRUE(table.remove("key:" + std::to_string(i)));
    EXPECT_EQ(table.index.size(), 10u);
    for (int i = 19990; i < 20000; ++i)
        EXPECT_NE(table.index.find("key:" + std::to_string(i)), nullptr);
    while (table.index.rehash_step(100)) {}
    EXPECT_LE(table.index.bucket_count(), 64u) << "the table shrank back";
}

TEST(HashIndex, ScanVisitsEveryStableKeyThroughResizes) {
    Table table;
    for (int i = 0; i < 1000; ++i) table.add("stable:" + std::to_string(i));
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int step = 0;
    do {
        cursor = table.index.scan(cursor, collect, &seen);
        ++step;
        if (step < 40) {
            for (int i = 0; i < 500; ++i) table.add("extra:" + std::to_string(step * 500 + i));
        } else {
            for (int i = 0; i < 2000; ++i)
                table.remove("extra:" + std::to_string((step - 40) * 2000 + i));
        }
    } while (cursor != 0 && step < 100000);
    ASSERT_EQ(cursor, 0u);
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.count("stable:" + std::to_string(i))) << i;
}

TEST(HashIndex, ReplaceKeepsThePlaceAndSampleFindsNodes) {
    Table table;
    for (int i = 0; i < 100; ++i) table.add(std::to_string(i));
    auto replacement = std::make_unique<Node>();
    replacement->key = "42";
    HashIndex::Link* old = table.index.find("42");
    table.index.replace(old, &replacement->link);
    EXPECT_EQ(table.index.find("42"), &replacement->link);
    table.index.remove(&replacement->link);
    table.nodes.erase("42");
    std::set<std::string> sampled;
    for (uint64_t r = 1; r < 5000; ++r) {
        HashIndex::Link* link = table.index.sample(r * 0x9E3779B97F4A7C15ULL);
        ASSERT_NE(link, nullptr);
        sampled.insert(reinterpret_cast<Node*>(link)->key);
    }
    EXPECT_EQ(sampled.count("42"), 0u);
    EXPECT_GT(sampled.size(), 80u) << "samples spread over the keys";
}

TEST(HashIndex, HashDependsOnSeedAndEveryByte) {
    EXPECT_NE(hash_bytes("abc", 1), hash_bytes("abc", 2));
    EXPECT_NE(hash_bytes("abcdefgh1", 1), hash_bytes("abcdefgh2", 1));
    EXPECT_NE(hash_bytes(std::string_view("a\0", 2), 1), hash_bytes("a", 1));
    EXPECT_EQ(hash_bytes("same", 9), hash_bytes("same", 9));
}
