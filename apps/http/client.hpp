// The HTTP client's straight-line API: fetch() sends one request to a pool's origin and reads
// the whole response (its body into memory, bounded), each phase within the pool's timeouts and
// the whole within the caller's deadline. For bodies to stream instead, use the pool's
// ClientConnection directly (client_connection.hpp), as the reverse proxy does.
//
//   http::ConnectionPool prices({.host = "prices.internal", .port = 8080});
//   auto response = TRY(http::fetch(prices, {.target = "/v1/price?sku=42"}, deadline));
//   if (response.status() == 200) use(response.body());
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/client_pool.hpp"
#include "apps/http/response_head.hpp"
#include "lib/result.hpp"

namespace coronet::http {

inline constexpr uint64_t kDefaultMaxResponseBody = 16ULL << 20;

struct ClientRequest {
    Method method = Method::Get;
    std::string_view target = "/";
    const Header* headers = nullptr;  // sent as given (no hop-by-hop fields, no Host)
    size_t header_count = 0;
    std::string_view body;                        // sent with Content-Length when not empty
    uint64_t max_body = kDefaultMaxResponseBody;  // a longer response body: Error::LimitReached
};

// A response read whole. It holds its connection until it goes (its head's views point into the
// connection's buffer), then hands it back to the pool for the next request. Movable, also by
// assignment (a fan-out call's result may be one: kernel/sched/fan_out.hpp).
class ClientResponse {
public:
    ClientResponse(ClientResponse&& other);
    ClientResponse(const ClientResponse&) = delete;
    ClientResponse& operator=(const ClientResponse&) = delete;
    // Gives back what this one held (its connection to its pool), then takes `other`'s.
    ClientResponse& operator=(ClientResponse&& other);
    ~ClientResponse();

    uint16_t status() const { return m_head->status; }
    const ResponseHead& head() const { return *m_head; }
    std::string_view header(std::string_view name) const { return m_head->header(name); }
    std::string_view body() const { return {m_body, m_length}; }

private:
    friend Result<ClientResponse> fetch(ConnectionPool&, const ClientRequest&, sched::Deadline);
    ClientResponse(ConnectionPool& pool, ClientConnection* connection, const ResponseHead* head)
        : m_pool(&pool), m_connection(connection), m_head(head) {}

    ConnectionPool* m_pool;
    ClientConnection* m_connection;
    const ResponseHead* m_head;
    char* m_body = nullptr;
    size_t m_length = 0;
};

// Errors: those of connecting (Refused, Unreachable, Timeout, NotFound for a name DNS does not
// know), Timeout for a phase or the deadline, Malformed for a response that breaks HTTP (the
// connection is dropped), LimitReached, OutOfMemory. An idempotent request that meets a pooled
// connection the server had closed is sent again on a new one.
Result<ClientResponse> fetch(ConnectionPool& pool, const ClientRequest& request,
                             sched::Deadline deadline);

}  // namespace coronet::http
