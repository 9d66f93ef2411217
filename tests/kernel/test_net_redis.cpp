// The Redis client against redis-server on the host side of the tap (tools/client_test.py):
// round trips of text, binary and a 1 MiB value, typed error replies, a pipeline of 1 000
// commands, RESP3 through HELLO 3, pub/sub in both protocols, the pool keeping its connections
// few and dropping a killed one, AUTH and SELECT, a reply over the limits, a refused connect.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "apps/redis/client.hpp"
#include "apps/redis/client_pool.hpp"
#include "apps/redis/subscriber.hpp"
#include "kernel/boot_config.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_group.hpp"
#include "lib/time_units.hpp"
#include "tests/kernel/ktest.hpp"
#include "tests/kernel/net_fixture.hpp"

namespace coronet {
namespace {

using redis::Client;
using redis::ReplyKind;
using redis::ReplyValue;

constexpr uint64_t kStep = 30 * kSecond;  // one exchange, loosely: this is about answers
constexpr size_t kBigValue = 1 << 20;
constexpr size_t kPipelineLength = 1000;
constexpr size_t kPoolSize = 4;
constexpr size_t kPoolWorkers = 16;
constexpr size_t kPoolRounds = 25;

sched::Deadline soon() { return sched::now() + kStep; }

unsigned long long ms_since(uint64_t start) {
    return static_cast<unsigned long long>((sched::now() - start) / kMillisecond);
}

// Prints what a failed call gave, then checks it.
bool ok(const Result<ReplyValue>& reply, const char* what) {
    if (!reply) printf("ktest: redis: %s: %s\n", what, error_name(reply.error()));
    KCHECK(reply.ok());
    return reply.ok();
}

void round_trips(Client& redis) {
    auto set = redis.command({"SET", "greeting", "hello"}, soon());
    if (ok(set, "SET")) KCHECK(set->is_ok());
    auto get = redis.command({"GET", "greeting"}, soon());
    if (ok(get, "GET")) KCHECK(get->kind() == ReplyKind::Bulk && get->text() == "hello");
    auto missing = redis.command({"GET", "no-such-key"}, soon());
    if (ok(missing, "GET missing")) KCHECK(missing->is_null());

    // Every byte value, CRLFs and NULs included, in key and value.
    char binary[256 + 4];
    for (int k = 0; k < 256; ++k) binary[k] = static_cast<char>(k);
    memcpy(binary + 256, "\r\n\r\n", 4);
    std::string_view bytes(binary, sizeof binary);
    auto binary_set = redis.command({"SET", std::string_view("bin\r\n\0key", 9), bytes}, soon());
    if (ok(binary_set, "SET binary")) KCHECK(binary_set->is_ok());
    auto binary_get = redis.command({"GET", std::string_view("bin\r\n\0key", 9)}, soon());
    if (ok(binary_get, "GET binary")) KCHECK(binary_get->text() == bytes);

    // 1 MiB, checked byte for byte.
    auto* big = static_cast<char*>(malloc(kBigValue));
    KCHECK(big != nullptr);
    if (big == nullptr) return;
    uint32_t state = 0x2545f491;
    for (size_t k = 0; k < kBigValue; ++k) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        big[k] = static_cast<char>(state);
    }
    uint64_t start = sched::now();
    auto big_set = redis.command({"SET", "big", std::string_view(big, kBigValue)}, soon());
    uint64_t set_ms = ms_since(start);
    if (ok(big_set, "SET 1 MiB")) KCHECK(big_set->is_ok());
    start = sched::now();
    auto big_get = redis.command({"GET", "big"}, soon());
    uint64_t get_ms = ms_since(start);
    bool same = big_get && big_get->text().size() == kBigValue &&
                memcmp(big_get->text().data(), big, kBigValue) == 0;
    if (ok(big_get, "GET 1 MiB")) KCHECK(same);
    printf("ktest: redis: 1 MiB value: SET %llu ms, GET %llu ms, %s\n",
           static_cast<unsigned long long>(set_ms), static_cast<unsigned long long>(get_ms),
           same ? "same bytes" : "DIFFERENT");
    free(big);
    auto strlen_reply = redis.command({"STRLEN", "big"}, soon());
    if (ok(strlen_reply, "STRLEN")) KCHECK(strlen_reply->integer() == int64_t(kBigValue));

