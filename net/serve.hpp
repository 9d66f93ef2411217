// The accept-and-spawn loop every TCP server shares: listen on a port, accept, and serve each
// connection in a coroutine of its own running the server's handler, refusing with a reset
// what cannot be served (over the limit, out of coroutines or memory). The listener keeps the
// one set of connection counters (TcpListener::stats) that /status reports.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/sched/scheduler.hpp"
#include "lib/result.hpp"
#include "net/tcp.hpp"

namespace coronet::net {

struct ServeOptions {
    const char* name = "tcp";  // the connections' coroutines; the acceptor is "<name>-accept"
    uint16_t port = 0;
    ListenOptions listen;  // connection limit and keep-alive
    size_t stack_size = sched::kDefaultStackSize;
};

// Runs in the connection's coroutine and owns the stream; a stream it leaves open is closed
// gracefully when it returns.
using ConnectionHandler = void (*)(TcpStream& stream, void* context);

// Listens and starts the acceptor. The listener lives as long as the image.
Result<TcpListener*> serve(const ServeOptions& options, ConnectionHandler handler, void* context);

}  // namespace coronet::net
