// The connection side of ws_load: many WebSocket client connections on one epoll, opened at a
// bounded rate, masked frames out, frames parsed incrementally in, ping and close answered.
#pragma once

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::ws_load {

using Nanos = int64_t;
constexpr Nanos kNsPerSec = 1'000'000'000;
constexpr Nanos kNsPerMs = 1'000'000;

// The transport's limits, all here.
constexpr uint32_t kMaxHandshakesInFlight = 256;     // connects + upgrades outstanding at once
constexpr Nanos kHandshakeTimeout = 10 * kNsPerSec;  // connect + upgrade of one connection
constexpr Nanos kCloseTimeout = 2 * kNsPerSec;       // from a close frame to the server's FIN
constexpr Nanos kConnectCatchUp = 100 * kNsPerMs;  // --connect-rate: backlog made up after a stall
constexpr size_t kMaxResponseHead = 16 * 1024;     // the server's 101 response
constexpr size_t kMaxMessage = 64 * 1024 * 1024;   // a bigger server message is a protocol error
constexpr size_t kReadChunk = 64 * 1024;
constexpr int kEpollBatch = 1024;

Nanos now_ns();
inline Nanos from_seconds(double s) { return static_cast<Nanos>(s * kNsPerSec); }
inline double to_seconds(Nanos ns) { return static_cast<double>(ns) / kNsPerSec; }

// SplitMix64. Masks and jitter need spread, not secrecy: masking (RFC 6455 10.3) protects
// intermediaries from a hostile script, and a benchmark client is not one.
class Rng {
public:
    Rng();
    uint64_t next() {
        uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
    uint64_t m_state;
};

enum Opcode : uint8_t {
    kContinuation = 0,
    kText = 1,
    kBinary = 2,
    kClose = 8,
    kPing = 9,
    kPong = 10
};

enum class State : uint8_t { Idle, Connecting, Handshaking, Open, Closing, Done };

enum ErrorKind {
    kConnectError,    // socket, bind or connect failed
    kHandshakeError,  // no 101 with Upgrade: websocket
    kTimeoutError,    // no connection or no 101 within kHandshakeTimeout
    kResetError,      // the TCP connection ended without a close frame
    kProtocolError,   // a frame RFC 6455 does not allow from a server
    kMismatchError,   // the workload got a message it did not expect (set by the workload)
    kErrorKinds
};
extern const char* const kErrorNames[kErrorKinds];

struct Connection {
    int m_fd = -1;
    State m_state = State::Idle;
    bool m_was_open = false;
    bool m_in_message = false;  // a fragmented message is being reassembled in m_message
    uint8_t m_message_opcode = 0;
    Nanos m_deadline = 0;  // handshake or close deadline
    std::string m_in;      // the response head, then frame bytes not parsed yet
    std::string m_message;
    std::string m_out;  // frames the socket has not taken yet, from m_out_sent on
    size_t m_out_sent = 0;

    // The workload's per-connection state.
    bool m_awaiting = false;  // echo: a message in flight; scale: a ping in flight
    bool m_missed_pong = false;
    Nanos m_sent_at = 0;
    Nanos m_next_ping = 0;
    uint64_t m_seq = 0;
    uint64_t m_count = 0;       // echo: echoes received in the measured window
    uint32_t m_round_seen = 0;  // broadcast: the last round this connection received
};

// What the workload is told. Calls come from inside ClientPool::poll().
class ClientEvents {
public:
    virtual void on_open(Connection& c) = 0;
    // A whole data message; the view lives until the call returns.
    virtual void on_message(Connection& c, uint8_t opcode, std::string_view payload) = 0;
    virtual void on_pong(Connection& c, std::string_view payload) = 0;
    // An open connection is closing or gone (error, the server's close, ours).
    virtual void on_leave_open(Connection& c) = 0;

protected:
    ~ClientEvents() = default;
};

struct ClientOptions {
    sockaddr_in server{};
    std::vector<sockaddr_in> sources;  // bound round-robin when not empty
    std::string host_header;
    std::string path;
    uint32_t connections = 0;
    double connect_rate = 0;  // per second; 0 = unpaced
};

class ClientPool {
public:
    ClientPool(const ClientOptions& options, ClientEvents& events);
    ~ClientPool();
    ClientPool(const ClientPool&) = delete;
    ClientPool& operator=(const ClientPool&) = delete;

    bool init();  // false (and says why) if there is no epoll
    // Starts what the rate and the in-flight cap allow; opening_done() once all are settled.
    void start_connections(Nanos now);
    bool opening_done() const { return m_started == m_options.connections && m_in_flight == 0; }
    // When start_connections() has more to do, or `fallback` if it waits for handshakes.
    Nanos next_connect(Nanos fallback) const;
    // Waits for socket events at most timeout_ms and handles them.
    bool poll(int timeout_ms);
    void check_deadlines(Nanos now);
    void send_frame(Connection& c, uint8_t opcode, std::string_view payload);
    // The workload's verdict on a connection: counted as `kind`, then closed.
    void fail(Connection& c, ErrorKind kind, std::string_view what, int err = 0);
    // Sends close 1000 on every open connection and stops any that has not opened.
    void close_all(Nanos deadline);
    void finish_all();

    std::vector<Connection>& connections() { return m_connections; }
    const std::vector<Connection>& connections() const { return m_connections; }
    uint32_t index_of(const Connection& c) const {
        return static_cast<uint32_t>(&c - m_connections.data());
    }
    Rng& rng() { return m_rng; }
    uint32_t open() const { return m_open; }
    uint32_t closing() const { return m_closing; }
    uint32_t opened() const { return m_opened; }
    uint32_t failed_open() const { return m_failed_open; }
    uint32_t closed_by_server() const { return m_closed_by_server; }
    const std::array<uint64_t, kErrorKinds>& errors() const { return m_errors; }
    const std::array<std::string, kErrorKinds>& first_errors() const { return m_first_error; }

private:
    void set_state(Connection& c, State state);
    void start_connection(Connection& c, Nanos now);
    void on_event(Connection& c, uint32_t events);
    void on_connected(Connection& c);
    void on_readable(Connection& c, uint32_t events);
    void on_bytes(Connection& c, const char* data, size_t size);
    void feed(Connection& c, const char* data, size_t size);
    size_t parse_frames(Connection& c, const char* data, size_t size);
    void on_close_frame(Connection& c, std::string_view payload);
    void flush(Connection& c);
    void finish(Connection& c);

    const ClientOptions& m_options;
    ClientEvents& m_events;
    Rng m_rng;
    int m_epoll = -1;
    std::vector<Connection> m_connections;
    std::vector<char> m_read_buffer;

    Nanos m_next_connect = 0;
    uint32_t m_started = 0;
    uint32_t m_in_flight = 0;  // Connecting + Handshaking
    uint32_t m_open = 0;
    uint32_t m_closing = 0;
    uint32_t m_opened = 0;
    uint32_t m_failed_open = 0;
    uint32_t m_closed_by_server = 0;
    std::array<uint64_t, kErrorKinds> m_errors{};
    std::array<std::string, kErrorKinds> m_first_error;
};

}  // namespace coronet::ws_load
