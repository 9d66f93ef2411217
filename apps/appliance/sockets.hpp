// The default image's WebSocket endpoints on the HTTP server: /ws/echo (every message back as
// it came), /ws/status (the status document pushed every second, for the dashboard) and
// /ws/chat (a room: every message goes to every participant, the pub/sub path); and
// POST /ws/shutdown, which closes them all with 1001 and refuses new ones.
#pragma once

#include "apps/http/router.hpp"
#include "apps/websocket/endpoint.hpp"
#include "lib/result.hpp"

namespace coronet::apps {

struct StatusSources;

// A chat line longer than this closes the sender's connection with 1009.
inline constexpr uint64_t kChatMaxMessage = 4096;

// Attaches the three endpoints to `router` with `options` (from the composition root; the chat
// room keeps its own message limit) and records them in `sources` for /status. The status
// pusher runs in a coroutine of its own.
Result<void> attach_sockets(http::Router& router, const websocket::EndpointOptions& options,
                            StatusSources& sources);

}  // namespace coronet::apps
