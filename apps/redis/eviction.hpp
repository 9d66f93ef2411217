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

// The heap in use is read again after this much was written or this long.
inline constexpr uint64_t kMemoryRecheckBytes = 64 * 1024;
inline constexpr uint64_t kMemoryRecheckInterval = 10 * kMillisecond;
// Keys one command may evict to make room (more and it answers -OOM this time).
inline constexpr size_t kMaxEvictionsPerCommand = 4096;

// A size with Redis's units: "100mb", "1gb", "512k", plain bytes.
bool parse_memory_size(std::string_view text, uint64_t& bytes);

class Evictor {
public:
    uint64_t limit = 0;  // maxmemory; 0: none
    EvictionPolicy policy = EvictionPolicy::NoEviction;
    size_t samples = 5;  // maxmemory-samples
    uint64_t evicted_keys = 0;

    // Before a command that may grow the data (`incoming` argument bytes): true when there is
    // room, evicting keys first if the policy allows.
    bool make_room(Engine& engine, uint64_t incoming);
    // The heap in use now (read afresh).
    uint64_t used_memory();

private:
    bool over_limit(uint64_t incoming);
    bool evict_one(Engine& engine);

    uint64_t m_used = 0;
    uint64_t m_written_since = 0;
    uint64_t m_checked_at = 0;
};

}  // namespace coronet::redis
