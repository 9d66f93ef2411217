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

// The head parser leaves the body limit to serve_request(): a route that streams its body (a proxy)
// is not held to it.
Limits head_limits(const Limits& limits) {
    Limits unlimited = limits;
    unlimited.body_bytes = kNoBodyLimit;
    return unlimited;
}

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
      m_parser(head_limits(server.options().limits)) {}

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
    return serve_request();
}

// Out of line, so that its frame (the route match, a few hundred bytes) is not on the stack
// while the connection waits for its next request: an idle connection keeps one stack page.
[[gnu::noinline]] Connection::Outcome Connection::serve_request() {
    ++m_server.counters().requests;
    Router::Match match;
    if (m_request.method != Method::Other)
        match = m_server.router().match(m_request.method, m_request.path);
    bool streaming = match.handler && match.stream_body;
    const Limits& limits = m_server.options().limits;
    if (!streaming && m_request.framing == BodyFraming::ContentLength &&
        m_request.content_length > limits.body_bytes)
        return fail(413, "body larger than the limit");
    // In this frame, not the connection's: an idle connection's stack holds no decoder.
    BodyDecoder decoder(m_request, streaming ? head_limits(limits) : limits);
    m_decoder = &decoder;
    m_body_position = m_parser.head_length();
    m_body_done = m_request.framing == BodyFraming::None;
    if (!m_body_done && !streaming) {
        if (Outcome body = read_body(); body != Outcome::Next) {
            m_decoder = nullptr;
            return body;
        }
    }
    Outcome outcome = dispatch(match);
    m_decoder = nullptr;
    if (outcome == Outcome::Switched) return Outcome::Close;  // the handler consumed the head
    // A streaming handler that left body bytes unread: where the next request starts is unknown.
    if (!m_body_done && outcome == Outcome::Next) outcome = Outcome::Close;
    // The next request starts after this one; nothing moves until the buffer runs out of room.
    m_io.consume(m_body_position);
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

// Decodes the whole body into m_body, piece by piece.
Connection::Outcome Connection::read_body() {
    for (;;) {
        auto piece = next_body_piece();
        if (!piece) {
            switch (piece.error()) {
            case Error::Malformed:
            case Error::LimitReached: return fail(m_body_error.status, m_body_error.reason);
            case Error::Timeout: return fail(408, "the request body did not arrive in time");
            case Error::OutOfMemory: return fail(503, "out of memory for the request");
            default: return Outcome::Close;
            }
        }
        if (piece->empty()) return Outcome::Next;
        if (m_body_length + piece->size() > m_body_capacity) {
            size_t wanted = m_body_length + piece->size();
            if (m_request.framing == BodyFraming::ContentLength &&
                m_request.content_length > wanted)
                wanted = m_request.content_length;  // the whole body at once
            else wanted += kBodyGrowth;
            auto* grown = static_cast<char*>(realloc(m_body, wanted));
            if (!grown) return fail(503, "out of memory for the request body");
            m_body = grown;
            m_body_capacity = wanted;
        }
        std::memcpy(m_body + m_body_length, piece->data(), piece->size());
        m_body_length += piece->size();
    }
}

// The head stays at the front of the input; body bytes are read into the space after it and
// dropped once decoded (the piece returned is the caller's until the next call). When the body
// is complete, m_body_position is how far this request's bytes reach (the next starts there).
Result<std::string_view> Connection::next_body_piece() {
    const ServerOptions& options = m_server.options();
    size_t head = m_parser.head_length();
    if (m_request.expect_continue && m_request.version == Version::Http11 &&
        m_io.input().size() == head && m_body_position == head && !m_body_done) {
        m_request.expect_continue = false;  // once
        TRY_VOID(m_io.output().append(kContinue));
        TRY_VOID(m_io.output().flush());
    }
    if (!m_body_done && !m_decoder) return Error::Closed;  // only while a request is served
    for (;;) {
        if (m_body_done) return std::string_view{};
        std::string_view input = m_io.input();
        while (m_body_position < input.size()) {
            BodyDecoder::Step step;
            ParseStatus status = m_decoder->decode(input.substr(m_body_position), step);
            if (status == ParseStatus::Error) {
                m_body_error = m_decoder->error();
                return m_body_error.status == 413 ? Error::LimitReached : Error::Malformed;
            }
            if (step.consumed == 0 && status == ParseStatus::NeedMore) {
                m_body_error = {500, "body decoder made no progress"};
                return Error::Malformed;
            }
            m_body_position += step.consumed;
            if (status == ParseStatus::Done || m_decoder->done()) m_body_done = true;
            if (!step.data.empty()) return step.data;
            if (m_body_done) return std::string_view{};
        }
        // Everything after the head is decoded: reuse that space for the next bytes. The head
        // must not move while it is read (the request's views point into it); if there is no
        // room after it, move it once and parse it again where it now is.
        m_io.truncate(head);
        m_body_position = head;
        if (!m_io.room_in_place()) {
            TRY_VOID(m_io.make_room());
            m_parser.reset();
            if (m_parser.parse(m_io.input(), m_request) != ParseStatus::Done) {
                m_body_error = {500, "request head changed when moved"};
                return Error::Malformed;
            }
        }
        auto n =
            m_io.fill(sched::now() + options.body_timeout_ns, net::BufferedStream::Room::InPlace);
        if (!n) {
            if (n.error() == Error::Timeout) ++m_server.counters().timeouts;
            return n.error();
        }
        if (*n == 0) return Error::Closed;
    }
}

Connection::Outcome Connection::dispatch(const Router::Match& match) {
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
        if (match.handler) {
            Exchange exchange{
                request, {m_body, m_body_length}, match.params, response, match.context,
                &m_io,   m_parser.head_length()};
            if (match.stream_body) exchange.body_source = this;
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
