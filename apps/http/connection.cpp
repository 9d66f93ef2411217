// The per-connection request loop. Buffers: one input buffer holding the current request's
// head (the Request's views point into it) followed by whatever else arrived (body bytes, the
// next pipelined requests); one output buffer that gathers responses until the connection
// would wait for input, so a pipelined batch is answered with one write.
#include "apps/http/connection.hpp"

#include <cstdlib>
#include <cstring>

#include "apps/http/status_code.hpp"
#include "kernel/log.hpp"
#include "kernel/sched/scheduler.hpp"

namespace coronet::http {
namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr size_t kLingerBuffer = 512;
constexpr size_t kBodyGrowth = 4 * 1024;

}  // namespace

Connection::Connection(Server& server, net::TcpStream&& stream)
    : m_server(server), m_stream(static_cast<net::TcpStream&&>(stream)),
      m_output(*this, m_output_buffer, sizeof m_output_buffer), m_parser(server.options().limits) {}

Connection::~Connection() {
    free(m_input);
    free(m_body);
}

Result<void> Connection::write_all(const void* data, size_t length) {
    return m_stream.write_all(data, length, sched::now() + m_server.options().send_timeout_ns);
}

void Connection::run() {
    m_capacity = kInitialInputBuffer;
    m_input = static_cast<char*>(malloc(m_capacity));
    if (!m_input) {
        m_stream.abort();
        return;
    }
    Outcome outcome;
    do {
        outcome = serve_one();
    } while (outcome == Outcome::Next);
    if (outcome == Outcome::Abort) m_stream.abort();
    else close_gracefully();
}

// Room after m_end for at least one more byte: grows the buffer up to what the head limit
// needs (the parser reports 431 before a head could outgrow that).
bool Connection::ensure_room() {
    if (m_end < m_capacity) return true;
    size_t limit = m_server.options().limits.header_bytes + kInitialInputBuffer;
    if (m_capacity >= limit) return false;
    size_t grown = m_capacity * 2 < limit ? m_capacity * 2 : limit;
    auto* bigger = static_cast<char*>(realloc(m_input, grown));
    if (!bigger) return false;
    m_input = bigger;
    m_capacity = grown;
    return true;
}

bool Connection::fill(sched::Deadline deadline, bool& timed_out) {
    timed_out = false;
    // About to wait: whatever responses are gathered go out first.
    if (!m_output.flush()) return false;
    if (!ensure_room()) return false;
    auto n = m_stream.read(m_input + m_end, m_capacity - m_end, deadline);
    if (!n) {
        timed_out = n.error() == Error::Timeout;
        return false;
    }
    if (*n == 0) return false;
    m_end += *n;
    return true;
}

Connection::Outcome Connection::serve_one() {
    const ServerOptions& options = m_server.options();
    // The next request starts at the front of the buffer.
    if (m_start > 0) {
        std::memmove(m_input, m_input + m_start, m_end - m_start);
        m_end -= m_start;
        m_start = 0;
    }
    m_parser.reset();  // its first parse() call resets m_request (HeadParser::begin)

    // An idle keep-alive connection waits idle_timeout for a first byte; from then on the whole
    // head must arrive within header_timeout (a slow client cannot hold the slot forever).
    sched::Deadline head_deadline = m_end > 0 ? sched::now() + options.header_timeout_ns : 0;
    for (;;) {
        ParseStatus status = m_parser.parse({m_input, m_end}, m_request);
        if (status == ParseStatus::Done) break;
        if (status == ParseStatus::Error) return fail(m_parser.error().status, m_parser.error().reason);
        bool idle = m_end == 0;
        sched::Deadline deadline = idle ? sched::now() + options.idle_timeout_ns : head_deadline;
        bool timed_out;
        if (!fill(deadline, timed_out)) {
            if (timed_out && !idle) {
                ++m_server.counters().timeouts;
                return fail(408, "the request head did not arrive in time");
            }
            if (m_end == m_capacity) return fail(431, "request head too large");
            return Outcome::Close;  // idle timeout, end of stream or error: nothing to answer
        }
        if (idle) head_deadline = sched::now() + options.header_timeout_ns;
    }
    ++m_server.counters().requests;

    size_t body_consumed = 0;
    if (m_request.framing != BodyFraming::None) {
        Outcome body = read_body(m_request, body_consumed);
        if (body != Outcome::Next) return body;
    } else {
        m_body_length = 0;
    }
    m_start = m_parser.head_length() + body_consumed;
    return dispatch(m_request);
}

