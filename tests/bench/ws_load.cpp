// ws_load: the WebSocket load generator of Coronet's benchmarks (the role of uWebSockets'
// load_test): echo round trips, broadcast fan-out rounds, or many pinged idle connections.
// One thread, non-blocking sockets, epoll (ws_client.hpp); `ws_load --help` lists the options.
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ws_client.hpp"

namespace coronet::ws_load {
namespace {

// The workload's limits, all here (the transport's are in ws_client.hpp).
constexpr Nanos kRoundTimeout = 10 * kNsPerSec;  // broadcast: a round nobody completes is dropped
constexpr Nanos kSweepInterval = 50 * kNsPerMs;  // pings and deadlines are checked this often
constexpr int kMaxWaitMs = 100;                  // no epoll_wait is longer
constexpr uint64_t kVerifyEvery = 16;  // echo: every 16th echo of a connection compared in full
constexpr Nanos kStallTime = 1 * kNsPerSec;  // echo: an echo this late at the end is "stalled"
constexpr size_t kTagSize = 18;  // "c%08xn%08x" (echo) or "r%08xi%08x" (broadcast, i: run id)
constexpr uint32_t kMaxConnections = 10'000'000;  // a sanity bound; RLIMIT_NOFILE is the real one
constexpr rlim_t kFdReserve = 16;                 // stdio, epoll, slack

double to_us(Nanos ns) { return static_cast<double>(ns) / 1000.0; }

volatile sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

// Durations in a log-linear histogram: exact below 128 ns, then 64 buckets per power of two
// (1.6 % resolution), so a long run at a million messages a second keeps fixed memory.
class Histogram {
public:
    void record(Nanos value) {
        uint64_t v = value < 0 ? 0 : static_cast<uint64_t>(value);
        ++m_buckets[bucket_of(v)];
        ++m_count;
        m_max = std::max(m_max, v);
    }
    // The value below which `percent` of the samples lie (a bucket's middle, at most the max).
    double percentile_us(double percent) const {
        if (m_count == 0) return 0;
        auto rank =
            static_cast<uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(m_count)));
        rank = std::clamp<uint64_t>(rank, 1, m_count);
        uint64_t seen = 0;
        for (size_t b = 0; b < m_buckets.size(); ++b) {
            seen += m_buckets[b];
            if (seen >= rank) {
                uint64_t middle = bucket_low(b) + bucket_width(b) / 2;
                return to_us(static_cast<Nanos>(std::min(middle, m_max)));
            }
        }
        return to_us(static_cast<Nanos>(m_max));
    }
    double max_us() const { return to_us(static_cast<Nanos>(m_max)); }

private:
    static constexpr size_t kLinear = 128;
    static constexpr size_t kSub = 64;
    static size_t bucket_of(uint64_t v) {
        if (v < kLinear) return v;
        unsigned e = 63 - __builtin_clzll(v);
        return kLinear + (e - 7) * kSub + ((v >> (e - 6)) & (kSub - 1));
    }
    static uint64_t bucket_low(size_t b) {
        if (b < kLinear) return b;
        size_t e = (b - kLinear) / kSub + 7;
        return (kSub + (b - kLinear) % kSub) << (e - 6);
    }
    static uint64_t bucket_width(size_t b) {
        return b < kLinear ? 1 : uint64_t{1} << ((b - kLinear) / kSub + 1);
    }
    std::array<uint64_t, kLinear + (64 - 7) * kSub> m_buckets{};
    uint64_t m_count = 0;
    uint64_t m_max = 0;
};

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
        auto u = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (u < 0x20) {
            char buf[8];
            snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

// ---------------------------------------------------------------------------------------------
// Options

enum class Mode { Echo, Broadcast, Scale };

struct Options {
    std::string host = "127.0.0.1";
    unsigned port = 0;
    std::string path = "/";
    std::vector<sockaddr_in> sources;
    Mode mode = Mode::Echo;
    uint32_t connections = 100;
    size_t size = 20;
    bool text = false;
    double duration = 10;
    double warmup = 1;
    double connect_rate = 0;
    double ping_interval = 5;
    double pong_timeout = 10;
    bool json = false;
    sockaddr_in server{};
};

void print_help(FILE* out) {
    fprintf(
        out,
        "usage: ws_load --port P [options]\n"
        "WebSocket load generator (one thread, epoll). Client frames are masked. No\n"
        "permessage-deflate: the client offers no extension at all, so the server never\n"
        "compresses (there is no --deflate).\n"
        "\n"
        "  --host H            server IPv4 address or name (default 127.0.0.1)\n"
        "  --port P            server port (required)\n"
        "  --path /p           request path (default /)\n"
        "  --sources A,B,...   local IPv4 addresses to bind client sockets to, round-robin; each\n"
        "                      gives one ephemeral port range (ip_local_port_range) of\n"
        "                      connections to one server address:port\n"
        "  --mode M            echo (default) | broadcast | scale\n"
        "  --connections N     connections (default 100)\n"
        "  --size S            message payload bytes (default 20; broadcast needs >= %zu)\n"
        "  --text              text frames of ASCII letters and digits (default binary)\n"
        "  --duration SEC      measured time (default 10); scale: time after the last open\n"
        "  --warmup SEC        traffic before the measurement, not counted (default 1;\n"
        "                      echo and broadcast)\n"
        "  --connect-rate R    new connections per second at most (default 0 = unpaced);\n"
        "                      at most %u handshakes are in flight either way\n"
        "  --ping-interval SEC scale: ping period per connection, jittered (default 5)\n"
        "  --pong-timeout SEC  scale: a later pong marks the connection not alive (default 10)\n"
        "  --json              print the results as one JSON object (the last stdout line)\n"
        "  --help              this text\n"
        "\n"
        "echo:      every connection keeps one message in flight (send, await the echo, check\n"
        "           its length and tag, one in %llu in full, send again): echoes/s, per\n"
        "           connection min/median/max, round-trip p50/p90/p99/max, and the\n"
        "           connections whose echo was over %.0f s late at the end (stalled).\n"
        "broadcast: against a room endpoint that sends each message to every client, sender\n"
        "           included (Coronet's /ws/chat, needs --text): one client at a time sends a\n"
        "           message tagged with its round; the round ends when all clients got it.\n"
        "           Rounds/s, deliveries/s (rounds x clients), round time p50/p99; a\n"
        "           round not done in %.0f s is counted as timed out and the next begins.\n"
        "scale:     opens N connections, each pings every --ping-interval: opened, failed,\n"
        "           time to open all, alive at the end (every ping answered in time),\n"
        "           closed by the server.\n"
        "Traffic starts once every connection is open or has failed (a connect and upgrade\n"
        "has %.0f s). At the end every connection gets a close frame (1000) and up to %.0f s.\n"
        "\n"
        "Exit status: 0 run completed (connection errors are reported), 1 nothing connected,\n"
        "2 bad options or too few file descriptors (the hard RLIMIT_NOFILE).\n",
        kTagSize, kMaxHandshakesInFlight, static_cast<unsigned long long>(kVerifyEvery),
        to_seconds(kStallTime), to_seconds(kRoundTimeout), to_seconds(kHandshakeTimeout),
        to_seconds(kCloseTimeout));
}

bool parse_double(const char* text, double min, double* out) {
    char* end = nullptr;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= min) || !std::isfinite(v)) return false;
    *out = v;
    return true;
}

