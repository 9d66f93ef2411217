// The validator keeps, between pieces, how many continuation bytes are due and the range the
// next one must fall in: the second byte's range is what rules out overlong forms (E0, F0),
// surrogates (ED) and code points past U+10FFFF (F4) at the earliest byte.
#include "apps/websocket/utf8.hpp"

#include <cstring>

namespace coronet::websocket {
namespace {

constexpr uint8_t kContinuationLow = 0x80;
constexpr uint8_t kContinuationHigh = 0xBF;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

}  // namespace

bool Utf8Validator::feed(std::string_view bytes) {
    if (!m_valid) return false;
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    size_t size = bytes.size(), i = 0;
    while (i < size) {
        if (m_needed == 0) {
            // Runs of ASCII, eight bytes at a time: most text is mostly ASCII.
            while (i + 8 <= size) {
                uint64_t word;
                std::memcpy(&word, p + i, 8);
                if (word & kHighBits) break;
                i += 8;
            }
            if (i == size) break;
            uint8_t b = p[i++];
            if (b < 0x80) continue;
            m_low = kContinuationLow;
            m_high = kContinuationHigh;
            if (b >= 0xC2 && b <= 0xDF) {
                m_needed = 1;
            } else if (b >= 0xE0 && b <= 0xEF) {
                m_needed = 2;
                if (b == 0xE0) m_low = 0xA0;        // below: overlong
                else if (b == 0xED) m_high = 0x9F;  // above: UTF-16 surrogates
            } else if (b >= 0xF0 && b <= 0xF4) {
                m_needed = 3;
                if (b == 0xF0) m_low = 0x90;        // below: overlong
                else if (b == 0xF4) m_high = 0x8F;  // above: past U+10FFFF
            } else {
                return m_valid = false;  // a continuation byte, C0/C1 (overlong) or F5-FF
            }
        } else {
            uint8_t b = p[i++];
            if (b < m_low || b > m_high) return m_valid = false;
            --m_needed;
            m_low = kContinuationLow;
            m_high = kContinuationHigh;
        }
    }
    return true;
}

bool is_valid_utf8(std::string_view text) {
    Utf8Validator validator;
    return validator.feed(text) && validator.complete();
}

}  // namespace coronet::websocket
