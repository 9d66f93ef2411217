// HTTP status codes the server uses, and their reason phrases (RFC 9110 section 15).
#pragma once

#include <cstdint>

namespace coronet::http {

// The standard reason phrase for `status`, or "Unknown" (the phrase is informational only).
const char* reason_phrase(uint16_t status);

// 1xx, 204 and 304 responses never carry a body (RFC 9110 6.4.1).
inline bool status_allows_body(uint16_t status) {
    return status >= 200 && status != 204 && status != 304;
}

}  // namespace coronet::http
