// Integer and float text as Redis reads and writes it.
#include "apps/redis/numbers.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace coronet::redis {

bool parse_int64(std::string_view text, int64_t& value) {
    size_t n = text.size();
    if (n == 0 || n > 20) return false;
    size_t i = 0;
    bool negative = false;
    if (text[0] == '-') {
        negative = true;
        if (++i == n) return false;
    }
    if (text[i] == '0') {
        if (n == 1) {
            value = 0;
            return true;
        }
        return false;  // "01", "-0"
    }
    uint64_t magnitude = 0;
    for (; i < n; ++i) {
        char c = text[i];
        if (c < '0' || c > '9') return false;
        uint64_t digit = static_cast<uint64_t>(c - '0');
        if (magnitude > (UINT64_MAX - digit) / 10) return false;
        magnitude = magnitude * 10 + digit;
    }
    if (negative) {
        if (magnitude > static_cast<uint64_t>(INT64_MAX) + 1) return false;
        value = static_cast<int64_t>(0 - magnitude);
    } else {
        if (magnitude > static_cast<uint64_t>(INT64_MAX)) return false;
        value = static_cast<int64_t>(magnitude);
    }
    return true;
}

namespace {

// strtold wants a terminated string; Redis rejects anything longer than its 5 KiB buffer too.
template <typename Float, typename Parse>
bool parse_float(std::string_view text, Float& value, Parse parse) {
    char buffer[kLongDoubleTextMax + 1];
    if (text.empty() || text.size() > kLongDoubleTextMax) return false;
    if (std::isspace(static_cast<unsigned char>(text[0]))) return false;
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    char* end = nullptr;
    errno = 0;
    Float parsed = parse(buffer, &end);
    if (end != buffer + text.size() || std::isnan(parsed)) return false;
    if (errno == ERANGE && (parsed == HUGE_VALL || parsed == -HUGE_VALL || parsed == 0))
        return false;
    value = parsed;
    return true;
}

}  // namespace

bool parse_long_double(std::string_view text, long double& value) {
    return parse_float(text, value, [](const char* s, char** e) { return strtold(s, e); });
}

bool parse_double(std::string_view text, double& value) {
    return parse_float(text, value, [](const char* s, char** e) { return strtod(s, e); });
}

size_t format_int64(int64_t value, char* out) {
    char digits[20];
    size_t n = 0;
    uint64_t magnitude =
        value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
    do {
        digits[n++] = static_cast<char>('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    size_t length = 0;
    if (value < 0) out[length++] = '-';
    while (n) out[length++] = digits[--n];
    return length;
}

size_t format_long_double(long double value, char* out) {
    if (std::isinf(value)) {
        const char* text = value > 0 ? "inf" : "-inf";
        std::strcpy(out, text);
        return std::strlen(text);
    }
    int n = snprintf(out, kLongDoubleTextMax, "%.17Lf", value);
    if (n <= 0) return 0;
    size_t length = static_cast<size_t>(n) < kLongDoubleTextMax ? n : kLongDoubleTextMax - 1;
    if (std::memchr(out, '.', length)) {
        while (length > 0 && out[length - 1] == '0') --length;
        if (length > 0 && out[length - 1] == '.') --length;
    }
    if (length == 2 && out[0] == '-' && out[1] == '0') {  // "-0" reads as 0
        out[0] = '0';
        length = 1;
    }
    return length;
}

}  // namespace coronet::redis
