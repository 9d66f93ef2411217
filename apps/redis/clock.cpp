// The image's clocks for the Redis app: the kernel's wall clock and uptime.
#include "apps/redis/clock.hpp"

#include "kernel/uptime.hpp"
#include "kernel/wall_clock.hpp"
#include "lib/time_units.hpp"

namespace coronet::redis {
namespace {

uint64_t g_random_state = 0;

}  // namespace

int64_t unix_time_us() {
    uint64_t ns = wall_clock::available() ? wall_clock::unix_ns() : uptime_ns();
    return static_cast<int64_t>(ns / 1000);
}

int64_t unix_time_ms() { return unix_time_us() / 1000; }

uint32_t clock_seconds() { return static_cast<uint32_t>(ns_to_s(uptime_ns())); }

uint32_t access_clock() {
    return static_cast<uint32_t>(uptime_ns() / (kSecond / kAccessTicksPerSecond));
}

uint64_t random_u64() {
    // xorshift64*, seeded from the boot's timing on first use.
    if (g_random_state == 0) g_random_state = uptime_ns() | 1;
    g_random_state ^= g_random_state >> 12;
    g_random_state ^= g_random_state << 25;
    g_random_state ^= g_random_state >> 27;
    return g_random_state * 0x2545F4914F6CDD1DULL;
}

}  // namespace coronet::redis
