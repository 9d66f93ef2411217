// Databases of entries: lookup with lazy expiry, creation and resizing of the one-block
// entries, the list of entries with an expiry that the active cycle samples, and SWAPDB.
#include "apps/redis/keyspace.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "apps/redis/clock.hpp"
#include "apps/redis/collection.hpp"

namespace coronet::redis {
namespace {

constexpr uint32_t kNotVolatile = UINT32_MAX;
constexpr uint32_t kFrequencyLogFactor = 10;
KeyspaceStats g_stats{};
bool g_track_frequency = false;

uint16_t minutes_now() { return static_cast<uint16_t>(clock_seconds() / 60); }

void count_access(Entry* entry) {
    entry->last_access = access_clock();
    if (!g_track_frequency) return;
    uint8_t counter = decayed_frequency(entry);
    // Logarithmic: the more often a key was read, the less likely one more read counts.
    if (counter < 255) {
        uint32_t base = counter > kFrequencyInitial ? counter - kFrequencyInitial : 0;
        if (random_u64() % (base * kFrequencyLogFactor + 1) == 0) ++counter;
    }
    entry->frequency = counter;
    entry->frequency_minute = minutes_now();
}

std::string_view key_of(const HashIndex::Link* link) {
    return reinterpret_cast<const Entry*>(link)->key();
}

}  // namespace

static_assert(offsetof(Entry, link) == 0, "an entry is found from its link");

KeyspaceStats& keyspace_stats() { return g_stats; }

void set_frequency_tracking(bool on) { g_track_frequency = on; }

uint8_t decayed_frequency(const Entry* entry) {
    uint16_t elapsed = static_cast<uint16_t>(minutes_now() - entry->frequency_minute);
    return elapsed >= entry->frequency ? 0 : static_cast<uint8_t>(entry->frequency - elapsed);
}

const char* type_name(Type type) {
    switch (type) {
    case Type::String: return "string";
    case Type::List: return "list";
    case Type::Hash: return "hash";
    case Type::Set: return "set";
    case Type::SortedSet: return "zset";
    }
    return "none";
}

Collection* Entry::collection() const {
    if (type == Type::String) return nullptr;
    Collection* collection;
    std::memcpy(&collection, bytes + key_length, sizeof collection);
    return collection;
}

Database::Database() : m_index(key_of, random_u64()) {}

Database::~Database() { clear(); }

bool Database::expired(const Entry* entry) const {
    return entry->expires_at_ms != kNoExpiry && entry->expires_at_ms <= unix_time_ms();
}

Entry* Database::find(std::string_view key) {
    auto* entry = reinterpret_cast<Entry*>(m_index.find(key));
    if (!entry) return nullptr;
    if (expired(entry)) {
        ++g_stats.expired_keys;
        if (on_expire) on_expire(*this, entry->key(), on_change_context);
        remove(entry);
        return nullptr;
    }
    count_access(entry);
    return entry;
}

Entry* Database::allocate(std::string_view key, size_t capacity) {
    if (key.size() > UINT32_MAX || capacity > UINT32_MAX) return nullptr;
    auto* entry = static_cast<Entry*>(malloc(sizeof(Entry) + key.size() + capacity));
    if (!entry) return nullptr;
    entry->link = {nullptr, m_index.hash(key)};
    entry->expires_at_ms = kNoExpiry;
    entry->key_length = static_cast<uint32_t>(key.size());
    entry->value_length = 0;
    entry->capacity = static_cast<uint32_t>(capacity);
    entry->volatile_slot = kNotVolatile;
    entry->last_access = access_clock();
    entry->type = Type::String;
    entry->frequency = kFrequencyInitial;
    entry->frequency_minute = minutes_now();
    std::memcpy(entry->bytes, key.data(), key.size());
    return entry;
}

Result<Entry*> Database::create_string(std::string_view key, std::string_view value,
                                       size_t capacity) {
    if (capacity < value.size()) capacity = value.size();
    Entry* entry = allocate(key, capacity);
    if (!entry) return Error::OutOfMemory;
    if (!value.empty()) std::memcpy(entry->value_bytes(), value.data(), value.size());
    entry->value_length = static_cast<uint32_t>(value.size());
    if (!m_index.insert(&entry->link)) {
        free(entry);
        return Error::OutOfMemory;
    }
    touched(key);
    return entry;
}

Result<Entry*> Database::create_collection(std::string_view key, Type type,
                                           Collection* collection) {
    Entry* entry = allocate(key, sizeof collection);
    if (!entry) return Error::OutOfMemory;
    entry->type = type;
    std::memcpy(entry->value_bytes(), &collection, sizeof collection);
    if (!m_index.insert(&entry->link)) {
        free(entry);
        return Error::OutOfMemory;
    }
    touched(key);
    return entry;
}

void Database::relink(Entry* old, Entry* moved) {
    // `old` is already freed or about to be: only its address is compared.
    m_index.replace(&old->link, &moved->link);
    if (moved->volatile_slot != kNotVolatile) m_volatile[moved->volatile_slot] = moved;
}

Result<Entry*> Database::reserve_string(Entry* entry, size_t capacity) {
    if (capacity <= entry->capacity) return entry;
    if (capacity > UINT32_MAX) return Error::OutOfMemory;
    // Grow by half again so that APPEND in a loop is amortised.
    size_t wanted = capacity + capacity / 2;
    if (wanted > UINT32_MAX) wanted = capacity;
    size_t size = sizeof(Entry) + entry->key_length + wanted;
    auto* moved = static_cast<Entry*>(malloc(size));
    if (!moved) return Error::OutOfMemory;
    std::memcpy(moved, entry, sizeof(Entry) + entry->key_length + entry->value_length);
    moved->capacity = static_cast<uint32_t>(wanted);
    relink(entry, moved);
    free(entry);
    return moved;
}

Result<Entry*> Database::assign_string(Entry* entry, std::string_view value, bool keep_ttl) {
    if (entry->type != Type::String) {
        delete entry->collection();
        entry->type = Type::String;
        entry->value_length = 0;
    }
    if (value.size() > entry->capacity || entry->capacity > 2 * value.size() + 64) {
        // Re-allocate to fit: neither too small nor holding on to a big old value.
        Entry* moved = allocate(entry->key(), value.size());
        if (!moved) return Error::OutOfMemory;
        moved->expires_at_ms = entry->expires_at_ms;
        moved->volatile_slot = entry->volatile_slot;
        moved->frequency = entry->frequency;
        moved->frequency_minute = entry->frequency_minute;
        relink(entry, moved);
        free(entry);
        entry = moved;
    }
    std::memcpy(entry->value_bytes(), value.data(), value.size());
    entry->value_length = static_cast<uint32_t>(value.size());
    if (!keep_ttl) set_expiry(entry, kNoExpiry);
    touched(entry->key());
    return entry;
}

void Database::free_entry(Entry* entry) {
    if (entry->type != Type::String) {
        Collection* collection = entry->collection();
        if (on_large_free && collection->size() > kLazyFreeElements)
            on_large_free(collection, on_change_context);
        else delete collection;
    }
    free(entry);
}

void Database::forget_volatile(Entry* entry) {
    if (entry->volatile_slot == kNotVolatile) return;
    uint32_t slot = entry->volatile_slot;
    Entry* last = m_volatile[--m_volatile_count];
    m_volatile[slot] = last;
    last->volatile_slot = slot;
    entry->volatile_slot = kNotVolatile;
}

void Database::set_expiry(Entry* entry, int64_t at_ms) {
    entry->expires_at_ms = at_ms;
    if (at_ms == kNoExpiry) {
        forget_volatile(entry);
        return;
    }
    if (entry->volatile_slot != kNotVolatile) return;
    if (m_volatile_count == m_volatile_capacity) {
        size_t capacity = m_volatile_capacity ? m_volatile_capacity * 2 : 64;
        auto** grown = static_cast<Entry**>(realloc(m_volatile, capacity * sizeof(Entry*)));
        // Without room the key still expires when read; the active cycle just does not see it.
        if (!grown) return;
        m_volatile = grown;
        m_volatile_capacity = capacity;
    }
    entry->volatile_slot = static_cast<uint32_t>(m_volatile_count);
    m_volatile[m_volatile_count++] = entry;
}

void Database::detach(Entry* entry) {
    forget_volatile(entry);
    m_index.remove(&entry->link);
    touched(entry->key());
}

void Database::adopt(Entry* entry) {
    entry->link.hash = m_index.hash(entry->key());
    // An index that cannot even make its first table: the key is lost rather than the
    // appliance; only reachable with the heap's reserve gone.
    if (!m_index.insert(&entry->link)) {
        free_entry(entry);
        return;
    }
    int64_t at = entry->expires_at_ms;
    entry->expires_at_ms = kNoExpiry;
    if (at != kNoExpiry) set_expiry(entry, at);
    touched(entry->key());
}

void Database::remove(Entry* entry) {
    detach(entry);
    free_entry(entry);
}

bool Database::remove(std::string_view key) {
    Entry* entry = find(key);
    if (!entry) return false;
    remove(entry);
    return true;
}

Result<Entry*> Database::rename(Entry* entry, std::string_view new_key) {
    size_t value_bytes = entry->type == Type::String ? entry->value_length : sizeof(Collection*);
    Entry* moved = allocate(new_key, value_bytes);
    if (!moved) return Error::OutOfMemory;
    std::memcpy(moved->value_bytes(), entry->value_bytes(), value_bytes);
    moved->type = entry->type;
    moved->value_length = entry->value_length;
    moved->expires_at_ms = entry->expires_at_ms;
    // The collection now belongs to `moved`: free the old block without deleting it.
    detach(entry);
    free(entry);
    adopt(moved);
    return moved;
}

struct LargeFree {
    void (*hand_over)(Collection*, void*);
    void* context;
};

// Frees an entry; a big collection goes to `large` (a LargeFree*) when there is one.
static void drop_entry(HashIndex::Link* link, void* large) {
    auto* entry = reinterpret_cast<Entry*>(link);
    if (entry->type != Type::String) {
        Collection* collection = entry->collection();
        auto* to = static_cast<LargeFree*>(large);
        if (to && to->hand_over && collection->size() > kLazyFreeElements)
            to->hand_over(collection, to->context);
        else delete collection;
    }
    free(entry);
}

void Database::clear_into(HashIndex& graveyard) {
    m_index.move_to(graveyard);
    free(m_volatile);
    m_volatile = nullptr;
    m_volatile_count = m_volatile_capacity = 0;
}

bool Database::free_some(HashIndex& graveyard, size_t budget, void (*hand_over)(Collection*, void*),
                         void* context) {
    LargeFree large{hand_over, context};
    return graveyard.clear_some(budget, drop_entry, &large);
}

void Database::clear() {
    m_index.clear(drop_entry, nullptr);
    free(m_volatile);
    m_volatile = nullptr;
    m_volatile_count = m_volatile_capacity = 0;
}

void Database::swap(Database& other) {
    HashIndex scratch(key_of);
    m_index.move_to(scratch);
    other.m_index.move_to(m_index);
    scratch.move_to(other.m_index);
    Entry** volatile_entries = m_volatile;
    size_t count = m_volatile_count, capacity = m_volatile_capacity;
    m_volatile = other.m_volatile;
    m_volatile_count = other.m_volatile_count;
    m_volatile_capacity = other.m_volatile_capacity;
    other.m_volatile = volatile_entries;
    other.m_volatile_count = count;
    other.m_volatile_capacity = capacity;
}

size_t Database::expire_some(size_t samples) {
    size_t deleted = 0;
    int64_t now = unix_time_ms();
    for (size_t i = 0; i < samples && m_volatile_count > 0; ++i) {
        Entry* entry = m_volatile[random_u64() % m_volatile_count];
        if (entry->expires_at_ms <= now) {
            ++g_stats.expired_keys;
            if (on_expire) on_expire(*this, entry->key(), on_change_context);
            remove(entry);
            ++deleted;
        }
    }
    return deleted;
}

uint64_t Database::scan(uint64_t cursor, void (*visit)(Entry*, void*), void* context) {
    struct Visit {
        void (*visit)(Entry*, void*);
        void* context;
    } walk{visit, context};
    return m_index.scan(
        cursor,
        [](HashIndex::Link* link, void* c) {
            auto* v = static_cast<Visit*>(c);
            v->visit(reinterpret_cast<Entry*>(link), v->context);
        },
        &walk);
}

Entry* Database::random_entry(uint64_t random) {
    return reinterpret_cast<Entry*>(m_index.sample(random));
}

Keyspace::Keyspace() {
    for (size_t i = 0; i < kDatabases; ++i) m_databases[i].m_number = i;
}

void Keyspace::swap(size_t a, size_t b) {
    if (a == b) return;
    m_databases[a].swap(m_databases[b]);
}

void Keyspace::clear() {
    for (Database& database : m_databases) database.clear();
}

size_t Keyspace::total_keys() const {
    size_t total = 0;
    for (const Database& database : m_databases) total += database.size();
    return total;
}

}  // namespace coronet::redis
