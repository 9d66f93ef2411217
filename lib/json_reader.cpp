// JsonValue and parse_json: one recursive-descent check of the document (depth bounded), then
// lookups that walk the text knowing it is well formed.
#include "lib/json_reader.hpp"

namespace coronet {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

const char* skip_space(const char* p, const char* limit) {
    while (p < limit && is_space(*p)) ++p;
    return p;
}

// The checker: every function consumes what it accepts and reports whether it was well formed.
class Checker {
public:
    Checker(const char* begin, const char* limit) : m_p(begin), m_limit(limit) {}

    bool document() {
        if (!value()) return false;
        return skip_space(m_p, m_limit) == m_limit;
    }

private:
    bool at(char c) const { return m_p < m_limit && *m_p == c; }
    bool eat(char c) {
        if (!at(c)) return false;
        ++m_p;
        return true;
    }
    void space() { m_p = skip_space(m_p, m_limit); }

    bool value() {
        space();
        if (m_p == m_limit) return false;
        switch (*m_p) {
        case '{': return container('}', true);
        case '[': return container(']', false);
        case '"': return string();
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default: return number();
        }
    }

    bool container(char close, bool object) {
        if (++m_depth > kMaxJsonDepth) return false;
        ++m_p;
        space();
        if (eat(close)) {
            --m_depth;
            return true;
        }
        for (;;) {
            if (object) {
                space();
                if (!string()) return false;
                space();
                if (!eat(':')) return false;
            }
            if (!value()) return false;
            space();
            if (eat(',')) continue;
            if (!eat(close)) return false;
            --m_depth;
            return true;
        }
    }

    bool string() {
        if (!eat('"')) return false;
        while (m_p < m_limit) {
            auto c = static_cast<unsigned char>(*m_p++);
            if (c == '"') return true;
            if (c < 0x20) return false;
            if (c != '\\') continue;
            if (m_p == m_limit) return false;
            char escape = *m_p++;
            if (escape == 'u') {
                for (int i = 0; i < 4; ++i)
                    if (m_p == m_limit || hex_value(*m_p++) < 0) return false;
            } else if (escape != '"' && escape != '\\' && escape != '/' && escape != 'b' &&
                       escape != 'f' && escape != 'n' && escape != 'r' && escape != 't') {
                return false;
            }
        }
        return false;
    }

    bool digits() {
        if (!(m_p < m_limit && is_digit(*m_p))) return false;
        while (m_p < m_limit && is_digit(*m_p)) ++m_p;
        return true;
    }

    bool number() {
        eat('-');
        if (eat('0')) {
            if (m_p < m_limit && is_digit(*m_p)) return false;  // no leading zeros
        } else if (!digits()) {
            return false;
        }
        if (eat('.') && !digits()) return false;
        if (eat('e') || eat('E')) {
            if (!eat('+')) eat('-');
            if (!digits()) return false;
        }
        return true;
    }

    bool literal(std::string_view word) {
        if (static_cast<size_t>(m_limit - m_p) < word.size()) return false;
        if (std::string_view(m_p, word.size()) != word) return false;
        m_p += word.size();
        return true;
    }