    (void)redis.command({"DEL", "counter"}, soon());
    for (int64_t k = 1; k <= 3; ++k) {
        auto incr = redis.command({"INCR", "counter"}, soon());
        if (ok(incr, "INCR")) KCHECK(incr->kind() == ReplyKind::Integer && incr->integer() == k);
    }
    auto incrby = redis.command({"INCRBY", "counter", -5}, soon());
    if (ok(incrby, "INCRBY")) KCHECK(incrby->integer() == -2);

    // Errors are values, and the connection goes on after them.
    (void)redis.command({"DEL", "a-list"}, soon());
    auto push = redis.command({"RPUSH", "a-list", "x"}, soon());
    if (ok(push, "RPUSH")) KCHECK(push->integer() == 1);
    auto wrongtype = redis.command({"GET", "a-list"}, soon());
    if (ok(wrongtype, "GET a list")) {
        KCHECK(wrongtype->is_error() && wrongtype->error_code() == "WRONGTYPE");
        printf("ktest: redis: typed error: code %.*s, message \"%.*s\"\n",
               static_cast<int>(wrongtype->error_code().size()), wrongtype->error_code().data(),
               static_cast<int>(wrongtype->error_message().size()),
               wrongtype->error_message().data());
    }
    auto not_integer = redis.command({"INCR", "greeting"}, soon());
    if (ok(not_integer, "INCR a string")) KCHECK(not_integer->error_code() == "ERR");
    auto unknown = redis.command({"NO-SUCH-COMMAND"}, soon());
    if (ok(unknown, "unknown")) KCHECK(unknown->is_error());
    auto ping = redis.command({"PING"}, soon());
    if (ok(ping, "PING")) KCHECK(ping->kind() == ReplyKind::Simple && ping->text() == "PONG");
    KCHECK(redis.is_idle());
}

// Half ECHOs, half INCRs, queued at once and read back in order.
void pipeline(Client& redis) {
    (void)redis.command({"DEL", "pipelined"}, soon());
    uint64_t start = sched::now();
    for (size_t k = 0; k < kPipelineLength; ++k) {
        Result<void> queued =
            k % 2 == 0 ? redis.queue({"ECHO", k}) : redis.queue({"INCR", "pipelined"});
        KCHECK(queued.ok());
        if (!queued) return;
    }
    KCHECK(redis.replies_owed() == kPipelineLength);
    size_t in_order = 0;
    for (size_t k = 0; k < kPipelineLength; ++k) {
        auto reply = redis.read_reply(soon());
        if (!ok(reply, "pipelined reply")) return;
        bool right;
        if (k % 2 == 0) {
            auto echoed = reply->to_integer();
            right = reply->kind() == ReplyKind::Bulk && echoed && *echoed == int64_t(k);
        } else {
            right = reply->kind() == ReplyKind::Integer && reply->integer() == int64_t(k + 1) / 2;
        }
        in_order += right;
    }
    printf("ktest: redis: pipeline of %zu commands: %zu answered in order, %llu ms\n",
           kPipelineLength, in_order, ms_since(start));
    KCHECK(in_order == kPipelineLength);
    KCHECK(redis.replies_owed() == 0 && redis.is_idle());
}

void resp3(const char* server) {
    Client redis({.protocol = 3});
    uint64_t start = sched::now();
    auto connected = redis.connect(server, soon());
    printf("ktest: redis: RESP3 connect to %s: %s, %llu ms\n", server,
           connected ? "ok" : error_name(connected.error()), ms_since(start));
    KCHECK(connected.ok());
    if (!connected) return;
    KCHECK(redis.protocol() == 3);
    auto hello = redis.command({"HELLO", 3}, soon());
    if (ok(hello, "HELLO 3")) {
        KCHECK(hello->kind() == ReplyKind::Map);
        auto proto = hello->find("proto");
        auto name = hello->find("server");
        auto version = hello->find("version");
        KCHECK(proto && proto->integer() == 3);
        KCHECK(name && name->text() == "redis");
        if (version)
            printf("ktest: redis: HELLO 3: a map of %zu pairs, server version %.*s\n",
                   hello->size() / 2, static_cast<int>(version->text().size()),
                   version->text().data());
    }
    (void)redis.command({"DEL", "profile"}, soon());
    auto hset = redis.command({"HSET", "profile", "name", "coronet", "boots", 1}, soon());
    if (ok(hset, "HSET")) KCHECK(hset->integer() == 2);
    auto all = redis.command({"HGETALL", "profile"}, soon());
    if (ok(all, "HGETALL")) {
        KCHECK(all->kind() == ReplyKind::Map && all->size() == 4);
        auto name = all->find("name");
        KCHECK(name && name->text() == "coronet");
    }
    (void)redis.command({"DEL", "scores"}, soon());
    (void)redis.command({"ZADD", "scores", "1.5", "m"}, soon());
    auto score = redis.command({"ZSCORE", "scores", "m"}, soon());
    if (ok(score, "ZSCORE")) {
        KCHECK(score->kind() == ReplyKind::Double);
        auto value = score->to_double();
        KCHECK(value && *value == 1.5);
    }
    auto null = redis.command({"GET", "no-such-key"}, soon());
    if (ok(null, "GET missing (RESP3)")) KCHECK(null->is_null());
    auto members = redis.command({"SMEMBERS", "no-such-set"}, soon());
    if (ok(members, "SMEMBERS")) KCHECK(members->kind() == ReplyKind::Set && members->empty());
    auto error = redis.command({"GET", "scores"}, soon());
    if (ok(error, "GET a sorted set")) KCHECK(error->error_code() == "WRONGTYPE");
}

// One connection subscribes, another publishes: the message arrives, in either protocol.
void pub_sub(const net::Endpoint& server, int protocol) {
    using Kind = redis::PubSubEvent::Kind;
    Client listener({.protocol = protocol});
    Client publisher;
    KCHECK(listener.connect(server, soon()).ok());
    KCHECK(publisher.connect(server, soon()).ok());
    redis::Subscriber subscriber(listener);
    KCHECK(subscriber.subscribe({"news", "weather"}, soon()).ok());
    for (int64_t k = 1; k <= 2; ++k) {
        auto confirmed = subscriber.next(soon());
        KCHECK(confirmed && confirmed->kind == Kind::Subscribed && confirmed->subscriptions == k);
    }
    KCHECK(subscriber.psubscribe({"sport.*"}, soon()).ok());
    auto pattern = subscriber.next(soon());
    KCHECK(pattern && pattern->kind == Kind::PatternSubscribed && pattern->pattern == "sport.*");

    // Nothing yet: the wait ends at its deadline and the subscriber is still good.
    auto quiet = subscriber.next(sched::now() + 200 * kMillisecond);
    KCHECK(!quiet && quiet.error() == Error::Timeout);

    uint64_t start = sched::now();
    auto published = publisher.command({"PUBLISH", "news", "hello\r\nworld"}, soon());
    if (ok(published, "PUBLISH")) KCHECK(published->integer() == 1);
    auto message = subscriber.next_message(soon());
    KCHECK(message && message->kind == Kind::Message && message->channel == "news" &&
           message->payload == "hello\r\nworld");
    uint64_t latency = ms_since(start);
    auto sport = publisher.command({"PUBLISH", "sport.tennis", "6-4"}, soon());
    if (ok(sport, "PUBLISH pattern")) KCHECK(sport->integer() == 1);
    auto matched = subscriber.next_message(soon());
    KCHECK(matched && matched->kind == Kind::PatternMessage && matched->pattern == "sport.*" &&
           matched->channel == "sport.tennis" && matched->payload == "6-4");
    printf("ktest: redis: pub/sub (RESP%d): message %s after %llu ms, pattern message %s\n",
           protocol, message ? "arrived" : error_name(message.error()),
           static_cast<unsigned long long>(latency),
           matched ? "arrived" : error_name(matched.error()));
    KCHECK(subscriber.unsubscribe({}, soon()).ok());
    auto left = subscriber.next(soon());
    KCHECK(left && left->kind == Kind::Unsubscribed);
    KCHECK(!listener.is_idle());  // a subscriber's connection is not handed to anyone else
}

struct PoolRun {
    redis::ClientPool* pool;
    sched::WaitGroup done;
    int64_t ids[kPoolWorkers * kPoolRounds] = {};
    size_t id_count = 0;
    size_t failures = 0;
    size_t busiest = 0;  // leases out at once, at most
    size_t leased = 0;
};

void pool_worker(PoolRun& run) {
    for (size_t round = 0; round < kPoolRounds; ++round) {
        auto lease = run.pool->acquire(soon());
        if (!lease) {
            if (run.failures++ < 5)
                printf("ktest: redis: acquire: %s\n", error_name(lease.error()));
            continue;
        }
        ++run.leased;
        if (run.leased > run.busiest) run.busiest = run.leased;
        // A reply is read before the next command: that one's replaces it.
        auto id = (*lease)->command({"CLIENT", "ID"}, soon());
        int64_t client_id = id && id->kind() == ReplyKind::Integer ? id->integer() : -1;
        auto incr = (*lease)->command({"INCR", "pooled"}, soon());
        if (client_id >= 0 && incr && !incr->is_error()) run.ids[run.id_count++] = client_id;
        else ++run.failures;
        --run.leased;
        // Given back here; the next round may get another connection.
    }
    run.done.done();
}

size_t distinct(const int64_t* ids, size_t count) {
    size_t n = 0;
    for (size_t k = 0; k < count; ++k) {
        bool seen = false;
        for (size_t j = 0; j < k && !seen; ++j) seen = ids[j] == ids[k];
        n += !seen;
    }
    return n;
}

int64_t connected_clients(Client& observer) {
    auto info = observer.command({"INFO", "clients"}, soon());
    if (!info || !info->is_string()) return -1;
    std::string_view text = info->text();
    constexpr std::string_view kField = "connected_clients:";
    size_t at = text.find(kField);
    if (at == std::string_view::npos) return -1;
    int64_t n = 0;
    for (size_t k = at + kField.size(); k < text.size() && text[k] >= '0' && text[k] <= '9'; ++k)
        n = n * 10 + (text[k] - '0');
    return n;
}

void pool(const char* server, Client& observer) {
    redis::ClientPool pool(server, {.max_connections = kPoolSize});
    (void)observer.command({"DEL", "pooled"}, soon());
    int64_t before = connected_clients(observer);
    PoolRun run;
    run.pool = &pool;
    uint64_t start = sched::now();
    for (size_t k = 0; k < kPoolWorkers; ++k) {
        run.done.add();
        auto spawned =
            sched::spawn([&run] { pool_worker(run); },
                         {.name = "redis-worker", .stack_size = 32 * 1024, .detached = true});
        KCHECK(spawned.ok());
        if (!spawned) run.done.done();
    }
    KCHECK(run.done.wait(sched::now() + 10 * kStep).ok());
    int64_t during = connected_clients(observer);
    auto total = observer.command({"GET", "pooled"}, soon());
    auto counted = total ? total->to_integer() : Result<int64_t>(Error::NotFound);
    redis::ClientPool::Stats stats = pool.stats();
    size_t ids = distinct(run.ids, run.id_count);
    printf(
        "ktest: redis: pool of %zu: %zu workers x %zu commands in %llu ms; %zu connections "
        "(client ids), %llu connects, %llu reuses, %llu waits; connected_clients %lld before, "
        "%lld with the pool idle\n",
        kPoolSize, kPoolWorkers, kPoolRounds, ms_since(start), ids,
        static_cast<unsigned long long>(stats.connects),
        static_cast<unsigned long long>(stats.reuses), static_cast<unsigned long long>(stats.waits),
        static_cast<long long>(before), static_cast<long long>(during));
    KCHECK(run.failures == 0);
    KCHECK(counted && *counted == int64_t(kPoolWorkers * kPoolRounds));
    KCHECK(ids >= 1 && ids <= kPoolSize);
    KCHECK(stats.connects <= kPoolSize && stats.open <= kPoolSize);
    KCHECK(stats.reuses >= kPoolWorkers * kPoolRounds - kPoolSize);
    KCHECK(during >= 0 && during - before <= int64_t(kPoolSize));

    // A connection the server closed is dropped, not handed out again.
    uint64_t drops_before = pool.stats().drops;
    int64_t killed_id = -1;
    {
        auto lease = pool.acquire(soon());
        KCHECK(lease.ok());
        if (!lease) return;
        auto id = (*lease)->command({"CLIENT", "ID"}, soon());
        if (ok(id, "CLIENT ID")) killed_id = id->integer();
        auto kill = observer.command({"CLIENT", "KILL", "ID", killed_id}, soon());
        if (ok(kill, "CLIENT KILL")) KCHECK(kill->integer() == 1);
        sched::sleep_for(200 * kMillisecond);  // the server's FIN arrives
    }
    bool fresh = true;
    for (size_t k = 0; k < kPoolSize; ++k) {
        auto lease = pool.acquire(soon());
        KCHECK(lease.ok());
        if (!lease) break;
        auto id = (*lease)->command({"CLIENT", "ID"}, soon());
        fresh = fresh && id && !id->is_error() && id->integer() != killed_id;
    }
    printf("ktest: redis: pool after CLIENT KILL of %lld: %llu dropped, %s\n",
           static_cast<long long>(killed_id),
           static_cast<unsigned long long>(pool.stats().drops - drops_before),
           fresh ? "never handed out again" : "HANDED OUT AGAIN");
    KCHECK(fresh);
    KCHECK(pool.stats().drops - drops_before == 1);
}

// AUTH and HELLO's AUTH against a password set for the test, SELECT, and a reply over the
// client's limits, which closes that connection.
void handshakes(const net::Endpoint& server, Client& admin) {
    auto set = admin.command({"CONFIG", "SET", "requirepass", "s3cret"}, soon());
    if (!ok(set, "CONFIG SET requirepass") || !set->is_ok()) return;

    Client anonymous;
    KCHECK(anonymous.connect(server, soon()).ok());  // no handshake to fail: commands do
    auto refused = anonymous.command({"GET", "greeting"}, soon());
    if (ok(refused, "GET without AUTH")) KCHECK(refused->error_code() == "NOAUTH");

    Client wrong({.password = "guess"});
    auto denied = wrong.connect(server, soon());
    printf("ktest: redis: wrong password: %s (%.*s)\n",
           denied ? "connected" : error_name(denied.error()),
           static_cast<int>(wrong.handshake_error().size()), wrong.handshake_error().data());
    KCHECK(!denied && denied.error() == Error::Refused);
    KCHECK(wrong.handshake_error().starts_with("WRONGPASS"));
    KCHECK(!wrong.is_open());

    for (int protocol : {2, 3}) {
        Client user({.protocol = protocol, .password = "s3cret", .database = 1});
        auto connected = user.connect(server, soon());
        KCHECK(connected.ok());
        if (!connected) continue;
        KCHECK(user.protocol() == protocol);
        auto set_there = user.command({"SET", "in-db-1", protocol}, soon());
        if (ok(set_there, "SET in db 1")) KCHECK(set_there->is_ok());
    }
    auto elsewhere = admin.command({"GET", "in-db-1"}, soon());
    if (ok(elsewhere, "GET in db 0")) KCHECK(elsewhere->is_null());
    auto cleared = admin.command({"CONFIG", "SET", "requirepass", ""}, soon());
    if (ok(cleared, "CONFIG SET requirepass ''")) KCHECK(cleared->is_ok());

    Client small({.limits = {.max_bulk_length = 64 * 1024}});
    KCHECK(small.connect(server, soon()).ok());
    auto too_big = small.command({"GET", "big"}, soon());
    printf("ktest: redis: a 1 MiB reply to a client taking 64 KiB: %s, connection %s\n",
           too_big ? "read" : error_name(too_big.error()), small.is_open() ? "open" : "closed");
    KCHECK(!too_big && too_big.error() == Error::LimitReached && !small.is_open());
}

void refused(const net::Endpoint& closed_port) {
    Client redis;
    uint64_t start = sched::now();
    auto connected = redis.connect(closed_port, sched::now() + 5 * kSecond);
    printf("ktest: redis: connect to a closed port: %s after %llu ms\n",
           connected ? "connected" : error_name(connected.error()), ms_since(start));
    KCHECK(!connected && connected.error() == Error::Refused);
    KCHECK(!redis.is_open());
    auto command = redis.command({"PING"}, soon());
    KCHECK(!command && command.error() == Error::Closed);
}

void redis_body() {
    net::Endpoint server = ktest::endpoint_option("redis.server");
    auto name = boot_config().get("redis.name");  // "name:port", the name a host= entry
    KCHECK(name.has_value());
    char by_name[net::kMaxHostNameLength + 8] = {};
    if (name)
        snprintf(by_name, sizeof by_name, "%.*s", static_cast<int>(name->size()), name->data());

    Client redis;
    uint64_t start = sched::now();
    auto connected = redis.connect(server, soon());
    printf("ktest: redis: connect: %s, %llu ms\n", connected ? "ok" : error_name(connected.error()),
           ms_since(start));
    KCHECK(connected.ok());
    if (!connected) return;
    round_trips(redis);
    pipeline(redis);
    resp3(by_name);
    pub_sub(server, 2);
    pub_sub(server, 3);
    pool(by_name, redis);
    handshakes(server, redis);
    refused(ktest::endpoint_option("redis.refused"));
    Client::Stats stats = redis.stats();
    printf("ktest: redis: main connection: %llu commands, %llu replies, %llu bytes read\n",
           static_cast<unsigned long long>(stats.commands),
           static_cast<unsigned long long>(stats.replies),
           static_cast<unsigned long long>(stats.bytes_read));
}

}  // namespace
}  // namespace coronet

KTEST(net_redis,
      "the Redis client against redis-server: values, errors, pipelines, RESP3, "
      "pub/sub, the pool") {
    coronet::ktest::run_with_network(coronet::redis_body);
}
