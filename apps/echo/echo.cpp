// Echo server: an acceptor coroutine, and one coroutine per connection doing read/write_all
// until the peer ends the stream, an error, or the idle timeout.
#include "apps/echo/echo.hpp"

#include <cstdlib>
#include <new>

#include "kernel/boot_config.hpp"
#include "kernel/log.hpp"
#include "kernel/sched/scheduler.hpp"
#include "net/tcp.hpp"
#include "net/udp.hpp"

namespace coronet::apps {
namespace {

void serve(net::TcpStream stream) {
    auto* buffer = static_cast<uint8_t*>(malloc(kEchoBufferSize));
    if (!buffer) {
        stream.abort();
        return;
    }
    for (;;) {
        auto n = stream.read(buffer, kEchoBufferSize, sched::now() + kEchoIdleTimeoutNs);
        if (!n || *n == 0) break;
        if (!stream.write_all(buffer, *n, sched::now() + kEchoIdleTimeoutNs)) break;
    }
    free(buffer);
    stream.close();
}

void accept_loop(void* argument) {
    auto* listener = static_cast<net::TcpListener*>(argument);
    for (;;) {
        auto stream = listener->accept();
        if (!stream) continue;
        auto* owned = new (std::nothrow) net::TcpStream(stream.release_value());
        if (!owned) continue;  // the moved-from stream closed the connection
        auto spawned = sched::spawn(
            [owned] {
                serve(static_cast<net::TcpStream&&>(*owned));
                delete owned;
            },
            {.name = "echo", .detached = true});
        if (!spawned) {
            owned->abort();  // out of coroutines or stacks: refuse this one cleanly
            delete owned;
        }
    }
}

// UDP echo: each datagram goes back to its sender.
void udp_loop(void* argument) {
    auto* socket = static_cast<net::UdpSocket*>(argument);
    auto* buffer = static_cast<uint8_t*>(malloc(kEchoBufferSize));
    if (!buffer) return;
    for (;;) {
        net::Endpoint from;
        auto size = socket->receive_from(buffer, kEchoBufferSize, from);
        if (!size) continue;
        size_t length = *size < kEchoBufferSize ? *size : kEchoBufferSize;
        (void)socket->send_to(from, buffer, length);  // a lost reply is UDP's to lose
    }
}

}  // namespace

Result<void> start_echo(uint16_t port) {
    net::ListenOptions options;
    if (auto limit = boot_config().get_number("echo_max_connections")) options.max_connections = *limit;
    net::TcpListener* listener = TRY(net::TcpListener::bind(port, options));
    TRY_VOID(sched::spawn(accept_loop, listener, {.name = "echo-accept", .detached = true}));
    net::UdpSocket* udp = TRY(net::UdpSocket::bind(port));
    TRY_VOID(sched::spawn(udp_loop, udp, {.name = "echo-udp", .detached = true}));
    LOG_INFO("echo: listening on tcp port %u (at most %zu connections) and udp port %u", port,
             options.max_connections, port);
    return {};
}

}  // namespace coronet::apps
