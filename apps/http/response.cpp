// Response heads and bodies written into the connection's Output.
#include "apps/http/response.hpp"

#include <cstring>

#include "apps/http/forwarding.hpp"
#include "apps/http/status_code.hpp"

namespace coronet::http {

bool Response::add_header(std::string_view name, std::string_view value) {
    size_t needed = name.size() + 2 + value.size() + 2;
    if (started() || needed > kExtraHeaderSpace - m_extra_length) return false;
    char* p = m_extra + m_extra_length;
    std::memcpy(p, name.data(), name.size());
    p += name.size();
    *p++ = ':';
    *p++ = ' ';
    std::memcpy(p, value.data(), value.size());
    p += value.size();
    *p++ = '\r';
    *p++ = '\n';
    m_extra_length += needed;
    return true;
}

Result<void> Response::write_head(std::string_view content_type, const uint64_t* content_length,
                                  bool chunked, const Relayed* relayed) {
    Output& out = m_output;
    TRY_VOID(out.append("HTTP/1.1 "));
    TRY_VOID(out.append_decimal(m_status));
    TRY_VOID(out.append(" "));
    TRY_VOID(out.append(reason_phrase(m_status)));
    TRY_VOID(out.append("\r\nServer: "));
    TRY_VOID(out.append(kServerName));
    if (!m_context.date.empty()) {
        TRY_VOID(out.append("\r\nDate: "));
        TRY_VOID(out.append(m_context.date));
    }
    if (!content_type.empty()) {
        TRY_VOID(out.append("\r\nContent-Type: "));
        TRY_VOID(out.append(content_type));
    }
    if (content_length) {
        TRY_VOID(out.append("\r\nContent-Length: "));
        TRY_VOID(out.append_decimal(*content_length));
    }
    if (chunked) TRY_VOID(out.append("\r\nTransfer-Encoding: chunked"));
    // HTTP/1.1 keeps connections open unless told; an HTTP/1.0 client asked for keep-alive and
    // must see it granted, or it waits for the close.
    if (!keep_alive()) TRY_VOID(out.append("\r\nConnection: close"));
    else if (m_context.version == Version::Http10)
        TRY_VOID(out.append("\r\nConnection: keep-alive"));
    TRY_VOID(out.append("\r\n"));
    for (size_t i = 0; relayed && i < relayed->count; ++i) {
        const Header& field = relayed->fields[i];
        if (!forwardable(field, relayed->connection) || equals_ignore_case(field.name, "Date") ||
            equals_ignore_case(field.name, "Server"))
            continue;
        TRY_VOID(out.append(field.name));
        TRY_VOID(out.append(": "));
        TRY_VOID(out.append(field.value));
        TRY_VOID(out.append("\r\n"));
    }
    TRY_VOID(out.append({m_extra, m_extra_length}));
    return out.append("\r\n");
}

Result<void> Response::send(std::string_view body, std::string_view content_type) {
    if (started()) return Error::InvalidArgument;
    m_state = State::Done;
    if (!status_allows_body(m_status)) return write_head({}, nullptr, false);
    uint64_t length = body.size();
    TRY_VOID(write_head(content_type, &length, false));
    if (m_context.head_only) return {};
    return m_output.append(body);
}

Result<void> Response::send_empty() {
    if (status_allows_body(m_status)) return send({}, {});
    if (started()) return Error::InvalidArgument;
    m_state = State::Done;
    return write_head({}, nullptr, false);
}

Result<void> Response::begin_stream(std::string_view content_type) {
    if (started()) return Error::InvalidArgument;
    m_state = State::Streaming;
    // HTTP/1.0 has no chunked coding: the end of the body is the end of the connection.
    m_chunked = m_context.version == Version::Http11;
    if (!m_chunked) m_close = true;
    return write_head(content_type, nullptr, m_chunked);
}

Result<void> Response::begin_relay(const Header* fields, size_t field_count,
                                   std::string_view connection, const uint64_t* content_length) {
    if (started()) return Error::InvalidArgument;
    m_state = State::Streaming;
    Relayed relayed{fields, field_count, connection};
    if (!status_allows_body(m_status)) {
        m_context.head_only = true;  // nothing may follow the head
        return write_head({}, nullptr, false, &relayed);
    }
    m_chunked = !content_length && m_context.version == Version::Http11;
    if (!content_length && !m_chunked) m_close = true;
    return write_head({}, content_length, m_chunked, &relayed);
}

Result<void> Response::write(std::string_view piece) {
    if (m_state != State::Streaming) return Error::InvalidArgument;
    if (piece.empty() || m_context.head_only) return {};
    if (!m_chunked) return m_output.append(piece);
    TRY_VOID(m_output.append_hex(piece.size()));
    TRY_VOID(m_output.append("\r\n"));
    TRY_VOID(m_output.append(piece));
    return m_output.append("\r\n");
}

Result<void> Response::end() {
    if (m_state != State::Streaming) return Error::InvalidArgument;
    m_state = State::Done;
    if (!m_chunked || m_context.head_only) return {};
    return m_output.append("0\r\n\r\n");
}

}  // namespace coronet::http
