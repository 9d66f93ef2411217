// IMF-fixdate from Unix seconds through lib/civil_time. Every field has a fixed width, so the
// digits are written in place: no snprintf, no format parsing on the response path.
#include "apps/http/date.hpp"

#include "lib/civil_time.hpp"

namespace coronet::http {
namespace {

constexpr char kWeekdays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

char* put_text(char* out, const char* text, size_t length) {
    for (size_t i = 0; i < length; ++i) *out++ = text[i];
    return out;
}

// `value` in exactly `digits` decimal digits, zero-padded.
char* put_digits(char* out, uint64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
        out[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return out + digits;
}

}  // namespace

size_t format_http_date(uint64_t unix_seconds, char* out, size_t capacity) {
    if (!out || capacity <= kHttpDateLength) return 0;
    if (unix_seconds > kLatestHttpDate) unix_seconds = kLatestHttpDate;
    civil::DateTime t = civil::from_unix_seconds(static_cast<int64_t>(unix_seconds));

    // "Sun, 06 Nov 1994 08:49:37 GMT"
    char* p = out;
    p = put_text(p, kWeekdays[t.weekday], 3);
    p = put_text(p, ", ", 2);
    p = put_digits(p, t.day, 2);
    *p++ = ' ';
    p = put_text(p, kMonths[t.month - 1], 3);
    *p++ = ' ';
    p = put_digits(p, static_cast<uint64_t>(t.year), 4);
    *p++ = ' ';
    p = put_digits(p, t.hour, 2);
    *p++ = ':';
    p = put_digits(p, t.minute, 2);
    *p++ = ':';
    p = put_digits(p, t.second, 2);
    p = put_text(p, " GMT", 4);
    *p = '\0';
    return static_cast<size_t>(p - out);
}

}  // namespace coronet::http
