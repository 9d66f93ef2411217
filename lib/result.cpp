// Names for Error codes, for logs and panics.
#include "lib/result.hpp"

namespace coronet {

const char* error_name(Error e) {
    switch (e) {
    case Error::None: return "none";
    case Error::OutOfMemory: return "out of memory";
    case Error::InvalidArgument: return "invalid argument";
    case Error::NotFound: return "not found";
    case Error::Unsupported: return "unsupported";
    case Error::Busy: return "busy";
    case Error::Timeout: return "timeout";
    case Error::Closed: return "closed";
    case Error::Reset: return "reset";
    case Error::Refused: return "refused";
    case Error::LimitReached: return "limit reached";
    case Error::Malformed: return "malformed";
    }
    return "unknown";
}

}  // namespace coronet
