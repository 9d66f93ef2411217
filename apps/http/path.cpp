// Path decoding and containment checks.
#include "apps/http/path.hpp"

#include "apps/http/syntax.hpp"

namespace coronet::http {

long percent_decode(std::string_view raw, char* out, size_t capacity) {
    size_t n = 0;
    for (size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            int high = i + 1 < raw.size() ? hex_value(raw[i + 1]) : -1;
            int low = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
            if (high < 0 || low < 0) return -1;
            c = static_cast<char>(high * 16 + low);
            i += 2;
        }
        if (n == capacity) return -1;
        out[n++] = c;
    }
    return static_cast<long>(n);
}

bool is_contained_path(std::string_view name) {
    if (name.empty() || name[0] == '/') return false;
    size_t start = 0;
    for (;;) {
        size_t end = name.find('/', start);
        std::string_view segment =
            name.substr(start, end == std::string_view::npos ? end : end - start);
        if (segment.empty() || segment == "." || segment == "..") return false;
        for (char c : segment)
            if (c == '\0' || c == '\\') return false;
        if (end == std::string_view::npos) return true;
        start = end + 1;
    }
}

}  // namespace coronet::http
