// One HTTP/1.1 connection to a server, as a client drives it: write a request head and its
// body (Content-Length or chunked), then read the response head with the server's own parser
// (response mode) and its body piece by piece, each phase with its own deadline. The response
// head stays at the front of the input while the body is read after it, so its views stay valid
// until the next request. Reused for the next request when both sides allow (client_pool.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/parser.hpp"
#include "apps/http/request.hpp"
#include "apps/http/response_head.hpp"
#include "kernel/sched/list.hpp"
#include "lib/result.hpp"
#include "lib/time_units.hpp"
#include "net/buffered_stream.hpp"
#include "net/tcp.hpp"

namespace coronet::http {

// Per-phase limits of one exchange; each failure names its phase in ClientError.
struct ClientTimeouts {
    uint64_t connect_ns = 5 * kSecond;
    uint64_t write_ns = 30 * kSecond;       // the server taking each piece of the request
    uint64_t first_byte_ns = 60 * kSecond;  // from the end of the request to the response head
    uint64_t body_ns = 60 * kSecond;        // between pieces of the response body
};

// How the request body is delimited, as the head announces it.
struct RequestBodyFraming {
    BodyFraming framing = BodyFraming::None;  // None, ContentLength or Chunked
    uint64_t content_length = 0;
};

class ClientConnection {
public:
    ClientConnection(net::TcpStream&& stream, const Limits& limits, const ClientTimeouts& timeouts);
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    // The request head, gathered (not yet sent): begin_request() writes the request line and
    // Host, add_field() each further field, end_head() the body's framing and the blank line.
    Result<void> begin_request(std::string_view method, std::string_view target,
                               std::string_view host);
    Result<void> add_field(std::string_view name, std::string_view value);
    Result<void> end_head(const RequestBodyFraming& body);
    // A piece of the request body (chunked framing wraps it). Each write to the server waits at
    // most the write timeout.
    Result<void> write_body(std::string_view piece);
    // Ends the request (the last chunk) and sends what is gathered.
    Result<void> end_request();

    // Reads the final response head (interim 1xx heads are skipped). `method` decides whether
    // a body follows (HEAD). Errors: Malformed (see error()), Timeout, Closed (the server
    // closed before a whole head: on a reused connection the request may be retried).
    Result<const ResponseHead*> read_head(Method method, sched::Deadline deadline);
    // The next piece of the response body, a view valid until the next call; empty at its end.
    Result<std::string_view> read_body(sched::Deadline deadline);

    // Whether another request may follow on this connection: the response was read to its end,
    // both sides allow keep-alive and nothing unexpected arrived after it.
    bool reusable() const;
    // After a 101 Switching Protocols head: the connection, its input starting with what the
    // server sent after the head, for the new protocol. It is never reused for HTTP.
    net::BufferedStream& switch_protocols();
    bool peer_gone() const { return m_stream.peer_gone(); }
    const ParseError& error() const { return m_error; }
    uint64_t exchanges() const { return m_exchanges; }  // responses read on it so far
    void close() { m_io.close_gracefully(); }
    void abort() { m_io.abort(); }

    // While idle in a pool: its place in the pool's list and since when it waits.
    sched::ListNode pool_node;
    sched::Deadline idle_since = 0;

private:
    enum class State : uint8_t { Idle, Writing, Reading, Body, Done, Broken };
    Result<void> broken(Error error);  // always the error

    net::TcpStream m_stream;
    net::BufferedStream m_io;
    Limits m_limits;
    HeadParser m_parser;
    ResponseHead m_head;
    BodyDecoder m_decoder{m_head};
    Method m_method = Method::Get;
    State m_state = State::Idle;
    bool m_chunked_request = false;
    bool m_keep_alive = true;    // what the last response head said
    size_t m_head_length = 0;    // of the response head, at the front of the input
    size_t m_body_position = 0;  // decoded up to here in the input
    uint64_t m_exchanges = 0;
    ParseError m_error;
};

}  // namespace coronet::http
