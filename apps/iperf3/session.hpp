// One iperf3 test as the server runs it: its phase, which connections are its streams and which
// way each sends, what each has moved, the -n / -k limits and the -b pace, the times the
// results report. Pure bookkeeping with no I/O or clock of its own, unit-tested on the host;
// the server's coroutines (server.cpp) do the waiting and call in with the time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "apps/iperf3/protocol.hpp"
#include "lib/time_units.hpp"

namespace coronet::iperf3 {

enum class Phase : uint8_t {
    Parameters,  // the control connection is waiting for the client's parameters
    Streams,     // ...for its streams to connect
    Running,     // data moves until the client says TEST_END
    Results,     // results are exchanged; the counts are final
    Finished,
};
const char* phase_name(Phase phase);

class Session;

// What a new connection on the iperf3 port is. With no test, the first to present a cookie
// starts one; while a test waits for its streams, a connection with its cookie is the next
// stream; anything else is told ACCESS_DENIED, as iperf3's server does.
enum class Admission : uint8_t { Control, Stream, Denied };
Admission admit(const Session* session, std::string_view cookie);
// Whether a new connection's cookie is worth reading: past its streams, a test denies every
// newcomer at once without reading from it (so as not to wait on it).
bool reads_cookie(const Session* session);

class Session {
public:
    explicit Session(std::string_view cookie);

    Phase phase() const { return m_phase; }
    std::string_view cookie() const { return {m_cookie, sizeof m_cookie}; }
    const TestParameters& parameters() const { return m_parameters; }

    // The client's parameters are in: the test waits for its streams.
    void configure(const TestParameters& parameters);
    // A stream presenting `cookie` takes the next slot, its index; nullopt when it is not one
    // of this test's (another cookie, not waiting for streams, or all there).
    std::optional<size_t> attach(std::string_view cookie);
    size_t attached() const { return m_attached; }
    size_t expected() const { return m_parameters.stream_count(); }
    bool all_attached() const { return m_phase != Phase::Parameters && m_attached == expected(); }
    // Whether the server sends on the stream (-R: all; --bidir: those after the first
    // `parallel`, the order iperf3's client connects them in); otherwise it receives.
    bool server_sends(size_t index) const;

    // The data starts moving (TEST_RUNNING sent).
    void start(uint64_t now_ns);
    // When the -O seconds end (then call omit_over()); 0 when none are pending.
    uint64_t omit_until() const {
        return m_omit_pending ? m_start_ns + s_to_ns(m_parameters.omit_s) : 0;
    }
    // What was counted so far is left out of the results, which start now.
    void omit_over(uint64_t now_ns);

    // Counts bytes a stream has moved; ignored once the test has ended.
    void count(size_t index, uint64_t bytes);
    // A sending stream finished writing a whole block.
    void count_block();
    // Whether a sending stream may begin another block: false once -n bytes or -k blocks are
    // sent (all streams together, as iperf3 counts).
    bool may_send_block() const;
    // When a sending stream's next bytes are due at the -b rate (each stream its own); 0 with
    // no rate.
    uint64_t send_due(size_t index) const;

    // TEST_END: counts are final, the results' time ends now.
    void end(uint64_t now_ns);
    void finish() { m_phase = Phase::Finished; }

    uint64_t bytes_received() const { return m_received; }
    uint64_t bytes_sent() const { return m_sent; }
    // What the results cover: the time from the start (or the end of omitted seconds) to the
    // end, and the bytes all streams moved in it.
    uint64_t measured_ns() const;
    uint64_t measured_bytes() const;
    // Fills `out` with one entry per stream (at most `capacity`); returns how many.
    size_t results(StreamResult* out, size_t capacity) const;

private:
    struct Stream {
        uint64_t bytes = 0;    // since the start
        uint64_t omitted = 0;  // of those, counted before omit_over()
    };

    char m_cookie[kCookieSize - 1] = {};
    Phase m_phase = Phase::Parameters;
    TestParameters m_parameters;
    size_t m_attached = 0;
    Stream m_streams[kMaxStreams];
    uint64_t m_received = 0;  // all streams, since the start
    uint64_t m_sent = 0;
    uint64_t m_blocks_sent = 0;
    uint64_t m_start_ns = 0;
    uint64_t m_measure_from_ns = 0;  // the start, or the end of the omitted seconds
    uint64_t m_end_ns = 0;
    bool m_omit_pending = false;
};

}  // namespace coronet::iperf3
