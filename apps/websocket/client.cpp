// The client's connect sequence (resolve, TCP, handshake) and its calls on the session, each
// handing the session the deadline its writes must keep.
#include "apps/websocket/client.hpp"

#include <cstring>

#include "apps/http/parser.hpp"
#include "kernel/log.hpp"
#include "lib/output.hpp"
#include "lwip/arch.h"
#include "net/resolver.hpp"

namespace coronet::websocket {
namespace {

constexpr size_t kRequestBuffer = 1024;  // the upgrade request is gathered in this much
constexpr size_t kMaxCloseReason = kMaxControlPayload - 2;

// The upgrade request goes straight to the new connection, bounded by connect()'s deadline.
class DeadlineSink final : public Sink {
public:
    DeadlineSink(net::TcpStream& stream, sched::Deadline deadline)
        : m_stream(stream), m_deadline(deadline) {}
    Result<void> write_all(const void* data, size_t length) override {
        return m_stream.write_all(data, length, m_deadline);
    }

private:
    net::TcpStream& m_stream;
    sched::Deadline m_deadline;
};

EndpointOptions endpoint_options(const ClientOptions& options) {
    EndpointOptions endpoint;
    endpoint.max_message = options.max_message;
    endpoint.idle_timeout_ns = options.idle_timeout_ns;
    endpoint.pong_timeout_ns = options.pong_timeout_ns;
    endpoint.close_timeout_ns = options.close_timeout_ns;
    return endpoint;
}

net::BufferedStreamOptions stream_options(const ClientOptions& options) {
    // Frames are consumed as they are decoded: the input grows past one pooled buffer only for
    // a long response head.
    return {.max_input = options.response_limits.header_bytes + net::kConnectionBufferSize,
            .send_timeout_ns = options.send_timeout_ns,
            .linger_ns = options.close_timeout_ns};
}

// The key's 16 bytes from the platform's random numbers (the CPU's generator, which the network
// stack's port also draws on): a server must not be able to predict it (§4.1).
void random_key_bytes(uint8_t out[kClientKeyBytes]) {
    for (size_t i = 0; i < kClientKeyBytes; i += 4) {
        uint32_t bits = coronet_lwip_random();
        std::memcpy(out + i, &bits, 4);
    }
}

}  // namespace

Client::Client(const ClientOptions& options)
    : m_options(options),
      m_endpoint(endpoint_options(options), nullptr),
      m_io(m_stream, stream_options(options)) {}

Client::~Client() { m_socket.reset(); }

Result<void> Client::fail(Error error, const char* why) {
    m_failure = why;
    LOG_DEBUG("websocket client: %s (%s)", why, error_name(error));
    return error;
}

Result<void> Client::connect(std::string_view text, sched::Deadline deadline) {
    if (is_open()) return fail(Error::Busy, "already connected");
    m_socket.reset();
    m_status = 0;
    m_failure = "";
    auto url = parse_url(text);
    if (!url) {
        return fail(url.error(), url.error() == Error::Unsupported
                                     ? "wss:// needs TLS, which this client does not have yet"
                                     : "not a ws:// URL");
    }
    if (!client_options_valid(m_options.handshake))
        return fail(Error::InvalidArgument, "the handshake options are invalid");
    auto resolved = net::resolve(url->host, deadline);
    if (!resolved) return fail(resolved.error(), "resolving the host failed");
    auto stream = net::TcpStream::connect({resolved->address, url->port}, deadline);
    if (!stream) return fail(stream.error(), "connecting failed");
    m_stream = stream.release_value();
    auto shaken = handshake(*url, deadline);
    if (!shaken) m_io.abort();
    return shaken;
}

Result<void> Client::handshake(const Url& url, sched::Deadline deadline) {
    uint8_t random[kClientKeyBytes];
    random_key_bytes(random);
    char key[kClientKeyLength + 1];
    if (!make_client_key(random, key))
        return fail(Error::InvalidArgument, "encoding the key failed");
    std::string_view key_text{key, kClientKeyLength};

    DeadlineSink sink(m_stream, deadline);
    char buffer[kRequestBuffer];
    Output request(sink, buffer, sizeof buffer);
    auto written = write_client_handshake(request, url, key_text, m_options.handshake);
    if (written) written = request.flush();
    if (!written) return fail(written.error(), "sending the upgrade request failed");

    http::HeadParser parser(m_options.response_limits);
    http::ResponseHead head;
    for (;;) {
        http::ParseStatus status = parser.parse(m_io.input(), head, http::Method::Get);
        if (status == http::ParseStatus::Done) {
            if (!head.interim()) break;
            m_io.consume(parser.head_length());  // 100 Continue and the like: the answer follows
            parser.reset();
            continue;
        }
        if (status == http::ParseStatus::Error)
            return fail(Error::Malformed, parser.error().reason);
        auto n = m_io.fill(deadline);
        if (!n) return fail(n.error(), "waiting for the answer to the upgrade failed");
        if (*n == 0) return fail(Error::Closed, "the server closed before answering the upgrade");
    }
    ClientHandshakeResult result = check_handshake_response(head, key_text, m_options.handshake);
    m_status = result.status;
    if (result.error != Error::None) return fail(result.error, result.reason);
    // What follows the head is the server's first frames; the session reads them from here on.
    // It copies the subprotocol (a view into the head) before anything can overwrite it.
    m_io.consume(parser.head_length());
    m_socket.emplace(m_endpoint, m_io, result.handshake, Role::Client);
    return {};
}

Result<WebSocket::Message> Client::recv(sched::Deadline deadline) {
    if (!m_socket) return Error::Closed;
    m_socket->set_write_limits(deadline, m_options.send_timeout_ns);  // pongs, pings, a close
    return m_socket->recv(deadline);
}

Result<void> Client::send(Opcode opcode, std::string_view payload, sched::Deadline deadline) {
    if (!m_socket) return Error::Closed;
    if (opcode != Opcode::Text && opcode != Opcode::Binary) return Error::InvalidArgument;
    m_socket->set_write_limits(deadline, m_options.send_timeout_ns);
    return m_socket->send(opcode, payload);
}

void Client::close(uint16_t code, std::string_view reason, sched::Deadline deadline) {
    if (!m_socket) return;
    // A code the wire may not carry (1005, 1006, 1015, out of range) would make the server
    // fail the connection instead of closing it.
    if (!close_code_allowed_on_wire(code)) code = static_cast<uint16_t>(CloseCode::Normal);
    // The reason must stay valid UTF-8 when cut to what a control frame holds.
    if (reason.size() > kMaxCloseReason) {
        size_t end = kMaxCloseReason;
        while (end > 0 && (static_cast<uint8_t>(reason[end]) & 0xC0) == 0x80) --end;
        reason = reason.substr(0, end);
    }
    if (!is_valid_utf8(reason)) reason = {};
    m_socket->set_write_limits(deadline, m_options.send_timeout_ns);
    m_socket->close(code, reason, deadline);
}

}  // namespace coronet::websocket
