// ws_load's connections: non-blocking connect and upgrade, edge-triggered epoll, RFC 6455
// framing for a client (masked out, unmasked in), and the lifecycle counters the report shows.
#include "ws_client.hpp"

#include <errno.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24  // linux/in.h; older libc headers lack it
#endif

namespace coronet::ws_load {

const char* const kErrorNames[kErrorKinds] = {"connect", "handshake", "timeout",
                                              "reset",   "protocol",  "mismatch"};

Nanos now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * kNsPerSec + ts.tv_nsec;
}

Rng::Rng() {
    if (getrandom(&m_state, sizeof m_state, 0) != sizeof m_state) m_state = now_ns();
}

namespace {

std::string base64(const uint8_t* data, size_t size) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < size; i += 3) {
        uint32_t n = uint32_t{data[i]} << 16;
        if (i + 1 < size) n |= uint32_t{data[i + 1]} << 8;
        if (i + 2 < size) n |= data[i + 2];
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += i + 1 < size ? kAlphabet[(n >> 6) & 63] : '=';
        out += i + 2 < size ? kAlphabet[n & 63] : '=';
    }
    return out;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (tolower(static_cast<unsigned char>(a[i])) !=
            tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

// True if the response head has a header `name` with `token` in its value (any case).
bool header_has(std::string_view head, std::string_view name, std::string_view token) {
    size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos + 2 < head.size()) {
        size_t start = pos + 2;
        size_t end = head.find("\r\n", start);
        std::string_view line =
            head.substr(start, end == std::string_view::npos ? end : end - start);
        size_t colon = line.find(':');
        if (colon != std::string_view::npos && equals_ignoring_case(line.substr(0, colon), name)) {
            std::string_view value = line.substr(colon + 1);
            for (size_t i = 0; i + token.size() <= value.size(); ++i) {
                if (equals_ignoring_case(value.substr(i, token.size()), token)) return true;
            }
        }
        pos = end;
    }
    return false;
}

// Eight bytes at a time: with 16 KiB echoes the mask is the client's biggest per-byte cost.
void mask_payload(char* data, size_t size, const uint8_t key[4]) {
    const uint8_t key8[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
    uint64_t wide;
    memcpy(&wide, key8, 8);
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t chunk;
        memcpy(&chunk, data + i, 8);
        chunk ^= wide;
        memcpy(data + i, &chunk, 8);
    }
    for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ key[i & 3]);
}

}  // namespace

ClientPool::ClientPool(const ClientOptions& options, ClientEvents& events)
    : m_options(options),
      m_events(events),
      m_connections(options.connections),
      m_read_buffer(kReadChunk) {}

ClientPool::~ClientPool() {
    for (Connection& c : m_connections) {
        if (c.m_fd >= 0) close(c.m_fd);
    }
    if (m_epoll >= 0) close(m_epoll);
}

bool ClientPool::init() {
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) perror("ws_load: epoll_create1");
    m_next_connect = now_ns();
    return m_epoll >= 0;
}

// Every state change goes through here, so the counters cannot drift.
void ClientPool::set_state(Connection& c, State state) {
    auto count = [&](State s, int delta) {
        if (s == State::Connecting || s == State::Handshaking) m_in_flight += delta;
        if (s == State::Open) m_open += delta;
        if (s == State::Closing) m_closing += delta;
    };
    State old = c.m_state;
    count(old, -1);
    count(state, +1);
    c.m_state = state;
    if (old == State::Open) m_events.on_leave_open(c);
}

void ClientPool::start_connections(Nanos now) {
    Nanos interval = m_options.connect_rate > 0 ? from_seconds(1.0 / m_options.connect_rate) : 0;
    while (m_started < m_options.connections && m_in_flight < kMaxHandshakesInFlight) {
        if (interval > 0) {
            if (now < m_next_connect) break;
            m_next_connect = std::max(m_next_connect + interval, now - kConnectCatchUp);
        }
        start_connection(m_connections[m_started++], now);
    }
}

Nanos ClientPool::next_connect(Nanos fallback) const {
    bool can_start = m_started < m_options.connections && m_in_flight < kMaxHandshakesInFlight;
    return can_start ? std::min(fallback, m_next_connect) : fallback;
}

