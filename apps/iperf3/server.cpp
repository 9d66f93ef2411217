// The iperf3 server's coroutines. Every connection on the port starts in serve(): the first to
// present a cookie with no test running becomes the test's control connection and runs it,
// phase by phase, each with a deadline (run_test); those presenting the test's cookie while it
// waits for streams become its streams and move data until it ends (run_stream); the rest are
// told ACCESS_DENIED. What a test moved is kept in its Session (session.hpp).
#include "apps/iperf3/server.hpp"

#include <cstdio>
#include <cstdlib>
#include <new>

#include "apps/iperf3/control.hpp"
#include "kernel/log.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_group.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "net/ip_address.hpp"
#include "net/serve.hpp"

namespace coronet::iperf3 {
namespace {

// Sending streams write their blocks from this one buffer, filled once; receiving streams read
// into a sink allocated for the test (what they read is counted, not kept).
constexpr size_t kPayloadBytes = 64 * 1024;
constexpr size_t kSinkBytes = 64 * 1024;
// A sender blocked on a full window looks up this often to see whether the test has ended.
constexpr uint64_t kSendSlice = 100 * kMillisecond;
// The control connection looks up this often while it waits for the client's TEST_END: omitted
// seconds over, the client gone, nothing moving.
constexpr uint64_t kControlPoll = 1 * kSecond;
// ...and this often while it waits for the streams to connect (the client may give up).
constexpr uint64_t kAttachPoll = 100 * kMillisecond;
// Past the test's stated duration, the client's TEST_END is waited for this much longer.
constexpr uint64_t kEndGrace = 20 * kSecond;
// At the end, streams are given this long to notice and let go of the test.
constexpr uint64_t kStopTimeout = 2 * kSecond;
// The listener's limit: a test's streams, its control connection, newcomers being denied.
constexpr size_t kMaxConnections = kMaxStreams + 16;
constexpr size_t kSummaryBytes = 160;                      // a test's one line for the log
constexpr size_t kServerOutputBytes = kSummaryBytes + 32;  // --get-server-output: that line
constexpr size_t kEndpointText = 64;

alignas(64) uint8_t g_payload[kPayloadBytes];
bool g_payload_filled = false;

void fill_payload() {
    if (g_payload_filled) return;
    // iperf3 sends random bytes, so that a compressing link cannot flatter it; xorshift64 will do.
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (uint8_t& byte : g_payload) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        byte = static_cast<uint8_t>(x);
    }
    g_payload_filled = true;
}

sched::Deadline earliest(sched::Deadline a, sched::Deadline b) { return a < b ? a : b; }

unsigned long long ull(uint64_t value) { return static_cast<unsigned long long>(value); }

// Megabits a second (bits a microsecond), in tenths.
uint64_t tenths_of_mbps(uint64_t bytes, uint64_t ns) {
    return ns ? bytes * 8 * 10 * kMicrosecond / ns : 0;
}

const char* direction_text(Direction direction) {
    switch (direction) {
    case Direction::ToServer: return "to the server";
    case Direction::ToClient: return "to the client (reverse)";
    case Direction::Both: return "both ways";
    }
    return "";
}

// "test 3 done: 1287 bytes in 3001 ms over 8 stream(s) to the server, 342.6 Mbit/s": what the
// results cover (omitted seconds left out).
const char* summarize(const Session& session, uint64_t number, char* buffer, size_t size) {
    uint64_t ns = session.measured_ns();
    uint64_t rate = tenths_of_mbps(session.measured_bytes(), ns);
    snprintf(buffer, size,
             "test %llu done: %llu bytes in %llu ms over %zu stream(s) %s, %llu.%llu Mbit/s",
             ull(number), ull(session.measured_bytes()), ull(ns_to_ms(ns)), session.attached(),
             direction_text(session.parameters().direction), ull(rate / 10), ull(rate % 10));
    return buffer;
}

}  // namespace

// The test in progress: its session and what its coroutines share. Freed by the last of them.
struct Server::Run {
    Run(std::string_view cookie, uint64_t test) : session(cookie), number(test) {}
    ~Run() { free(sink); }
    void release() {
        if (--references == 0) delete this;
    }

    Session session;
    uint64_t number;
    sched::WaitQueue attached;  // the control connection waits here for streams
    sched::Event started;       // streams wait here for the start (set too when it never comes)
    sched::Event stopped;       // a sender done with its -n / -k waits here for the end
    sched::WaitGroup streams;   // stream coroutines still running
    net::TcpStream* receivers[kMaxStreams] = {};  // their reads are interrupted at the end
    char* sink = nullptr;
    size_t references = 1;  // the control connection, and each stream
    uint64_t started_ns = 0;
    uint64_t idle_at_start_ns = 0;  // the CPU's idle time so far, at the start
    uint32_t cpu_percent_milli = 0;
};

