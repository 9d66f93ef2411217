// Numbers in Redis's text forms: the strict integer syntax its commands accept (no spaces, no
// '+', no leading zeros), long doubles for INCRBYFLOAT, and their formatting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace coronet::redis {

// A decimal int64 written exactly as Redis prints one ("-0", "+1", " 1", "01" are not).
bool parse_int64(std::string_view text, int64_t& value);
// A float as strtold reads it, whole string, no spaces, not NaN.
bool parse_long_double(std::string_view text, long double& value);
bool parse_double(std::string_view text, double& value);
// A float as C's strtod reads a whole string, which Redis's score range bounds use as they are:
// leading spaces allowed, an empty string is 0, overflow saturates to an infinity; not NaN.
// Like the C string Redis sees, the text ends at its first NUL byte.
bool parse_double_loose(std::string_view text, double& value);
// a + b, false when it would overflow (INCRBY's "increment or decrement would overflow").
inline bool checked_add(int64_t a, int64_t b, int64_t& sum) {
    return !__builtin_add_overflow(a, b, &sum);
}
// Writes the int64's digits; returns the length (at most 20).
size_t format_int64(int64_t value, char* out);
// INCRBYFLOAT's form: 17 decimals, trailing zeros and a trailing point dropped; "inf"
// and "-inf" for infinities. Returns the length (at most 5 + 4932 digits; `out` holds 5 KiB).
inline constexpr size_t kLongDoubleTextMax = 5 * 1024;
size_t format_long_double(long double value, char* out);
// A double as Redis replies with one (and ZSCAN of a big sorted set shows it): glibc's exact
// "%.17g", with "inf" and "-inf". Returns the length; `out` holds kDoubleTextMax bytes.
inline constexpr size_t kDoubleTextMax = 32;
size_t format_double(double value, char* out);
// A score as Redis keeps it in a small sorted set's listpack (what ZSCAN shows then): integral
// values within +-2^62 as integers, "-0" for negative zero, the rest as format_double().
size_t format_double_compact(double value, char* out);

}  // namespace coronet::redis