void ClientPool::start_connection(Connection& c, Nanos now) {
    c.m_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    set_state(c, State::Connecting);
    c.m_deadline = now + kHandshakeTimeout;
    if (c.m_fd < 0) return fail(c, kConnectError, "socket", errno);
    int one = 1;
    setsockopt(c.m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!m_options.sources.empty()) {
        // Without NO_PORT, bind() would take a port for good and cap a source address at one
        // ephemeral range over all servers; with it the port is chosen at connect(), per
        // destination.
        setsockopt(c.m_fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        const sockaddr_in& source = m_options.sources[index_of(c) % m_options.sources.size()];
        if (bind(c.m_fd, reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0) {
            return fail(c, kConnectError, "bind", errno);
        }
    }
    if (connect(c.m_fd, reinterpret_cast<const sockaddr*>(&m_options.server),
                sizeof m_options.server) != 0 &&
        errno != EINPROGRESS) {
        return fail(c, kConnectError, "connect", errno);
    }
    // Added after connect(): a socket that has not started connecting polls as hung up.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u32 = index_of(c);
    if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, c.m_fd, &ev) != 0) {
        return fail(c, kConnectError, "epoll_ctl", errno);
    }
}

bool ClientPool::poll(int timeout_ms) {
    epoll_event events[kEpollBatch];
    int n = epoll_wait(m_epoll, events, kEpollBatch, timeout_ms);
    if (n < 0 && errno != EINTR) {
        perror("ws_load: epoll_wait");
        return false;
    }
    for (int i = 0; i < n; ++i) {
        Connection& c = m_connections[events[i].data.u32];
        // A connection closed earlier in this batch has nothing more to say.
        if (c.m_state != State::Done) on_event(c, events[i].events);
    }
    return true;
}

void ClientPool::on_event(Connection& c, uint32_t events) {
    if (c.m_state == State::Connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.m_fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) return fail(c, kConnectError, "connect", err);
        if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) == 0) return;
        on_connected(c);
    } else if ((events & EPOLLOUT) && c.m_out_sent < c.m_out.size()) {
        flush(c);
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c, events);
}

