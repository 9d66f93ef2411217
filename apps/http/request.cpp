// Method names, header lookup and ASCII case-insensitive comparison for parsed requests (and
// the header lookup of parsed responses).
#include "apps/http/request.hpp"

namespace coronet::http {

const char* method_name(Method method) {
    switch (method) {
    case Method::Get: return "GET";
    case Method::Head: return "HEAD";
    case Method::Post: return "POST";
    case Method::Put: return "PUT";
    case Method::Delete: return "DELETE";
    case Method::Options: return "OPTIONS";
    case Method::Patch: return "PATCH";
    case Method::Trace: return "TRACE";
    case Method::Connect: return "CONNECT";
    case Method::Other: break;
    }
    return "OTHER";
}

namespace {
constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::string_view find_header(const Header* headers, size_t count, std::string_view name) {
    for (size_t i = 0; i < count; ++i) {
        if (equals_ignore_case(headers[i].name, name)) return headers[i].value;
    }
    return {};
}

std::string_view Request::header(std::string_view name) const {
    return find_header(headers, header_count, name);
}

}  // namespace coronet::http