bool parse_unsigned(const char* text, uint64_t min, uint64_t max, uint64_t* out) {
    char* end = nullptr;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

bool parse_sources(const char* text, std::vector<sockaddr_in>* out) {
    std::string_view rest(text);
    while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string one(rest.substr(0, comma));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        if (inet_pton(AF_INET, one.c_str(), &address.sin_addr) != 1) return false;
        out->push_back(address);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return !out->empty();
}

// Returns 0 to go on (*help set for --help) or the exit status for bad options, 2.
int parse_options(int argc, char** argv, Options* o, bool* help) {
    enum {
        kHost = 1000,
        kPort,
        kPath,
        kSources,
        kMode,
        kConnections,
        kSize,
        kText,
        kDuration,
        kWarmup,
        kConnectRate,
        kPingInterval,
        kPongTimeout,
        kJson,
        kHelp
    };
    static const option kLong[] = {
        {"host", required_argument, nullptr, kHost},
        {"port", required_argument, nullptr, kPort},
        {"path", required_argument, nullptr, kPath},
        {"sources", required_argument, nullptr, kSources},
        {"mode", required_argument, nullptr, kMode},
        {"connections", required_argument, nullptr, kConnections},
        {"size", required_argument, nullptr, kSize},
        {"text", no_argument, nullptr, kText},
        {"duration", required_argument, nullptr, kDuration},
        {"warmup", required_argument, nullptr, kWarmup},
        {"connect-rate", required_argument, nullptr, kConnectRate},
        {"ping-interval", required_argument, nullptr, kPingInterval},
        {"pong-timeout", required_argument, nullptr, kPongTimeout},
        {"json", no_argument, nullptr, kJson},
        {"help", no_argument, nullptr, kHelp},
        {nullptr, 0, nullptr, 0},
    };
    auto bad = [](const char* what, const char* value) {
        fprintf(stderr, "ws_load: bad %s '%s' (see --help)\n", what, value ? value : "");
        return 2;
    };
    int opt;
    uint64_t n;
    while ((opt = getopt_long(argc, argv, "", kLong, nullptr)) != -1) {
        switch (opt) {
        case kHost: o->host = optarg; break;
        case kPort:
            if (!parse_unsigned(optarg, 1, 65535, &n)) return bad("--port", optarg);
            o->port = static_cast<unsigned>(n);
            break;
        case kPath:
            if (optarg[0] != '/' || strpbrk(optarg, " \r\n")) return bad("--path", optarg);
            o->path = optarg;
            break;
        case kSources:
            if (!parse_sources(optarg, &o->sources)) return bad("--sources", optarg);
            break;
        case kMode:
            if (strcmp(optarg, "echo") == 0) o->mode = Mode::Echo;
            else if (strcmp(optarg, "broadcast") == 0) o->mode = Mode::Broadcast;
            else if (strcmp(optarg, "scale") == 0) o->mode = Mode::Scale;
            else return bad("--mode", optarg);
            break;
        case kConnections:
            if (!parse_unsigned(optarg, 1, kMaxConnections, &n))
                return bad("--connections", optarg);
            o->connections = static_cast<uint32_t>(n);
            break;
        case kSize:
            if (!parse_unsigned(optarg, 0, kMaxMessage, &n)) return bad("--size", optarg);
            o->size = n;
            break;
        case kText: o->text = true; break;
        case kDuration:
            if (!parse_double(optarg, 0, &o->duration) || o->duration <= 0) {
                return bad("--duration", optarg);
            }
            break;
        case kWarmup:
            if (!parse_double(optarg, 0, &o->warmup)) return bad("--warmup", optarg);
            break;
        case kConnectRate:
            if (!parse_double(optarg, 0, &o->connect_rate)) return bad("--connect-rate", optarg);
            break;
        case kPingInterval:
            if (!parse_double(optarg, 0.001, &o->ping_interval)) {
                return bad("--ping-interval", optarg);
            }
            break;
        case kPongTimeout:
            if (!parse_double(optarg, 0.001, &o->pong_timeout)) {
                return bad("--pong-timeout", optarg);
            }
            break;
        case kJson: o->json = true; break;
        case kHelp: *help = true; return 0;
        default: return 2;  // getopt_long has said what is wrong
        }
    }
    if (optind < argc) return bad("argument", argv[optind]);
    if (o->port == 0) return bad("--port", "(missing)");
    if (o->mode == Mode::Broadcast && o->size < kTagSize) {
        fprintf(stderr, "ws_load: broadcast needs --size >= %zu (the round tag)\n", kTagSize);
        return 2;
    }
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(o->host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
        return bad("--host (no IPv4 address)", o->host.c_str());
    }
    memcpy(&o->server, found->ai_addr, sizeof o->server);
    o->server.sin_port = htons(static_cast<uint16_t>(o->port));
    freeaddrinfo(found);
    return 0;
}

// Raises the descriptor limit to the hard one; false (and says why) if N still does not fit.
bool raise_fd_limit(uint32_t connections) {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur != RLIM_INFINITY && connections + kFdReserve > limit.rlim_cur) {
        fprintf(stderr,
                "ws_load: %u connections need %llu file descriptors; the limit is %llu (hard "
                "limit %llu): raise it (ulimit -Hn as root, limits.conf, systemd LimitNOFILE)\n",
                connections, static_cast<unsigned long long>(connections + kFdReserve),
                static_cast<unsigned long long>(limit.rlim_cur),
                static_cast<unsigned long long>(limit.rlim_max));
        return false;
    }
    return true;
}