void ClientPool::on_connected(Connection& c) {
    uint8_t key[16];
    for (size_t i = 0; i < sizeof key; i += 8) {
        uint64_t r = m_rng.next();
        memcpy(key + i, &r, 8);
    }
    c.m_out = "GET " + m_options.path + " HTTP/1.1\r\nHost: " + m_options.host_header +
              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
              base64(key, sizeof key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    c.m_out_sent = 0;
    set_state(c, State::Handshaking);
    flush(c);
}

void ClientPool::on_readable(Connection& c, uint32_t events) {
    // Edge-triggered: read until the socket is empty. A short read means empty, unless the
    // event also carried the peer's FIN, which raises no new edge: then read on to the EOF.
    bool until_eof = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    while (c.m_state == State::Handshaking || c.m_state == State::Open ||
           c.m_state == State::Closing) {
        ssize_t n = recv(c.m_fd, m_read_buffer.data(), m_read_buffer.size(), 0);
        if (n > 0) {
            on_bytes(c, m_read_buffer.data(), static_cast<size_t>(n));
            if (static_cast<size_t>(n) < m_read_buffer.size() && !until_eof) return;
        } else if (n == 0) {
            if (c.m_state == State::Closing) return finish(c);
            return fail(c, kResetError, "the server ended TCP without a close frame");
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else if (errno != EINTR) {
            return fail(c, kResetError, "recv", errno);
        }
    }
}

void ClientPool::on_bytes(Connection& c, const char* data, size_t size) {
    if (c.m_state != State::Handshaking) return feed(c, data, size);
    size_t searched = c.m_in.size() >= 3 ? c.m_in.size() - 3 : 0;
    c.m_in.append(data, size);
    size_t end = c.m_in.find("\r\n\r\n", searched);
    if (end == std::string::npos) {
        if (c.m_in.size() > kMaxResponseHead) fail(c, kHandshakeError, "response head too long");
        return;
    }
    // Sec-WebSocket-Accept is not checked: that needs SHA-1, and a server that answers 101
    // with Upgrade: websocket to this request is one we want to measure anyway.
    std::string_view head(c.m_in.data(), end + 2);
    if (head.substr(0, 12) != "HTTP/1.1 101" || !header_has(head, "upgrade", "websocket")) {
        return fail(c, kHandshakeError, head.substr(0, std::min<size_t>(head.find('\r'), 80)));
    }
    std::string rest = c.m_in.substr(end + 4);
    c.m_in.clear();
    set_state(c, State::Open);
    c.m_was_open = true;
    ++m_opened;
    m_events.on_open(c);
    if (!rest.empty() && c.m_state == State::Open) feed(c, rest.data(), rest.size());
}

// Frames are parsed from the received chunk itself; only an incomplete tail is copied.
void ClientPool::feed(Connection& c, const char* data, size_t size) {
    if (c.m_in.empty()) {
        size_t used = parse_frames(c, data, size);
        if (c.m_state != State::Done && used < size) c.m_in.assign(data + used, size - used);
    } else {
        c.m_in.append(data, size);
        size_t used = parse_frames(c, c.m_in.data(), c.m_in.size());
        c.m_in.erase(0, used);
    }
    if (c.m_state == State::Done) {  // give the memory back; fail() must not, it runs mid-parse
        c.m_in = std::string();
        c.m_message = std::string();
        c.m_out = std::string();
    }
}

size_t ClientPool::parse_frames(Connection& c, const char* data, size_t size) {
    auto byte = [&](size_t i) { return static_cast<uint8_t>(data[i]); };
    size_t pos = 0;
    auto error = [&](const char* what) {
        fail(c, kProtocolError, what);
        return pos;
    };
    while ((c.m_state == State::Open || c.m_state == State::Closing) && size - pos >= 2) {
        uint8_t b0 = byte(pos), b1 = byte(pos + 1);
        bool fin = b0 & 0x80;
        uint8_t opcode = b0 & 0x0f;
        uint64_t length = b1 & 0x7f;
        size_t head = 2;
        if (length == 126) {
            if (size - pos < 4) break;
            length = uint64_t{byte(pos + 2)} << 8 | byte(pos + 3);
            head = 4;
        } else if (length == 127) {
            if (size - pos < 10) break;
            length = 0;
            for (size_t i = 0; i < 8; ++i) length = length << 8 | byte(pos + 2 + i);
            head = 10;
        }
        // No extension was offered, and a server never masks (RFC 6455 5.1, 5.2).
        if (b0 & 0x70) return error("reserved bits set");
        if (b1 & 0x80) return error("masked server frame");
        if (length > kMaxMessage) return error("frame too long");
        if (size - pos - head < length) break;
        std::string_view payload(data + pos + head, length);
        pos += head + length;
        if (opcode == kClose || opcode == kPing || opcode == kPong) {
            if (!fin || length > 125) return error("bad control frame");
            if (opcode == kClose) {
                on_close_frame(c, payload);
            } else if (opcode == kPing) {
                if (c.m_state == State::Open) send_frame(c, kPong, payload);
            } else {
                m_events.on_pong(c, payload);
            }
        } else if (opcode == kContinuation) {
            if (!c.m_in_message) return error("continuation without a message");
            if (c.m_message.size() + length > kMaxMessage) return error("message too long");
            c.m_message.append(payload);
            if (fin) {
                c.m_in_message = false;
                if (c.m_state == State::Open)
                    m_events.on_message(c, c.m_message_opcode, c.m_message);
                c.m_message.clear();
            }
        } else if (opcode == kText || opcode == kBinary) {
            if (c.m_in_message) return error("new message inside a fragmented one");
            if (fin) {
                if (c.m_state == State::Open) m_events.on_message(c, opcode, payload);
            } else {
                c.m_in_message = true;
                c.m_message_opcode = opcode;
                c.m_message.assign(payload);
            }
        } else {
            return error("unknown opcode");
        }
    }
    return pos;
}

void ClientPool::on_close_frame(Connection& c, std::string_view payload) {
    if (payload.size() == 1) return fail(c, kProtocolError, "close frame of 1 byte");
    if (c.m_state == State::Open) {
        ++m_closed_by_server;
        send_frame(c, kClose, payload.substr(0, 2));  // answer with the server's code
        if (c.m_state == State::Done) return;
        set_state(c, State::Closing);
        c.m_deadline = now_ns() + kCloseTimeout;
    }
    // Both closes are out. The server closes TCP first (RFC 6455 7.1.1) and we close on its
    // FIN, so the TIME_WAIT stays on its side and reruns do not run out of client ports; a
    // shutdown() here would cross its FIN and leave one on ours too.
}

void ClientPool::send_frame(Connection& c, uint8_t opcode, std::string_view payload) {
    uint8_t head[14];
    size_t n = 0;
    head[n++] = static_cast<uint8_t>(0x80 | opcode);
    if (payload.size() < 126) {
        head[n++] = static_cast<uint8_t>(0x80 | payload.size());
    } else if (payload.size() <= 0xffff) {
        head[n++] = 0x80 | 126;
        head[n++] = static_cast<uint8_t>(payload.size() >> 8);
        head[n++] = static_cast<uint8_t>(payload.size());
    } else {
        head[n++] = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8) {
            head[n++] = static_cast<uint8_t>(uint64_t{payload.size()} >> shift);
        }
    }
    uint32_t key = static_cast<uint32_t>(m_rng.next());
    memcpy(head + n, &key, 4);
    n += 4;
    c.m_out.append(reinterpret_cast<const char*>(head), n);
    size_t at = c.m_out.size();
    c.m_out.append(payload);
    mask_payload(c.m_out.data() + at, payload.size(), head + n - 4);
    flush(c);
}

void ClientPool::flush(Connection& c) {
    while (c.m_out_sent < c.m_out.size()) {
        ssize_t n = send(c.m_fd, c.m_out.data() + c.m_out_sent, c.m_out.size() - c.m_out_sent,
                         MSG_NOSIGNAL);
        if (n > 0) {
            c.m_out_sent += static_cast<size_t>(n);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;  // EPOLLOUT resumes
        } else if (errno != EINTR) {
            return fail(c, kResetError, "send", errno);
        }
    }
    c.m_out.clear();
    c.m_out_sent = 0;
}

void ClientPool::fail(Connection& c, ErrorKind kind, std::string_view what, int err) {
    if (c.m_state == State::Done || c.m_state == State::Idle) return;
    if (c.m_state == State::Closing) return finish(c);  // it was saying goodbye anyway
    if (c.m_state == State::Connecting || c.m_state == State::Handshaking) ++m_failed_open;
    ++m_errors[kind];
    if (m_first_error[kind].empty()) {
        m_first_error[kind] = std::string(what);
        if (err != 0) m_first_error[kind] += std::string(": ") + strerror(err);
    }
    finish(c);
}

void ClientPool::finish(Connection& c) {
    if (c.m_fd >= 0) close(c.m_fd);
    c.m_fd = -1;
    set_state(c, State::Done);
}

void ClientPool::check_deadlines(Nanos now) {
    for (Connection& c : m_connections) {
        if (now <= c.m_deadline) continue;
        if (c.m_state == State::Connecting || c.m_state == State::Handshaking) {
            fail(c, kTimeoutError, "no connection or no 101 in time");
        } else if (c.m_state == State::Closing) {
            finish(c);
        }
    }
}

void ClientPool::close_all(Nanos deadline) {
    static constexpr char kNormalClosure[] = {0x03, static_cast<char>(0xe8)};  // 1000
    for (Connection& c : m_connections) {
        if (c.m_state == State::Connecting || c.m_state == State::Handshaking) {
            finish(c);  // only when interrupted while opening
        } else if (c.m_state == State::Open) {
            set_state(c, State::Closing);
            c.m_deadline = deadline;
            send_frame(c, kClose, std::string_view(kNormalClosure, 2));
        }
    }
}

void ClientPool::finish_all() {
    for (Connection& c : m_connections) {
        if (c.m_state != State::Done && c.m_state != State::Idle) finish(c);
    }
}

}  // namespace coronet::ws_load
