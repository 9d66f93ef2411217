// Request paths as names: percent-decoding and the checks that keep a path inside a tree
// (no dot segments, no NUL, no backslash, no empty segments).
#pragma once

#include <cstddef>
#include <string_view>

namespace coronet::http {

// Decodes %XX escapes of `raw` into `out` (capacity `capacity`); returns the decoded length,
// or -1 for a malformed escape or a result that does not fit. '+' stays '+' (paths are not
// form data).
long percent_decode(std::string_view raw, char* out, size_t capacity);

// True for a relative name ("a/b.txt") that cannot leave the directory it is looked up in:
// no "." or ".." segment, no empty segment, no NUL or backslash, not absolute.
bool is_contained_path(std::string_view name);

}  // namespace coronet::http
