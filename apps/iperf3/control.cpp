// The control connection's bytes: what the server sends is gathered in the BufferedStream's
// output and flushed at once (the client waits for each state); what it receives is parsed in
// place by protocol.hpp's framing.
#include "apps/iperf3/control.hpp"

namespace coronet::iperf3 {
namespace {

void put_be32(char* out, int32_t value) {
    auto bits = static_cast<uint32_t>(value);
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(bits >> (24 - 8 * i));
}

Result<void> send_bytes(net::BufferedStream& io, std::string_view bytes) {
    TRY_VOID(io.output().append(bytes));
    return io.output().flush();
}

}  // namespace

Result<void> send_states(net::BufferedStream& io, std::initializer_list<State> states) {
    for (State state : states) {
        char byte = static_cast<char>(state);
        TRY_VOID(io.output().append({&byte, 1}));
    }
    return io.output().flush();
}

Result<void> send_state(net::BufferedStream& io, State state) { return send_states(io, {state}); }

Result<void> send_refusal(net::BufferedStream& io, const Refusal& refusal) {
    char bytes[1 + 4 + 4];
    bytes[0] = static_cast<char>(State::ServerError);
    put_be32(bytes + 1, static_cast<int32_t>(refusal.code));
    put_be32(bytes + 5, refusal.errno_value);
    return send_bytes(io, {bytes, sizeof bytes});
}

Result<void> send_message(net::BufferedStream& io, std::string_view json) {
    char header[kMessageHeaderSize];
    encode_message_header(static_cast<uint32_t>(json.size()), header);
    TRY_VOID(io.output().append({header, sizeof header}));
    TRY_VOID(io.output().append(json));
    return io.output().flush();
}

Result<std::string_view> receive_message(net::BufferedStream& io, sched::Deadline deadline) {
    for (;;) {
        std::string_view body;
        switch (parse_message(io.input(), body)) {
        case ParseStatus::Done: return body;
        case ParseStatus::Error: return Error::Malformed;
        case ParseStatus::NeedMore: break;
        }
        if (TRY(io.fill(deadline)) == 0) return Error::Closed;
    }
}

Result<State> receive_state(net::BufferedStream& io, sched::Deadline deadline) {
    while (io.input().empty())
        if (TRY(io.fill(deadline)) == 0) return Error::Closed;
    auto state = static_cast<State>(io.input()[0]);
    io.consume(1);
    return state;
}

Result<std::string_view> receive_cookie(net::TcpStream& stream, char (&buffer)[kCookieSize],
                                        sched::Deadline deadline) {
    size_t got = 0;
    for (;;) {
        std::string_view cookie;
        switch (parse_cookie({buffer, got}, cookie)) {
        case ParseStatus::Done: return cookie;
        case ParseStatus::Error: return Error::Malformed;
        case ParseStatus::NeedMore: break;
        }
        size_t n = TRY(stream.read(buffer + got, kCookieSize - got, deadline));
        if (n == 0) return Error::Closed;
        got += n;
    }
}

}  // namespace coronet::iperf3