// One source address reaches one server address:port through at most the ephemeral range.
void warn_about_ports(const Options& o) {
    FILE* f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    unsigned low = 0, high = 0;
    if (f == nullptr) return;
    bool ok = fscanf(f, "%u %u", &low, &high) == 2 && high >= low;
    fclose(f);
    if (!ok) return;
    uint64_t per_source = (o.connections + std::max<size_t>(o.sources.size(), 1) - 1) /
                          std::max<size_t>(o.sources.size(), 1);
    if (per_source > high - low + 1) {
        fprintf(stderr,
                "ws_load: warning: %llu connections per source address exceed the %u ephemeral "
                "ports (%u-%u); pass more addresses with --sources\n",
                static_cast<unsigned long long>(per_source), high - low + 1, low, high);
    }
}

// ---------------------------------------------------------------------------------------------
// The run: open every connection, drive the mode's traffic, close gracefully, report.

class LoadRun final : public ClientEvents {
public:
    LoadRun(const Options& options, const ClientOptions& client_options);
    int run();

private:
    enum class Phase { Opening, Running, Closing, Finished };

    void on_open(Connection& c) override;
    void on_message(Connection& c, uint8_t opcode, std::string_view payload) override;
    void on_pong(Connection& c, std::string_view payload) override;
    void on_leave_open(Connection& c) override;