// Decodes the body into m_body. The head stays at the front of the input buffer; body bytes
// are read into the space after it and consumed from there. `consumed` is how far past the
// head this request's bytes reach in the buffer (the next request starts there).
Connection::Outcome Connection::read_body(const Request& request, size_t& consumed) {
    const ServerOptions& options = m_server.options();
    BodyDecoder decoder(request, options.limits);
    m_body_length = 0;
    size_t head = m_parser.head_length();
    size_t position = head;
    if (request.expect_continue && request.version == Version::Http11 && m_end == head) {
        if (!m_output.append(kContinue) || !m_output.flush()) return Outcome::Abort;
    }
    for (;;) {
        while (position < m_end) {
            BodyDecoder::Step step;
            ParseStatus status = decoder.decode({m_input + position, m_end - position}, step);
            if (status == ParseStatus::Error) return fail(decoder.error().status, decoder.error().reason);
            if (!step.data.empty()) {
                if (m_body_length + step.data.size() > m_body_capacity) {
                    size_t wanted = m_body_length + step.data.size();
                    if (request.framing == BodyFraming::ContentLength && request.content_length > wanted)
                        wanted = request.content_length;  // the whole body at once
                    else
                        wanted += kBodyGrowth;
                    auto* grown = static_cast<char*>(realloc(m_body, wanted));
                    if (!grown) return fail(503, "out of memory for the request body");
                    m_body = grown;
                    m_body_capacity = wanted;
                }
                std::memcpy(m_body + m_body_length, step.data.data(), step.data.size());
                m_body_length += step.data.size();
            }
            if (step.consumed == 0 && status == ParseStatus::NeedMore)
                return fail(500, "body decoder made no progress");
            position += step.consumed;
            if (status == ParseStatus::Done) {
                consumed = position - head;
                return Outcome::Next;
            }
        }
        if (decoder.done()) {
            consumed = position - head;
            return Outcome::Next;
        }
        // Everything after the head is decoded: reuse that space for the next bytes.
        m_end = position = head;
        bool timed_out;
        if (!fill(sched::now() + options.body_timeout_ns, timed_out)) {
            if (timed_out) {
                ++m_server.counters().timeouts;
                return fail(408, "the request body did not arrive in time");
            }
            return Outcome::Close;
        }
    }
}

Connection::Outcome Connection::dispatch(const Request& request) {
    ResponseContext context{
        .version = request.version,
        .head_only = request.method == Method::Head,
        .keep_alive = request.keep_alive,
        .date = m_server.date(),
    };
    Response response(m_output, context);
    Result<void> written;
    if (request.method == Method::Other) {
        response.set_status(501);
        written = response.send("Not Implemented: unknown method\n");
    } else {
        Router::Match match = m_server.router().match(request.method, request.path);
        if (match.handler) {
            Exchange exchange{request, {m_body, m_body_length}, match.params, response, match.context};
            written = match.handler(exchange);
            if (written && !response.started()) {  // a handler that forgot to answer
                response.set_status(500);
                written = response.send("Internal Server Error: no response\n");
            } else if (written && !response.finished()) {
                written = response.end();
            }
        } else if (match.allow[0]) {
            response.set_status(405);
            response.add_header("Allow", match.allow);
            written = response.send("Method Not Allowed\n");
        } else {
            response.set_status(404);
            written = response.send("Not Found\n");
        }
    }
    count_response(response.status());
    if (!written) return Outcome::Abort;
    return response.keep_alive() ? Outcome::Next : Outcome::Close;
}

void Connection::count_response(uint16_t status) {
    if (status >= 500) ++m_server.counters().responses_5xx;
    else if (status >= 400) ++m_server.counters().responses_4xx;
}

Connection::Outcome Connection::fail(uint16_t status, const char* detail) {
    count_response(status);
    LOG_DEBUG("http: %u %s (%s)", status, reason_phrase(status), detail);
    ResponseContext context{.version = Version::Http11, .head_only = false, .keep_alive = false, .date = m_server.date()};
    Response response(m_output, context);
    response.set_status(status);
    char body[160];
    size_t length = 0;
    for (const char* part : {reason_phrase(status), ": ", detail, "\n"}) {
        size_t n = std::strlen(part);
        if (n > sizeof body - length) n = sizeof body - length;
        std::memcpy(body + length, part, n);
        length += n;
    }
    if (!response.send({body, length})) return Outcome::Abort;
    return Outcome::Close;
}

// Sends what is buffered and a FIN, then reads and drops what the client still sends until it
// closes (bounded in time): closing with unread data would reset the connection and could
// destroy the response before the client read it.
void Connection::close_gracefully() {
    if (!m_output.flush() || !m_stream.shutdown()) {
        m_stream.abort();
        return;
    }
    char sink[kLingerBuffer];
    sched::Deadline deadline = sched::now() + m_server.options().linger_ns;
    for (;;) {
        auto n = m_stream.read(sink, sizeof sink, deadline);
        if (!n || *n == 0) break;
    }
    m_stream.close();
}

}  // namespace coronet::http
