// lib/assert.hpp's hook for host programs (unit tests, the scheduler on Linux, fuzzers): print
// what broke and abort, so a crash says why and a death test can match the message.
#include <cstdio>
#include <cstdlib>

#include "lib/assert.hpp"

namespace coronet {

void assertion_failed(const char* what, const char* file, int line) {
    fprintf(stderr, "assertion failed: %s (%s:%d)\n", what, file, line);
    abort();
}

}  // namespace coronet