    void advance(Nanos now);
    void sweep(Nanos now);
    int wait_timeout(Nanos now) const;
    bool in_window(Nanos t) const { return t >= m_measure_start && t < m_measure_end; }
    std::string_view make_tag(char kind1, uint32_t a, char kind2, uint32_t b);

    void send_echo(Connection& c);
    void on_echo(Connection& c, uint8_t opcode, std::string_view payload);
    void start_round(Nanos now);
    void complete_round(Nanos now);
    void send_ping(Connection& c, Nanos now);

    void report(Nanos measured) const;

    const Options& m_options;
    ClientPool m_pool;
    const uint8_t m_data_opcode;
    std::string m_template;  // every message's payload; a tag overwrites its first bytes
    std::string m_scratch;
    char m_tag[kTagSize + 1] = {};

    Phase m_phase = Phase::Opening;
    Nanos m_start = 0;
    Nanos m_next_sweep = 0;
    Nanos m_open_done = 0;
    Nanos m_measure_start = 0;
    Nanos m_measure_end = 0;
    Nanos m_stopped = 0;  // when traffic stopped: the window's end, or earlier
    Nanos m_close_deadline = 0;

    Histogram m_latency;      // echo round trips, broadcast rounds, scale pongs
    uint64_t m_messages = 0;  // echo: echoes in the window
    uint64_t m_verified = 0;  // echo: compared byte for byte
    uint32_t m_stalled = 0;   // echo: connections whose echo was kStallTime late at the end

    // Broadcast. Rounds count from 1, so 0 in m_round_seen is "none"; the run id in the tag
    // keeps another ws_load's rounds in the same room from counting as ours.
    uint32_t m_run_id = 0;
    uint32_t m_round = 0;
    bool m_round_active = false;
    uint32_t m_next_sender = 0;
    Nanos m_round_started = 0;
    uint32_t m_round_received = 0;
    uint32_t m_round_expected = 0;
    uint64_t m_rounds = 0;
    uint64_t m_deliveries = 0;
    uint64_t m_rounds_timed_out = 0;
    uint64_t m_other_messages = 0;  // stale rounds, or a server's own messages

    uint64_t m_pings = 0;  // scale
    uint64_t m_pongs = 0;
    uint64_t m_pong_timeouts = 0;
    uint32_t m_alive = 0;
};

