// WebSocket framing (RFC 6455 §5), pure code: FrameDecoder reads frames from bytes arriving in
// pieces of any size and enforces the framing rules (masking, lengths, reserved bits, control
// frames, fragmentation order, the message size limit); encode_header() writes a frame head.
// The same code serves both roles: a server reads masked frames, a client unmasked ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace coronet::websocket {

enum class Opcode : uint8_t {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};
inline bool is_control(Opcode opcode) { return (static_cast<uint8_t>(opcode) & 0x8) != 0; }

// Close status codes (RFC 6455 §7.4.1) this implementation sends.
enum class CloseCode : uint16_t {
    Normal = 1000,
    GoingAway = 1001,
    ProtocolError = 1002,
    UnsupportedData = 1003,
    NoStatus = 1005,  // never on the wire: a close frame without a code
    Abnormal = 1006,  // never on the wire: the connection ended without a close frame
    InvalidPayload = 1007,
    PolicyViolation = 1008,
    MessageTooBig = 1009,
    InternalError = 1011,
};
// Whether a peer may send `code` in a close frame: the codes RFC 6455 and the IANA registry
// define for the wire, and the ranges for libraries (3000-3999) and applications (4000-4999).
bool close_code_allowed_on_wire(uint16_t code);

inline constexpr size_t kMaxControlPayload = 125;
inline constexpr size_t kMaxFrameHeader = 14;  // 2 + 8 (64-bit length) + 4 (mask)
// A message larger than this (its payload as framed, before decompression) fails with 1009
// unless the endpoint sets another limit.
inline constexpr uint64_t kDefaultMaxMessage = 16ULL << 20;

enum class Role : uint8_t {
    Server,  // reads frames a client sent: masked
    Client,  // reads frames a server sent: unmasked
};

struct FrameHeader {
    bool fin = false;
    bool rsv1 = false;  // permessage-deflate: the message is compressed (first frame only)
    Opcode opcode = Opcode::Continuation;
    bool masked = false;
    uint8_t mask[4] = {};
    uint64_t length = 0;
};

// Why a peer's frames were rejected: the close code to answer with and a short reason.
struct FrameError {
    CloseCode code = CloseCode::ProtocolError;
    const char* reason = "";
};

class FrameDecoder {
public:
    explicit FrameDecoder(Role role, uint64_t max_message = kDefaultMaxMessage)
        : m_role(role), m_max_message(max_message) {}

    // Allows RSV1 on the first frame of a data message (permessage-deflate was negotiated).
    void allow_rsv1(bool allowed) { m_rsv1_allowed = allowed; }

    enum class Event : uint8_t {
        NeedMore,  // every byte consumed; a partial frame head is kept inside the decoder
        Header,    // a frame head was read: header()
        Payload,   // payload bytes of the current frame, unmasked in place: Step::payload
        Error,     // error() says why; the decoder stays failed
    };
    struct Step {
        size_t consumed = 0;
        std::string_view payload;  // Payload: a view into the input
        bool frame_end = false;    // Header of an empty frame, or the last Payload of a frame
    };
    // Decodes from `input`, one event per call: call again with the unconsumed rest while
    // bytes remain. Payload bytes are unmasked where they are (hence a mutable buffer). Every
    // Header and Payload event consumes at least one byte.
    Event decode(char* input, size_t size, Step& step);

    const FrameHeader& header() const { return m_header; }
    const FrameError& error() const { return m_error; }
    // A fragmented data message is open (its first frame came, its last has not).
    bool in_message() const { return m_in_message; }
    // The data opcode of the open message (Text or Binary), valid while in_message() or on the
    // last frame of a message.
    Opcode message_opcode() const { return m_message_opcode; }
    // Whether the current message's first frame had RSV1 set.
    bool message_compressed() const { return m_message_compressed; }

private:
    Event fail(CloseCode code, const char* reason);
    Event finish_header(Step& step);

    Role m_role;
    uint64_t m_max_message;
    bool m_rsv1_allowed = false;
    bool m_failed = false;
    bool m_in_header = true;
    uint8_t m_head[kMaxFrameHeader];
    size_t m_head_used = 0;
    FrameHeader m_header;
    uint64_t m_remaining = 0;      // payload bytes of the current frame still to come
    uint64_t m_mask_offset = 0;    // payload bytes of the current frame already unmasked
    uint64_t m_message_bytes = 0;  // payload bytes of the open message so far
    bool m_in_message = false;
    bool m_message_compressed = false;
    Opcode m_message_opcode = Opcode::Text;
    FrameError m_error;
};

// Writes a frame head for a payload of `length` bytes into `out`; returns its size (2 to 14).
// `mask` (client frames) is written after the length; the caller masks the payload.
size_t encode_header(uint8_t out[kMaxFrameHeader], Opcode opcode, uint64_t length, bool fin = true,
                     bool rsv1 = false, const uint8_t* mask = nullptr);
// XORs `data` with `mask`, as the `offset`-th payload byte onwards (its own inverse).
void apply_mask(char* data, size_t size, const uint8_t mask[4], uint64_t offset);

}  // namespace coronet::websocket
