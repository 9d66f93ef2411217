// Names for Error codes, for logs and panics; the report of a misused Result.
#include "lib/result.hpp"

#include <cstdio>

#include "lib/assert.hpp"

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
    case Error::Unreachable: return "unreachable";
    case Error::LimitReached: return "limit reached";
    case Error::Malformed: return "malformed";
    }
    return "unknown";
}

namespace detail {

void result_access_failed(Error error, const char* file, int line) {
    char what[96];
    snprintf(what, sizeof what, "value of a Result that holds an error (%s)", error_name(error));
    assertion_failed(what, file, line);
}

void result_from_no_error(const char* file, int line) {
    assertion_failed("Result<T> made from Error::None (neither a value nor an error)", file, line);
}

}  // namespace detail

}  // namespace coronet