    const char* m_p;
    const char* m_limit;
    size_t m_depth = 0;
};

// The end of the string whose opening quote is at `p` (checked text).
const char* string_end(const char* p) {
    for (++p;; ++p) {
        if (*p == '\\') ++p;
        else if (*p == '"') return p + 1;
    }
}

// The end of the checked value starting at `p`.
const char* value_end(const char* p, const char* limit) {
    if (*p == '"') return string_end(p);
    if (*p == '{' || *p == '[') {
        size_t depth = 0;
        for (;;) {
            if (*p == '"') {
                p = string_end(p);
                continue;
            }
            if (*p == '{' || *p == '[') ++depth;
            else if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
            ++p;
        }
    }
    while (p < limit && !is_space(*p) && *p != ',' && *p != ']' && *p != '}') ++p;
    return p;
}

JsonType type_at(char c) {
    switch (c) {
    case '{': return JsonType::Object;
    case '[': return JsonType::Array;
    case '"': return JsonType::String;
    case 't':
    case 'f': return JsonType::Bool;
    case 'n': return JsonType::Null;
    default: return JsonType::Number;
    }
}

size_t put_utf8(uint32_t code, char* out) {
    if (code < 0x80) {
        out[0] = static_cast<char>(code);
        return 1;
    }
    if (code < 0x800) {
        out[0] = static_cast<char>(0xC0 | (code >> 6));
        out[1] = static_cast<char>(0x80 | (code & 0x3F));
        return 2;
    }
    if (code < 0x10000) {
        out[0] = static_cast<char>(0xE0 | (code >> 12));
        out[1] = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out[2] = static_cast<char>(0x80 | (code & 0x3F));
        return 3;
    }
    out[0] = static_cast<char>(0xF0 | (code >> 18));
    out[1] = static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out[2] = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out[3] = static_cast<char>(0x80 | (code & 0x3F));
    return 4;
}

uint32_t hex4(const char* p) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value = value << 4 | static_cast<uint32_t>(hex_value(p[i]));
    return value;
}

constexpr uint32_t kReplacement = 0xFFFD;
// An exponent past this leaves no whole number in a uint64_t but 0 (1e20 is already too big).
constexpr int64_t kMaxExponent = 1000;

// Decodes one character of checked string text at `p` (not its closing quote) into `out`;
// returns the bytes written and moves `p` past it.
size_t decode_one(const char*& p, char* out) {
    if (*p != '\\') {
        *out = *p++;
        return 1;
    }
    char escape = p[1];
    p += 2;
    switch (escape) {
    case 'b': *out = '\b'; return 1;
    case 'f': *out = '\f'; return 1;
    case 'n': *out = '\n'; return 1;
    case 'r': *out = '\r'; return 1;
    case 't': *out = '\t'; return 1;
    case 'u': break;
    default: *out = escape; return 1;  // " \ /
    }
    uint32_t code = hex4(p);
    p += 4;
    if (code >= 0xDC00 && code <= 0xDFFF) return put_utf8(kReplacement, out);
    if (code >= 0xD800 && code <= 0xDBFF) {
        if (p[0] != '\\' || p[1] != 'u') return put_utf8(kReplacement, out);
        uint32_t low = hex4(p + 2);
        if (low < 0xDC00 || low > 0xDFFF) return put_utf8(kReplacement, out);
        p += 6;
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    return put_utf8(code, out);
}

// Whether the checked string whose opening quote is at `quote` decodes to `wanted`.
bool string_equals(const char* quote, std::string_view wanted) {
    const char* p = quote + 1;
    size_t matched = 0;
    while (*p != '"') {
        char decoded[4];
        size_t n = decode_one(p, decoded);
        if (wanted.size() - matched < n ||
            wanted.substr(matched, n) != std::string_view(decoded, n))
            return false;
        matched += n;
    }
    return matched == wanted.size();
}

}  // namespace

JsonValue::JsonValue(const char* begin, const char* limit, const char* name)
    : m_begin(begin),
      m_end(value_end(begin, limit)),
      m_limit(limit),
      m_name(name),
      m_type(type_at(*begin)) {}

JsonValue JsonValue::first() const {
    if (!is(JsonType::Array) && !is(JsonType::Object)) return {};
    const char* p = skip_space(m_begin + 1, m_limit);
    if (*p == ']' || *p == '}') return {};
    if (m_type == JsonType::Array) return JsonValue(p, m_limit, nullptr);
    const char* name = p;
    p = skip_space(string_end(p), m_limit);  // at ':'
    p = skip_space(p + 1, m_limit);          // at the value
    return JsonValue(p, m_limit, name);
}

JsonValue JsonValue::next() const {
    if (!exists()) return {};
    const char* p = skip_space(m_end, m_limit);
    if (p == m_limit || *p != ',') return {};  // the end of its container, or of the document
    p = skip_space(p + 1, m_limit);
    if (!m_name) return JsonValue(p, m_limit, nullptr);
    const char* name = p;
    p = skip_space(string_end(p), m_limit);
    p = skip_space(p + 1, m_limit);
    return JsonValue(p, m_limit, name);
}

