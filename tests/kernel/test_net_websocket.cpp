// The WebSocket client against Node's ws and python3-websockets on the host side of the tap
// (tools/client_test.py): text and binary round trips of 0 B to 1 MiB checked byte for byte,
// with and without permessage-deflate; a subprotocol; pings both ways; a fragmented message with
// a ping in its middle; closes from either side, with the code the other side saw; the message
// limit; a handshake refused by a plain HTTP server; a closed port. Then the same round trips
// against Coronet's own server in the same guest, over loopback.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "apps/http/router.hpp"
#include "apps/http/server.hpp"
#include "apps/websocket/client.hpp"
#include "apps/websocket/endpoint.hpp"
#include "apps/websocket/websocket.hpp"
#include "kernel/boot_config.hpp"
#include "kernel/sched/scheduler.hpp"
#include "lib/time_units.hpp"
#include "tests/kernel/ktest.hpp"
#include "tests/kernel/net_fixture.hpp"

namespace coronet {
namespace {

using websocket::Client;
using websocket::ClientOptions;
using websocket::Opcode;

constexpr size_t kSizes[] = {0, 1, 125, 126, 65535, 65536, 1 << 20};
constexpr size_t kLargest = 1 << 20;
constexpr size_t kUrlSize = 160;

struct Url {
    char text[kUrlSize];
};

// "ws://" + the boot option's host:port + `path`.
Url url_of(std::string_view key, const char* path) {
    Url url{};
    auto value = boot_config().get(key);
    KCHECK(value.has_value());
    if (value)
        snprintf(url.text, sizeof url.text, "ws://%.*s%s", static_cast<int>(value->size()),
                 value->data(), path);
    return url;
}

uint64_t ms_since(uint64_t start) { return (sched::now() - start) / kMillisecond; }

// Binary: pseudo-random bytes (incompressible). Text: ASCII words with two-, three- and
// four-byte characters among them, cut to `size` on a character boundary (padded with ASCII).
void fill_payload(char* data, size_t size, bool text, uint64_t seed) {
    uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 1;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    if (!text) {
        for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>(next() >> 24);
        return;
    }
    static const char* const pieces[] = {"coronet ", "caf\xc3\xa9 ", "\xe2\x82\xac ",
                                         "\xf0\x9f\x99\x82 ", "websocket "};
    size_t at = 0;
    while (at < size) {
        const char* piece = pieces[next() % 5];
        size_t length = std::strlen(piece);
        if (at + length > size) {
            while (at < size) data[at++] = 'x';
            break;
        }
        std::memcpy(data + at, piece, length);
        at += length;
    }
}

struct Payloads {
    char* out = static_cast<char*>(malloc(kLargest));
    ~Payloads() { free(out); }
};

bool expect_message(Client& client, Opcode opcode, std::string_view wanted,
                    sched::Deadline deadline, const char* what) {
    auto message = client.recv(deadline);
    bool ok = message && message->opcode == opcode && message->data == wanted;
    if (!ok) {
        printf("ktest: %s: %s (%zu bytes, %zu wanted)\n", what,
               message ? "wrong message" : error_name(message.error()),
               message ? message->data.size() : 0, wanted.size());
    }
    KCHECK(ok);
    return ok;
}

ClientOptions with_deflate(bool deflate) {
    ClientOptions options;
    options.handshake.deflate.offer = deflate;
    return options;
}

// Every size as text and as binary, echoed and compared.
void round_trips(const char* server, const Url& url, bool deflate, Payloads& payloads) {
    Client client(with_deflate(deflate));
    sched::Deadline deadline = sched::now() + 120 * kSecond;
    auto connected = client.connect(url.text, deadline);
    if (!connected) {
        printf("ktest: %s: connect %s: %s (%s)\n", server, url.text, error_name(connected.error()),
               client.failure());
        KCHECK(connected.ok());
        return;
    }
    KCHECK(client.compression() == deflate);
    uint64_t start = sched::now();
    size_t trips = 0, bytes = 0;
    for (size_t size : kSizes) {
        for (bool text : {true, false}) {
            fill_payload(payloads.out, size, text, size * 2 + text);
            std::string_view payload{payloads.out, size};
            Opcode opcode = text ? Opcode::Text : Opcode::Binary;
            auto sent = client.send(opcode, payload, deadline);
            KCHECK(sent.ok());
            if (!sent || !expect_message(client, opcode, payload, deadline, server)) {
                printf("ktest: %s: %s of %zu bytes failed\n", server, text ? "text" : "binary",
                       size);
                return;
            }
            ++trips;
            bytes += size;
        }
    }
    websocket::EndpointStats stats = client.stats();
    printf("ktest: %s, deflate %s: %zu round trips, %zu KiB each way in %llu ms", server,
           deflate ? "on" : "off", trips, bytes / 1024,
           static_cast<unsigned long long>(ms_since(start)));
    if (deflate)
        printf(" (compressed: %llu KiB sent for %llu KiB, %llu KiB received for %llu KiB)",
               static_cast<unsigned long long>(stats.compressed_out_wire / 1024),
               static_cast<unsigned long long>(stats.compressed_out_plain / 1024),
               static_cast<unsigned long long>(stats.compressed_in_wire / 1024),
               static_cast<unsigned long long>(stats.compressed_in_plain / 1024));
    printf("\n");
    client.close(1000, "done", deadline);
    KCHECK(client.close_code() == 1000);
    KCHECK(!client.is_open());
}

bool connect_or_report(Client& client, const Url& url, sched::Deadline deadline) {
    auto connected = client.connect(url.text, deadline);
    if (!connected)
        printf("ktest: connect %s: %s (%s)\n", url.text, error_name(connected.error()),
               client.failure());
    KCHECK(connected.ok());
    return connected.ok();
}

// The server chooses among the offered subprotocols: ws takes the first, websockets the first it
// speaks.
void subprotocols(const Url& node, const Url& python) {
    sched::Deadline deadline = sched::now() + 30 * kSecond;
    ClientOptions options;
    options.handshake.subprotocols[0] = "coronet.v1";
    options.handshake.subprotocol_count = 1;
    Client first(options);
    if (connect_or_report(first, node, deadline)) {
        KCHECK(first.subprotocol() == "coronet.v1");
        first.close();
    }
    options.handshake.subprotocols[0] = "unknown.v9";
    options.handshake.subprotocols[1] = "chat";
    options.handshake.subprotocol_count = 2;
    options.handshake.deflate.offer = true;
    Client second(options);
    if (!connect_or_report(second, python, deadline)) return;
    KCHECK(second.subprotocol() == "chat");
    KCHECK(second.send_text("cmd:info", deadline).ok());
    auto info = second.recv(deadline);
    KCHECK(info && info->data.find("\"chat\"") != std::string_view::npos);
    KCHECK(info && info->data.find("PerMessageDeflate") != std::string_view::npos);
    printf("ktest: subprotocols: coronet.v1 chosen by ws, %.*s by websockets\n",
           static_cast<int>(second.subprotocol().size()), second.subprotocol().data());
    second.close();
}

// The server pings (and waits for our pong); we ping an idle server (and keep the connection
// only if its pongs come back).
void pings(const char* server, const Url& url, bool server_pings) {
    sched::Deadline deadline = sched::now() + 30 * kSecond;
    ClientOptions options;
    options.idle_timeout_ns = 300 * kMillisecond;
    options.pong_timeout_ns = 2 * kSecond;
    Client client(options);
    if (!connect_or_report(client, url, deadline)) return;
    if (server_pings) {
        KCHECK(client.send_text("cmd:ping", deadline).ok());
        expect_message(client, Opcode::Text, "pong:ok", deadline, "server's ping");
    }
    auto idle = client.recv(sched::now() + 2 * kSecond);
    KCHECK(!idle && idle.error() == Error::Timeout);
    KCHECK(client.is_open());
    uint64_t pings = client.stats().pings_sent;
    printf("ktest: %s: %llu pings sent to an idle server in 2 s, each answered\n", server,
           static_cast<unsigned long long>(pings));
    KCHECK(pings >= 3);
    KCHECK(client.send_text("still here", deadline).ok());
    expect_message(client, Opcode::Text, "still here", deadline, "after the pings");
    client.close();
}

// A message in five fragments, the server's ping between the first two (answered while the
// message is half received), compressed or not.
void fragments(const Url& python, bool deflate) {
    sched::Deadline deadline = sched::now() + 30 * kSecond;
    Client client(with_deflate(deflate));
    if (!connect_or_report(client, python, deadline)) return;
    constexpr size_t kSize = 100000;
    KCHECK(client.send_text("cmd:fragments:5:100000", deadline).ok());
    auto message = client.recv(deadline);
    bool ok = message && message->text() && message->data.size() == kSize;
    for (size_t i = 0; ok && i < kSize; ++i)
        ok = message->data[i] == 'a' + static_cast<char>(i % 26);
    KCHECK(ok);
    printf("ktest: fragmented message (deflate %s): %s\n", deflate ? "on" : "off",
           ok ? "joined" : "wrong");
    client.close();
}

// What the server saw of the last connection that ended: "CODE REASON".
void expect_last_close(const Url& python, std::string_view wanted) {
    sched::Deadline deadline = sched::now() + 30 * kSecond;
    Client client;
    if (!connect_or_report(client, python, deadline)) return;
    KCHECK(client.send_text("cmd:last-close", deadline).ok());
    auto message = client.recv(deadline);
    bool ok = message && message->data == wanted;
    printf("ktest: the server saw the close as \"%.*s\"\n",
           message ? static_cast<int>(message->data.size()) : 0,
           message ? message->data.data() : "");
    KCHECK(ok);
    client.close();
}

void closes(const Url& python) {
    sched::Deadline deadline = sched::now() + 30 * kSecond;
    {  // the server closes: recv() ends with its code
        Client client;
        if (!connect_or_report(client, python, deadline)) return;
        KCHECK(client.send_text("cmd:close:4001:server says bye", deadline).ok());
        auto message = client.recv(deadline);
        KCHECK(!message && message.error() == Error::Closed);
        printf("ktest: server-initiated close: code %u\n", client.close_code());
        KCHECK(client.close_code() == 4001);
        KCHECK(!client.is_open());
    }
    {  // we close: the server sees our code and reason
        Client client;
        if (!connect_or_report(client, python, deadline)) return;
        uint64_t start = sched::now();
        client.close(4000, "guest says bye", deadline);
        printf("ktest: client-initiated close: code %u, %llu ms\n", client.close_code(),
               static_cast<unsigned long long>(ms_since(start)));
        KCHECK(client.close_code() == 4000);
        expect_last_close(python, "4000 guest says bye");
    }
    {  // a message over our limit: we fail the connection with 1009
        ClientOptions options;
        options.max_message = 64 * 1024;
        Client client(options);
        if (!connect_or_report(client, python, deadline)) return;
        KCHECK(client.send_text("cmd:big:131072", deadline).ok());
        auto message = client.recv(deadline);
        KCHECK(!message && message.error() == Error::Closed);
        printf("ktest: a 128 KiB message over a 64 KiB limit: closed with %u\n",
               client.close_code());
        KCHECK(client.close_code() == 1009);
        expect_last_close(python, "1009 message over the size limit");
    }
}

void expect_refused(const char* what, const char* url, uint16_t status, Error wanted) {
    Client client;
    auto connected = client.connect(url, sched::now() + 10 * kSecond);
    printf("ktest: %s: %s, status %u (%s)\n", what,
           connected ? "connected" : error_name(connected.error()), client.handshake_status(),
           client.failure());
    KCHECK(!connected && connected.error() == wanted);
    KCHECK(client.handshake_status() == status);
    KCHECK(!client.is_open());
}

void refusals() {
    auto http = boot_config().get("ws.http");
    auto refused = boot_config().get("ws.refused");
    KCHECK(http && refused);
    if (!http || !refused) return;
    char url[kUrlSize];
    snprintf(url, sizeof url, "ws://%.*s/not-here", static_cast<int>(http->size()), http->data());
    expect_refused("plain HTTP server, missing path", url, 404, Error::Refused);
    snprintf(url, sizeof url, "ws://%.*s/whoami", static_cast<int>(http->size()), http->data());
    expect_refused("plain HTTP server, existing path", url, 200, Error::Refused);
    snprintf(url, sizeof url, "ws://%.*s/", static_cast<int>(refused->size()), refused->data());
    expect_refused("closed port", url, 0, Error::Refused);
    expect_refused("wss://", "wss://ws.coronet/", 0, Error::Unsupported);
    expect_refused("not a URL", "http://ws.coronet/", 0, Error::InvalidArgument);
}

// Coronet's own WebSocket server, started here in the guest on port 8080 the way the appliance
// serves /ws/echo (an HTTP server, an endpoint echoing every message, windowed
// permessage-deflate), reached over the loopback interface.
constexpr uint16_t kOwnPort = 8080;

void serve_echo(websocket::WebSocket& socket, void*) {
    for (;;) {
        auto message = socket.recv();
        if (!message || !socket.send(message->opcode, message->data)) return;
    }
}

bool start_own_server() {
    static websocket::EndpointOptions options = [] {
        websocket::EndpointOptions o;
        o.handshake.deflate.policy = websocket::DeflatePolicy::Windowed;
        return o;
    }();
    static websocket::Endpoint echo(options, serve_echo);
    static http::Router router;
    static http::Server server(router, {.port = kOwnPort, .max_connections = 64});
    bool ok = echo.attach(router, "/ws/echo").ok() && server.start().ok();
    KCHECK(ok);
    return ok;
}

void websocket_body() {
    Url node = url_of("ws.node", "/echo");
    Url python = url_of("ws.python", "/echo");
    Payloads payloads;
    KCHECK(payloads.out != nullptr);
    if (!payloads.out) return;
    for (bool deflate : {false, true}) {
        round_trips("ws (node)", node, deflate, payloads);
        round_trips("websockets (python)", python, deflate, payloads);
    }
    subprotocols(node, python);
    pings("ws (node)", node, false);
    pings("websockets (python)", python, true);
    fragments(python, false);
    fragments(python, true);
    closes(python);
    refusals();
    if (start_own_server()) {
        Url own{};
        snprintf(own.text, sizeof own.text, "ws://127.0.0.1:%u/ws/echo", kOwnPort);
        for (bool deflate : {false, true})
            round_trips("Coronet's own /ws/echo", own, deflate, payloads);
    }
}

}  // namespace
}  // namespace coronet

KTEST(net_websocket, "the WebSocket client against ws and websockets: messages, closes, refusals") {
    coronet::ktest::run_with_network(coronet::websocket_body);
}
