// Routes: method + path pattern → handler. Patterns are literal segments, `:name` (one
// non-empty segment) and a final `*name` (the rest of the path, possibly empty), e.g.
// "/users/:id" or "/static/*file". First match in registration order wins; HEAD requests use
// GET routes. A path that matches only under other methods gives 405 with an Allow list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/request.hpp"
#include "apps/http/response.hpp"
#include "lib/result.hpp"

namespace coronet::net {
class BufferedStream;
}  // namespace coronet::net

namespace coronet::http {

inline constexpr size_t kMaxRoutes = 32;
inline constexpr size_t kMaxParams = 8;

struct Params {
    struct Param {
        std::string_view name, value;  // the value as it appears in the path (percent-encoded)
    };
    Param items[kMaxParams];
    size_t count = 0;

    std::string_view get(std::string_view name) const;
};

// Where a streaming route's handler reads the request body from (the connection).
class BodySource {
public:
    // The next piece of the decoded body: a view valid until the next call; empty once the
    // body is complete. Errors: Malformed (bad framing: the client gets 400 if nothing was
    // answered yet), LimitReached, Timeout, Closed.
    virtual Result<std::string_view> next_body_piece() = 0;

protected:
    ~BodySource() = default;
};

// One request being answered, as a handler sees it. The handler runs in the connection's
// coroutine: it may block (sockets, sleep) like any straight-line code.
struct Exchange {
    const Request& request;
    std::string_view body;  // the whole decoded request body (empty on a streaming route)
    const Params& params;
    Response& response;
    void* context;  // the route's context pointer

    // For a handler that switches protocols (a WebSocket upgrade): it writes its own 101 to
    // the connection's output, calls switch_protocols(), and serves the new protocol on the
    // connection until it is done; the HTTP server then closes the connection.
    net::BufferedStream* connection = nullptr;
    size_t head_length = 0;  // of this request, at the start of the connection's input
    bool switched = false;
    // Consumes the request head (the input then holds what the client sent after it) and
    // marks the connection as no longer HTTP. The handler must not use `response` after this.
    net::BufferedStream& switch_protocols();

    // On a route added with RouteOptions::stream_body: the body, piece by piece, as the client
    // sends it (a proxy passes it on without holding it whole). The request head stays valid.
    // A handler that leaves part of the body unread ends the connection after its response.
    BodySource* body_source = nullptr;
    Result<std::string_view> read_body() {
        return body_source ? body_source->next_body_piece() : Result<std::string_view>({});
    }
};

struct RouteOptions {
    // The handler reads the body itself (Exchange::read_body) instead of receiving it whole;
    // the body limit then does not apply.
    bool stream_body = false;
};

// An error return closes the connection (e.g. the response could not be written).
using Handler = Result<void> (*)(Exchange& exchange);

class Router {
public:
    // Error::LimitReached beyond kMaxRoutes, Error::InvalidArgument for a malformed pattern.
    Result<void> add(Method method, std::string_view pattern, Handler handler,
                     void* context = nullptr, const RouteOptions& options = {});

    // A route for every method (a proxy's): the handler reads the request's method.
    Result<void> add_any(std::string_view pattern, Handler handler, void* context = nullptr,
                         const RouteOptions& options = {});

    struct Match {
        Handler handler = nullptr;  // null: no route for this method (see allow)
        void* context = nullptr;
        bool stream_body = false;
        Params params;
        // Methods with a route for this path, as "GET, HEAD, POST" (for 405's Allow); empty
        // when no route has this path at all (404).
        char allow[64] = {};
    };
    Match match(Method method, std::string_view path) const;

private:
    struct Route {
        Method method;
        std::string_view pattern;
        Handler handler;
        void* context;
        RouteOptions options;
    };
    static bool matches(std::string_view pattern, std::string_view path, Params& params);

    Route m_routes[kMaxRoutes];
    size_t m_count = 0;
};

}  // namespace coronet::http
