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

namespace {

// Decimal text with at most 19 significant digits and a power of ten up to 27 away: the digits
// and the power are exact in a long double (5^27 < 2^64), so one multiplication or division
// gives the correctly rounded value, as glibc's strtold (which Redis uses) does. picolibc's
// strtold rounds through a double, which would make INCRBYFLOAT drift from Redis's results.
bool parse_plain_decimal(std::string_view text, long double& value) {
    size_t i = 0, n = text.size();
    bool negative = false;
    if (i < n && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    uint64_t mantissa = 0;
    int digits = 0, exponent = 0;
    bool any = false, point = false;
    for (; i < n; ++i) {
        char ch = text[i];
        if (ch == '.' && !point) {
            point = true;
            continue;
        }
        if (ch < '0' || ch > '9') break;
        any = true;
        if (mantissa == 0 && ch == '0') {
            if (point) --exponent;
            continue;
        }
        if (digits == 19) return false;
        mantissa = mantissa * 10 + static_cast<uint64_t>(ch - '0');
        ++digits;
        if (point) --exponent;
    }
    if (!any) return false;
    if (i < n && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        bool negative_exponent = false;
        if (i < n && (text[i] == '-' || text[i] == '+')) negative_exponent = text[i++] == '-';
        int e = 0;
        bool exponent_digits = false;
        for (; i < n && text[i] >= '0' && text[i] <= '9'; ++i) {
            exponent_digits = true;
            if (e > 10000) return false;
            e = e * 10 + (text[i] - '0');
        }
        if (!exponent_digits) return false;
        exponent += negative_exponent ? -e : e;
    }
    if (i != n) return false;
    if (mantissa == 0) exponent = 0;
    if (exponent < -27 || exponent > 27) return false;
    long double power = 1;
    for (int k = 0; k < (exponent < 0 ? -exponent : exponent); ++k) power *= 10;
    long double result = static_cast<long double>(mantissa);
    result = exponent < 0 ? result / power : result * power;
    value = negative ? -result : result;
    return true;
}

}  // namespace

bool parse_long_double(std::string_view text, long double& value) {
    if (parse_plain_decimal(text, value)) return true;
    return parse_float(text, value, [](const char* s, char** e) { return strtold(s, e); });
}

bool parse_double(std::string_view text, double& value) {
    return parse_float(text, value, [](const char* s, char** e) { return strtod(s, e); });
}

bool parse_double_loose(std::string_view text, double& value) {
    size_t end = text.find('\0');
    if (end != std::string_view::npos) text = text.substr(0, end);
    char buffer[kLongDoubleTextMax + 1];
    if (text.size() > kLongDoubleTextMax) return false;
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    char* stop = nullptr;
    double parsed = strtod(buffer, &stop);
    if (stop != buffer + text.size() || std::isnan(parsed)) return false;
    value = parsed;
    return true;
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
    bool negative = value < 0;
    long double magnitude = negative ? -value : value;
    size_t length = 0;
    if (magnitude < 9.2e18L) {  // the integer part fits an int64
        // Exact digits (Redis prints with glibc's exact "%.17Lf"; picolibc's long double
        // printing is only good to about 20 significant digits): the integer part as an
        // integer, the fraction as m / 2^k, its 17 decimals by long division, rounded half to
        // even on what remains.
        auto integer = static_cast<uint64_t>(magnitude);
        long double fraction = magnitude - static_cast<long double>(integer);
        unsigned __int128 remainder = 0, denominator = 1;
        if (fraction != 0) {
            int exponent;
            long double normal = frexpl(fraction, &exponent);  // fraction = normal * 2^exponent
            auto mantissa = static_cast<uint64_t>(ldexpl(normal, 64));
            int k = 64 - exponent;
            if (k > 120) {
                mantissa = k - 120 >= 64 ? 0 : mantissa >> (k - 120);
                k = 120;
            }
            remainder = mantissa;
            denominator = static_cast<unsigned __int128>(1) << k;
        }
        char digits[17];
        for (char& digit : digits) {
            remainder *= 10;
            digit = static_cast<char>('0' + static_cast<int>(remainder / denominator));
            remainder %= denominator;
        }
        unsigned __int128 twice = remainder * 2;
        if (twice > denominator || (twice == denominator && ((digits[16] - '0') & 1))) {
            int i = 16;
            for (; i >= 0; --i) {
                if (digits[i] == '9') {
                    digits[i] = '0';
                } else {
                    ++digits[i];
                    break;
                }
            }
            if (i < 0) ++integer;
        }
        if (negative) out[length++] = '-';
        length += format_int64(static_cast<int64_t>(integer), out + length);
        size_t last = 17;
        while (last > 0 && digits[last - 1] == '0') --last;
        if (last > 0) {
            out[length++] = '.';
            std::memcpy(out + length, digits, last);
            length += last;
        }
    } else {
        int n = snprintf(out, kLongDoubleTextMax, "%.17Lf", value);
        if (n <= 0) return 0;
        length = static_cast<size_t>(n) < kLongDoubleTextMax ? static_cast<size_t>(n)
                                                             : kLongDoubleTextMax - 1;
        if (std::memchr(out, '.', length)) {
            while (length > 0 && out[length - 1] == '0') --length;
            if (length > 0 && out[length - 1] == '.') --length;
        }
    }
    if (length == 2 && out[0] == '-' && out[1] == '0') {  // "-0" reads as 0
        out[0] = '0';
        length = 1;
    }
    return length;
}

namespace {

// An unsigned integer of up to kBigLimbs 32-bit limbs (least significant first): room for the
// exact value of any double scaled to an integer, at most 2^53 * 5^1126 < 2^2670.
constexpr size_t kBigLimbs = 84;
constexpr size_t kExactDigitsMax = 810;

struct BigInteger {
    uint32_t limbs[kBigLimbs];
    size_t size = 0;  // limbs in use, the top one non-zero

