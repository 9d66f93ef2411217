// Two connections joined byte for byte, as a proxy joins a client and an upstream once they have
// switched protocols (a WebSocket behind the reverse proxy): each direction copies what arrives
// on one side to the other, one in the calling coroutine and one in a coroutine of its own.
// When a side closes, its end is passed on (FIN) and the other direction has kTunnelLinger to
// finish before its reads are interrupted; a failed direction (a reset, a write that timed out)
// ends the other at once. With an idle timeout, a tunnel no byte has crossed (either way) for
// that long ends too.
#pragma once

#include "lib/result.hpp"
#include "lib/time_units.hpp"
#include "net/buffered_stream.hpp"

namespace coronet::net {

inline constexpr uint64_t kTunnelLinger = 30 * kSecond;

// Returns once both directions have ended: the first error, if any (Timeout: idle for
// `idle_timeout_ns`, 0 for no limit, or a write that timed out). OutOfMemory (no coroutine for the second direction)
// before anything was copied. Either stream's input may already hold bytes for the other side;
// both streams are the caller's to close afterwards.
Result<void> tunnel(BufferedStream& a, BufferedStream& b, uint64_t idle_timeout_ns = 0);

}  // namespace coronet::net