enum class Server::Outcome : uint8_t {
    Completed,   // results exchanged
    Refused,     // parameters refused, or no memory for the test
    Gone,        // the client closed or reset the control connection
    Malformed,   // it sent something iperf3 would not
    TimedOut,    // a phase's deadline passed, or nothing moved for idle_timeout
    Terminated,  // the client said CLIENT_TERMINATE (interrupted by its user)
};

// How a read or write on the control connection failing ends the test.
Server::Outcome Server::outcome_of(Error error) {
    if (error == Error::Malformed) return Outcome::Malformed;
    return error == Error::Timeout ? Outcome::TimedOut : Outcome::Gone;
}

const char* Server::outcome_text(Outcome outcome) {
    switch (outcome) {
    case Outcome::Completed: return "completed";
    case Outcome::Refused: return "refused";
    case Outcome::Gone: return "the client went away";
    case Outcome::Malformed: return "the client sent what iperf3 does not";
    case Outcome::TimedOut: return "timed out";
    case Outcome::Terminated: return "the client terminated it";
    }
    return "?";
}

Result<void> Server::start() {
    net::ServeOptions serve{.name = "iperf3", .port = m_options.port};
    serve.listen.max_connections = kMaxConnections;
    TRY_VOID(net::serve(serve, serve_connection, this));
    LOG_INFO("iperf3: listening on tcp port %u", m_options.port);
    return {};
}

ServerStats Server::stats() const {
    ServerStats s = m_stats;
    s.state = "idle";
    s.streams = 0;
    if (m_run) {
        s.state = phase_name(m_run->session.phase());
        s.streams = m_run->session.attached();
        s.bytes_received += m_run->session.bytes_received();
        s.bytes_sent += m_run->session.bytes_sent();
    }
    return s;
}

void Server::serve_connection(net::TcpStream& stream, void* context) {
    static_cast<Server*>(context)->serve(stream);
}

void Server::serve(net::TcpStream& stream) {
    if (!reads_cookie(m_run ? &m_run->session : nullptr)) {
        deny(stream);
        return;
    }
    char buffer[kCookieSize];
    auto cookie = receive_cookie(stream, buffer, sched::now() + m_options.setup_timeout_ns);
    if (!cookie) {
        if (cookie.error() == Error::Malformed) {
            ++m_stats.malformed;
            char peer[kEndpointText];
            LOG_INFO("iperf3: closed a connection from %s: not an iperf3 cookie",
                     net::format_endpoint(stream.peer(), peer, sizeof peer));
        }
        stream.abort();
        return;
    }
    // The test may have moved on while the cookie arrived.
    switch (admit(m_run ? &m_run->session : nullptr, *cookie)) {
    case Admission::Control: run_test(stream, *cookie); return;
    case Admission::Stream: {
        Run& run = *m_run;
        run_stream(stream, run, *run.session.attach(*cookie));
        return;
    }
    case Admission::Denied: deny(stream); return;
    }
}

void Server::deny(net::TcpStream& stream) {
    ++m_stats.denied;
    net::BufferedStream io(stream, {.send_timeout_ns = m_options.setup_timeout_ns});
    if (!send_state(io, State::AccessDenied)) {
        io.abort();
        return;
    }
    io.close_gracefully();  // whatever the newcomer sent (its cookie) is read, not reset
}

void Server::run_test(net::TcpStream& stream, std::string_view cookie) {
    ++m_stats.tests;
    uint64_t number = m_next_test++;
    net::BufferedStream io(stream, {.max_input = kMessageHeaderSize + kMaxMessageBytes,
                                    .send_timeout_ns = m_options.setup_timeout_ns});
    auto* run = new (std::nothrow) Run(cookie, number);
    if (!run) {
        ++m_stats.failed;
        LOG_WARN("iperf3: no memory for test %llu", ull(number));
        (void)send_refusal(io, {ClientError::NewTest, kErrnoOutOfMemory, "no memory"});
        io.close_gracefully();
        return;
    }
    m_run = run;
    Outcome outcome = conduct(*run, io);
    stop_streams(*run);
    const Session& session = run->session;
    m_stats.bytes_received += session.bytes_received();
    m_stats.bytes_sent += session.bytes_sent();
    m_run = nullptr;
    if (outcome == Outcome::Completed) {
        ++m_stats.completed;
        char summary[kSummaryBytes];
        LOG_INFO("iperf3: %s", summarize(session, number, summary, sizeof summary));
    } else {
        ++m_stats.failed;
        if (outcome == Outcome::Malformed) ++m_stats.malformed;
        LOG_INFO("iperf3: test %llu ended: %s", ull(number), outcome_text(outcome));
    }
    run->session.finish();
    run->release();
    if (outcome == Outcome::Completed || outcome == Outcome::Refused) io.close_gracefully();
    else io.abort();
}

