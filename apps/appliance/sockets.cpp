// The endpoints' session handlers and the status pusher. Each handler is straight-line code in
// its connection's coroutine; pushes from other coroutines arrive through topics.
#include "apps/appliance/sockets.hpp"

#include <cstdio>
#include <cstdlib>
#include <new>

#include "apps/appliance/status.hpp"
#include "apps/websocket/topic.hpp"
#include "apps/websocket/websocket.hpp"
#include "kernel/log.hpp"
#include "kernel/sched/scheduler.hpp"
#include "lib/time_units.hpp"

namespace coronet::apps {
namespace {

using websocket::Endpoint;
using websocket::Opcode;
using websocket::Topic;
using websocket::WebSocket;

constexpr uint64_t kStatusInterval = 1 * kSecond;
// POST /ws/shutdown: how long the clients have to answer their 1001 before the reply says
// how many are still open.
constexpr uint64_t kShutdownDeadline = 5 * kSecond;
constexpr std::string_view kEchoSubprotocols[] = {"echo", "coronet.echo.v1"};

struct Sockets {
    Endpoint echo;
    Endpoint status;
    Endpoint chat;
    Topic status_topic;
    Topic chat_room;
    StatusSources& sources;

    Sockets(const websocket::EndpointOptions& echo_options,
            const websocket::EndpointOptions& options,
            const websocket::EndpointOptions& chat_options, StatusSources& status_sources)
        : echo(echo_options, serve_echo, this),
          status(options, serve_status, this),
          chat(chat_options, serve_chat, this),
          status_topic(status),
          chat_room(chat),
          sources(status_sources) {}

    static void serve_echo(WebSocket& socket, void*);
    static void serve_status(WebSocket& socket, void* self);
    static void serve_chat(WebSocket& socket, void* self);
    static void push_status(void* self);
    static Result<void> shutdown(http::Exchange& exchange);
};

void Sockets::serve_echo(WebSocket& socket, void*) {
    for (;;) {
        auto message = socket.recv();
        if (!message) return;
        if (!socket.send(message->opcode, message->data)) return;
    }
}

// The status document into a fresh buffer (the caller frees it), or null.
char* status_document(const StatusSources& sources, std::string_view& json) {
    auto* buffer = static_cast<char*>(malloc(kStatusJsonCapacity));
    if (!buffer) return nullptr;
    json = status_json(sources, buffer, kStatusJsonCapacity);
    return buffer;
}

void Sockets::serve_status(WebSocket& socket, void* self) {
    auto* sockets = static_cast<Sockets*>(self);
    // A snapshot at once, then the pusher's every second; what the client sends is ignored.
    std::string_view json;
    char* buffer = status_document(sockets->sources, json);
    if (!buffer || json.empty() || !socket.send_text(json)) {
        free(buffer);
        return;
    }
    free(buffer);
    if (!socket.subscribe(sockets->status_topic)) return;
    while (socket.recv()) {}
}

void Sockets::push_status(void* self) {
    auto* sockets = static_cast<Sockets*>(self);
    for (;;) {
        sched::sleep_for(kStatusInterval);
        if (sockets->status_topic.subscribers() == 0) continue;
        std::string_view json;
        char* buffer = status_document(sockets->sources, json);
        if (buffer && !json.empty()) sockets->status_topic.publish(Opcode::Text, json);
        free(buffer);
    }
}

void Sockets::serve_chat(WebSocket& socket, void* self) {
    auto* sockets = static_cast<Sockets*>(self);
    if (!socket.subscribe(sockets->chat_room)) return;
    for (;;) {
        auto message = socket.recv();
        if (!message) return;
        if (!message->text()) {
            socket.close(static_cast<uint16_t>(websocket::CloseCode::UnsupportedData),
                         "the chat takes text messages");
            return;
        }
        sockets->chat_room.publish(Opcode::Text, message->data);  // the sender's copy included
    }
}

// Every endpoint says 1001 to its clients and refuses new ones (503) for the rest of the boot:
// what an appliance does before maintenance. Answers with how many were open and are left.
Result<void> Sockets::shutdown(http::Exchange& exchange) {
    auto* sockets = static_cast<Sockets*>(exchange.context);
    Endpoint* endpoints[] = {&sockets->echo, &sockets->status, &sockets->chat};
    uint64_t open = 0;
    for (Endpoint* endpoint : endpoints) open += endpoint->stats().open;
    sched::Deadline deadline = sched::now() + kShutdownDeadline;
    for (Endpoint* endpoint : endpoints) endpoint->shutdown(deadline);
    uint64_t left = 0;
    for (Endpoint* endpoint : endpoints) left += endpoint->stats().open;
    char body[96];
    int n = snprintf(body, sizeof body, "{\"closing\":%llu,\"still_open\":%llu}\n",
                     static_cast<unsigned long long>(open), static_cast<unsigned long long>(left));
    return exchange.response.send({body, static_cast<size_t>(n)}, "application/json");
}

}  // namespace

Result<void> attach_sockets(http::Router& router, const websocket::EndpointOptions& options,
                            StatusSources& sources) {
    websocket::EndpointOptions echo_options = options;
    for (std::string_view name : kEchoSubprotocols)
        echo_options.handshake.subprotocols[echo_options.handshake.subprotocol_count++] = name;
    websocket::EndpointOptions chat_options = options;
    if (chat_options.max_message > kChatMaxMessage) chat_options.max_message = kChatMaxMessage;
    auto* sockets = new (std::nothrow) Sockets(echo_options, options, chat_options, sources);
    if (!sockets) return Error::OutOfMemory;
    TRY_VOID(sockets->echo.attach(router, "/ws/echo"));
    TRY_VOID(sockets->status.attach(router, "/ws/status"));
    TRY_VOID(sockets->chat.attach(router, "/ws/chat"));
    TRY_VOID(router.add(http::Method::Post, "/ws/shutdown", Sockets::shutdown, sockets));
    sources.websocket[0] = &sockets->echo;
    sources.websocket[1] = &sockets->status;
    sources.websocket[2] = &sockets->chat;
    sources.websocket_count = 3;
    TRY_VOID(sched::spawn(Sockets::push_status, sockets, {.name = "ws-status"}));
    return {};
}

}  // namespace coronet::apps
