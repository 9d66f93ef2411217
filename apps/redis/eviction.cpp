// Eviction as Redis approximates it: for each key to evict, sample `samples` keys from every
// database (all keys, or those with an expiry for the volatile policies) and take the best
// candidate: the least recently used, the least frequently used, the nearest to expiring, or
// any for the random policies.
#include "apps/redis/eviction.hpp"

#include <cctype>
#include <cstdio>

#include "apps/redis/clock.hpp"
#include "apps/redis/engine.hpp"
#include "kernel/memory/memory.hpp"
#include "kernel/sched/scheduler.hpp"

namespace coronet::redis {
namespace {

struct PolicyName {
    EvictionPolicy policy;
    const char* name;
};
// In Redis's order, which its CONFIG SET error lists them in.
constexpr PolicyName kPolicies[] = {
    {EvictionPolicy::VolatileLru, "volatile-lru"},
    {EvictionPolicy::VolatileLfu, "volatile-lfu"},
    {EvictionPolicy::VolatileRandom, "volatile-random"},
    {EvictionPolicy::VolatileTtl, "volatile-ttl"},
    {EvictionPolicy::AllKeysLru, "allkeys-lru"},
    {EvictionPolicy::AllKeysLfu, "allkeys-lfu"},
    {EvictionPolicy::AllKeysRandom, "allkeys-random"},
    {EvictionPolicy::NoEviction, "noeviction"},
};

bool is_volatile(EvictionPolicy policy) {
    return policy == EvictionPolicy::VolatileLru || policy == EvictionPolicy::VolatileLfu ||
           policy == EvictionPolicy::VolatileRandom || policy == EvictionPolicy::VolatileTtl;
}

// Lower is evicted first.
uint64_t rank(EvictionPolicy policy, const Entry* entry) {
    switch (policy) {
    case EvictionPolicy::AllKeysLru:
    case EvictionPolicy::VolatileLru: return UINT32_MAX - (access_clock() - entry->last_access);
    case EvictionPolicy::AllKeysLfu:
    case EvictionPolicy::VolatileLfu: return decayed_frequency(entry);
    case EvictionPolicy::VolatileTtl: return static_cast<uint64_t>(entry->expires_at_ms);
    default: return 0;
    }
}

}  // namespace

bool parse_policy(std::string_view text, EvictionPolicy& policy) {
    for (const PolicyName& p : kPolicies) {
        std::string_view name = p.name;
        if (name.size() != text.size()) continue;
        bool same = true;
        for (size_t i = 0; i < name.size() && same; ++i)
            same = std::tolower(static_cast<unsigned char>(text[i])) == name[i];
        if (same) {
            policy = p.policy;
            return true;
        }
    }
    return false;
}

const char* policy_choices() {
    static constexpr char kLead[] = "argument(s) must be one of the following: ";
    static char text[200];
    if (text[0] == '\0') {
        size_t used = snprintf(text, sizeof text, "%s", kLead);
        for (const PolicyName& p : kPolicies)
            used += snprintf(text + used, sizeof text - used, "%s%s",
                             used > sizeof kLead - 1 ? ", " : "", p.name);
    }
    return text;
}

const char* policy_name(EvictionPolicy policy) {
    for (const PolicyName& p : kPolicies)
        if (p.policy == policy) return p.name;
    return "noeviction";
}

bool parse_memory_size(std::string_view text, uint64_t& bytes) {
    size_t i = 0;
    uint64_t value = 0;
    if (text.empty()) return false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (value > (UINT64_MAX - 9) / 10) return false;
        value = value * 10 + static_cast<uint64_t>(text[i] - '0');
    }
    if (i == 0) return false;
    std::string_view unit = text.substr(i);
    struct Unit {
        const char* name;
        uint64_t factor;
    };
    constexpr Unit kUnits[] = {{"", 1},           {"b", 1},
                               {"k", 1000},       {"kb", 1024},
                               {"m", 1000000},    {"mb", 1024 * 1024},
                               {"g", 1000000000}, {"gb", 1024ULL * 1024 * 1024}};
    for (const Unit& u : kUnits) {
        std::string_view name = u.name;
        if (name.size() != unit.size()) continue;
        bool same = true;
        for (size_t k = 0; k < name.size() && same; ++k)
            same = std::tolower(static_cast<unsigned char>(unit[k])) == name[k];
        if (!same) continue;
        if (value > UINT64_MAX / u.factor) return false;
        bytes = value * u.factor;
        return true;
    }
    return false;
}

