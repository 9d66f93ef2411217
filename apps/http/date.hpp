// The HTTP date format (RFC 9110 section 5.6.7, IMF-fixdate): "Sun, 06 Nov 1994 08:49:37 GMT",
// what a Date or Last-Modified header carries.
#pragma once

#include <cstddef>
#include <cstdint>

namespace coronet::http {

inline constexpr size_t kHttpDateLength = 29;
// IMF-fixdate has a four-digit year: later instants are written as this one, 9999-12-31 23:59:59.
inline constexpr uint64_t kLatestHttpDate = 253402300799;

// Writes the date and a terminating NUL to `out` (at least kHttpDateLength + 1 bytes) and
// returns kHttpDateLength; returns 0 and writes nothing if `capacity` is too small.
size_t format_http_date(uint64_t unix_seconds, char* out, size_t capacity);

template <size_t N>
size_t format_http_date(uint64_t unix_seconds, char (&out)[N]) {
    static_assert(N > kHttpDateLength, "an HTTP date needs 30 bytes with its NUL");
    return format_http_date(unix_seconds, out, N);
}

}  // namespace coronet::http
