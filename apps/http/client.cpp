// fetch(): one whole request and response over a pooled connection (see client.hpp).
#include "apps/http/client.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace coronet::http {
namespace {

constexpr size_t kBodyGrowth = 16 * 1024;

bool idempotent(Method method) {
    return method == Method::Get || method == Method::Head || method == Method::Put ||
           method == Method::Delete || method == Method::Options || method == Method::Trace;
}

sched::Deadline earlier(sched::Deadline a, uint64_t from_now) {
    sched::Deadline b = sched::now() + from_now;
    return a < b ? a : b;
}

Result<const ResponseHead*> exchange(ClientConnection& connection, const ClientRequest& request,
                                     std::string_view host, const ClientTimeouts& timeouts,
                                     sched::Deadline deadline) {
    TRY_VOID(connection.begin_request(method_name(request.method), request.target, host));
    for (size_t i = 0; i < request.header_count; ++i)
        TRY_VOID(connection.add_field(request.headers[i].name, request.headers[i].value));
    bool has_body = !request.body.empty() || request.method == Method::Post ||
                    request.method == Method::Put || request.method == Method::Patch;
    RequestBodyFraming framing{has_body ? BodyFraming::ContentLength : BodyFraming::None,
                               request.body.size()};
    TRY_VOID(connection.end_head(framing));
    TRY_VOID(connection.write_body(request.body));
    TRY_VOID(connection.end_request());
    return connection.read_head(request.method, earlier(deadline, timeouts.first_byte_ns));
}

}  // namespace

ClientResponse::ClientResponse(ClientResponse&& other)
    : m_pool(other.m_pool),
      m_connection(other.m_connection),
      m_head(other.m_head),
      m_body(other.m_body),
      m_length(other.m_length) {
    other.m_connection = nullptr;
    other.m_body = nullptr;
}

ClientResponse& ClientResponse::operator=(ClientResponse&& other) {
    if (this == &other) return *this;
    free(m_body);
    if (m_connection) m_pool->release(m_connection);
    m_pool = other.m_pool;
    m_connection = other.m_connection;
    m_head = other.m_head;
    m_body = other.m_body;
    m_length = other.m_length;
    other.m_connection = nullptr;
    other.m_body = nullptr;
    return *this;
}

ClientResponse::~ClientResponse() {
    free(m_body);
    if (m_connection) m_pool->release(m_connection);
}

Result<ClientResponse> fetch(ConnectionPool& pool, const ClientRequest& request,
                             sched::Deadline deadline) {
    const PoolOptions& options = pool.options();
    char host[300];
    if (options.host.size() + 7 > sizeof host) return Error::InvalidArgument;
    std::memcpy(host, options.host.data(), options.host.size());
    size_t host_length = options.host.size();
    bool v6 = options.host.find(':') != std::string_view::npos;
    if (v6) {  // an IPv6 literal goes in brackets
        std::memmove(host + 1, host, host_length);
        host[0] = '[';
        host[++host_length] = ']';
        ++host_length;
    }
    if (options.port != 80) {
        int n = snprintf(host + host_length, sizeof host - host_length, ":%u", options.port);
        host_length += n > 0 ? static_cast<size_t>(n) : 0;
    }
    for (int attempt = 0;; ++attempt) {
        bool reused = false;
        ClientConnection* connection = TRY(pool.acquire(deadline, &reused));
        auto head = exchange(*connection, request, {host, host_length}, options.timeouts, deadline);
        if (!head) {
            pool.discard(connection);
            bool stale = reused && (head.error() == Error::Closed || head.error() == Error::Reset);
            if (stale && attempt == 0 && idempotent(request.method)) continue;
            return head.error();
        }
        ClientResponse response(pool, connection, *head);
        size_t capacity = 0;
        for (;;) {
            auto piece = connection->read_body(earlier(deadline, options.timeouts.body_ns));
            if (!piece) {
                response.m_connection = nullptr;
                pool.discard(connection);
                return piece.error();
            }
            if (piece->empty()) break;
            if (response.m_length + piece->size() > request.max_body) {
                response.m_connection = nullptr;
                pool.discard(connection);
                return Error::LimitReached;
            }
            if (response.m_length + piece->size() > capacity) {
                uint64_t wanted = response.m_length + piece->size() + kBodyGrowth;
                const ResponseHead& head_now = **head;
                if (head_now.framing == BodyFraming::ContentLength &&
                    head_now.content_length <= request.max_body && head_now.content_length > wanted)
                    wanted = head_now.content_length;  // the whole body at once
                auto* grown = static_cast<char*>(realloc(response.m_body, wanted));
                if (!grown) {
                    response.m_connection = nullptr;
                    pool.discard(connection);
                    return Error::OutOfMemory;
                }
                response.m_body = grown;
                capacity = wanted;
            }
            std::memcpy(response.m_body + response.m_length, piece->data(), piece->size());
            response.m_length += piece->size();
        }
        return response;
    }
}

}  // namespace coronet::http
