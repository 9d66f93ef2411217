// Bundle lookup and conditional GET.
#include "apps/http/bundle.hpp"

#include "apps/http/path.hpp"
#include "apps/http/syntax.hpp"

namespace coronet::http {
namespace {

constexpr size_t kMaxNameLength = 256;

std::string_view without_weak_prefix(std::string_view tag) {
    return tag.substr(0, 2) == "W/" ? tag.substr(2) : tag;
}

Result<void> send_error(Response& response, uint16_t status, std::string_view text) {
    response.set_status(status);
    return response.send(text);
}

}  // namespace

const BundleFile* Bundle::find(std::string_view name) const {
    for (size_t i = 0; i < count; ++i)
        if (files[i].name == name) return &files[i];
    return nullptr;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    if_none_match = trim_ows(if_none_match);
    if (if_none_match == "*") return true;
    // The walk stops, returning false, at the first tag that matches.
    return !for_each_element(if_none_match, [&](std::string_view tag) {
        return tag.empty() || without_weak_prefix(tag) != without_weak_prefix(etag);
    });
}

Result<void> serve_file(const BundleFile& file, const Request& request, Response& response) {
    response.add_header("ETag", file.etag);
    // Revalidate every time: the ETag makes that a 304 without a body.
    response.add_header("Cache-Control", "no-cache");
    std::string_view if_none_match = request.header("If-None-Match");
    if (!if_none_match.empty() && etag_matches(if_none_match, file.etag)) {
        response.set_status(304);
        return response.send_empty();
    }
    response.set_status(200);
    return response.send({reinterpret_cast<const char*>(file.data), file.size}, file.content_type);
}

Result<void> serve_from_bundle(const Bundle& bundle, std::string_view raw_name,
                               const Request& request, Response& response) {
    char name[kMaxNameLength];
    long length = percent_decode(raw_name, name, sizeof name);
    if (length < 0) return send_error(response, 400, "Bad Request: malformed path\n");
    std::string_view decoded(name, static_cast<size_t>(length));
    if (!is_contained_path(decoded))
        return send_error(response, 400, "Bad Request: path outside the bundle\n");
    const BundleFile* file = bundle.find(decoded);
    if (!file) return send_error(response, 404, "Not Found\n");
    return serve_file(*file, request, response);
}

}  // namespace coronet::http
