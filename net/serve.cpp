// One acceptor coroutine per listening port; each accepted stream travels to its connection's
// coroutine in a small heap block, the only allocation per connection made here.
#include "net/serve.hpp"

#include <cstdio>
#include <new>

namespace coronet::net {
namespace {

struct Service {
    ServeOptions options;
    TcpListener* listener;
    ConnectionHandler handler;
    void* context;
};

struct Accepted {
    Service* service;
    TcpStream stream;
};

void run_connection(void* argument) {
    auto* accepted = static_cast<Accepted*>(argument);
    Service& service = *accepted->service;
    service.handler(accepted->stream, service.context);
    delete accepted;  // closes the stream if the handler left it open
}

void accept_loop(void* argument) {
    auto* service = static_cast<Service*>(argument);
    for (;;) {
        auto next = service->listener->accept();
        if (!next) continue;
        TcpStream stream = next.release_value();
        auto* accepted = new (std::nothrow) Accepted{service, static_cast<TcpStream&&>(stream)};
        if (!accepted) {
            service->listener->refuse(static_cast<TcpStream&&>(stream));
            continue;
        }
        auto spawned = sched::spawn(run_connection, accepted,
                                    {.name = service->options.name,
                                     .stack_size = service->options.stack_size,
                                     .detached = true});
        if (!spawned) {  // out of coroutines or stacks: a reset, not a hang
            service->listener->refuse(static_cast<TcpStream&&>(accepted->stream));
            delete accepted;
        }
    }
}

}  // namespace

Result<TcpListener*> serve(const ServeOptions& options, ConnectionHandler handler, void* context) {
    TcpListener* listener = TRY(TcpListener::bind(options.port, options.listen));
    auto* service = new (std::nothrow) Service{options, listener, handler, context};
    if (!service) return Error::OutOfMemory;
    char name[sched::kMaxNameLength + 1];
    snprintf(name, sizeof name, "%s-accept", options.name);
    TRY_VOID(sched::spawn(accept_loop, service, {.name = name, .detached = true}));
    return listener;
}

}  // namespace coronet::net
