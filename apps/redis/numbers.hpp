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
// Writes the int64's digits; returns the length (at most 20).
size_t format_int64(int64_t value, char* out);
// INCRBYFLOAT's form: 17 decimals, trailing zeros and a trailing point dropped; "inf"
// and "-inf" for infinities. Returns the length (at most 5 + 4932 digits; `out` holds 5 KiB).
inline constexpr size_t kLongDoubleTextMax = 5 * 1024;
size_t format_long_double(long double value, char* out);

}  // namespace coronet::redis
