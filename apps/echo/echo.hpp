// Echo (RFC 862) on a port: over TCP every byte read is written back, one coroutine per
// connection; over UDP every datagram goes back to its sender.
// The first user of the socket API, the network tests' workhorse, and the smallest example of
// an app: options handed down from the image's composition root, net::serve for the
// connections, a BufferedStream for their bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/result.hpp"
#include "lib/time_units.hpp"
#include "net/tcp.hpp"

namespace coronet::apps {

inline constexpr size_t kEchoDatagramSize = 8192;  // larger UDP datagrams are truncated

struct EchoOptions {
    uint16_t port = 7;
    size_t max_connections = net::kMaxTcpConnections;  // boot option echo.max_connections
    uint64_t idle_timeout_ns = 300 * kSecond;          // then the connection is closed
    net::Keepalive keepalive;                          // boot option echo.keepalive
};

Result<void> start_echo(const EchoOptions& options);

}  // namespace coronet::apps
