// An iperf3 server, so that users and test rigs measure the appliance's link with the standard
// `iperf3 -c` client: TCP tests, normal, reverse (-R) and bidirectional (--bidir), parallel
// streams (-P), ended by time (-t), bytes (-n) or blocks (-k), paced by -b. One test at a time:
// a client arriving while one runs is told the server is busy, as iperf3's own server does.
// UDP and SCTP tests are refused with iperf3's "not implemented" error.
#pragma once

#include <cstddef>
#include <cstdint>

#include "apps/iperf3/protocol.hpp"
#include "apps/iperf3/session.hpp"
#include "lib/result.hpp"
#include "lib/time_units.hpp"
#include "net/buffered_stream.hpp"
#include "net/tcp.hpp"

namespace coronet::iperf3 {

struct ServerOptions {
    uint16_t port = kDefaultPort;  // boot option iperf3.port (0 leaves the server off)
    // Each step outside the data: a newcomer's cookie, the parameters, the streams connecting,
    // the results and the client's goodbye.
    uint64_t setup_timeout_ns = 10 * kSecond;
    // A running test in which no byte moves and the client says nothing for this long is ended
    // (boot option iperf3.idle_timeout_ms; iperf3's own --rcv-timeout is 120 s).
    uint64_t idle_timeout_ns = 60 * kSecond;
};

// Counters for /status.
struct ServerStats {
    uint64_t tests;      // started: a control connection came with no test running
    uint64_t completed;  // ended by the client with the results exchanged
    uint64_t failed;     // ended otherwise: refused parameters, a client gone or silent, bad input
    uint64_t denied;     // connections told ACCESS_DENIED (busy, or not the test's cookie)
    uint64_t malformed;  // connections closed for what they sent (cookie, message, state byte)
    uint64_t bytes_received;  // by every test's streams, the one running included
    uint64_t bytes_sent;
    uint64_t streams;   // connected to the test running
    const char* state;  // the running test's phase, or "idle"
};

class Server {
public:
    explicit Server(const ServerOptions& options) : m_options(options) {}
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Listens on options.port (net::serve); the server lives as long as the image.
    Result<void> start();
    ServerStats stats() const;
    uint16_t port() const { return m_options.port; }

private:
    struct Run;
    enum class Outcome : uint8_t;

    static Outcome outcome_of(Error error);
    static const char* outcome_text(Outcome outcome);
    static void serve_connection(net::TcpStream& stream, void* context);
    void serve(net::TcpStream& stream);
    void deny(net::TcpStream& stream);
    void run_test(net::TcpStream& stream, std::string_view cookie);
    Outcome conduct(Run& run, net::BufferedStream& io);
    Outcome run_phase(Run& run, net::BufferedStream& io);
    Outcome results_phase(Run& run, net::BufferedStream& io);
    void stop_streams(Run& run);
    void run_stream(net::TcpStream& stream, Run& run, size_t index);
    void receive(net::TcpStream& stream, Run& run, size_t index);
    void send(net::TcpStream& stream, Run& run, size_t index);

    ServerOptions m_options;
    Run* m_run = nullptr;  // the test in progress
    ServerStats m_stats{};
    uint64_t m_next_test = 1;
};

}  // namespace coronet::iperf3
