// The keyspace: 16 databases of keys, each key one heap block holding its name and, for a
// string, its value (a small key costs one allocation); other types hold a pointer to their
// collection. Expiry is lazy (a read of an expired key deletes it) plus an active cycle that
// samples keys with a deadline; both count as `expired_keys`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/hash_index.hpp"
#include "lib/result.hpp"

namespace coronet::redis {

inline constexpr size_t kDatabases = 16;
// A deleted key's collection with more elements than this is freed in slices, not at once.
inline constexpr size_t kLazyFreeElements = 1024;
inline constexpr int64_t kNoExpiry = 0;

enum class Type : uint8_t { String, List, Hash, Set, SortedSet };
const char* type_name(Type type);

class Collection;  // a list, hash or set (apps/redis/collection.hpp)

struct Entry {
    HashIndex::Link link;
    int64_t expires_at_ms;  // unix milliseconds, kNoExpiry for none
    uint32_t key_length;
    uint32_t value_length;   // a string's bytes
    uint32_t capacity;       // bytes available for the value after the key
    uint32_t volatile_slot;  // index in Database::m_volatile while it has an expiry
    uint32_t last_access;    // access_clock() (OBJECT IDLETIME, LRU eviction)
    Type type;
    uint8_t frequency;          // logarithmic access counter (OBJECT FREQ, LFU eviction)
    uint16_t frequency_minute;  // minutes since boot when it last decayed (wraps)
    char bytes[];               // the key, then the string's value (or a Collection*, unaligned)

    std::string_view key() const { return {bytes, key_length}; }
    std::string_view string() const { return {bytes + key_length, value_length}; }
    char* value_bytes() { return bytes + key_length; }
    Collection* collection() const;
};

class Keyspace;

// The LFU counter's starting value and its logarithmic growth (Redis's lfu-log-factor 10 and
// lfu-decay-time 1 minute): a key read a million times reaches about 255.
inline constexpr uint8_t kFrequencyInitial = 5;
// Whether reads update the counter (the maxmemory policy is an LFU one).
void set_frequency_tracking(bool on);
// The counter after the decay for the minutes since it was last touched.
uint8_t decayed_frequency(const Entry* entry);

class Database {
public:
    Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    size_t size() const { return m_index.size(); }
    size_t volatile_count() const { return m_volatile_count; }

    // The live entry for `key`, or nullptr; an expired one is deleted on the way.
    Entry* find(std::string_view key);
    // The entry for `key` even when it has expired (nothing deleted): EXEC's watch check.
    Entry* peek(std::string_view key) { return reinterpret_cast<Entry*>(m_index.find(key)); }
    bool is_expired(const Entry* entry) const { return expired(entry); }
    // A new string entry (the key must be absent), room for `capacity` value bytes.
    Result<Entry*> create_string(std::string_view key, std::string_view value, size_t capacity = 0);
    // A new entry of another type owning `collection`.
    Result<Entry*> create_collection(std::string_view key, Type type, Collection* collection);
    // Sets a string value on a live entry of any type (SET replaces whatever was there),
    // keeping or clearing the expiry. The entry may move: use the returned one.
    Result<Entry*> assign_string(Entry* entry, std::string_view value, bool keep_ttl);
    // Grows a string entry's value room to at least `capacity` bytes (value bytes kept); the
    // entry may move.
    Result<Entry*> reserve_string(Entry* entry, size_t capacity);
    // Deletes a live entry.
    void remove(Entry* entry);
    bool remove(std::string_view key);
    // Takes the entry out of this database without freeing it (MOVE, RENAME); put it into a
    // database with adopt().
    void detach(Entry* entry);
    void adopt(Entry* entry);
    // Renames by re-allocating the entry under the new key (the old is freed).
    Result<Entry*> rename(Entry* entry, std::string_view new_key);
    Result<Entry*> copy(const Entry* entry, std::string_view new_key);

    void set_expiry(Entry* entry, int64_t at_ms);
    // Deletes everything.
    void clear();
    // Empties the database at once and hands its entries to `graveyard` (which must be empty)
    // to be freed a slice at a time (free_some), so that flushing a million keys never holds
    // the reactor.
    void clear_into(HashIndex& graveyard);
    // Frees up to `budget` entries of a graveyard; true when it is empty. Big collections go
    // to `hand_over` (to be freed in slices too) when it is set.
    static bool free_some(HashIndex& graveyard, size_t budget,
                          void (*hand_over)(Collection*, void*), void* context);
    void swap(Database& other);

    // Active expiry: samples keys with a deadline, deleting expired ones; returns how many.
    size_t expire_some(size_t samples);
    uint64_t scan(uint64_t cursor, void (*visit)(Entry*, void*), void* context);
    Entry* random_entry(uint64_t random);
    // One of the entries with an expiry (nullptr when none).
    Entry* random_volatile(uint64_t random) {
        return m_volatile_count ? m_volatile[random % m_volatile_count] : nullptr;
    }

    // Called (when set) on every key whose value changes or that is deleted: WATCH's hook.
    void (*on_change)(Database& database, std::string_view key, void* context) = nullptr;
    void* on_change_context = nullptr;
    // Called (when set) with the collection of a deleted key when it is bigger than
    // kLazyFreeElements: the callee frees it later, in slices (else it is deleted at once).
    void (*on_large_free)(Collection* collection, void* context) = nullptr;
    // Called (when set) just before an expired key is deleted (keyspace notifications).
    void (*on_expire)(Database& database, std::string_view key, void* context) = nullptr;
    void touched(std::string_view key) {
        if (on_change) on_change(*this, key, on_change_context);
    }
    size_t index() const { return m_number; }

private:
    friend class Keyspace;
    bool expired(const Entry* entry) const;
    void forget_volatile(Entry* entry);
    void free_entry(Entry* entry);
    void relink(Entry* old, Entry* moved);
    Entry* allocate(std::string_view key, size_t capacity);

    HashIndex m_index;
    Entry** m_volatile = nullptr;  // entries with an expiry, for the active cycle
    size_t m_volatile_count = 0;
    size_t m_volatile_capacity = 0;
    size_t m_number = 0;
};

struct KeyspaceStats {
    uint64_t expired_keys;
    uint64_t keyspace_hits;
    uint64_t keyspace_misses;
};

class Keyspace {
public:
    Keyspace();
    Database& database(size_t number) { return m_databases[number]; }
    // Swaps two databases' contents (SWAPDB): clients on either see the other's keys.
    void swap(size_t a, size_t b);
    void clear();
    size_t total_keys() const;

private:
    Database m_databases[kDatabases];
};

// Counters of every database together (INFO stats).
KeyspaceStats& keyspace_stats();

}  // namespace coronet::redis
