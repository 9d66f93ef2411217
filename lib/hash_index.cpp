// HashIndex: two tables while a rehash is under way (old → new, a bucket at a time), one
// otherwise. Lookups during a rehash look in the old table's bucket if it has not moved yet,
// then in the new one.
#include "lib/hash_index.hpp"

#include <cstdlib>
#include <cstring>

namespace coronet {
namespace {

constexpr size_t kInitialSize = 16;
constexpr size_t kMovesPerOperation = 1;    // buckets rehashed by each find/insert/remove
constexpr size_t kEmptyVisitsPerMove = 10;  // empty buckets a step may skip over

uint64_t multiply_fold(uint64_t a, uint64_t b) {
    __uint128_t product = static_cast<__uint128_t>(a) * b;
    return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

uint64_t load_word(const char* p) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    return word;
}

uint64_t reverse_bits(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
}

// The cursor's next value: increment the bits above `mask` in reversed order, so that the
// buckets a cursor has passed stay passed when the table doubles or halves.
uint64_t next_cursor(uint64_t cursor, uint64_t mask) {
    cursor |= ~mask;
    cursor = reverse_bits(cursor);
    ++cursor;
    return reverse_bits(cursor);
}

}  // namespace

uint64_t hash_bytes(std::string_view bytes, uint64_t seed) {
    // Multiply-and-fold over 8-byte words, seeded, so that the table's order cannot be
    // predicted from outside without the seed.
    constexpr uint64_t kA = 0xa0761d6478bd642fULL, kB = 0xe7037ed1a0b428dbULL;
    constexpr uint64_t kC = 0x8ebc6af09c88c6e3ULL;
    const char* p = bytes.data();
    size_t n = bytes.size();
    uint64_t h = multiply_fold(seed ^ kA, n ^ kB);
    while (n >= 8) {
        h = multiply_fold(h ^ load_word(p), kC);
        p += 8;
        n -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < n; ++i)
        tail |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    h = multiply_fold(h ^ tail ^ kB, kA ^ (n << 56));
    return multiply_fold(h, kC);
}

HashIndex::~HashIndex() {
    free(m_table[0].buckets);
    free(m_table[1].buckets);
}

HashIndex::Link** HashIndex::bucket_of(uint64_t hash) {
    if (rehashing()) {
        size_t old = hash & (m_table[0].size - 1);
        if (old >= m_rehash_index) return &m_table[0].buckets[old];
        return &m_table[1].buckets[hash & (m_table[1].size - 1)];
    }
    return &m_table[0].buckets[hash & (m_table[0].size - 1)];
}

HashIndex::Link* HashIndex::find(std::string_view key, uint64_t hash) {
    if (m_size == 0) return nullptr;
    if (rehashing()) rehash_step(kMovesPerOperation);
    for (Link* link = *bucket_of(hash); link; link = link->next) {
        if (link->hash == hash && m_key_of(link) == key) return link;
    }
    return nullptr;
}

bool HashIndex::insert(Link* link) {
    if (rehashing()) rehash_step(kMovesPerOperation);
    else maybe_resize();
    if (!m_table[0].buckets) return false;  // not even the first table could be had
    Link** bucket = bucket_of(link->hash);
    Table& table =
        rehashing() && bucket >= m_table[1].buckets && bucket < m_table[1].buckets + m_table[1].size
            ? m_table[1]
            : m_table[0];
    link->next = *bucket;
    *bucket = link;
    ++table.used;
    ++m_size;
    return true;
}

void HashIndex::unlink(Link* link) {
    Link** bucket = bucket_of(link->hash);
    bool in_new = rehashing() && bucket >= m_table[1].buckets &&
                  bucket < m_table[1].buckets + m_table[1].size;
    for (Link** at = bucket; *at; at = &(*at)->next) {
        if (*at == link) {
            *at = link->next;
            --m_table[in_new ? 1 : 0].used;
            --m_size;
            return;
        }
    }
    __builtin_trap();  // a node that is not in the index: a broken invariant
}

void HashIndex::remove(Link* link) {
    unlink(link);
    link->next = nullptr;
    if (rehashing()) rehash_step(kMovesPerOperation);
    else maybe_resize();
}

void HashIndex::replace(Link* old, Link* replacement) {
    replacement->hash = old->hash;
    for (Link** at = bucket_of(old->hash); *at; at = &(*at)->next) {
        if (*at == old) {
            replacement->next = old->next;
            *at = replacement;
            return;
        }
    }
    __builtin_trap();
}

void HashIndex::maybe_resize() {
    if (rehashing()) return;
    Table& table = m_table[0];
    if (table.size == 0) {
        if (m_size == 0) start_rehash(kInitialSize);
        return;
    }
    if (table.used >= table.size) {
        start_rehash(table.size * 2);
    } else if (table.size > kInitialSize && table.used * 8 < table.size) {
        size_t size = kInitialSize;
        while (size < table.used * 2) size *= 2;
        start_rehash(size);
    }
}

void HashIndex::start_rehash(size_t size) {
    auto** buckets = static_cast<Link**>(calloc(size, sizeof(Link*)));
    if (!buckets) return;  // no memory: keep the table as it is (longer chains)
    if (!m_table[0].buckets) {
        m_table[0] = {buckets, size, 0};
        return;
    }
    m_table[1] = {buckets, size, 0};
    m_rehash_index = 0;
}

bool HashIndex::rehash_step(size_t count) {
    if (!rehashing()) return false;
    size_t empty_visits = count * kEmptyVisitsPerMove;
    Table& from = m_table[0];
    Table& to = m_table[1];
    while (count > 0 && m_rehash_index < from.size) {
        Link* link = from.buckets[m_rehash_index];
        if (!link) {
            ++m_rehash_index;
            if (--empty_visits == 0) break;
            continue;
        }
        while (link) {
            Link* next = link->next;
            Link** bucket = &to.buckets[link->hash & (to.size - 1)];
            link->next = *bucket;
            *bucket = link;
            --from.used;
            ++to.used;
            link = next;
        }
        from.buckets[m_rehash_index++] = nullptr;
        --count;
    }
    if (m_rehash_index < from.size) return true;
    free(from.buckets);
    m_table[0] = to;
    m_table[1] = {};
    m_rehash_index = 0;
    return false;
}

void HashIndex::clear(void (*drop)(Link*, void*), void* context) {
    while (!clear_some(SIZE_MAX, drop, context)) {}
}

bool HashIndex::clear_some(size_t budget, void (*drop)(Link*, void*), void* context) {
    // Resumes where the last call stopped (m_clear_table, m_clear_index): each call costs its
    // budget plus the empty buckets it passes, never a rescan of those already emptied.
    while (budget > 0 && m_size > 0) {
        if (m_clear_table > 1) m_clear_table = m_clear_index = 0;  // nodes added meanwhile
        Table& table = m_table[m_clear_table];
        while (m_clear_index < table.size && budget > 0) {
            Link*& head = table.buckets[m_clear_index];
            while (head && budget > 0) {
                Link* link = head;
                head = link->next;
                link->next = nullptr;
                --table.used;
                --m_size;
                --budget;
                drop(link, context);
            }
            if (head) break;  // out of budget inside this bucket
            ++m_clear_index;
        }
        if (m_clear_index >= table.size) {
            ++m_clear_table;
            m_clear_index = 0;
        }
    }
    if (m_size != 0) return false;
    m_clear_table = m_clear_index = 0;
    free(m_table[0].buckets);
    free(m_table[1].buckets);
    m_table[0] = m_table[1] = {};
    m_rehash_index = 0;
    return true;
}

void HashIndex::move_to(HashIndex& other) {
    other.~HashIndex();
    other.m_table[0] = m_table[0];
    other.m_table[1] = m_table[1];
    other.m_rehash_index = m_rehash_index;
    other.m_clear_table = other.m_clear_index = 0;
    other.m_size = m_size;
    other.m_seed = m_seed;
    other.m_key_of = m_key_of;
    m_table[0] = m_table[1] = {};
    m_rehash_index = 0;
    m_size = 0;
}

uint64_t HashIndex::scan(uint64_t cursor, void (*visit)(Link*, void*), void* context) {
    if (m_size == 0) return 0;
    auto visit_bucket = [&](Table& table, size_t index) {
        for (Link* link = table.buckets[index]; link;) {
            Link* next = link->next;
            visit(link, context);
            link = next;
        }
    };
    if (!rehashing()) {
        uint64_t mask = m_table[0].size - 1;
        visit_bucket(m_table[0], cursor & mask);
        return next_cursor(cursor, mask);
    }
    // Buckets of the old table below m_rehash_index are empty (moved), so visiting both
    // tables' buckets for this cursor covers every node exactly where it is now.
    Table* small = &m_table[0];
    Table* large = &m_table[1];
    if (small->size > large->size) {
        Table* t = small;
        small = large;
        large = t;
    }
    uint64_t small_mask = small->size - 1, large_mask = large->size - 1;
    visit_bucket(*small, cursor & small_mask);
    // Every bucket of the large table that the small bucket expands into.
    do {
        visit_bucket(*large, cursor & large_mask);
        cursor = next_cursor(cursor, large_mask);
    } while (cursor & (small_mask ^ large_mask));
    return cursor;
}

HashIndex::Link* HashIndex::sample(uint64_t random) {
    if (m_size == 0) return nullptr;
    // Pick a non-empty bucket by probing from a random one, then a random node of its chain.
    for (uint64_t probe = 0;; ++probe) {
        uint64_t r = random + probe;
        Table* table = &m_table[0];
        size_t index;
        if (rehashing()) {
            size_t total = m_table[0].size + m_table[1].size;
            size_t pick = r % total;
            if (pick < m_table[0].size) {
                index = pick;
                if (index < m_rehash_index) continue;
            } else {
                table = &m_table[1];
                index = pick - m_table[0].size;
            }
        } else {
            index = r & (table->size - 1);
        }
        Link* link = table->buckets[index];
        if (!link) continue;
        size_t length = 0;
        for (Link* l = link; l; l = l->next) ++length;
        for (size_t skip = (random >> 32) % length; skip > 0; --skip) link = link->next;
        return link;
    }
}

}  // namespace coronet
