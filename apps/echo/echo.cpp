// Echo server: net::serve runs one coroutine per connection, which reads into its
// BufferedStream and writes back until the peer ends the stream, an error, or the idle timeout.
#include "apps/echo/echo.hpp"

#include <cstdlib>
#include <new>

#include "kernel/log.hpp"
#include "kernel/sched/scheduler.hpp"
#include "net/buffered_stream.hpp"
#include "net/serve.hpp"
#include "net/udp.hpp"

namespace coronet::apps {
namespace {

void serve_connection(net::TcpStream& stream, void* context) {
    const auto& options = *static_cast<const EchoOptions*>(context);
    net::BufferedStream io(stream, {.send_timeout_ns = options.idle_timeout_ns});
    for (;;) {
        auto n = io.fill(sched::now() + options.idle_timeout_ns);
        if (!n || *n == 0) break;
        std::string_view bytes = io.input();
        if (!io.write_all(bytes.data(), bytes.size())) {
            io.abort();
            return;
        }
        io.consume(bytes.size());
    }
    io.close_gracefully();
}

// UDP echo: each datagram goes back to its sender.
void udp_loop(void* argument) {
    auto* socket = static_cast<net::UdpSocket*>(argument);
    auto* buffer = static_cast<uint8_t*>(malloc(kEchoDatagramSize));
    if (!buffer) return;
    for (;;) {
        net::Endpoint from;
        auto size = socket->receive_from(buffer, kEchoDatagramSize, from);
        if (!size) continue;
        size_t length = *size < kEchoDatagramSize ? *size : kEchoDatagramSize;
        (void)socket->send_to(from, buffer, length);  // a lost reply is UDP's to lose
    }
}

}  // namespace

Result<void> start_echo(const EchoOptions& options) {
    auto* kept = new (std::nothrow) EchoOptions(options);  // the connections read it for ever
    if (!kept) return Error::OutOfMemory;
    net::ServeOptions serve{.name = "echo", .port = options.port};
    serve.listen.max_connections = options.max_connections;
    serve.listen.keepalive = options.keepalive;
    TRY_VOID(net::serve(serve, serve_connection, kept));
    net::UdpSocket* udp = TRY(net::UdpSocket::bind(options.port));
    TRY_VOID(sched::spawn(udp_loop, udp, {.name = "echo-udp", .detached = true}));
    LOG_INFO("echo: listening on tcp port %u (at most %zu connections) and udp port %u",
             options.port, options.max_connections, options.port);
    return {};
}

}  // namespace coronet::apps
