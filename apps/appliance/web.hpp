// The appliance's HTTP app: hello on `/` (the benchmark route), `/status` (JSON), `/dashboard`
// and the rest of the embedded www/ bundle, and `POST /echo` (returns the request body).
#pragma once

#include "apps/http/server.hpp"
#include "apps/redis/server.hpp"
#include "lib/result.hpp"

namespace coronet::apps {

// Starts the web server with the routes above; the composition root chose the options (boot
// options http.max_connections, http.max_body, http.*_timeout_ms). `/status` also reports the
// Redis server when there is one.
Result<void> start_web(const http::ServerOptions& options, redis::Server* redis);

}  // namespace coronet::apps
