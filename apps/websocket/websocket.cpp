// The connection's receive loop and send path. Input is decoded where it lies in the
// connection's buffer: a message that arrived whole in one frame is handed out as a view of
// that buffer (no copy); fragments, messages spread over several reads and compressed messages
// are gathered in one growable buffer, checked (size, UTF-8) as each piece arrives. The roles
// differ only in masking, in which of permessage-deflate's parameters are "ours", and in how
// frames leave (a server gathers its replies, a client writes each frame under a deadline).
#include "apps/websocket/websocket.hpp"

#include <cstring>

#include "kernel/log.hpp"
#include "lwip/arch.h"
#include "net/buffered_stream.hpp"

namespace coronet::websocket {
namespace {

constexpr size_t kMaxCloseReason = kMaxControlPayload - 2;

// The limit on a message as framed: with permessage-deflate an incompressible message arrives a
// little larger than it is (stored blocks), so the frames may exceed the message limit by that
// much; the inflated message is then held to the limit itself.
uint64_t framed_limit(uint64_t max_message, bool deflate) {
    return deflate ? max_message + max_message / 128 + 1024 : max_message;
}

uint16_t read_be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// zlib cannot compress within a 256-byte window (it widens 8 bits to 9), so a client told to
// use one sends its messages uncompressed, which permessage-deflate allows message by message.
constexpr uint8_t kSmallestDeflateWindow = 9;
// A client's frame is masked into a buffer of at most this much on its way to TCP.
constexpr size_t kMaskedPiece = 16 * 1024;

// A fresh masking key per frame (§5.3) from the platform's random numbers: the CPU's
// generator, which the network stack's port also draws on.
void fresh_mask(uint8_t mask[4]) {
    uint32_t bits = coronet_lwip_random();
    std::memcpy(mask, &bits, 4);
}

}  // namespace

WebSocket::WebSocket(Endpoint& endpoint, net::BufferedStream& io, const Handshake& handshake,
                     Role role)
    : m_endpoint(endpoint),
      m_io(io),
      m_role(role),
      m_decoder(role, framed_limit(endpoint.options().max_message, handshake.deflate)),
      m_deflate(handshake.deflate),
      m_params(handshake.deflate_params),
      m_inflater(endpoint.m_memory),
      m_deflater(endpoint.m_memory) {
    // The chosen subprotocol points into the request head, which the input will overwrite.
    size_t length = handshake.subprotocol.size();
    if (length >= sizeof m_subprotocol_copy) length = sizeof m_subprotocol_copy - 1;
    std::memcpy(m_subprotocol_copy, handshake.subprotocol.data(), length);
    m_subprotocol = {m_subprotocol_copy, length};
    m_decoder.allow_rsv1(m_deflate);
    m_compress_out =
        m_deflate && (role == Role::Server || send_window_bits() >= kSmallestDeflateWindow);
    m_last_input = sched::now();
    m_next = endpoint.m_sockets;
    if (m_next) m_next->m_prev = this;
    endpoint.m_sockets = this;
    ++endpoint.m_stats.open;
    ++endpoint.m_stats.total;
    if (windowed()) endpoint.m_windowed_reserved += endpoint.windowed_cost();
}

WebSocket::~WebSocket() {
    for (Subscription& subscription : m_subscriptions) {
        if (subscription.topic) subscription.topic->unlink(subscription);
    }
    if (m_state != State::Closed) finish(static_cast<uint16_t>(CloseCode::Abnormal), true);
    drop_queue();
    if (m_prev) m_prev->m_next = m_next;
    else m_endpoint.m_sockets = m_next;
    if (m_next) m_next->m_prev = m_prev;
    --m_endpoint.m_stats.open;
    if (windowed()) m_endpoint.m_windowed_reserved -= m_endpoint.windowed_cost();
}

bool WebSocket::windowed() const {
    return m_deflate &&
           (!m_params.server_no_context_takeover || !m_params.client_no_context_takeover);
}

uint8_t WebSocket::send_window_bits() const {
    return m_role == Role::Server ? m_params.server_max_window_bits
                                  : m_params.client_max_window_bits;
}

bool WebSocket::send_keeps_context() const {
    return m_role == Role::Server ? !m_params.server_no_context_takeover
                                  : !m_params.client_no_context_takeover;
}

uint8_t WebSocket::recv_window_bits() const {
    return m_role == Role::Server ? m_params.client_max_window_bits
                                  : m_params.server_max_window_bits;
}

bool WebSocket::recv_keeps_context() const {
    return m_role == Role::Server ? !m_params.client_no_context_takeover
                                  : !m_params.server_no_context_takeover;
}

uint8_t WebSocket::push_window_bits() const { return m_deflate ? send_window_bits() : 0; }

void WebSocket::set_write_limits(sched::Deadline deadline, uint64_t timeout_ns) {
    m_write_deadline = deadline;
    m_write_timeout_ns = timeout_ns;
}

Result<WebSocket::Message> WebSocket::recv(sched::Deadline deadline) {
    m_message.clear();  // the message recv() returned last is no longer the app's
    for (;;) {
        if (m_state == State::Closed) return Error::Closed;
        if (m_kill_code) {
            fail(static_cast<CloseCode>(m_kill_code), "closed by the server");
            return Error::Closed;
        }
        if (!m_queue.empty() && !flush_queue()) {
            finish(static_cast<uint16_t>(CloseCode::Abnormal), true);
            return Error::Closed;
        }
        Message message;
        Step step = process_input(message);
        if (step == Step::Message) return message;
        if (step == Step::Ended) return Error::Closed;
        bool timed_out = false;
        if (wait_input(deadline, timed_out) == Step::Ended) return Error::Closed;
        if (timed_out) return Error::Timeout;
    }
}

WebSocket::Step WebSocket::process_input(Message& message) {
    for (;;) {
        std::string_view input = m_io.input();
        if (input.empty()) return Step::Continue;
        FrameDecoder::Step step;
        // The input is this connection's own buffer: payload is unmasked where it lies.
        auto event = m_decoder.decode(const_cast<char*>(input.data()), input.size(), step);
        // Consuming does not move the bytes: a payload view stays valid until the next fill.
        m_io.consume(step.consumed);
        switch (event) {
        case FrameDecoder::Event::NeedMore: return Step::Continue;
        case FrameDecoder::Event::Error:
            return fail(m_decoder.error().code, m_decoder.error().reason);
        case FrameDecoder::Event::Header: {
            const FrameHeader& header = m_decoder.header();
            if (is_control(header.opcode)) {
                m_control_length = 0;
                if (step.frame_end) {
                    if (Step next = on_control_frame(); next != Step::Continue) return next;
                }
                break;
            }
            if (header.opcode != Opcode::Continuation) {  // a new message
                m_message.clear();
                m_message_wire = 0;
                m_validated = 0;
                m_utf8.reset();
            }
            if (step.frame_end) {
                if (Step next = on_payload({}, true, message); next != Step::Continue) return next;
            }
            break;
        }
        case FrameDecoder::Event::Payload: {
            if (is_control(m_decoder.header().opcode)) {
                std::memcpy(m_control + m_control_length, step.payload.data(), step.payload.size());
                m_control_length += step.payload.size();
                if (step.frame_end) {
                    if (Step next = on_control_frame(); next != Step::Continue) return next;
                }
                break;
            }
            if (Step next = on_payload(step.payload, step.frame_end, message);
                next != Step::Continue)
                return next;
            break;
        }
        }
    }
}

WebSocket::Step WebSocket::on_payload(std::string_view payload, bool frame_end, Message& message) {
    if (m_state != State::Open) return Step::Continue;  // closing: data is discarded (§7.1.3)
    const FrameHeader& header = m_decoder.header();
    bool last = frame_end && header.fin;
    bool text = m_decoder.message_opcode() == Opcode::Text;
    bool compressed = m_decoder.message_compressed();
    uint64_t limit = m_endpoint.options().max_message;
    m_message_wire += payload.size();
    std::string_view whole;
    if (compressed) {
        auto inflated =
            m_inflater.inflate(payload, last, recv_window_bits(), limit, m_message, sched::yield);
        if (!inflated) {
            if (inflated.error() == Error::LimitReached)
                return fail(CloseCode::MessageTooBig, "message over the size limit once inflated");
            if (inflated.error() == Error::OutOfMemory)
                return fail(CloseCode::InternalError, "out of memory inflating a message");
            return fail(CloseCode::InvalidPayload, "compressed data is not valid deflate");
        }
        if (text && !m_utf8.feed(m_message.view().substr(m_validated)))
            return fail(CloseCode::InvalidPayload, "text message is not valid UTF-8");
        m_validated = m_message.size();
        whole = m_message.view();
    } else {
        if (text && !m_utf8.feed(payload))
            return fail(CloseCode::InvalidPayload, "text message is not valid UTF-8");
        // A message that is one frame, all of it in this piece: hand out the input itself.
        bool in_place = last && m_message.size() == 0 && header.opcode != Opcode::Continuation &&
                        payload.size() == header.length;
        if (in_place) {
            whole = payload;
        } else {
            if (!m_message.append(payload.data(), payload.size()))
                return fail(CloseCode::InternalError, "out of memory for a message");
            whole = m_message.view();
        }
    }
    if (!last) return Step::Continue;
    if (text && !m_utf8.complete())
        return fail(CloseCode::InvalidPayload, "text message ends inside a UTF-8 sequence");
    EndpointStats& stats = m_endpoint.m_stats;
    if (compressed) {
        m_inflater.end_message(recv_keeps_context());
        stats.compressed_in_wire += m_message_wire;
        stats.compressed_in_plain += whole.size();
    }
    ++stats.messages_in;
    stats.bytes_in += whole.size();
    message.opcode = m_decoder.message_opcode();
    message.data = whole;
    return Step::Message;
}

WebSocket::Step WebSocket::on_control_frame() {
    std::string_view payload{reinterpret_cast<const char*>(m_control), m_control_length};
    switch (m_decoder.header().opcode) {
    case Opcode::Ping:
        // Answered at once; several pings before we write are each answered (allowed).
        if (m_state == State::Open && !write_frame(Opcode::Pong, payload)) {
            finish(static_cast<uint16_t>(CloseCode::Abnormal), true);
            return Step::Ended;
        }
        return Step::Continue;
    case Opcode::Pong: m_awaiting_pong = false; return Step::Continue;
    case Opcode::Close: break;
    default: return Step::Continue;
    }
    uint16_t code = static_cast<uint16_t>(CloseCode::NoStatus);
    if (m_control_length == 1) return fail(CloseCode::ProtocolError, "close frame of one byte");
    if (m_control_length >= 2) {
        code = read_be16(m_control);
        if (!close_code_allowed_on_wire(code))
            return fail(CloseCode::ProtocolError, "close code not allowed on the wire");
        if (!is_valid_utf8(payload.substr(2)))
            return fail(CloseCode::InvalidPayload, "close reason is not valid UTF-8");
    }
    if (m_state == State::Open) {
        // Echo the code (§5.5.1); the client's own close then ends the connection.
        uint16_t echo = code == static_cast<uint16_t>(CloseCode::NoStatus) ? 0 : code;
        if (!m_close_code) m_close_code = code;
        (void)write_close(echo, {});
    }
    finish(code, false);
    return Step::Ended;
}

WebSocket::Step WebSocket::fail(CloseCode code, const char* reason) {
    LOG_DEBUG("websocket: closing with %u: %s", static_cast<unsigned>(code), reason);
    if (m_state == State::Open) {
        m_close_code = static_cast<uint16_t>(code);
        (void)write_close(static_cast<uint16_t>(code), reason);
    }
    finish(static_cast<uint16_t>(code), false);
    return Step::Ended;
}

WebSocket::Step WebSocket::wait_input(sched::Deadline deadline, bool& timed_out) {
    const EndpointOptions& options = m_endpoint.options();
    sched::Deadline ping_at = m_awaiting_pong ? m_ping_sent + options.pong_timeout_ns
                                              : m_last_input + options.idle_timeout_ns;
    sched::Deadline until = ping_at < deadline ? ping_at : deadline;
    // Waiting with no message half assembled: hold no message buffers (a connection that
    // exchanges compressed messages would otherwise keep tens of KiB while idle).
    if (m_message.size() == 0) m_message.release();
    m_compressed.release();
    m_masked.release();
    auto n = m_io.fill(until);
    if (n) {
        if (*n == 0) {  // the client closed TCP without a close frame
            finish(static_cast<uint16_t>(CloseCode::Abnormal), false);
            return Step::Ended;
        }
        m_last_input = sched::now();
        m_awaiting_pong = false;  // anything it sends shows it is there
        return Step::Continue;
    }
    switch (n.error()) {
    case Error::Busy:  // interrupted: a push to write or a close to send
        return Step::Continue;
    case Error::Timeout:
        if (until != ping_at) {
            timed_out = true;
            return Step::Continue;
        }
        if (m_awaiting_pong) return fail(CloseCode::GoingAway, "no pong from an idle client");
        if (!write_frame(Opcode::Ping, {})) break;
        ++m_endpoint.m_stats.pings_sent;
        m_awaiting_pong = true;
        m_ping_sent = sched::now();
        return Step::Continue;
    case Error::LimitReached:  // cannot happen: input is consumed as it is decoded
        return fail(CloseCode::MessageTooBig, "input buffer full");
    default: break;
    }
    finish(static_cast<uint16_t>(CloseCode::Abnormal), true);
    return Step::Ended;
}

Result<void> WebSocket::send(Opcode opcode, std::string_view payload) {
    if (m_state != State::Open) return Error::Closed;
    auto sent = [&]() -> Result<void> {
        TRY_VOID(flush_queue());
        EndpointStats& stats = m_endpoint.m_stats;
        bool compress =
            m_compress_out && !is_control(opcode) && payload.size() >= kCompressThreshold;
        if (compress) {
            bool keep = send_keeps_context();
            // The endpoint's shared compressor must not pause in the middle of a message (another
            // connection would use it meanwhile): a long stateless message gets one of its own.
            bool long_message = payload.size() > kDeflateSlice;
            Deflater& deflater = keep || long_message ? m_deflater : m_endpoint.m_shared_deflater;
            auto compressed =
                deflater.compress(payload, send_window_bits(), keep, m_compressed, sched::yield);
            if (!keep && long_message) m_deflater.release();
            if (compressed) {
                TRY_VOID(write_frame(opcode, m_compressed.view(), true));
                stats.compressed_out_wire += m_compressed.size();
                stats.compressed_out_plain += payload.size();
            } else {
                TRY_VOID(write_frame(opcode, payload));  // compression failed: plain
            }
        } else {
            TRY_VOID(write_frame(opcode, payload));
        }
        ++stats.messages_out;
        stats.bytes_out += payload.size();
        // With more input waiting, replies gather until the next wait sends them in one write.
        if (m_io.input().empty()) TRY_VOID(m_io.output().flush());
        return {};
    }();
    if (!sent) finish(static_cast<uint16_t>(CloseCode::Abnormal), true);
    return sent;
}

Result<void> WebSocket::write_frame(Opcode opcode, std::string_view payload, bool rsv1) {
    if (m_role == Role::Client) return write_masked(opcode, payload, rsv1);
    uint8_t head[kMaxFrameHeader];
    size_t size = encode_header(head, opcode, payload.size(), true, rsv1);
    TRY_VOID(m_io.output().append({reinterpret_cast<const char*>(head), size}));
    return m_io.output().append(payload);
}

Result<void> WebSocket::write_masked(Opcode opcode, std::string_view payload, bool rsv1) {
    // The app's payload stays untouched: each piece is masked in a copy, the head in front of
    // the first, and handed to TCP at once, so the call's deadline bounds every wait.
    uint8_t mask[4];
    fresh_mask(mask);
    size_t first = payload.size() + kMaxFrameHeader;
    if (!m_masked.reserve(first < kMaskedPiece ? first : kMaskedPiece)) return Error::OutOfMemory;
    char* piece = m_masked.data();
    size_t used =
        encode_header(reinterpret_cast<uint8_t*>(piece), opcode, payload.size(), true, rsv1, mask);
    size_t offset = 0;
    for (;;) {
        size_t room = m_masked.capacity() - used;
        size_t n = payload.size() - offset < room ? payload.size() - offset : room;
        std::memcpy(piece + used, payload.data() + offset, n);
        apply_mask(piece + used, n, mask, offset);
        sched::Deadline by = sched::now() + m_write_timeout_ns;
        TRY_VOID(m_io.stream().write_all(piece, used + n,
                                         by < m_write_deadline ? by : m_write_deadline));
        offset += n;
        used = 0;
        if (offset == payload.size()) return {};
    }
}

Result<void> WebSocket::write_close(uint16_t code, std::string_view reason) {
    char payload[kMaxControlPayload];
    size_t length = 0;
    if (code) {
        payload[0] = static_cast<char>(code >> 8);
        payload[1] = static_cast<char>(code);
        length = 2;
        size_t n = reason.size() < kMaxCloseReason ? reason.size() : kMaxCloseReason;
        std::memcpy(payload + 2, reason.data(), n);
        length += n;
    }
    TRY_VOID(write_frame(Opcode::Close, {payload, length}));
    return m_io.output().flush();
}

void WebSocket::close(uint16_t code, std::string_view reason, sched::Deadline deadline) {
    if (m_state != State::Open) return;
    (void)flush_queue();
    m_close_code = code;
    if (!write_close(code, reason)) {
        finish(code, true);
        return;
    }
    m_state = State::Closing;
    // Wait for the peer's close; data frames meanwhile are read and dropped.
    sched::Deadline until = sched::now() + m_endpoint.options().close_timeout_ns;
    if (deadline < until) until = deadline;
    while (m_state == State::Closing) {
        Message ignored;
        if (process_input(ignored) == Step::Ended) return;
        auto n = m_io.fill(until);
        if (!n && n.error() == Error::Busy) continue;
        if (!n || *n == 0) break;
    }
    finish(code, false);
}

PushOutcome WebSocket::push(SharedFrame& frame) {
    if (m_state != State::Open || m_kill_code) return PushOutcome::Closed;
    const EndpointOptions& options = m_endpoint.options();
    EndpointStats& stats = m_endpoint.m_stats;
    size_t size = frame.bytes().size();
    bool over_bytes = !m_queue.empty() && m_queued_bytes + size > options.send_queue_bytes;
    if (m_queue.full() || over_bytes) {
        if (options.slow_consumers == SlowConsumerPolicy::Close) {
            m_kill_code = static_cast<uint16_t>(CloseCode::PolicyViolation);
            m_io.stream().interrupt();
            return PushOutcome::Closed;
        }
        ++stats.dropped;
        return PushOutcome::Dropped;
    }
    frame.ref();
    m_queue.push(&frame);
    m_queued_bytes += size;
    m_io.stream().interrupt();  // the connection's coroutine writes it
    ++stats.pushed;
    if (m_queued_bytes > options.send_queue_bytes / 2 || m_queue.size() > kSendQueueFrames / 2) {
        ++stats.back_pressured;
        return PushOutcome::BackPressured;
    }
    return PushOutcome::Queued;
}

Result<void> WebSocket::flush_queue() {
    EndpointStats& stats = m_endpoint.m_stats;
    bool own_context = m_deflate && send_keeps_context();
    while (!m_queue.empty()) {
        // Publishers may append while this write waits for the client; the front stays put.
        SharedFrame* frame = m_queue.front();
        if (frame->compressed() && own_context) m_deflater.forget_context();
        TRY_VOID(m_io.output().append(frame->bytes()));
        m_queue.pop();
        m_queued_bytes -= frame->bytes().size();
        ++stats.messages_out;
        stats.bytes_out += frame->payload_bytes();
        frame->unref();
    }
    return {};
}

void WebSocket::drop_queue() {
    while (!m_queue.empty()) m_queue.pop()->unref();
    m_queued_bytes = 0;
}

bool WebSocket::subscribe(Topic& topic) {
    Subscription* free_slot = nullptr;
    for (Subscription& subscription : m_subscriptions) {
        if (subscription.topic == &topic) return true;
        if (!subscription.topic && !free_slot) free_slot = &subscription;
    }
    if (!free_slot) return false;
    free_slot->socket = this;
    topic.link(*free_slot);
    return true;
}

void WebSocket::unsubscribe(Topic& topic) {
    for (Subscription& subscription : m_subscriptions) {
        if (subscription.topic == &topic) topic.unlink(subscription);
    }
}

void WebSocket::finish(uint16_t code, bool abort) {
    if (m_state == State::Closed) return;
    m_state = State::Closed;
    if (!m_close_code) m_close_code = code;
    ++m_endpoint.m_stats.closes[static_cast<size_t>(close_kind(m_close_code))];
    drop_queue();
    m_inflater.release();
    m_deflater.release();
    m_message.release();
    m_compressed.release();
    m_masked.release();
    if (abort) m_io.abort();
    else m_io.close_gracefully();
}

}  // namespace coronet::websocket