LoadRun::LoadRun(const Options& options, const ClientOptions& client_options)
    : m_options(options),
      m_pool(client_options, *this),
      m_data_opcode(options.text ? kText : kBinary) {
    static constexpr char kAscii[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    m_run_id = static_cast<uint32_t>(m_pool.rng().next());
    m_template.resize(options.size);
    for (char& ch : m_template) {
        uint64_t r = m_pool.rng().next();
        ch = options.text ? kAscii[r % (sizeof kAscii - 1)] : static_cast<char>(r);
    }
}

int LoadRun::run() {
    if (!m_pool.init()) return 1;
    m_start = now_ns();
    m_next_sweep = m_start + kSweepInterval;
    while (m_phase != Phase::Finished) {
        Nanos now = now_ns();
        if (m_phase == Phase::Opening && !g_interrupted) m_pool.start_connections(now);
        if (now >= m_next_sweep) {
            sweep(now);
            m_next_sweep = now + kSweepInterval;
        }
        advance(now);
        if (m_phase == Phase::Finished) break;
        if (!m_pool.poll(wait_timeout(now_ns()))) return 1;
        // A connection lost mid-round may have been the last one the round waited for.
        if (m_round_active && m_round_received >= m_round_expected) complete_round(now_ns());
    }
    report(m_stopped > m_measure_start ? m_stopped - m_measure_start : 0);
    return m_pool.opened() > 0 ? 0 : 1;
}

void LoadRun::advance(Nanos now) {
    bool stop = g_interrupted != 0;
    if (m_phase == Phase::Opening) {
        if (!stop && !m_pool.opening_done()) return;
        m_open_done = now;
        // Echo and broadcast traffic starts once all are open, so every connection is measured
        // from the same moment; scale has no traffic but its pings.
        m_measure_start = now;
        if (m_options.mode != Mode::Scale) m_measure_start += from_seconds(m_options.warmup);
        m_measure_end = m_measure_start + from_seconds(m_options.duration);
        m_phase = Phase::Running;
        if (m_options.mode == Mode::Echo) {
            for (Connection& c : m_pool.connections()) {
                if (c.m_state == State::Open) send_echo(c);
            }
        } else if (m_options.mode == Mode::Broadcast) {
            start_round(now);
        }
    }
    if (m_phase == Phase::Running) {
        if (!stop && now < m_measure_end && m_pool.open() > 0) return;
        m_stopped = std::min(now, m_measure_end);
        for (const Connection& c : m_pool.connections()) {
            if (c.m_state != State::Open) continue;
            if (!c.m_missed_pong) ++m_alive;
            if (m_options.mode == Mode::Echo && c.m_awaiting && now - c.m_sent_at > kStallTime) {
                ++m_stalled;
            }
        }
        m_phase = Phase::Closing;
        m_round_active = false;
        m_close_deadline = now + kCloseTimeout;
        m_pool.close_all(m_close_deadline);
    }
    if (m_phase == Phase::Closing && (m_pool.closing() == 0 || now >= m_close_deadline)) {
        m_pool.finish_all();
        m_phase = Phase::Finished;
    }
}

// Timers: transport deadlines, broadcast round timeouts, scale pings and late pongs.
void LoadRun::sweep(Nanos now) {
    m_pool.check_deadlines(now);
    if (m_round_active && now - m_round_started > kRoundTimeout) {
        ++m_rounds_timed_out;
        start_round(now);
    }
    if (m_options.mode != Mode::Scale || m_phase == Phase::Closing) return;
    Nanos pong_timeout = from_seconds(m_options.pong_timeout);
    for (Connection& c : m_pool.connections()) {
        if (c.m_state != State::Open) continue;
        if (c.m_awaiting && now - c.m_sent_at > pong_timeout) {
            if (!c.m_missed_pong) ++m_pong_timeouts;
            c.m_missed_pong = true;
            c.m_awaiting = false;
        }
        if (!c.m_awaiting && now >= c.m_next_ping) send_ping(c, now);
    }
}

int LoadRun::wait_timeout(Nanos now) const {
    Nanos next = m_next_sweep;
    if (m_phase == Phase::Opening) next = m_pool.next_connect(next);
    if (m_phase == Phase::Running) next = std::min(next, m_measure_end);
    if (m_phase == Phase::Closing) next = std::min(next, m_close_deadline);
    Nanos ms = (next - now + kNsPerMs - 1) / kNsPerMs;
    return static_cast<int>(std::clamp<Nanos>(ms, 0, kMaxWaitMs));
}

void LoadRun::on_open(Connection& c) {
    if (m_options.mode == Mode::Scale) {
        // Spread the first pings over one interval, so they do not come in waves.
        c.m_next_ping = now_ns() + from_seconds(m_options.ping_interval * m_pool.rng().unit());
    }
}

void LoadRun::on_message(Connection& c, uint8_t opcode, std::string_view payload) {
    if (m_options.mode == Mode::Echo) return on_echo(c, opcode, payload);
    if (m_options.mode != Mode::Broadcast) return;
    // The tag is looked for anywhere, so a server that wraps messages (a name, JSON) works.
    std::string_view tag(m_tag, kTagSize);
    bool ours = m_round_active && c.m_round_seen != m_round &&
                (payload.substr(0, kTagSize) == tag || payload.find(tag) != std::string_view::npos);
    if (!ours) {
        ++m_other_messages;
        return;
    }
    c.m_round_seen = m_round;
    if (++m_round_received >= m_round_expected) complete_round(now_ns());
}

void LoadRun::on_pong(Connection& c, std::string_view payload) {
    // Unsolicited pongs are allowed (RFC 6455 5.5.3); only the answer to our ping counts.
    if (m_options.mode != Mode::Scale || !c.m_awaiting || payload.size() != sizeof c.m_seq) return;
    uint64_t seq;
    memcpy(&seq, payload.data(), sizeof seq);
    if (seq != c.m_seq) return;
    c.m_awaiting = false;
    ++m_pongs;
    m_latency.record(now_ns() - c.m_sent_at);
}

void LoadRun::on_leave_open(Connection& c) {
    // The round goes on without it.
    if (m_round_active && c.m_round_seen != m_round && m_round_expected > 0) --m_round_expected;
}

std::string_view LoadRun::make_tag(char kind1, uint32_t a, char kind2, uint32_t b) {
    snprintf(m_tag, sizeof m_tag, "%c%08x%c%08x", kind1, a, kind2, b);
    return {m_tag, kTagSize};
}

void LoadRun::send_echo(Connection& c) {
    m_scratch = m_template;
    if (m_scratch.size() >= kTagSize) {
        std::string_view tag =
            make_tag('c', m_pool.index_of(c), 'n', static_cast<uint32_t>(c.m_seq));
        memcpy(m_scratch.data(), tag.data(), kTagSize);
    }
    c.m_awaiting = true;
    c.m_sent_at = now_ns();
    m_pool.send_frame(c, m_data_opcode, m_scratch);
}

void LoadRun::on_echo(Connection& c, uint8_t opcode, std::string_view payload) {
    Nanos now = now_ns();
    if (!c.m_awaiting) return m_pool.fail(c, kMismatchError, "a message nobody asked for");
    if (opcode != m_data_opcode) return m_pool.fail(c, kMismatchError, "echo of another type");
    if (payload.size() != m_template.size()) {
        return m_pool.fail(c, kMismatchError,
                           "echo of " + std::to_string(payload.size()) + " bytes for " +
                               std::to_string(m_template.size()));
    }
    size_t tagged = 0;
    if (payload.size() >= kTagSize) {
        std::string_view tag =
            make_tag('c', m_pool.index_of(c), 'n', static_cast<uint32_t>(c.m_seq));
        if (payload.substr(0, kTagSize) != tag) {
            return m_pool.fail(c, kMismatchError, "echo of another message (tag differs)");
        }
        tagged = kTagSize;
    }
    if (c.m_seq % kVerifyEvery == 0) {
        if (payload.substr(tagged) != std::string_view(m_template).substr(tagged)) {
            return m_pool.fail(c, kMismatchError, "echo with other bytes");
        }
        ++m_verified;
    }
    c.m_awaiting = false;
    ++c.m_seq;
    if (in_window(now)) {
        ++m_messages;
        ++c.m_count;
        m_latency.record(now - c.m_sent_at);
    }
    if (m_phase == Phase::Running && now < m_measure_end) send_echo(c);
}

void LoadRun::start_round(Nanos now) {
    m_round_active = false;
    if (m_phase != Phase::Running || now >= m_measure_end) return;
    std::vector<Connection>& all = m_pool.connections();
    for (size_t k = 0; k < all.size(); ++k) {
        Connection& sender = all[(m_next_sender + k) % all.size()];
        if (sender.m_state != State::Open) continue;
        uint32_t index = m_pool.index_of(sender);
        m_next_sender = static_cast<uint32_t>((index + 1) % all.size());
        ++m_round;
        m_round_active = true;
        m_round_started = now;
        m_round_received = 0;
        m_round_expected = m_pool.open();
        m_scratch = m_template;
        memcpy(m_scratch.data(), make_tag('r', m_round, 'i', m_run_id).data(), kTagSize);
        m_pool.send_frame(sender, m_data_opcode, m_scratch);
        return;
    }
}

void LoadRun::complete_round(Nanos now) {
    if (in_window(now)) {
        ++m_rounds;
        m_deliveries += m_round_received;
        m_latency.record(now - m_round_started);
    }
    start_round(now);
}

void LoadRun::send_ping(Connection& c, Nanos now) {
    char payload[sizeof c.m_seq];
    ++c.m_seq;
    memcpy(payload, &c.m_seq, sizeof payload);
    c.m_awaiting = true;
    c.m_sent_at = now;
    c.m_next_ping = now + from_seconds(m_options.ping_interval * (0.9 + 0.2 * m_pool.rng().unit()));
    ++m_pings;
    m_pool.send_frame(c, kPing, std::string_view(payload, sizeof payload));
}

// ---------------------------------------------------------------------------------------------
// Results: one JSON object on the last stdout line (--json), or a short human summary.

class JsonObject {
public:
    JsonObject& add(const char* key, double value, int decimals = 1) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.*f", decimals, value);
        return raw(key, buf);
    }
    JsonObject& add(const char* key, uint64_t value) { return raw(key, std::to_string(value)); }
    JsonObject& add(const char* key, std::string_view value) {
        return raw(key, json_string(value));
    }
    JsonObject& add(const char* key, const JsonObject& value) { return raw(key, value.text()); }
    JsonObject& add_bool(const char* key, bool value) { return raw(key, value ? "true" : "false"); }
    std::string text() const { return "{" + m_body + "}"; }

private:
    JsonObject& raw(const char* key, std::string_view value) {
        if (!m_body.empty()) m_body += ",";
        m_body += json_string(key) + ":" + std::string(value);
        return *this;
    }
    std::string m_body;
};

