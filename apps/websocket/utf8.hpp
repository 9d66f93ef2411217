// Incremental UTF-8 validation (RFC 3629) for text messages that arrive in pieces: it fails at
// the first byte that no continuation could make valid (an overlong form, a surrogate, a code
// point past U+10FFFF, a stray continuation byte), as RFC 6455 §8.1 asks of an endpoint that
// fails fast, and it knows at the end whether a sequence was cut short.
#pragma once

#include <cstdint>
#include <string_view>

namespace coronet::websocket {

class Utf8Validator {
public:
    // Checks the next bytes of the text; false once the text cannot be valid (and from then on).
    bool feed(std::string_view bytes);
    // The bytes so far are valid and end on a whole code point.
    bool complete() const { return m_valid && m_needed == 0; }
    bool valid_so_far() const { return m_valid; }
    void reset() { *this = Utf8Validator(); }

private:
    uint8_t m_needed = 0;  // continuation bytes still to come for the current code point
    uint8_t m_low = 0x80;  // the range the next continuation byte must be in
    uint8_t m_high = 0xBF;
    bool m_valid = true;
};

// Whether `text` is whole, valid UTF-8.
bool is_valid_utf8(std::string_view text);

}  // namespace coronet::websocket
