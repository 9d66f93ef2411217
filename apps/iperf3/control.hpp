// The iperf3 control connection's reads and writes, for the server's coroutines: state bytes,
// SERVER_ERROR with its numbers, length-prefixed JSON messages over the connection's
// BufferedStream; and a new connection's cookie, read straight off its stream.
#pragma once

#include <initializer_list>
#include <string_view>

#include "apps/iperf3/protocol.hpp"
#include "kernel/sched/scheduler.hpp"
#include "lib/result.hpp"
#include "net/buffered_stream.hpp"
#include "net/tcp.hpp"

namespace coronet::iperf3 {

// Sent at once (the client waits for each).
Result<void> send_state(net::BufferedStream& io, State state);
Result<void> send_states(net::BufferedStream& io, std::initializer_list<State> states);
// SERVER_ERROR, then iperf3's error number and an errno, which the client prints.
Result<void> send_refusal(net::BufferedStream& io, const Refusal& refusal);
Result<void> send_message(net::BufferedStream& io, std::string_view json);

// The client's next JSON message; its bytes stay in io.input() until the caller consumes
// kMessageHeaderSize + its size. Malformed when its declared length is refused, Closed at the
// end of the stream, Timeout at the deadline.
Result<std::string_view> receive_message(net::BufferedStream& io, sched::Deadline deadline);
// The client's next state byte (consumed).
Result<State> receive_state(net::BufferedStream& io, sched::Deadline deadline);
// A new connection's cookie, read straight from the stream and no further: what follows it
// (a stream's data) stays queued for whoever serves the connection. Malformed as soon as a byte
// cannot belong to a cookie.
Result<std::string_view> receive_cookie(net::TcpStream& stream, char (&buffer)[kCookieSize],
                                        sched::Deadline deadline);

}  // namespace coronet::iperf3
