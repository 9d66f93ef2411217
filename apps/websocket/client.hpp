// A WebSocket client: connect() to a ws:// URL (the host resolved, TCP opened, the opening
// handshake made and checked), then the very session a server's connection runs
// (websocket.hpp), in the client role: whole messages in, masked frames out, pings answered,
// an idle server pinged, the closing handshake. Every call is bounded by a deadline.
//
//   websocket::ClientOptions options;
//   options.handshake.subprotocols[0] = "prices.v1";
//   options.handshake.subprotocol_count = 1;
//   options.handshake.deflate.offer = true;
//   websocket::Client feed(options);
//   TRY_VOID(feed.connect("ws://prices.internal:8080/feed", sched::now() + 5 * kSecond));
//   TRY_VOID(feed.send_text(R"({"subscribe":"EURUSD"})", deadline));
//   auto message = TRY(feed.recv(deadline));  // message.data: valid until the next call
//   feed.close(1000, "done", deadline);
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "apps/http/request.hpp"
#include "apps/websocket/client_handshake.hpp"
#include "apps/websocket/endpoint.hpp"
#include "apps/websocket/frame.hpp"
#include "apps/websocket/websocket.hpp"
#include "kernel/sched/scheduler.hpp"
#include "lib/result.hpp"
#include "lib/time_units.hpp"
#include "net/buffered_stream.hpp"
#include "net/tcp.hpp"

namespace coronet::websocket {

struct ClientOptions {
    ClientHandshakeOptions handshake;  // subprotocols, permessage-deflate, more request fields
    // A larger message from the server fails the connection with 1009 (as framed and inflated).
    uint64_t max_message = kDefaultMaxMessage;
    // No frame from the server for this long: it is pinged; no pong within pong_timeout: the
    // connection is closed with 1001.
    uint64_t idle_timeout_ns = 60 * kSecond;
    uint64_t pong_timeout_ns = 10 * kSecond;
    uint64_t close_timeout_ns = 5 * kSecond;  // our close sent: the server's reply, at most
    uint64_t send_timeout_ns = 30 * kSecond;  // the server taking each piece we write, at most
    http::Limits response_limits;             // the handshake's response head
};

class Client {
public:
    explicit Client(const ClientOptions& options = {});
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    // An open connection is dropped with a TCP reset: close() first to end it cleanly.
    ~Client();

    using Message = WebSocket::Message;

    // Opens a connection to `url` ("ws://host[:port][/path][?query]"; host a name or an address
    // literal, IPv6 in brackets). When the client is no longer open it may connect again.
    // Errors: InvalidArgument (not a ws:// URL, invalid options), Unsupported (wss://),
    // NotFound / Unreachable (resolving), Refused (nothing listens there, or the server answered
    // the upgrade with another status: handshake_status()), Timeout, Closed (the server hung up
    // before answering), Malformed (the answer breaks HTTP or RFC 6455, or accepts what was not
    // offered), OutOfMemory, Busy (already open). failure() says which step failed and why.
    Result<void> connect(std::string_view url, sched::Deadline deadline);

    // The next whole message. Closed once the connection has ended (close_code() says how);
    // Timeout at the deadline, with the connection still open.
    Result<Message> recv(sched::Deadline deadline = sched::kForever);

    // Writes one message (compressed when permessage-deflate was agreed and it pays), waiting
    // until `deadline` and at most send_timeout for each piece. A failed send drops the
    // connection (the server cannot tell where the frame broke off).
    Result<void> send(Opcode opcode, std::string_view payload,
                      sched::Deadline deadline = sched::kForever);
    Result<void> send_text(std::string_view text, sched::Deadline deadline = sched::kForever) {
        return send(Opcode::Text, text, deadline);
    }
    Result<void> send_binary(std::string_view bytes, sched::Deadline deadline = sched::kForever) {
        return send(Opcode::Binary, bytes, deadline);
    }

    // The closing handshake: our close frame with `code` (one a peer may send, else 1000) and
    // `reason` (cut to 123 bytes on a character boundary), the server's reply awaited
    // (close_timeout at most, never past `deadline`), then TCP closed.
    void close(uint16_t code = static_cast<uint16_t>(CloseCode::Normal),
               std::string_view reason = {}, sched::Deadline deadline = sched::kForever);

    bool is_open() const { return m_socket && m_socket->is_open(); }
    // How the connection ended: the code of the close frame received or sent first (1005 when
    // a close frame had none, 1006 when there was none); 0 while open or never connected.
    uint16_t close_code() const { return m_socket ? m_socket->close_code() : 0; }
    std::string_view subprotocol() const { return m_socket ? m_socket->subprotocol() : ""; }
    bool compression() const { return m_socket && m_socket->compression(); }

    // After a failed connect(): the server's status when it answered (0 when it did not), and
    // what went wrong, for the app's log.
    uint16_t handshake_status() const { return m_status; }
    const char* failure() const { return m_failure; }

    // Messages, bytes, pings and closes of this client's connections so far.
    EndpointStats stats() const { return m_endpoint.stats(); }

private:
    Result<void> fail(Error error, const char* why);  // always the error
    Result<void> handshake(const Url& url, sched::Deadline deadline);

    ClientOptions m_options;
    Endpoint m_endpoint;  // limits, counters and compression memory; serves no path
    net::TcpStream m_stream;
    net::BufferedStream m_io;
    std::optional<WebSocket> m_socket;  // made once the handshake succeeds
    uint16_t m_status = 0;
    const char* m_failure = "";
};

}  // namespace coronet::websocket
