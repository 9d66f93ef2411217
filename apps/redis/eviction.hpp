// maxmemory: keeping the heap under a limit by evicting keys the way Redis does (sample a few
// keys, evict the best candidate of the policy, repeat), or refusing writes with -OOM under
// noeviction. The heap in use is malloc's own count (what INFO's used_memory shows); reading it
// walks malloc's free chunks, so it is read again only after enough writes or time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/time_units.hpp"

namespace coronet::redis {

class Engine;

enum class EvictionPolicy : uint8_t {
    NoEviction,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
};
bool parse_policy(std::string_view text, EvictionPolicy& policy);
const char* policy_name(EvictionPolicy policy);
// CONFIG SET's reason for a policy it does not know, as Redis words it: "argument(s) must be one
// of the following: volatile-lru, volatile-lfu, ..., noeviction".
const char* policy_choices();

// Reading the heap in use walks malloc's free chunks (mallinfo): milliseconds on a big,
// fragmented heap under TCG, so it is not read per write. Between reads the use is estimated
// as the last read plus what was written since, each argument counted with kArgumentOverhead
// (an entry's header, malloc's, the table's slot: more than a small key or member costs). It
// is read again once that estimate has taken a quarter of the room left below maxmemory (at
// least every kMemoryRecheckBytes), once it passes maxmemory, and after kMemoryRecheckInterval
// (memory that grows without writes: buffers, a rehash).
inline constexpr uint64_t kArgumentOverhead = 64;
inline constexpr uint64_t kMemoryRecheckBytes = 64 * 1024;
inline constexpr uint64_t kMemoryRecheckInterval = 250 * kMillisecond;
// Keys one command may evict to make room (more and it answers -OOM this time).
inline constexpr size_t kMaxEvictionsPerCommand = 4096;

// A size with Redis's units: "100mb", "1gb", "512k", plain bytes.
bool parse_memory_size(std::string_view text, uint64_t& bytes);

class Evictor {
public:
    uint64_t limit() const { return m_limit; }  // maxmemory; 0: none
    void set_limit(uint64_t bytes) {
        m_limit = bytes;
        m_checked_at = 0;  // measure afresh against the new limit
    }
    EvictionPolicy policy = EvictionPolicy::NoEviction;
    size_t samples = 5;  // maxmemory-samples
    uint64_t evicted_keys = 0;

    // Before a command that may grow the data (`incoming`: its arguments' bytes plus
    // kArgumentOverhead each): true when there is room, evicting keys first if the policy
    // allows.
    bool make_room(Engine& engine, uint64_t incoming);
    // The heap in use now (read afresh).
    uint64_t used_memory();

private:
    bool over_limit(uint64_t incoming);
    bool evict_one(Engine& engine);

    uint64_t m_limit = 0;
    uint64_t m_used = 0;
    uint64_t m_written_since = 0;
    uint64_t m_recheck_after = kMemoryRecheckBytes;
    uint64_t m_checked_at = 0;
};

}  // namespace coronet::redis