Server::Outcome Server::conduct(Run& run, net::BufferedStream& io) {
    Session& session = run.session;
    sched::Deadline deadline = sched::now() + m_options.setup_timeout_ns;
    if (!send_state(io, State::ParamExchange)) return Outcome::Gone;
    auto body = receive_message(io, deadline);
    if (!body) return outcome_of(body.error());
    Refusal refusal;
    auto parameters = parse_parameters(*body, refusal);
    io.consume(kMessageHeaderSize + body->size());
    if (parameters && parameters->direction != Direction::ToClient) {
        run.sink = static_cast<char*>(malloc(kSinkBytes));
        if (!run.sink) {
            refusal = {ClientError::NewTest, kErrnoOutOfMemory, "no memory for the streams"};
            parameters = Error::OutOfMemory;
        }
    }
    if (!parameters) {
        LOG_INFO("iperf3: test %llu refused: %s", ull(run.number), refusal.reason);
        (void)send_refusal(io, refusal);
        return Outcome::Refused;
    }
    const TestParameters& p = *parameters;
    if (p.direction != Direction::ToServer) fill_payload();
    session.configure(p);
    char peer[kEndpointText];
    LOG_INFO(
        "iperf3: test %llu from %s: %u stream(s) %s, for %llu s, %llu bytes, %llu blocks "
        "(0: no limit)",
        ull(run.number), net::format_endpoint(io.stream().peer(), peer, sizeof peer), p.parallel,
        direction_text(p.direction), ull(p.duration_s), ull(p.bytes), ull(p.blocks));
    if (!send_state(io, State::CreateStreams)) return Outcome::Gone;

    deadline = sched::now() + m_options.setup_timeout_ns;
    while (!session.all_attached()) {
        if (io.stream().peer_gone()) return Outcome::Gone;
        if (sched::now() >= deadline) return Outcome::TimedOut;
        (void)run.attached.wait(earliest(sched::now() + kAttachPoll, deadline));
    }
    run.started_ns = sched::now();
    run.idle_at_start_ns = sched::stats().idle_ns;
    session.start(run.started_ns);
    run.started.set();
    if (!send_states(io, {State::TestStart, State::TestRunning})) return Outcome::Gone;

    Outcome running = run_phase(run, io);
    if (running != Outcome::Completed) return running;
    return results_phase(run, io);
}

Server::Outcome Server::run_phase(Run& run, net::BufferedStream& io) {
    Session& session = run.session;
    const TestParameters& p = session.parameters();
    sched::Deadline end_by = p.duration_s == 0
                                 ? sched::kForever
                                 : run.started_ns + s_to_ns(p.omit_s + p.duration_s) + kEndGrace;
    uint64_t moved = 0;
    uint64_t quiet_since = run.started_ns;
    for (;;) {
        uint64_t now = sched::now();
        if (uint64_t omit = session.omit_until(); omit != 0 && now >= omit) session.omit_over(now);
        uint64_t total = session.bytes_received() + session.bytes_sent();
        if (total != moved) {
            moved = total;
            quiet_since = now;
        }
        if (now >= end_by || now - quiet_since >= m_options.idle_timeout_ns)
            return Outcome::TimedOut;
        sched::Deadline wake = earliest(now + kControlPoll, end_by);
        if (uint64_t omit = session.omit_until(); omit != 0) wake = earliest(wake, omit);
        auto state = receive_state(io, wake);
        if (!state) {
            if (state.error() == Error::Timeout) continue;  // the checks above, again
            return outcome_of(state.error());
        }
        switch (*state) {
        case State::TestEnd: {
            uint64_t end = sched::now();
            session.end(end);
            uint64_t elapsed = end - run.started_ns;
            uint64_t idle = sched::stats().idle_ns - run.idle_at_start_ns;
            uint64_t busy = elapsed > idle ? elapsed - idle : 0;
            run.cpu_percent_milli =
                elapsed ? static_cast<uint32_t>(busy * 100 * 1000 / elapsed) : 0;
            return Outcome::Completed;
        }
        case State::ClientTerminate: return Outcome::Terminated;
        default: return Outcome::Malformed;
        }
    }
}