    explicit BigInteger(uint64_t value) {
        for (; value; value >>= 32) limbs[size++] = static_cast<uint32_t>(value);
    }
    void multiply(uint32_t factor) {
        uint64_t carry = 0;
        for (size_t i = 0; i < size; ++i) {
            uint64_t product = static_cast<uint64_t>(limbs[i]) * factor + carry;
            limbs[i] = static_cast<uint32_t>(product);
            carry = product >> 32;
        }
        if (carry) limbs[size++] = static_cast<uint32_t>(carry);
    }
    void shift_left(unsigned bits) {
        if (unsigned rest = bits % 32) {
            uint32_t carry = 0;
            for (size_t i = 0; i < size; ++i) {
                uint32_t limb = limbs[i];
                limbs[i] = (limb << rest) | carry;
                carry = limb >> (32 - rest);
            }
            if (carry) limbs[size++] = carry;
        }
        if (size_t words = bits / 32) {
            std::memmove(limbs + words, limbs, size * sizeof limbs[0]);
            std::memset(limbs, 0, words * sizeof limbs[0]);
            size += words;
        }
    }
    // Divides in place, returning the remainder.
    uint32_t divide(uint32_t divisor) {
        uint64_t remainder = 0;
        for (size_t i = size; i-- > 0;) {
            uint64_t current = (remainder << 32) | limbs[i];
            limbs[i] = static_cast<uint32_t>(current / divisor);
            remainder = current % divisor;
        }
        while (size && limbs[size - 1] == 0) --size;
        return static_cast<uint32_t>(remainder);
    }
    // Writes the decimal digits (most significant first; the number is used up) and returns
    // how many.
    size_t take_digits(char* out) {
        constexpr uint32_t kGroup = 1000000000;  // nine digits at a time
        uint32_t groups[kExactDigitsMax / 9 + 1];
        size_t count = 0;
        while (size) groups[count++] = divide(kGroup);
        size_t length = 0;
        for (size_t g = count; g-- > 0;) {
            char nine[9];
            uint32_t group = groups[g];
            for (int i = 8; i >= 0; --i, group /= 10) nine[i] = static_cast<char>('0' + group % 10);
            size_t skip = 0;
            if (g == count - 1)
                while (skip < 8 && nine[skip] == '0') ++skip;
            std::memcpy(out + length, nine + skip, 9 - skip);
            length += 9 - skip;
        }
        return length;
    }
};

}  // namespace

size_t format_double(double value, char* out) {
    // Redis prints with glibc's "%.17g", which is exact: 17 significant digits of the double's
    // exact decimal value, rounded half to even. picolibc's printf gives the shortest digits
    // that read back the same instead, so the digits are worked out here.
    if (std::isnan(value)) {
        std::memcpy(out, "nan", 3);
        return 3;
    }
    size_t length = 0;
    if (std::signbit(value)) {
        out[length++] = '-';
        value = -value;
    }
    if (std::isinf(value)) {
        std::memcpy(out + length, "inf", 3);
        return length + 3;
    }
    if (value == 0) {
        out[length++] = '0';
        return length;
    }
    if (value < 1e17 && value == std::floor(value))  // an integer "%.17g" prints whole
        return length + format_int64(static_cast<int64_t>(value), out + length);
    // value = mantissa * 2^exponent exactly, as an integer times a power of ten.
    int exponent;
    double fraction = std::frexp(value, &exponent);
    auto mantissa = static_cast<uint64_t>(std::ldexp(fraction, 53));
    exponent -= 53;
    BigInteger number(mantissa);
    int scale = 0;  // value = number * 10^scale
    if (exponent > 0) {
        number.shift_left(static_cast<unsigned>(exponent));
    } else {
        // m / 2^k = m * 5^k / 10^k; 5^13 is the largest power that fits a limb.
        for (int left = -exponent; left > 0; left -= 13) {
            uint32_t power = 1;
            for (int i = 0; i < (left < 13 ? left : 13); ++i) power *= 5;
            number.multiply(power);
        }
        scale = exponent;
    }
    char exact[kExactDigitsMax];
    size_t count = number.take_digits(exact);
    int decimal_exponent = static_cast<int>(count) - 1 + scale;  // of the first digit
    char digits[17];
    for (size_t i = 0; i < 17; ++i) digits[i] = i < count ? exact[i] : '0';
    if (count > 17) {
        bool rest = false;
        for (size_t i = 18; i < count && !rest; ++i) rest = exact[i] != '0';
        char next = exact[17];
        if (next > '5' || (next == '5' && (rest || ((digits[16] - '0') & 1)))) {
            int i = 16;
            for (; i >= 0 && digits[i] == '9'; --i) digits[i] = '0';
            if (i >= 0) {
                ++digits[i];
            } else {
                digits[0] = '1';
                ++decimal_exponent;
            }
        }
    }
    size_t significant = 17;
    while (significant > 1 && digits[significant - 1] == '0') --significant;
    if (decimal_exponent < -4 || decimal_exponent >= 17) {
        out[length++] = digits[0];
        if (significant > 1) {
            out[length++] = '.';
            std::memcpy(out + length, digits + 1, significant - 1);
            length += significant - 1;
        }
        out[length++] = 'e';
        out[length++] = decimal_exponent < 0 ? '-' : '+';
        int magnitude = decimal_exponent < 0 ? -decimal_exponent : decimal_exponent;
        if (magnitude < 10) out[length++] = '0';
        length += format_int64(magnitude, out + length);
    } else if (decimal_exponent >= 0) {
        auto whole = static_cast<size_t>(decimal_exponent) + 1;
        std::memcpy(out + length, digits, whole);
        length += whole;
        if (significant > whole) {
            out[length++] = '.';
            std::memcpy(out + length, digits + whole, significant - whole);
            length += significant - whole;
        }
    } else {
        out[length++] = '0';
        out[length++] = '.';
        for (int i = 0; i < -decimal_exponent - 1; ++i) out[length++] = '0';
        std::memcpy(out + length, digits, significant);
        length += significant;
    }
    return length;
}

size_t format_double_compact(double value, char* out) {
    constexpr double kLimit = static_cast<double>(INT64_MAX / 2);
    if (value == 0) {
        if (std::signbit(value)) {
            std::memcpy(out, "-0", 2);
            return 2;
        }
        out[0] = '0';
        return 1;
    }
    if (value >= -kLimit && value <= kLimit) {
        auto integer = static_cast<int64_t>(value);
        if (static_cast<double>(integer) == value) return format_int64(integer, out);
    }
    return format_double(value, out);
}

}  // namespace coronet::redis
