// lwIP's err_t as Coronet's Error: the one mapping the TCP and UDP sockets share, so the same
// lwIP failure reads the same to an app whichever socket it came from.
#pragma once

#include "lib/assert.hpp"
#include "lib/result.hpp"
#include "lwip/err.h"

namespace coronet::net {

// For a failed call only: ERR_OK is not an error, and no Error stands for it.
inline Error error_from_lwip(err_t err) {
    CORONET_ASSERT(err != ERR_OK);
    switch (err) {
    case ERR_MEM:
    case ERR_BUF: return Error::OutOfMemory;
    case ERR_TIMEOUT: return Error::Timeout;
    case ERR_RST: return Error::Reset;
    case ERR_ABRT:
    case ERR_CLSD:
    case ERR_CONN: return Error::Closed;
    case ERR_USE:
    case ERR_ISCONN:
    case ERR_ALREADY:
    case ERR_INPROGRESS:
    case ERR_WOULDBLOCK: return Error::Busy;
    case ERR_VAL:
    case ERR_ARG: return Error::InvalidArgument;
    case ERR_RTE:  // no route, or no interface up to send on: nothing here can reach there
    case ERR_IF: return Error::Unreachable;
    default: return Error::Closed;
    }
}

}  // namespace coronet::net
