// An intrusive hash table keyed by byte strings: nodes embed a HashIndex::Link and the index
// never allocates them. Chained buckets, power-of-two sizes, and incremental rehashing (a few
// buckets move per operation) so that growing a table of a million keys never stalls the
// reactor. scan() walks it with a cursor that visits every node present for the whole walk
// even while the table grows or shrinks between calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace coronet {

uint64_t hash_bytes(std::string_view bytes, uint64_t seed);

class HashIndex {
public:
    struct Link {
        Link* next;
        uint64_t hash;
    };
    // The key of a node, from its link.
    using KeyOf = std::string_view (*)(const Link* link);

    explicit HashIndex(KeyOf key_of, uint64_t seed = 0) : m_key_of(key_of), m_seed(seed) {}
    HashIndex(const HashIndex&) = delete;
    HashIndex& operator=(const HashIndex&) = delete;
    ~HashIndex();

    uint64_t hash(std::string_view key) const { return hash_bytes(key, m_seed); }
    size_t size() const { return m_size; }

    Link* find(std::string_view key) { return find(key, hash(key)); }
    Link* find(std::string_view key, uint64_t hash);
    // Adds a node whose key is not present; link->hash must be hash(key). When the table
    // cannot grow (no memory) the chains get longer; false only when there is no table at all
    // and none could be made (the node is not added).
    [[nodiscard]] bool insert(Link* link);
    // Takes a node out; the caller owns it again.
    void remove(Link* link);
    // Puts `replacement` (same key and hash) where `old` was.
    void replace(Link* old, Link* replacement);
    // Takes every node out, calling `drop` on each (which may free it). Not incremental: for a
    // huge table use clear_some().
    void clear(void (*drop)(Link*, void*), void* context);
    // Takes out up to `budget` nodes; true when the index is empty.
    bool clear_some(size_t budget, void (*drop)(Link*, void*), void* context);
    // Hands the whole contents to `other` (which must be empty) and is left empty.
    void move_to(HashIndex& other);

    // Visits some buckets, calling `visit` on each node of them, and returns the cursor to pass
    // next (0: done). A node present from the first call to the last is visited at least once.
    // `visit` must not insert or remove.
    uint64_t scan(uint64_t cursor, void (*visit)(Link*, void*), void* context);
    // A node chosen roughly at random from `random` (nullptr when empty).
    Link* sample(uint64_t random);

    // Does a step of a rehash in progress; true while more remain (for idle-time work).
    bool rehash_step(size_t buckets);
    // Buckets allocated, in both tables (for memory reports).
    size_t bucket_count() const { return m_table[0].size + m_table[1].size; }

private:
    struct Table {
        Link** buckets = nullptr;
        size_t size = 0;  // a power of two, or 0
        size_t used = 0;
    };
    bool rehashing() const { return m_table[1].buckets != nullptr; }
    void maybe_resize();
    void start_rehash(size_t size);
    Link** bucket_of(uint64_t hash);
    void unlink(Link* link);

    KeyOf m_key_of;
    uint64_t m_seed;
    Table m_table[2];
    size_t m_rehash_index = 0;  // next bucket of m_table[0] to move
    size_t m_clear_table = 0;   // clear_some(): the table it is emptying ...
    size_t m_clear_index = 0;   // ... and the bucket (those before it are empty)
    size_t m_size = 0;
};

}  // namespace coronet
