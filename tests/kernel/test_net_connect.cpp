// TcpStream::connect against the host side of the test's tap (tools/client_test.py starts the
// servers): a port nothing listens on, an address nobody answers ARP for, a filter dropping
// SYNs, and a thousand connections open at once to an echo server, each carrying data; over
// IPv6 link-local, ten at once, a closed port and the same filter. And the other side of a
// crowd: a listener of the guest's own taking hundreds of connections only after all of them
// have connected. And net::tunnel() between two connections over the guest's own address.
#include <cstdio>
#include <cstring>

#include "kernel/boot_config.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/time_units.hpp"
#include "lwip/netif.h"
#include "lwip/opt.h"
#include "net/buffered_stream.hpp"
#include "net/tcp.hpp"
#include "net/tunnel.hpp"
#include "tests/kernel/ktest.hpp"
#include "tests/kernel/net_fixture.hpp"

namespace coronet {
namespace {

using net::TcpStream;

constexpr size_t kEphemeralPorts = TCP_LOCAL_PORT_RANGE_END - TCP_LOCAL_PORT_RANGE_START;

// One failed connect: the error it must give and how long it may take (loose bounds: this is
// about which error comes when, not speed).
void expect_failure(const char* what, const net::Endpoint& to, uint64_t timeout_ns, Error wanted,
                    uint64_t at_least_ns, uint64_t at_most_ns) {
    uint64_t start = sched::now();
    auto stream = TcpStream::connect(to, start + timeout_ns);
    uint64_t took = sched::now() - start;
    printf("ktest: %s: %s after %llu ms\n", what, stream ? "connected" : error_name(stream.error()),
           static_cast<unsigned long long>(took / kMillisecond));
    KCHECK(!stream && stream.error() == wanted);
    KCHECK(took >= at_least_ns && took <= at_most_ns);
}

struct Crowd {
    net::Endpoint to;
    size_t open = 0;      // connected and echoed
    size_t finished = 0;  // coroutines done, whatever happened
    size_t failures = 0;
    sched::Event all_open;
    sched::Event all_finished;
    size_t size = 0;
    sched::Deadline deadline = 0;
};

void member(Crowd& crowd, size_t index) {
    char line[32], echoed[32];
    int length = snprintf(line, sizeof line, "hello %zu\n", index);
    bool ok = false;
    if (auto stream = TcpStream::connect(crowd.to, crowd.deadline)) {
        ok = stream->write_all(line, length, crowd.deadline).ok();
        size_t got = 0;
        while (ok && got < size_t(length)) {
            auto n = stream->read(echoed + got, length - got, crowd.deadline);
            ok = n && *n > 0;
            if (ok) got += *n;
        }
        ok = ok && memcmp(line, echoed, length) == 0;
        if (ok && ++crowd.open == crowd.size) crowd.all_open.set();
        // Held until every member is open: they are all connected at once.
        if (ok) ok = crowd.all_open.wait(crowd.deadline).ok();
    } else if (crowd.failures < 5) {
        printf("ktest: connection %zu: %s\n", index, error_name(stream.error()));
    }
    if (!ok) ++crowd.failures;
    if (++crowd.finished == crowd.size) crowd.all_finished.set();
}

void crowd_of(const net::Endpoint& to, size_t count) {
    Crowd crowd;
    crowd.to = to;
    crowd.size = count;
    crowd.deadline = sched::now() + 120 * kSecond;
    uint64_t start = sched::now();
    for (size_t i = 0; i < count; ++i) {
        auto spawned =
            sched::spawn([&crowd, i] { member(crowd, i); },
                         {.name = "connector", .stack_size = 16 * 1024, .detached = true});
        KCHECK(spawned.ok());
        if (!spawned) return;
    }
    KCHECK(crowd.all_finished.wait(crowd.deadline + kSecond).ok());
    printf("ktest: %zu connections: %zu open at once, %zu failed, %llu ms\n", count, crowd.open,
           crowd.failures, static_cast<unsigned long long>((sched::now() - start) / kMillisecond));
    KCHECK(crowd.open == count && crowd.failures == 0);
    net::ConnectStats stats = net::connect_stats();
    printf("ktest: connect stats: %llu attempts, %llu established\n",
           static_cast<unsigned long long>(stats.attempts),
           static_cast<unsigned long long>(stats.established));
}

// More connections one after another than there are ephemeral ports, each closed by us first
// (so each leaves a TIME-WAIT behind, holding its port for two minutes): ports must be taken
// back from TIME-WAIT for the later ones. Eight run side by side.
void short_connections(const net::Endpoint& to, size_t count) {
    constexpr size_t kLanes = 8;
    size_t next = 0, done = 0, failures = 0;
    sched::Event finished;
    uint64_t start = sched::now();
    sched::Deadline deadline = start + 600 * kSecond;
    uint64_t reuses_before = net::connect_stats().time_wait_reuses;
    for (size_t lane = 0; lane < kLanes; ++lane) {
        auto spawned = sched::spawn(
            [&] {
                while (next < count) {
                    ++next;
                    char byte = 'x';
                    auto stream = TcpStream::connect(to, deadline);
                    bool ok = stream && stream->write_all(&byte, 1, deadline) &&
                              stream->read(&byte, 1, deadline).value_or(0) == 1;
                    if (!ok && failures++ < 5)
                        printf("ktest: short connection %zu: %s\n", next,
                               stream ? "no echo" : error_name(stream.error()));
                }
                if (++done == kLanes) finished.set();
            },
            {.name = "short-lane", .stack_size = 16 * 1024, .detached = true});
        KCHECK(spawned.ok());
        if (!spawned) return;
    }
    KCHECK(finished.wait(deadline + kSecond).ok());
    uint64_t reuses = net::connect_stats().time_wait_reuses - reuses_before;
    printf(
        "ktest: %zu short connections: %zu failed, %llu ports taken back from TIME-WAIT, %llu ms\n",
        count, failures, static_cast<unsigned long long>(reuses),
        static_cast<unsigned long long>((sched::now() - start) / kMillisecond));
    KCHECK(failures == 0);
    if (count > kEphemeralPorts) KCHECK(reuses > 0);
}

// lwIP completes a handshake whenever its last segment arrives, whether or not the server's
// accept loop has run since: a server that takes its connections late (here only once every
// client has connected, over the interface's own loopback) must still get every one, none reset.
constexpr uint16_t kLateAcceptPort = 7007;

struct LateClients {
    net::Endpoint to;
    size_t size = 0;
    size_t connected = 0;
    size_t finished = 0;
    size_t failures = 0;
    sched::Event all_connected;
    sched::Event all_finished;
    sched::Deadline deadline = 0;
};

void late_client(LateClients& clients, size_t index) {
    auto mark = static_cast<char>(index);
    char answer = 0;
    auto stream = TcpStream::connect(clients.to, clients.deadline);
    if (stream && ++clients.connected == clients.size) clients.all_connected.set();
    bool ok = stream && stream->write_all(&mark, 1, clients.deadline) &&
              stream->read(&answer, 1, clients.deadline).value_or(0) == 1 && answer == mark;
    if (!ok && clients.failures++ < 5)
        printf("ktest: late-accepted connection %zu: %s\n", index,
               stream ? "no answer" : error_name(stream.error()));
    if (++clients.finished == clients.size) clients.all_finished.set();
}

void accepted_late(size_t count) {
    net::ListenOptions options;
    options.max_connections = count;
    auto listener = net::TcpListener::bind(kLateAcceptPort, options);
    KCHECK(listener.ok());
    if (!listener) return;
    // On the heap, and left there unless every client has finished: a failed check must not
    // leave clients running on a returned frame.
    auto* shared = new LateClients();
    LateClients& clients = *shared;
    ip_addr_copy_from_ip4(clients.to.address, *netif_ip4_addr(netif_default));
    clients.to.port = kLateAcceptPort;
    clients.size = count;
    clients.deadline = sched::now() + 60 * kSecond;
    for (size_t i = 0; i < count; ++i) {
        auto spawned =
            sched::spawn([&clients, i] { late_client(clients, i); },
                         {.name = "late-client", .stack_size = 16 * 1024, .detached = true});
        KCHECK(spawned.ok());
        if (!spawned) return;
    }
    KCHECK(clients.all_connected.wait(clients.deadline).ok());
    sched::sleep_for(100 * kMillisecond);  // every client's last handshake segment looped back
    auto* accepted = new TcpStream[count];
    size_t answered = 0;
    for (size_t i = 0; i < count; ++i) {
        auto stream = (*listener)->accept(clients.deadline);
        if (!stream) break;
        accepted[i] = stream.release_value();
        char mark;
        if (accepted[i].read(&mark, 1, clients.deadline).value_or(0) == 1 &&
            accepted[i].write_all(&mark, 1, clients.deadline))
            ++answered;
    }
    KCHECK(clients.all_finished.wait(clients.deadline + kSecond).ok());
    net::TcpListener::Stats stats = (*listener)->stats();
    printf("ktest: %zu connections accepted late: %zu answered, %llu refused, %zu failed\n", count,
           answered, static_cast<unsigned long long>(stats.refused), clients.failures);
    KCHECK(answered == count && stats.refused == 0 && clients.failures == 0);
    delete[] accepted;
    if (clients.finished == clients.size) delete shared;
}

constexpr uint16_t kTunnelPort = 7008;

// Two connections over the guest's own address: the near end (ours) and the far end (accepted).
struct Pair {
    TcpStream near;
    TcpStream far;
};

Result<Pair> connected_pair(net::TcpListener& listener, sched::Deadline deadline) {
    net::Endpoint to;
    ip_addr_copy_from_ip4(to.address, *netif_ip4_addr(netif_default));
    to.port = kTunnelPort;
    Pair pair;
    pair.near = TRY(TcpStream::connect(to, deadline));
    pair.far = TRY(listener.accept(deadline));
    return pair;
}

// Two pairs and what net::tunnel() between their far ends returned, once it has. On the heap,
// and left there if the tunnel never returns: a failed check must not leave it running on a
// returned frame.
struct TunnelCase {
    Pair a;
    Pair b;
    Result<void> result{};
    sched::Event done;
};

TunnelCase* start_tunnel(net::TcpListener& listener, uint64_t idle_timeout_ns,
                         sched::Deadline deadline) {
    auto* tunnel = new TunnelCase();
    auto a = connected_pair(listener, deadline);
    auto b = connected_pair(listener, deadline);
    KCHECK(a.ok() && b.ok());
    if (!a || !b) {
        delete tunnel;
        return nullptr;
    }
    tunnel->a = a.release_value();
    tunnel->b = b.release_value();
    auto spawned = sched::spawn(
        [tunnel, idle_timeout_ns] {
            net::BufferedStream one(tunnel->a.far, {}), other(tunnel->b.far, {});
            tunnel->result = net::tunnel(one, other, idle_timeout_ns);
            tunnel->done.set();
        },
        {.name = "tunnel", .detached = true});
    KCHECK(spawned.ok());
    if (!spawned) {
        delete tunnel;
        return nullptr;
    }
    return tunnel;
}

// Bytes one way only keep a tunnel with an idle timeout open well past it; once nothing
// crosses, it ends with Timeout. Without a timeout, a side's FIN reaches the other while the
// other way stays open, and both ends end it.
void tunnels() {
    auto listener = net::TcpListener::bind(kTunnelPort, {});
    KCHECK(listener.ok());
    if (!listener) return;
    sched::Deadline deadline = sched::now() + 30 * kSecond;
    // A byte every kIdle / 4: a guest stalled for most of kIdle (TCG under load) still makes it.
    constexpr uint64_t kIdle = 1 * kSecond;
    TunnelCase* timed = start_tunnel(**listener, kIdle, deadline);
    if (!timed) return;
    uint64_t start = sched::now(), last = start;
    size_t carried = 0;
    for (char c = 'a'; c < 'a' + 10; ++c) {  // one way only: a to b
        char got = 0;
        if (c != 'a') sched::sleep_for(kIdle / 4);
        KCHECK(timed->a.near.write_all(&c, 1, deadline).ok());
        carried += timed->b.near.read(&got, 1, deadline).value_or(0) == 1 && got == c;
        last = sched::now();
    }
    KCHECK(carried == 10 && !timed->done.is_set());
    KCHECK(timed->done.wait(deadline).ok());
    uint64_t ended = sched::now();
    printf(
        "ktest: tunnel (idle timeout %llu ms): %zu bytes one way over %llu ms, ended %llu ms "
        "after the last: %s\n",
        static_cast<unsigned long long>(kIdle / kMillisecond), carried,
        static_cast<unsigned long long>((last - start) / kMillisecond),
        static_cast<unsigned long long>((ended - last) / kMillisecond),
        timed->done.is_set() && !timed->result ? error_name(timed->result.error()) : "-");
    KCHECK(timed->done.is_set() && !timed->result && timed->result.error() == Error::Timeout);
    KCHECK(ended - last >= kIdle / 2 && ended - last < kIdle + 5 * kSecond);
    if (timed->done.is_set()) delete timed;

    TunnelCase* open = start_tunnel(**listener, 0, deadline);
    if (!open) return;
    char byte = 'x', got = 0;
    KCHECK(open->b.near.write_all(&byte, 1, deadline).ok());
    KCHECK(open->a.near.read(&got, 1, deadline).value_or(0) == 1 && got == 'x');
    KCHECK(open->a.near.shutdown().ok());
    KCHECK(open->b.near.read(&got, 1, deadline).value_or(1) == 0);  // a's FIN came through
    KCHECK(open->b.near.write_all(&byte, 1, deadline).ok());        // the other way still open
    KCHECK(open->a.near.read(&got, 1, deadline).value_or(0) == 1 && !open->done.is_set());
    KCHECK(open->b.near.shutdown().ok());
    KCHECK(open->done.wait(deadline).ok() && open->result.ok());
    if (open->done.is_set()) delete open;
}

void connect_body() {
    const BootConfig& config = boot_config();
    expect_failure("refused", ktest::endpoint_option("connect.refused"), 5 * kSecond,
                   Error::Refused, 0, 2 * kSecond);
    expect_failure("unreachable", ktest::endpoint_option("connect.unreachable"), 20 * kSecond,
                   Error::Unreachable, 2 * kSecond, 10 * kSecond);
    expect_failure("blackhole", ktest::endpoint_option("connect.blackhole"), kSecond,
                   Error::Timeout, kSecond, 3 * kSecond);
    size_t count = config.get_number("connect.count").value_or(1000);
    crowd_of(ktest::endpoint_option("connect.echo"), count);
    accepted_late(config.get_number("connect.late").value_or(500));
    tunnels();
    if (size_t short_count = config.get_number("connect.short").value_or(0))
        short_connections(ktest::endpoint_option("connect.echo"), short_count);
    if (!config.has("connect.echo6")) return;
    crowd_of(ktest::endpoint_option("connect.echo6"), 10);
    expect_failure("refused (IPv6)", ktest::endpoint_option("connect.refused6"), 5 * kSecond,
                   Error::Refused, 0, 2 * kSecond);
    expect_failure("blackhole (IPv6)", ktest::endpoint_option("connect.blackhole6"), kSecond,
                   Error::Timeout, kSecond, 3 * kSecond);
}

}  // namespace
}  // namespace coronet

KTEST(net_connect, "outbound TCP: refused, unreachable, timed out, many at once, IPv6") {
    coronet::ktest::run_with_network(coronet::connect_body);
}
