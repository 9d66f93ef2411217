// The upgrade route: handshake checks, the 101, then the app's session on the same coroutine.
#include "apps/websocket/endpoint.hpp"

#include <cstdio>

#include "apps/websocket/websocket.hpp"
#include "kernel/log.hpp"
#include "net/buffered_stream.hpp"

namespace coronet::websocket {
namespace {

constexpr uint64_t kShutdownPoll = 10 * kMillisecond;

}  // namespace

const char* close_kind_name(CloseKind kind) {
    switch (kind) {
    case CloseKind::Normal: return "normal";
    case CloseKind::GoingAway: return "going_away";
    case CloseKind::ProtocolError: return "protocol_error";
    case CloseKind::InvalidPayload: return "invalid_payload";
    case CloseKind::Policy: return "policy";
    case CloseKind::TooBig: return "too_big";
    case CloseKind::Internal: return "internal_error";
    case CloseKind::NoStatus: return "no_status";
    case CloseKind::Abnormal: return "abnormal";
    case CloseKind::Other:
    case CloseKind::Count: break;
    }
    return "other";
}

CloseKind close_kind(uint16_t code) {
    switch (static_cast<CloseCode>(code)) {
    case CloseCode::Normal: return CloseKind::Normal;
    case CloseCode::GoingAway: return CloseKind::GoingAway;
    case CloseCode::ProtocolError: return CloseKind::ProtocolError;
    case CloseCode::InvalidPayload: return CloseKind::InvalidPayload;
    case CloseCode::PolicyViolation: return CloseKind::Policy;
    case CloseCode::MessageTooBig: return CloseKind::TooBig;
    case CloseCode::InternalError: return CloseKind::Internal;
    case CloseCode::NoStatus: return CloseKind::NoStatus;
    case CloseCode::Abnormal: return CloseKind::Abnormal;
    default: return CloseKind::Other;
    }
}

Endpoint::Endpoint(const EndpointOptions& options, SessionHandler handler, void* context)
    : m_options(options), m_handler(handler), m_context(context), m_shared_deflater(m_memory) {}

Result<void> Endpoint::attach(http::Router& router, std::string_view path) {
    return router.add(http::Method::Get, path, serve_upgrade, this);
}

EndpointStats Endpoint::stats() const {
    EndpointStats stats = m_stats;
    stats.compression_bytes = m_memory.used;
    stats.compression_peak = m_memory.peak;
    return stats;
}

uint64_t Endpoint::windowed_cost() const {
    // The client's window is 15 bits unless it offered client_max_window_bits.
    return deflate_state_bytes(m_options.handshake.deflate.window_bits) +
           inflate_state_bytes(kMaxWindowBits);
}

DeflateChoice Endpoint::deflate_choice() const {
    DeflateChoice choice = m_options.handshake.deflate;
    if (choice.policy == DeflatePolicy::Windowed &&
        m_windowed_reserved + windowed_cost() > m_options.compression_budget)
        choice.policy = DeflatePolicy::Stateless;
    return choice;
}

Result<void> Endpoint::serve_upgrade(http::Exchange& exchange) {
    auto* endpoint = static_cast<Endpoint*>(exchange.context);
    http::Response& response = exchange.response;
    if (endpoint->m_shutting_down || !exchange.connection) {
        ++endpoint->m_stats.refused;
        response.set_status(503);
        return response.send("Service Unavailable: this WebSocket endpoint is shutting down\n");
    }
    HandshakeOptions options = endpoint->m_options.handshake;
    options.deflate = endpoint->deflate_choice();
    Handshake handshake = check_handshake(exchange.request, options);
    if (handshake.status != 101) {
        ++endpoint->m_stats.refused;
        LOG_DEBUG("websocket: handshake refused (%u): %s", handshake.status, handshake.reason);
        response.set_status(handshake.status);
        if (handshake.status == 426) {
            response.add_header("Sec-WebSocket-Version", kWebSocketVersion);
            response.add_header("Upgrade", "websocket");
        }
        if (handshake.status == 405) response.add_header("Allow", "GET");
        response.set_close();
        char body[160];
        int n = snprintf(body, sizeof body, "%s\n", handshake.reason);
        return response.send({body, static_cast<size_t>(n)});
    }
    net::BufferedStream& io = *exchange.connection;
    TRY_VOID(write_handshake_response(io.output(), handshake));
    exchange.switch_protocols();
    WebSocket socket(*endpoint, io, handshake);
    TRY_VOID(io.output().flush());
    endpoint->m_handler(socket, endpoint->m_context);
    if (socket.is_open()) socket.close();
    return {};
}

void Endpoint::shutdown(sched::Deadline deadline) {
    m_shutting_down = true;
    for (WebSocket* socket = m_sockets; socket; socket = socket->m_next) {
        if (socket->is_open() && !socket->m_kill_code) {
            socket->m_kill_code = static_cast<uint16_t>(CloseCode::GoingAway);
            socket->m_io.stream().interrupt();
        }
    }
    // Each connection's coroutine sends its 1001 and waits for the client's close.
    while (m_stats.open > 0 && sched::now() < deadline) sched::sleep_for(kShutdownPoll);
}

}  // namespace coronet::websocket
