// apps/redis/clock.hpp for host tests: the host's clocks, and a fixed-seed generator so that a
// failing test repeats the same way.
#include <ctime>

#include "apps/redis/clock.hpp"

namespace coronet::redis {
namespace {

uint64_t g_random_state = 0x9E3779B97F4A7C15ULL;

int64_t now_ns(clockid_t clock) {
    timespec now{};
    clock_gettime(clock, &now);
    return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

}  // namespace

int64_t unix_time_us() { return now_ns(CLOCK_REALTIME) / 1000; }

int64_t unix_time_ms() { return now_ns(CLOCK_REALTIME) / 1000000; }

uint32_t clock_seconds() { return static_cast<uint32_t>(now_ns(CLOCK_MONOTONIC) / 1000000000); }

uint64_t random_u64() {
    // xorshift64*, as the image's.
    g_random_state ^= g_random_state >> 12;
    g_random_state ^= g_random_state << 25;
    g_random_state ^= g_random_state >> 27;
    return g_random_state * 0x2545F4914F6CDD1DULL;
}

}  // namespace coronet::redis
