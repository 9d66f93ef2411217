// One WebSocket connection as app code sees it, in the connection's coroutine: recv() a whole
// message, send() one, close(). Underneath, frames are decoded and checked, fragments joined,
// compressed messages inflated, text validated as it arrives, pings answered, an idle peer
// pinged, and frames other coroutines pushed (topics) written out in order. The same session
// serves either role: a server's (accepted by an Endpoint) or a client's (client.hpp), which
// masks what it sends and reads unmasked frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/websocket/deflate.hpp"
#include "apps/websocket/endpoint.hpp"
#include "apps/websocket/frame.hpp"
#include "apps/websocket/handshake.hpp"
#include "apps/websocket/topic.hpp"
#include "apps/websocket/utf8.hpp"
#include "kernel/sched/scheduler.hpp"
#include "lib/byte_buffer.hpp"
#include "lib/result.hpp"
#include "lib/ring.hpp"

namespace coronet::net {
class BufferedStream;
}

namespace coronet::websocket {

inline constexpr size_t kMaxSubscriptions = 16;  // topics one connection may be in

class WebSocket {
public:
    // `endpoint` gives the limits, counters and compression memory; a client has one of its own
    // that serves no path.
    WebSocket(Endpoint& endpoint, net::BufferedStream& io, const Handshake& handshake,
              Role role = Role::Server);
    WebSocket(const WebSocket&) = delete;
    WebSocket& operator=(const WebSocket&) = delete;
    // Leaves every topic, drops what is still queued, and closes the connection if it is open.
    ~WebSocket();

    struct Message {
        Opcode opcode = Opcode::Text;  // Text or Binary
        std::string_view data;         // valid until the next recv(), send() or close()
        bool text() const { return opcode == Opcode::Text; }
    };
    // The next whole message. Error::Closed once the connection has ended (close_code() says
    // how: the client's close, a protocol error, an idle client, a shutdown); Timeout at the
    // deadline, with the connection still open.
    Result<Message> recv(sched::Deadline deadline = sched::kForever);

    Result<void> send(Opcode opcode, std::string_view payload);
    Result<void> send_text(std::string_view text) { return send(Opcode::Text, text); }
    Result<void> send_binary(std::string_view bytes) { return send(Opcode::Binary, bytes); }

    // Starts the closing handshake with `code` and `reason` (at most 123 bytes), waits for the
    // peer's close (close_timeout at most, and not past `deadline`), and closes the TCP
    // connection.
    void close(uint16_t code = static_cast<uint16_t>(CloseCode::Normal),
               std::string_view reason = {}, sched::Deadline deadline = sched::kForever);

    // Client role: frames go to TCP as they are made (masked), each write waiting until
    // `deadline` (that of the client's call in progress) and at most `timeout_ns` for the server
    // to take it. A server's replies are gathered instead, bounded by its stream's send timeout.
    void set_write_limits(sched::Deadline deadline, uint64_t timeout_ns);

    // From any coroutine: queues a frame for this connection (see PushOutcome).
    PushOutcome push(SharedFrame& frame);
    // Topics: false when this connection is already in kMaxSubscriptions of them.
    bool subscribe(Topic& topic);
    void unsubscribe(Topic& topic);

    bool is_open() const { return m_state == State::Open; }
    // How the connection ended: the code of the close frame received or sent first (1005
    // when a close frame had none, 1006 when there was none); 0 while open.
    uint16_t close_code() const { return m_close_code; }
    std::string_view subprotocol() const { return m_subprotocol; }
    bool compression() const { return m_deflate; }
    // The window push() picks a compressed variant for (0: plain frames).
    uint8_t push_window_bits() const;

private:
    friend class Endpoint;  // walks the open list at shutdown
    friend class Topic;
    enum class State : uint8_t { Open, Closing, Closed };
    enum class Step : uint8_t { Continue, Message, Ended };

    // Decodes the input: a whole message, more needed, or the end of the connection.
    Step process_input(Message& message);
    Step on_payload(std::string_view payload, bool frame_end, Message& message);
    Step on_control_frame();
    Step deliver(Message& message);
    // Fails the connection (§7.1.7): our close frame with `code`, then the TCP close.
    Step fail(CloseCode code, const char* reason);
    // Waits for input until `deadline` or the idle ping's; Ended when the connection is over.
    Step wait_input(sched::Deadline deadline, bool& timed_out);
    Result<void> write_frame(Opcode opcode, std::string_view payload, bool rsv1 = false);
    Result<void> write_masked(Opcode opcode, std::string_view payload, bool rsv1);
    Result<void> write_close(uint16_t code, std::string_view reason);
    Result<void> flush_queue();
    void drop_queue();
    void finish(uint16_t code, bool abort);  // closes TCP; the state becomes Closed
    // Compression with context takeover in either direction (state kept between messages).
    bool windowed() const;
    // permessage-deflate's parameters as they apply to what this side sends and receives.
    uint8_t send_window_bits() const;
    bool send_keeps_context() const;
    uint8_t recv_window_bits() const;
    bool recv_keeps_context() const;

    Endpoint& m_endpoint;
    net::BufferedStream& m_io;
    Role m_role;
    State m_state = State::Open;
    uint16_t m_close_code = 0;
    uint16_t m_kill_code = 0;  // set by another coroutine: close with this at the next chance
    std::string_view m_subprotocol;
    char m_subprotocol_copy[64] = {};

    FrameDecoder m_decoder;
    Utf8Validator m_utf8;
    ByteBuffer m_message;       // a message that arrived in pieces (fragments, reads, inflated)
    size_t m_message_wire = 0;  // bytes of the message as framed (compressed)
    size_t m_validated = 0;     // bytes of m_message already checked as UTF-8
    uint8_t m_control[kMaxControlPayload] = {};
    size_t m_control_length = 0;

    bool m_deflate = false;
    bool m_compress_out = false;  // messages we send may be compressed
    DeflateParams m_params;
    Inflater m_inflater;
    Deflater m_deflater;      // Windowed: this connection's context; otherwise unused
    ByteBuffer m_compressed;  // a message being sent compressed
    ByteBuffer m_masked;      // client role: a piece of a frame being masked on its way out
    sched::Deadline m_write_deadline = sched::kForever;
    uint64_t m_write_timeout_ns = 30 * kSecond;

    sched::Deadline m_last_input = 0;
    sched::Deadline m_ping_sent = 0;
    bool m_awaiting_pong = false;

    Ring<SharedFrame*, kSendQueueFrames> m_queue;
    size_t m_queued_bytes = 0;

    Subscription m_subscriptions[kMaxSubscriptions];
    WebSocket* m_prev = nullptr;  // the endpoint's open list
    WebSocket* m_next = nullptr;
};

}  // namespace coronet::websocket
