// Control over the host tests' apps/redis/clock.hpp: time moves on only when a test says so,
// so that expiry and idle times are exact.
#pragma once

#include <cstdint>

namespace coronet::redis::testing {

void advance_clock_ms(int64_t ms);

}  // namespace coronet::redis::testing