void LoadRun::report(Nanos measured) const {
    const Options& o = m_options;
    double seconds = to_seconds(measured);
    auto rate = [&](uint64_t count) {
        return seconds > 0 ? static_cast<double>(count) / seconds : 0;
    };
    const char* mode = o.mode == Mode::Echo        ? "echo"
                       : o.mode == Mode::Broadcast ? "broadcast"
                                                   : "scale";
    double open_time = to_seconds(m_open_done - m_start);

    std::vector<double> per_connection;  // echo: echoes per second of every opened connection
    for (const Connection& c : m_pool.connections()) {
        if (o.mode == Mode::Echo && c.m_was_open) per_connection.push_back(rate(c.m_count));
    }
    std::sort(per_connection.begin(), per_connection.end());
    auto pick = [&](double q) {
        if (per_connection.empty()) return 0.0;
        return per_connection[static_cast<size_t>(q *
                                                  static_cast<double>(per_connection.size() - 1))];
    };
    JsonObject errors, first_errors;
    uint64_t error_total = 0;
    for (int k = 0; k < kErrorKinds; ++k) {
        error_total += m_pool.errors()[k];
        errors.add(kErrorNames[k], m_pool.errors()[k]);
        if (!m_pool.first_errors()[k].empty())
            first_errors.add(kErrorNames[k], m_pool.first_errors()[k]);
    }
    JsonObject latency;
    latency.add("p50", m_latency.percentile_us(50));
    if (o.mode == Mode::Echo) latency.add("p90", m_latency.percentile_us(90));
    latency.add("p99", m_latency.percentile_us(99)).add("max", m_latency.max_us());

    if (o.json) {
        JsonObject j;
        j.add("tool", "ws_load")
            .add("mode", mode)
            .add("host", o.host)
            .add("port", uint64_t{o.port});
        j.add("path", o.path)
            .add("connections", uint64_t{o.connections})
            .add("sources", o.sources.size());
        if (o.mode != Mode::Scale) j.add("size", o.size).add_bool("text", o.text);
        j.add("duration_s", o.duration, 3).add("warmup_s", o.mode == Mode::Scale ? 0 : o.warmup, 3);
        j.add("connect_rate", o.connect_rate).add("measured_s", seconds, 3);
        j.add("opened", uint64_t{m_pool.opened()})
            .add("failed_to_open", uint64_t{m_pool.failed_open()});
        j.add("open_time_s", open_time, 3)
            .add("closed_by_server", uint64_t{m_pool.closed_by_server()});
        j.add("error_total", error_total).add("errors", errors).add("first_errors", first_errors);
        if (o.mode == Mode::Echo) {
            j.add("messages", m_messages).add("messages_per_s", rate(m_messages));
            j.add("verified", m_verified).add("stalled", uint64_t{m_stalled});
            j.add("per_connection_per_s",
                  JsonObject().add("min", pick(0)).add("median", pick(0.5)).add("max", pick(1)));
            j.add("latency_us", latency);
        } else if (o.mode == Mode::Broadcast) {
            j.add("rounds", m_rounds).add("rounds_per_s", rate(m_rounds));
            j.add("deliveries", m_deliveries).add("deliveries_per_s", rate(m_deliveries));
            j.add("rounds_timed_out", m_rounds_timed_out).add("other_messages", m_other_messages);
            j.add("round_us", latency);
        } else {
            j.add("alive", uint64_t{m_alive}).add("pings", m_pings).add("pongs", m_pongs);
            j.add("pong_timeouts", m_pong_timeouts).add("pong_us", latency);
        }
        printf("%s\n", j.text().c_str());
        return;
    }

    printf("ws_load %s: %s:%u%s, %u connections", mode, o.host.c_str(), o.port, o.path.c_str(),
           o.connections);
    if (o.mode != Mode::Scale) printf(", %zu B %s", o.size, o.text ? "text" : "binary");
    printf(", %.2f s measured\n", seconds);
    printf("opened %u, failed to open %u, in %.3f s; closed by the server %u; errors %llu\n",
           m_pool.opened(), m_pool.failed_open(), open_time, m_pool.closed_by_server(),
           static_cast<unsigned long long>(error_total));
    for (int k = 0; k < kErrorKinds; ++k) {
        if (m_pool.errors()[k] == 0) continue;
        printf("  %s: %llu (first: %s)\n", kErrorNames[k],
               static_cast<unsigned long long>(m_pool.errors()[k]),
               m_pool.first_errors()[k].c_str());
    }
    if (o.mode == Mode::Echo) {
        printf(
            "echoes %llu: %.1f/s; per connection min %.1f median %.1f max %.1f/s; %llu checked "
            "in full\n",
            static_cast<unsigned long long>(m_messages), rate(m_messages), pick(0), pick(0.5),
            pick(1), static_cast<unsigned long long>(m_verified));
        printf("round trip us: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f; stalled connections %u\n",
               m_latency.percentile_us(50), m_latency.percentile_us(90),
               m_latency.percentile_us(99), m_latency.max_us(), m_stalled);
    } else if (o.mode == Mode::Broadcast) {
        printf(
            "rounds %llu: %.1f/s; deliveries %llu: %.1f/s; rounds timed out %llu; other "
            "messages %llu\n",
            static_cast<unsigned long long>(m_rounds), rate(m_rounds),
            static_cast<unsigned long long>(m_deliveries), rate(m_deliveries),
            static_cast<unsigned long long>(m_rounds_timed_out),
            static_cast<unsigned long long>(m_other_messages));
        printf("round us: p50 %.1f  p99 %.1f  max %.1f\n", m_latency.percentile_us(50),
               m_latency.percentile_us(99), m_latency.max_us());
    } else {
        printf("alive at the end %u of %u opened; pings %llu, pongs %llu, late pongs %llu\n",
               m_alive, m_pool.opened(), static_cast<unsigned long long>(m_pings),
               static_cast<unsigned long long>(m_pongs),
               static_cast<unsigned long long>(m_pong_timeouts));
        printf("pong us: p50 %.1f  p99 %.1f  max %.1f\n", m_latency.percentile_us(50),
               m_latency.percentile_us(99), m_latency.max_us());
    }
}

int run_ws_load(int argc, char** argv) {
    Options options;
    bool help = false;
    if (int status = parse_options(argc, argv, &options, &help); status != 0) return status;
    if (help) {
        print_help(stdout);
        return 0;
    }
    if (!raise_fd_limit(options.connections)) return 2;
    warn_about_ports(options);
    ClientOptions client;
    client.server = options.server;
    client.sources = options.sources;
    client.host_header = options.host + ":" + std::to_string(options.port);
    client.path = options.path;
    client.connections = options.connections;
    client.connect_rate = options.connect_rate;
    // Ctrl-C or SIGTERM ends the run early, with a graceful close and the results so far.
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);
    LoadRun run(options, client);
    return run.run();
}

}  // namespace
}  // namespace coronet::ws_load

int main(int argc, char** argv) { return coronet::ws_load::run_ws_load(argc, argv); }
