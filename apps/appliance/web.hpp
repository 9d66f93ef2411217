// The appliance's HTTP app: hello on `/` (the benchmark route), `/status` (JSON), `/dashboard`
// and the rest of the embedded www/ bundle, and `POST /echo` (returns the request body).
#pragma once

#include "lib/result.hpp"

namespace coronet::apps {

// Starts the web server on port 80 with limits and timeouts from the boot configuration
// (http.max_connections, http.header_timeout_ms, http.body_timeout_ms, http.idle_timeout_ms,
// http.max_body).
Result<void> start_web();

}  // namespace coronet::apps