Server::Outcome Server::results_phase(Run& run, net::BufferedStream& io) {
    Session& session = run.session;
    stop_streams(run);  // the counts are final; the streams let go meanwhile
    sched::Deadline deadline = sched::now() + m_options.setup_timeout_ns;
    if (!send_state(io, State::ExchangeResults)) return Outcome::Gone;
    auto body = receive_message(io, deadline);
    if (!body) return outcome_of(body.error());
    auto client = parse_client_results(*body);
    io.consume(kMessageHeaderSize + body->size());
    if (!client) return Outcome::Malformed;

    char output[kServerOutputBytes];
    char summary[kSummaryBytes];
    size_t output_length = 0;
    if (session.parameters().get_server_output) {
        int n = snprintf(output, sizeof output, "Coronet iperf3 server, %s\n",
                         summarize(session, run.number, summary, sizeof summary));
        if (n > 0) output_length = static_cast<size_t>(n);
        if (output_length >= sizeof output) output_length = sizeof output - 1;  // truncated
    }
    size_t count = session.attached();
    size_t capacity = results_capacity(count, output_length);
    auto* streams = new (std::nothrow) StreamResult[count > 0 ? count : 1];
    auto* text = static_cast<char*>(malloc(capacity));
    Result<void> sent = Error::OutOfMemory;
    if (streams && text) {
        ServerResults results{.cpu_percent_milli = run.cpu_percent_milli,
                              .sends = session.parameters().direction != Direction::ToServer,
                              .streams = streams,
                              .stream_count = session.results(streams, count),
                              .server_output = {output, output_length}};
        std::string_view json = write_results(results, text, capacity);
        sent = json.empty() ? Result<void>(Error::LimitReached) : send_message(io, json);
    }
    delete[] streams;
    free(text);
    if (!sent) {
        LOG_WARN("iperf3: test %llu: results not sent: %s", ull(run.number),
                 error_name(sent.error()));
        return Outcome::Gone;
    }
    if (!send_state(io, State::DisplayResults)) return Outcome::Gone;
    auto done = receive_state(io, deadline);
    if (done && *done != State::IperfDone) return Outcome::Malformed;
    // A client that closes without its IPERF_DONE has the results all the same.
    return Outcome::Completed;
}

void Server::stop_streams(Run& run) {
    if (run.session.phase() == Phase::Running) run.session.end(sched::now());
    run.started.set();
    run.stopped.set();
    for (net::TcpStream* receiver : run.receivers)
        if (receiver) receiver->interrupt();
    (void)run.streams.wait(sched::now() + kStopTimeout);
}

void Server::run_stream(net::TcpStream& stream, Run& run, size_t index) {
    ++run.references;
    run.streams.add();
    bool sends = run.session.server_sends(index);
    if (!sends) run.receivers[index] = &stream;
    run.attached.notify_all();
    // The first stream may wait for the last as long as the control connection does.
    (void)run.started.wait(sched::now() + 2 * m_options.setup_timeout_ns);
    if (run.session.phase() == Phase::Running) {
        if (sends) send(stream, run, index);
        else receive(stream, run, index);
    }
    run.receivers[index] = nullptr;
    run.streams.done();
    run.release();
}

void Server::receive(net::TcpStream& stream, Run& run, size_t index) {
    while (run.session.phase() == Phase::Running) {
        auto got = stream.read(run.sink, kSinkBytes, sched::now() + m_options.idle_timeout_ns);
        if (!got || *got == 0) return;  // interrupted at the end (Busy), the client gone, silence
        run.session.count(index, *got);
    }
}

void Server::send(net::TcpStream& stream, Run& run, size_t index) {
    Session& session = run.session;
    uint64_t block_left = 0;
    while (session.phase() == Phase::Running) {
        uint64_t now = sched::now();
        if (block_left == 0) {
            if (!session.may_send_block()) {  // -n / -k reached: the client ends the test
                (void)run.stopped.wait(now + kControlPoll);
                continue;
            }
            block_left = session.parameters().block_size;
        }
        if (uint64_t due = session.send_due(index); due > now) {
            sched::sleep_until(earliest(due, now + kSendSlice));
            continue;
        }
        size_t piece = block_left < kPayloadBytes ? block_left : kPayloadBytes;
        auto sent = stream.write(g_payload, piece, now + kSendSlice);
        if (!sent) {
            if (sent.error() == Error::Timeout) continue;
            return;
        }
        session.count(index, *sent);
        block_left -= *sent;
        if (block_left == 0) session.count_block();
    }
}

}  // namespace coronet::iperf3
