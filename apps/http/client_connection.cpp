// The client side of an HTTP/1.1 exchange over a BufferedStream (see client_connection.hpp).
#include "apps/http/client_connection.hpp"

namespace coronet::http {

ClientConnection::ClientConnection(net::TcpStream&& stream, const Limits& limits,
                                   const ClientTimeouts& timeouts)
    : m_stream(static_cast<net::TcpStream&&>(stream)),
      m_io(m_stream, {.max_input = limits.header_bytes + net::kConnectionBufferSize,
                      .send_timeout_ns = timeouts.write_ns,
                      .linger_ns = 0}),
      m_limits(limits),
      m_parser(limits) {}

Result<void> ClientConnection::broken(Error error) {
    m_state = State::Broken;
    return error;
}

Result<void> ClientConnection::begin_request(std::string_view method, std::string_view target,
                                             std::string_view host) {
    if (m_state == State::Done) {  // the last response is read: its bytes go now
        m_io.consume(m_body_position);
        m_state = State::Idle;
    }
    if (m_state != State::Idle || !m_io.input().empty()) return Error::Closed;
    m_state = State::Writing;
    Output& out = m_io.output();
    TRY_VOID(out.append(method));
    TRY_VOID(out.append(" "));
    TRY_VOID(out.append(target));
    TRY_VOID(out.append(" HTTP/1.1\r\nHost: "));
    TRY_VOID(out.append(host));
    return out.append("\r\n");
}

Result<void> ClientConnection::add_field(std::string_view name, std::string_view value) {
    if (m_state != State::Writing) return Error::InvalidArgument;
    Output& out = m_io.output();
    TRY_VOID(out.append(name));
    TRY_VOID(out.append(": "));
    TRY_VOID(out.append(value));
    return out.append("\r\n");
}

Result<void> ClientConnection::end_head(const RequestBodyFraming& body) {
    if (m_state != State::Writing) return Error::InvalidArgument;
    m_chunked_request = body.framing == BodyFraming::Chunked;
    Output& out = m_io.output();
    if (body.framing == BodyFraming::ContentLength) {
        TRY_VOID(out.append("Content-Length: "));
        TRY_VOID(out.append_decimal(body.content_length));
        TRY_VOID(out.append("\r\n"));
    } else if (m_chunked_request) {
        TRY_VOID(out.append("Transfer-Encoding: chunked\r\n"));
    }
    return out.append("\r\n");
}

Result<void> ClientConnection::write_body(std::string_view piece) {
    if (m_state != State::Writing) return Error::InvalidArgument;
    if (piece.empty()) return {};
    Output& out = m_io.output();
    auto written = [&]() -> Result<void> {
        if (!m_chunked_request) return out.append(piece);
        TRY_VOID(out.append_hex(piece.size()));
        TRY_VOID(out.append("\r\n"));
        TRY_VOID(out.append(piece));
        return out.append("\r\n");
    }();
    return written ? written : broken(written.error());
}

Result<void> ClientConnection::end_request() {
    if (m_state != State::Writing) return Error::InvalidArgument;
    if (m_chunked_request) {
        if (auto last = m_io.output().append("0\r\n\r\n"); !last) return broken(last.error());
    }
    if (auto flushed = m_io.output().flush(); !flushed) return broken(flushed.error());
    m_state = State::Reading;
    return {};
}

Result<const ResponseHead*> ClientConnection::read_head(Method method, sched::Deadline deadline) {
    if (m_state != State::Reading) return Error::InvalidArgument;
    m_method = method;
    m_parser.reset();
    for (;;) {
        ParseStatus status = m_parser.parse(m_io.input(), m_head, method);
        if (status == ParseStatus::Done) {
            if (m_head.interim()) {  // 100 Continue, 103 Early Hints: the final head follows
                m_io.consume(m_parser.head_length());
                m_parser.reset();
                continue;
            }
            m_head_length = m_body_position = m_parser.head_length();
            m_decoder = BodyDecoder(m_head, m_limits);
            m_keep_alive = m_head.keep_alive;
            m_state = m_head.framing == BodyFraming::None ? State::Done : State::Body;
            if (m_state == State::Done) ++m_exchanges;
            return &m_head;
        }
        if (status == ParseStatus::Error) {
            m_error = m_parser.error();
            return broken(Error::Malformed).error();
        }
        auto n = m_io.fill(deadline);
        if (!n) return broken(n.error()).error();
        if (*n == 0) return broken(Error::Closed).error();
    }
}

net::BufferedStream& ClientConnection::switch_protocols() {
    if (m_state == State::Done) m_io.consume(m_body_position);
    m_state = State::Broken;
    return m_io;
}

Result<std::string_view> ClientConnection::read_body(sched::Deadline deadline) {
    if (m_state == State::Done) return std::string_view{};
    if (m_state != State::Body) return Error::InvalidArgument;
    for (;;) {
        std::string_view input = m_io.input();
        while (m_body_position < input.size()) {
            BodyDecoder::Step step;
            ParseStatus status = m_decoder.decode(input.substr(m_body_position), step);
            if (status == ParseStatus::Error) {
                m_error = m_decoder.error();
                return broken(Error::Malformed).error();
            }
            if (step.consumed == 0 && status == ParseStatus::NeedMore)
                return broken(Error::Malformed).error();
            m_body_position += step.consumed;
            if (status == ParseStatus::Done || m_decoder.done()) {
                m_state = State::Done;
                ++m_exchanges;
            }
            if (!step.data.empty() || m_state == State::Done) return step.data;
        }
        // All read after the head is decoded: reuse that space. The head's views must stay
        // valid, so it moves only when there is no room after it, and is parsed again there.
        m_io.truncate(m_head_length);
        m_body_position = m_head_length;
        if (!m_io.room_in_place()) {
            if (auto room = m_io.make_room(); !room) return broken(room.error()).error();
            m_parser.reset();
            if (m_parser.parse(m_io.input(), m_head, m_method) != ParseStatus::Done)
                return broken(Error::Malformed).error();
        }
        auto n = m_io.fill(deadline, net::BufferedStream::Room::InPlace);
        if (!n) return broken(n.error()).error();
        if (*n == 0) {  // the server closed: the end of an UntilClose body, else cut short
            if (m_decoder.finish() != ParseStatus::Done) {
                m_error = m_decoder.error();
                return broken(Error::Malformed).error();
            }
            m_state = State::Done;
            m_keep_alive = false;
            ++m_exchanges;
            return std::string_view{};
        }
    }
}

bool ClientConnection::reusable() const {
    return m_state == State::Done && m_keep_alive && m_io.input().size() == m_body_position &&
           !m_stream.peer_gone();
}

}  // namespace coronet::http
