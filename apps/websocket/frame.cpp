// The frame decoder's state machine: a frame head is gathered byte by byte into a small buffer
// (it may arrive split anywhere), checked whole, then the payload passes through in place.
#include "apps/websocket/frame.hpp"

#include <cstring>

namespace coronet::websocket {
namespace {

// First byte of a frame head.
constexpr uint8_t kFinBit = 0x80;
constexpr uint8_t kRsv1Bit = 0x40;
constexpr uint8_t kRsv2Bit = 0x20;
constexpr uint8_t kRsv3Bit = 0x10;
constexpr uint8_t kOpcodeBits = 0x0F;
// Second byte: the mask flag and the 7-bit length, whose top two values announce longer ones.
constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLengthBits = 0x7F;
constexpr uint8_t kLength16 = 126;
constexpr uint8_t kLength64 = 127;
constexpr uint64_t kLength64Top = 1ULL << 63;  // must be 0 (§5.2)

bool known_opcode(uint8_t value) {
    switch (static_cast<Opcode>(value)) {
    case Opcode::Continuation:
    case Opcode::Text:
    case Opcode::Binary:
    case Opcode::Close:
    case Opcode::Ping:
    case Opcode::Pong: return true;
    }
    return false;
}

// Bytes of the head given its first two bytes.
size_t head_size(uint8_t second) {
    size_t size = 2;
    uint8_t length = second & kLengthBits;
    if (length == kLength16) size += 2;
    else if (length == kLength64) size += 8;
    if (second & kMaskBit) size += 4;
    return size;
}

}  // namespace

bool close_code_allowed_on_wire(uint16_t code) {
    if (code >= 3000 && code <= 4999) return true;
    // 1004 is reserved; 1005, 1006 and 1015 only report local conditions; 1012-1014 are
    // registered with IANA (restart, try again later, bad gateway).
    return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

FrameDecoder::Event FrameDecoder::fail(CloseCode code, const char* reason) {
    m_failed = true;
    m_error = {code, reason};
    return Event::Error;
}

FrameDecoder::Event FrameDecoder::decode(char* input, size_t size, Step& step) {
    step = {};
    if (m_failed) return Event::Error;
    if (!m_in_header) {
        if (size == 0) return Event::NeedMore;
        size_t n = size < m_remaining ? size : static_cast<size_t>(m_remaining);
        if (m_header.masked) apply_mask(input, n, m_header.mask, m_mask_offset);
        m_mask_offset += n;
        m_remaining -= n;
        step.consumed = n;
        step.payload = {input, n};
        if (m_remaining == 0) {
            step.frame_end = true;
            m_in_header = true;
            m_head_used = 0;
        }
        return Event::Payload;
    }
    // Gather the head: at most kMaxFrameHeader bytes, its size known from its second byte.
    size_t taken = 0;
    while (taken < size) {
        size_t wanted = m_head_used < 2 ? 2 : head_size(m_head[1]);
        if (m_head_used == wanted) break;
        m_head[m_head_used++] = static_cast<uint8_t>(input[taken++]);
    }
    if (m_head_used < 2 || m_head_used < head_size(m_head[1])) {
        step.consumed = taken;
        return Event::NeedMore;
    }
    step.consumed = taken;
    return finish_header(step);
}

FrameDecoder::Event FrameDecoder::finish_header(Step& step) {
    uint8_t first = m_head[0], second = m_head[1];
    FrameHeader header;
    header.fin = first & kFinBit;
    header.rsv1 = first & kRsv1Bit;
    header.masked = second & kMaskBit;
    uint8_t opcode = first & kOpcodeBits;
    if (!known_opcode(opcode)) return fail(CloseCode::ProtocolError, "unknown opcode");
    header.opcode = static_cast<Opcode>(opcode);
    if (first & (kRsv2Bit | kRsv3Bit))
        return fail(CloseCode::ProtocolError, "reserved bit set without an extension");
    size_t at = 2;
    uint64_t length = second & kLengthBits;
    if (length == kLength16) {
        length = (uint64_t{m_head[2]} << 8) | m_head[3];
        at += 2;
    } else if (length == kLength64) {
        length = 0;
        for (size_t i = 0; i < 8; ++i) length = (length << 8) | m_head[2 + i];
        at += 8;
        if (length & kLength64Top)
            return fail(CloseCode::ProtocolError, "64-bit length with MSB set");
    }
    header.length = length;
    if (header.masked) std::memcpy(header.mask, m_head + at, 4);
    if (m_role == Role::Server && !header.masked)
        return fail(CloseCode::ProtocolError, "client frame not masked");
    if (m_role == Role::Client && header.masked)
        return fail(CloseCode::ProtocolError, "server frame masked");

    if (is_control(header.opcode)) {
        if (!header.fin) return fail(CloseCode::ProtocolError, "fragmented control frame");
        if (header.length > kMaxControlPayload)
            return fail(CloseCode::ProtocolError, "control frame over 125 bytes");
        if (header.rsv1) return fail(CloseCode::ProtocolError, "RSV1 on a control frame");
    } else if (header.opcode == Opcode::Continuation) {
        if (!m_in_message) return fail(CloseCode::ProtocolError, "continuation without a message");
        if (header.rsv1) return fail(CloseCode::ProtocolError, "RSV1 on a continuation frame");
    } else {
        if (m_in_message)
            return fail(CloseCode::ProtocolError, "new message inside a fragmented one");
        if (header.rsv1 && !m_rsv1_allowed)
            return fail(CloseCode::ProtocolError, "reserved bit set without an extension");
        m_message_opcode = header.opcode;
        m_message_compressed = header.rsv1;
        m_message_bytes = 0;
    }
    if (!is_control(header.opcode)) {
        if (header.length > m_max_message - m_message_bytes)
            return fail(CloseCode::MessageTooBig, "message over the size limit");
        m_message_bytes += header.length;
        m_in_message = !header.fin;
    }

    m_header = header;
    m_remaining = header.length;
    m_mask_offset = 0;
    m_head_used = 0;
    if (m_remaining == 0) {
        step.frame_end = true;
    } else {
        m_in_header = false;
    }
    return Event::Header;
}

size_t encode_header(uint8_t out[kMaxFrameHeader], Opcode opcode, uint64_t length, bool fin,
                     bool rsv1, const uint8_t* mask) {
    out[0] = static_cast<uint8_t>((fin ? kFinBit : 0) | (rsv1 ? kRsv1Bit : 0) |
                                  static_cast<uint8_t>(opcode));
    uint8_t mask_bit = mask ? kMaskBit : 0;
    size_t at = 2;
    if (length < kLength16) {
        out[1] = static_cast<uint8_t>(mask_bit | length);
    } else if (length <= 0xFFFF) {
        out[1] = mask_bit | kLength16;
        out[2] = static_cast<uint8_t>(length >> 8);
        out[3] = static_cast<uint8_t>(length);
        at = 4;
    } else {
        out[1] = mask_bit | kLength64;
        for (size_t i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(length >> (56 - 8 * i));
        at = 10;
    }
    if (mask) {
        std::memcpy(out + at, mask, 4);
        at += 4;
    }
    return at;
}

void apply_mask(char* data, size_t size, const uint8_t mask[4], uint64_t offset) {
    // Word at a time once aligned to the mask's phase: the hot path of every received byte.
    size_t i = 0;
    auto* bytes = reinterpret_cast<uint8_t*>(data);
    while (i < size && ((offset + i) & 3) != 0) {
        bytes[i] ^= mask[(offset + i) & 3];
        ++i;
    }
    uint32_t word;
    std::memcpy(&word, mask, 4);
    uint64_t wide = (uint64_t{word} << 32) | word;
    for (; i + 8 <= size; i += 8) {
        uint64_t chunk;
        std::memcpy(&chunk, bytes + i, 8);
        chunk ^= wide;
        std::memcpy(bytes + i, &chunk, 8);
    }
    for (; i < size; ++i) bytes[i] ^= mask[(offset + i) & 3];
}

}  // namespace coronet::websocket
