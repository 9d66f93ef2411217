// Echo (RFC 862) on a port: over TCP every byte read is written back, one coroutine per
// connection; over UDP every datagram goes back to its sender.
// The first user of the socket API, and the network tests' workhorse.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/result.hpp"
#include "lib/time_units.hpp"

namespace coronet::apps {

inline constexpr uint16_t kEchoPort = 7;
inline constexpr uint64_t kEchoIdleTimeoutNs = 300 * kSecond;  // then the connection is closed
inline constexpr size_t kEchoBufferSize = 8192;

Result<void> start_echo(uint16_t port = kEchoPort);

}  // namespace coronet::apps
