// apps/redis/clock.hpp for host tests: a clock that starts at a fixed Unix time and moves only
// through advance_clock_ms(), and a fixed-seed generator, so that a failing test repeats the
// same way.
#include "tests/host/redis_clock.hpp"

#include "apps/redis/clock.hpp"

namespace coronet::redis {
namespace {

uint64_t g_random_state = 0x9E3779B97F4A7C15ULL;
constexpr int64_t kStartUs = 1'700'000'000'000'000;  // 2023-11-14, any fixed moment would do
int64_t g_elapsed_us = 0;

}  // namespace

void testing::advance_clock_ms(int64_t ms) { g_elapsed_us += ms * 1000; }

int64_t unix_time_us() { return kStartUs + g_elapsed_us; }

int64_t unix_time_ms() { return unix_time_us() / 1000; }

uint32_t clock_seconds() { return static_cast<uint32_t>(g_elapsed_us / 1000000); }

uint32_t access_clock() {
    return static_cast<uint32_t>(g_elapsed_us / (1000000 / kAccessTicksPerSecond));
}

uint64_t random_u64() {
    // xorshift64*, as the image's.
    g_random_state ^= g_random_state >> 12;
    g_random_state ^= g_random_state << 25;
    g_random_state ^= g_random_state >> 27;
    return g_random_state * 0x2545F4914F6CDD1DULL;
}

}  // namespace coronet::redis