uint64_t Evictor::used_memory() {
    m_used = memory::stats().heap_used;
    m_written_since = 0;
    m_checked_at = sched::now();
    uint64_t room = m_limit > m_used ? m_limit - m_used : 0;
    m_recheck_after = room / 4 > kMemoryRecheckBytes ? room / 4 : kMemoryRecheckBytes;
    return m_used;
}

bool Evictor::over_limit(uint64_t incoming) {
    m_written_since += incoming;
    // Past the limit by the estimate, the heap is read before anything is evicted or refused:
    // the estimate says when to look, not what is there (a flush may have freed it all).
    if (m_checked_at == 0 || m_written_since >= m_recheck_after ||
        sched::now() - m_checked_at >= kMemoryRecheckInterval || m_used + m_written_since > m_limit)
        used_memory();
    return m_used + m_written_since > m_limit;
}

bool Evictor::make_room(Engine& engine, uint64_t incoming) {
    // Whatever maxmemory says, the kernel's reserve for accepted work (lwIP's buffers, the
    // connections' stacks) is not the dataset's to take: past it, writes are refused (or keys
    // evicted) so that every connection, and the data, survive.
    if (memory::short_of_memory()) {
        if (policy == EvictionPolicy::NoEviction) return false;
        for (size_t evicted = 0; evicted < kMaxEvictionsPerCommand; ++evicted) {
            if (!evict_one(engine)) return false;
            if ((evicted & 15) == 15 && !memory::short_of_memory()) break;
        }
        if (memory::short_of_memory()) return false;
    }
    if (m_limit == 0 || !over_limit(incoming)) return true;
    if (policy == EvictionPolicy::NoEviction) return false;
    // Memory already on its way back (a flush or a big DEL being freed in slices) would make
    // every key look like too much: evicting then would empty the keyspace for nothing. As
    // Redis does with its lazy-free jobs, wait for it instead.
    if (engine.lazy_free_pending()) return true;
    for (size_t evicted = 0; evicted < kMaxEvictionsPerCommand; ++evicted) {
        if (!evict_one(engine)) return false;
        // malloc's count is read again every few keys: each read walks its free chunks.
        if ((evicted & 15) == 15 && used_memory() + incoming <= m_limit) return true;
    }
    return used_memory() + incoming <= m_limit;
}

bool Evictor::evict_one(Engine& engine) {
    Keyspace& keyspace = engine.keyspace();
    Database* best_db = nullptr;
    Entry* best = nullptr;
    uint64_t best_rank = UINT64_MAX;
    bool volatile_only = is_volatile(policy);
    for (size_t d = 0; d < kDatabases; ++d) {
        Database& db = keyspace.database(d);
        size_t population = volatile_only ? db.volatile_count() : db.size();
        if (population == 0) continue;
        for (size_t s = 0; s < samples; ++s) {
            Entry* candidate =
                volatile_only ? db.random_volatile(random_u64()) : db.random_entry(random_u64());
            if (!candidate) continue;
            uint64_t r = rank(policy, candidate);
            if (!best || r < best_rank) {
                best = candidate;
                best_rank = r;
                best_db = &db;
            }
            if (policy == EvictionPolicy::AllKeysRandom || policy == EvictionPolicy::VolatileRandom)
                break;
        }
    }
    if (!best) return false;
    ++evicted_keys;
    // The key's name is needed after it is freed: the notification goes first.
    engine.notify('e', "evicted", best_db->index(), best->key());
    best_db->remove(best);
    return true;
}

}  // namespace coronet::redis