size_t JsonValue::size() const {
    size_t count = 0;
    for (JsonValue v = first(); v; v = v.next()) ++count;
    return count;
}

bool JsonValue::name_is(std::string_view name) const {
    return m_name && string_equals(m_name, name);
}

JsonValue JsonValue::get(std::string_view name) const {
    if (!is(JsonType::Object)) return {};
    for (JsonValue member = first(); member; member = member.next())
        if (member.name_is(name)) return member;
    return {};
}

std::optional<bool> JsonValue::as_bool() const {
    if (!is(JsonType::Bool)) return std::nullopt;
    return *m_begin == 't';
}

std::optional<uint64_t> JsonValue::as_uint() const {
    if (!is(JsonType::Number)) return std::nullopt;
    std::string_view number = text();
    bool negative = number.front() == '-';
    if (negative) number.remove_prefix(1);
    // Checked, so: digits [. digits] [e [+-] digits]. The value is the digits with the point
    // moved by the exponent; it is whole when no digit after the point is other than 0.
    size_t e = number.find_first_of("eE");
    std::string_view mantissa = number.substr(0, e);
    int64_t exponent = 0;
    if (e != std::string_view::npos) {
        std::string_view digits = number.substr(e + 1);
        bool down = digits.front() == '-';
        if (down || digits.front() == '+') digits.remove_prefix(1);
        for (char c : digits) {
            exponent = exponent * 10 + (c - '0');
            if (exponent > kMaxExponent) break;  // beyond any uint64_t, unless the digits are 0
        }
        if (down) exponent = -exponent;
    }
    size_t point = mantissa.find('.');
    std::string_view whole = mantissa.substr(0, point);
    std::string_view fraction = point == std::string_view::npos ? "" : mantissa.substr(point + 1);
    size_t count = whole.size() + fraction.size();
    int64_t before_point = static_cast<int64_t>(whole.size()) + exponent;
    uint64_t value = 0;
    auto shift_in = [&value](uint64_t digit) {
        if (value > (UINT64_MAX - digit) / 10) return false;
        value = value * 10 + digit;
        return true;
    };
    for (size_t i = 0; i < count; ++i) {
        char c = i < whole.size() ? whole[i] : fraction[i - whole.size()];
        if (static_cast<int64_t>(i) >= before_point) {
            if (c != '0') return std::nullopt;  // not a whole number
        } else if (!shift_in(static_cast<uint64_t>(c - '0'))) {
            return std::nullopt;
        }
    }
    for (int64_t i = static_cast<int64_t>(count); i < before_point && value != 0; ++i)
        if (!shift_in(0)) return std::nullopt;
    if (negative && value != 0) return std::nullopt;
    return value;
}

std::optional<int64_t> JsonValue::as_int() const {
    if (!is(JsonType::Number)) return std::nullopt;
    bool negative = *m_begin == '-';
    JsonValue magnitude = *this;
    if (negative) ++magnitude.m_begin;
    auto value = magnitude.as_uint();
    if (!value) return std::nullopt;
    constexpr uint64_t kLargest = static_cast<uint64_t>(INT64_MAX);
    if (*value > kLargest + (negative ? 1 : 0)) return std::nullopt;
    if (!negative) return static_cast<int64_t>(*value);
    return *value == kLargest + 1 ? INT64_MIN : -static_cast<int64_t>(*value);
}

std::optional<std::string_view> JsonValue::as_string(char* buffer, size_t capacity) const {
    if (!is(JsonType::String)) return std::nullopt;
    const char* p = m_begin + 1;
    size_t length = 0;
    while (*p != '"') {
        char decoded[4];
        size_t n = decode_one(p, decoded);
        if (capacity - length < n) return std::nullopt;
        for (size_t i = 0; i < n; ++i) buffer[length++] = decoded[i];
    }
    return std::string_view(buffer, length);
}

Result<JsonValue> parse_json(std::string_view document) {
    const char* begin = document.data();
    const char* limit = begin + document.size();
    if (!Checker(begin, limit).document()) return Error::Malformed;
    return JsonValue(skip_space(begin, limit), limit, nullptr);
}

}  // namespace coronet
