// New connections over old ones in TIME-WAIT. lwIP answers a SYN for the address pair of a
// connection it closed first (an HTTP `Connection: close`, a timeout) with an ACK and ignores
// the client's RST (RFC 1337), so a client that reuses its port within lwIP's 2 MSL (two
// minutes) hangs in connect(). Linux and the BSDs accept such a SYN when its sequence number
// is beyond the old connection's (RFC 1122 4.2.2.13, RFC 9293 3.6.1); so do we: the input hook
// retires the TIME-WAIT connection and lwIP's listener takes the SYN.
#pragma once

#include <cstdint>

namespace coronet::net {

// Connections retired from TIME-WAIT because a new SYN arrived for them.
uint64_t time_wait_reuses();

}  // namespace coronet::net
