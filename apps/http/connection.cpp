// The per-connection request loop over a BufferedStream: the input holds the current
// request's head (the Request's views point into it) followed by whatever else arrived (body
// bytes, the next pipelined requests); the output gathers responses until the connection would
// wait for input, so a pipelined batch is answered with one write.
#include "apps/http/connection.hpp"

#include <cstdlib>
#include <cstring>

#include "apps/http/status_code.hpp"
#include "kernel/log.hpp"
#include "kernel/sched/scheduler.hpp"

namespace coronet::http {
namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr size_t kBodyGrowth = 4 * 1024;

net::BufferedStreamOptions buffer_options(const ServerOptions& options) {
    // Room for the largest head the limits allow plus a buffer's worth of what follows it.
    return {.max_input = options.limits.header_bytes + net::kConnectionBufferSize,
            .send_timeout_ns = options.send_timeout_ns,
            .linger_ns = options.linger_ns};
}

}  // namespace

// Here rather than with the router: only a served connection has a stream to hand over.
net::BufferedStream& Exchange::switch_protocols() {
    connection->consume(head_length);
    head_length = 0;
    switched = true;
    return *connection;
}

Connection::Connection(Server& server, net::TcpStream& stream)
    : m_server(server),
      m_io(stream, buffer_options(server.options())),
      m_parser(server.options().limits) {}

Connection::~Connection() { release_body(); }

void Connection::release_body() {
    free(m_body);
    m_body = nullptr;
    m_body_capacity = m_body_length = 0;
}

void Connection::run() {
    Outcome outcome;
    do {
        outcome = serve_one();
    } while (outcome == Outcome::Next);
    if (outcome == Outcome::Abort) m_io.abort();
    else m_io.close_gracefully();
}

Connection::Outcome Connection::serve_one() {
    if (Outcome head = read_head(); head != Outcome::Next) return head;
    ++m_server.counters().requests;
    size_t body_consumed = 0;
    if (m_request.framing != BodyFraming::None) {
        if (Outcome body = read_body(body_consumed); body != Outcome::Next) return body;
    }
    Outcome outcome = dispatch();
    if (outcome == Outcome::Switched) return Outcome::Close;  // the handler consumed the head
    // The next request starts after this one; nothing moves until the buffer runs out of room.
    m_io.consume(m_parser.head_length() + body_consumed);
    release_body();
    return outcome;
}

Connection::Outcome Connection::read_head() {
    const ServerOptions& options = m_server.options();
    m_parser.reset();  // its first parse() call resets m_request (HeadParser::begin)
    // An idle keep-alive connection waits idle_timeout for a first byte; from then on the whole
    // head must arrive within header_timeout (a slow client cannot hold the slot forever).
    sched::Deadline head_deadline =
        m_io.input().empty() ? 0 : sched::now() + options.header_timeout_ns;
    for (;;) {
        ParseStatus status = m_parser.parse(m_io.input(), m_request);
        if (status == ParseStatus::Done) return Outcome::Next;
        if (status == ParseStatus::Error)
            return fail(m_parser.error().status, m_parser.error().reason);
        bool idle = m_io.input().empty();
        // At the connection limit, idle connections make room first, then unfinished heads.
        auto n = m_io.fill(idle ? sched::now() + options.idle_timeout_ns : head_deadline,
                           net::BufferedStream::Room::MayMove,
                           idle ? net::Reclaim::Idle : net::Reclaim::Partial);
        if (!n) {
            if (n.error() == Error::Timeout && !idle) {
                ++m_server.counters().timeouts;
                return fail(408, "the request head did not arrive in time");
            }
            if (n.error() == Error::LimitReached) return fail(431, "request head too large");
            if (n.error() == Error::OutOfMemory) return Outcome::Abort;  // refuse; others carry on
            return Outcome::Close;  // idle timeout or error: nothing to answer
        }
        if (*n == 0) return Outcome::Close;  // end of stream
        if (idle) head_deadline = sched::now() + options.header_timeout_ns;
    }
}

// Decodes the body into m_body. The head stays at the front of the input; body bytes are read
// into the space after it and dropped once decoded. `consumed` is how far past the head this
// request's bytes reach in the input (the next request starts there).
Connection::Outcome Connection::read_body(size_t& consumed) {
    const ServerOptions& options = m_server.options();
    BodyDecoder decoder(m_request, options.limits);
    size_t head = m_parser.head_length();
    size_t position = head;
    if (m_request.expect_continue && m_request.version == Version::Http11 &&
        m_io.input().size() == head) {
        if (!m_io.output().append(kContinue) || !m_io.output().flush()) return Outcome::Abort;
    }
    for (;;) {
        std::string_view input = m_io.input();
        while (position < input.size()) {
            BodyDecoder::Step step;
            ParseStatus status = decoder.decode(input.substr(position), step);
            if (status == ParseStatus::Error)
                return fail(decoder.error().status, decoder.error().reason);
            if (!step.data.empty()) {
                if (m_body_length + step.data.size() > m_body_capacity) {
                    size_t wanted = m_body_length + step.data.size();
                    if (m_request.framing == BodyFraming::ContentLength &&
                        m_request.content_length > wanted)
                        wanted = m_request.content_length;  // the whole body at once
                    else wanted += kBodyGrowth;
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
        // Everything after the head is decoded: reuse that space for the next bytes. The head
        // must not move while it is read (the request's views point into it); if there is no
        // room after it, move it once and parse it again where it now is.
        m_io.truncate(head);
        position = head;
        if (!m_io.room_in_place()) {
            if (!m_io.make_room()) return fail(503, "out of memory for the request");
            m_parser.reset();
            if (m_parser.parse(m_io.input(), m_request) != ParseStatus::Done)
                return fail(500, "request head changed when moved");
        }
        auto n =
            m_io.fill(sched::now() + options.body_timeout_ns, net::BufferedStream::Room::InPlace);
        if (!n) {
            if (n.error() == Error::Timeout) {
                ++m_server.counters().timeouts;
                return fail(408, "the request body did not arrive in time");
            }
            return Outcome::Close;
        }
        if (*n == 0) return Outcome::Close;
    }
}

Connection::Outcome Connection::dispatch() {
    const Request& request = m_request;
    ResponseContext context{
        .version = request.version,
        .head_only = request.method == Method::Head,
        .keep_alive = request.keep_alive,
        .date = m_server.date(),
    };
    Response response(m_io.output(), context);
    Result<void> written;
    if (request.method == Method::Other) {
        response.set_status(501);
        written = response.send("Not Implemented: unknown method\n");
    } else {
        Router::Match match = m_server.router().match(request.method, request.path);
        if (match.handler) {
            Exchange exchange{
                request, {m_body, m_body_length}, match.params, response, match.context,
                &m_io,   m_parser.head_length()};
            written = match.handler(exchange);
            if (exchange.switched) return Outcome::Switched;
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
    ResponseContext context{.version = Version::Http11,
                            .head_only = false,
                            .keep_alive = false,
                            .date = m_server.date()};
    Response response(m_io.output(), context);
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

}  // namespace coronet::http
