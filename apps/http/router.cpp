// Segment-by-segment pattern matching over the raw path.
#include "apps/http/router.hpp"

#include <cstring>

namespace coronet::http {
namespace {

// Requests with a method we do not know are answered 501 before routing, so no request matches
// Other itself: in a route it stands for any method.
constexpr Method kAnyMethod = Method::Other;

// Splits off the next '/'-separated segment of `rest` (which starts after a '/').
std::string_view next_segment(std::string_view& rest) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    return segment;
}

void append_method(char (&allow)[64], const char* name) {
    size_t used = std::strlen(allow);
    if (std::strstr(allow, name)) return;
    size_t need = std::strlen(name) + (used ? 2 : 0);
    if (used + need >= sizeof allow) return;
    if (used) std::strcat(allow, ", ");
    std::strcat(allow, name);
}

}  // namespace

std::string_view Params::get(std::string_view name) const {
    for (size_t i = 0; i < count; ++i)
        if (items[i].name == name) return items[i].value;
    return {};
}

Result<void> Router::add(Method method, std::string_view pattern, Handler handler, void* context,
                         const RouteOptions& options) {
    if (m_count == kMaxRoutes) return Error::LimitReached;
    if (pattern.empty() || pattern[0] != '/' || !handler) return Error::InvalidArgument;
    size_t wildcard = pattern.find('*');
    if (wildcard != std::string_view::npos && pattern.find('/', wildcard) != std::string_view::npos)
        return Error::InvalidArgument;  // `*name` only as the last segment
    m_routes[m_count++] = {method, pattern, handler, context, options};
    return {};
}

Result<void> Router::add_any(std::string_view pattern, Handler handler, void* context,
                             const RouteOptions& options) {
    return add(kAnyMethod, pattern, handler, context, options);
}

bool Router::matches(std::string_view pattern, std::string_view path, Params& params) {
    params.count = 0;
    if (path.empty() || path[0] != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    bool pattern_done = false;
    while (!pattern_done) {
        pattern_done = pattern.find('/') == std::string_view::npos;
        std::string_view want = next_segment(pattern);
        if (!want.empty() && want[0] == '*') {
            if (params.count == kMaxParams) return false;
            params.items[params.count++] = {want.substr(1), path};
            return true;
        }
        bool path_done = path.find('/') == std::string_view::npos;
        std::string_view have = next_segment(path);
        if (!want.empty() && want[0] == ':') {
            if (have.empty() || params.count == kMaxParams) return false;
            params.items[params.count++] = {want.substr(1), have};
        } else if (want != have) {
            return false;
        }
        if (pattern_done != path_done) return false;
    }
    return true;
}

Router::Match Router::match(Method method, std::string_view path) const {
    Match result;
    Method wanted = method == Method::Head ? Method::Get : method;
    Params params;  // matches() starts it over for each route
    for (size_t i = 0; i < m_count; ++i) {
        const Route& route = m_routes[i];
        if (!matches(route.pattern, path, params)) continue;
        if (route.method == wanted || route.method == kAnyMethod) {
            result.handler = route.handler;
            result.context = route.context;
            result.stream_body = route.options.stream_body;
            result.params = params;
            return result;
        }
        append_method(result.allow, method_name(route.method));
        if (route.method == Method::Get) append_method(result.allow, "HEAD");
    }
    return result;
}

}  // namespace coronet::http
