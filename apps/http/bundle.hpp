// A read-only file bundle compiled into the image: tools/gen_bundle.py turns a folder into a
// table of files (name, content type, strong ETag, bytes) at build time. serve_file() answers a
// request with one of them, honouring If-None-Match.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/request.hpp"
#include "apps/http/response.hpp"
#include "lib/result.hpp"

namespace coronet::http {

struct BundleFile {
    std::string_view name;          // relative to the folder, '/'-separated: "css/site.css"
    std::string_view content_type;  // from the file extension
    std::string_view etag;          // quoted strong validator, e.g. "\"3f2a...\""
    const unsigned char* data;
    size_t size;
};

struct Bundle {
    const BundleFile* files;
    size_t count;

    // The file called exactly `name`, or nullptr.
    const BundleFile* find(std::string_view name) const;
};

// True when an If-None-Match value (a list of entity tags, or "*") matches `etag` under the
// weak comparison RFC 9110 13.1.2 prescribes for it.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// 200 with the file (or 304 when the client's copy is current).
Result<void> serve_file(const BundleFile& file, const Request& request, Response& response);

// Serves the bundle file named by a raw (percent-encoded) relative path: 400 for a path that is
// malformed or would leave the bundle, 404 when there is no such file.
Result<void> serve_from_bundle(const Bundle& bundle, std::string_view raw_name,
                               const Request& request, Response& response);

}  // namespace coronet::http
