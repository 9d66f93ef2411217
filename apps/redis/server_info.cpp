// INFO, CLIENT LIST/INFO/KILL and DEBUG. INFO's used_memory is what the heap really holds
// (malloc's in-use bytes), not an estimate from the keys.
#include "apps/redis/server_info.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "apps/redis/clock.hpp"
#include "apps/redis/config.hpp"
#include "apps/redis/lookup.hpp"
#include "kernel/memory/memory.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/version.hpp"
#include "lib/time_units.hpp"

namespace coronet::redis {
namespace {

// INFO's text, built in one heap buffer that grows as sections are added.
class Text {
public:
    ~Text() { free(m_data); }
    void add(const char* format, ...) __attribute__((format(printf, 2, 3))) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            va_list args;
            va_start(args, format);
            size_t room = m_capacity - m_length;
            int n = m_data ? vsnprintf(m_data + m_length, room, format, args) : -1;
            va_end(args);
            if (n >= 0 && static_cast<size_t>(n) < room) {
                m_length += static_cast<size_t>(n);
                return;
            }
            size_t wanted = m_capacity * 2 + (n > 0 ? static_cast<size_t>(n) : 0) + 1024;
            auto* grown = static_cast<char*>(realloc(m_data, wanted));
            if (!grown) {
                m_failed = true;
                return;
            }
            m_data = grown;
            m_capacity = wanted;
        }
    }
    std::string_view view() const { return {m_data, m_length}; }
    bool failed() const { return m_failed; }

private:
    char* m_data = nullptr;
    size_t m_length = 0, m_capacity = 0;
    bool m_failed = false;
};

void human_bytes(uint64_t bytes, char* out, size_t size) {
    if (bytes < 1024) snprintf(out, size, "%lluB", static_cast<unsigned long long>(bytes));
    else if (bytes < (1ULL << 20)) snprintf(out, size, "%.2fK", bytes / 1024.0);
    else if (bytes < (1ULL << 30)) snprintf(out, size, "%.2fM", bytes / 1048576.0);
    else snprintf(out, size, "%.2fG", bytes / 1073741824.0);
}

bool wants(Context& c, const char* section, bool in_default) {
    if (c.argc() == 1) return in_default;
    for (size_t i = 1; i < c.argc(); ++i) {
        std::string_view asked = c.arg(i);
        if (is_word(asked, section) || is_word(asked, "all") || is_word(asked, "everything"))
            return true;
        if (is_word(asked, "default") && in_default) return true;
    }
    return false;
}

}  // namespace

size_t format_client_line(Engine& engine, const Session& s, char* out, size_t size) {
    int64_t now = unix_time_ms();
    int n = snprintf(out, size,
                     "id=%llu addr=%s laddr=%s fd=-1 name=%s age=%lld idle=%lld flags=%s db=%zu "
                     "sub=0 psub=0 ssub=0 multi=%lld qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 "
                     "rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s user=default "
                     "redir=-1 resp=%d lib-name=%s lib-ver=%s\n",
                     static_cast<unsigned long long>(s.id), s.address, s.local_address, s.name,
                     static_cast<long long>((now - s.created_ms) / 1000),
                     static_cast<long long>((now - s.last_interaction_ms) / 1000),
                     s.in_multi ? "x" : "N", s.db,
                     static_cast<long long>(s.in_multi ? static_cast<int64_t>(s.queued) : -1),
                     s.last_command, s.protocol, s.lib_name, s.lib_version);
    (void)engine;
    if (n < 0) return 0;
    return static_cast<size_t>(n) < size ? static_cast<size_t>(n) : size - 1;
}

void write_client_list(Context& c) {
    // CLIENT LIST [TYPE normal|...] [ID id ...]
    uint64_t only_ids[16];
    size_t id_count = 0;
    for (size_t i = 2; i < c.argc(); ++i) {
        if (is_word(c.arg(i), "type") && i + 1 < c.argc()) {
            ++i;
        } else if (is_word(c.arg(i), "id")) {
            for (++i; i < c.argc() && id_count < 16; ++i) {
                int64_t id;
                if (!parse_int64(c.arg(i), id) || id <= 0) {
                    c.reply.error("ERR Invalid client ID");
                    return;
                }
                only_ids[id_count++] = static_cast<uint64_t>(id);
            }
        } else {
            c.reply.error(errors::kSyntax);
            return;
        }
    }
    Text text;
    char line[kClientLineMax];
    for (Session* s = c.engine.clients(); s; s = s->next) {
        if (id_count) {
            bool listed = false;
            for (size_t i = 0; i < id_count; ++i) listed |= only_ids[i] == s->id;
            if (!listed) continue;
        }
        size_t n = format_client_line(c.engine, *s, line, sizeof line);
        text.add("%.*s", static_cast<int>(n), line);
    }
    if (text.failed()) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    c.reply.verbatim(text.view());
}

void kill_clients(Context& c) {
    // CLIENT KILL ip:port (the old form) or filters: ID, ADDR, LADDR, SKIPME.
    if (c.argc() == 3) {
        for (Session* s = c.engine.clients(); s; s = s->next) {
            if (c.arg(2) == s->address) {
                c.engine.kill(*s, &c.session);
                c.reply.ok();
                return;
            }
        }
        c.reply.error("ERR No such client");
        return;
    }
    if (c.argc() % 2 != 0) {
        c.reply.error(errors::kSyntax);
        return;
    }
    int64_t id = 0;
    std::string_view addr, laddr;
    bool skip_me = true;
    for (size_t i = 2; i < c.argc(); i += 2) {
        std::string_view option = c.arg(i), value = c.arg(i + 1);
        if (is_word(option, "id")) {
            if (!parse_int64(value, id) || id <= 0) {
                c.reply.error("ERR client-id should be greater than 0");
                return;
            }
        } else if (is_word(option, "addr")) {
            addr = value;
        } else if (is_word(option, "laddr")) {
            laddr = value;
        } else if (is_word(option, "skipme")) {
            if (is_word(value, "yes")) skip_me = true;
            else if (is_word(value, "no")) skip_me = false;
            else {
                c.reply.error(errors::kSyntax);
                return;
            }
        } else if (is_word(option, "type") || is_word(option, "user") ||
                   is_word(option, "maxage")) {
            // accepted; every client here is a normal one of the default user
        } else {
            c.reply.error(errors::kSyntax);
            return;
        }
    }
    int64_t killed = 0;
    for (Session* s = c.engine.clients(); s; s = s->next) {
        if (id && s->id != static_cast<uint64_t>(id)) continue;
        if (!addr.empty() && addr != s->address) continue;
        if (!laddr.empty() && laddr != s->local_address) continue;
        if (skip_me && s == &c.session) continue;
        c.engine.kill(*s, &c.session);
        ++killed;
    }
    c.reply.integer(killed);
}

void write_info(Context& c) {
    Engine& engine = c.engine;
    EngineStats& stats = engine.stats();
    KeyspaceStats& keys = keyspace_stats();
    int64_t now = unix_time_ms();
    int64_t uptime = (now - stats.start_ms) / 1000;
    Text text;
    bool first = true;
    auto section = [&](const char* title) {
        text.add("%s# %s\r\n", first ? "" : "\r\n", title);
        first = false;
    };
    if (wants(c, "server", true)) {
        section("Server");
        text.add(
            "redis_version:%s\r\nredis_mode:standalone\r\nos:Coronet %s\r\n"
            "arch_bits:64\r\nmultiplexing_api:coronet\r\nprocess_id:1\r\n"
            "tcp_port:%u\r\nserver_time_usec:%lld\r\nuptime_in_seconds:%lld\r\n"
            "uptime_in_days:%lld\r\nhz:10\r\nexecutable:/coronet\r\nconfig_file:\r\n",
            kRedisCompatibleVersion, CORONET_VERSION, engine.options().port,
            static_cast<long long>(unix_time_us()), static_cast<long long>(uptime),
            static_cast<long long>(uptime / 86400));
    }
    if (wants(c, "clients", true)) {
        section("Clients");
        text.add(
            "connected_clients:%zu\r\nmaxclients:%zu\r\nblocked_clients:%zu\r\n"
            "tracking_clients:0\r\nclients_in_timeout_table:0\r\n",
            engine.client_count(), engine.max_clients(), engine.blocking().waiting());
    }
    if (wants(c, "memory", true)) {
        memory::Stats m = memory::stats();
        char used[32], total[32];
        human_bytes(m.heap_used, used, sizeof used);
        human_bytes(m.ram_bytes, total, sizeof total);
        section("Memory");
        text.add(
            "used_memory:%llu\r\nused_memory_human:%s\r\nused_memory_rss:%llu\r\n"
            "used_memory_peak:%llu\r\ntotal_system_memory:%llu\r\n"
            "total_system_memory_human:%s\r\nmaxmemory:%llu\r\nmaxmemory_policy:%s\r\n"
            "mem_allocator:picolibc\r\n",
            static_cast<unsigned long long>(m.heap_used), used,
            static_cast<unsigned long long>(m.heap_bytes),
            static_cast<unsigned long long>(m.heap_bytes),
            static_cast<unsigned long long>(m.ram_bytes), total,
            static_cast<unsigned long long>(engine.evictor().limit()),
            engine.config("maxmemory-policy")->value);
    }
    if (wants(c, "persistence", true)) {
        section("Persistence");
        text.add(
            "loading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:0\r\n"
            "rdb_bgsave_in_progress:0\r\nrdb_last_save_time:%llu\r\n"
            "aof_enabled:0\r\naof_rewrite_in_progress:0\r\n",
            static_cast<unsigned long long>(engine.lastsave_seconds()));
    }
    if (wants(c, "stats", true)) {
        section("Stats");
        text.add(
            "total_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
            "instantaneous_ops_per_sec:%llu\r\ntotal_net_input_bytes:%llu\r\n"
            "total_net_output_bytes:%llu\r\nrejected_connections:%llu\r\n"
            "expired_keys:%llu\r\nevicted_keys:%llu\r\nkeyspace_hits:%llu\r\n"
            "keyspace_misses:%llu\r\npubsub_channels:%zu\r\npubsub_patterns:%zu\r\n"
            "total_error_replies:%llu\r\n",
            static_cast<unsigned long long>(stats.total_connections_received),
            static_cast<unsigned long long>(stats.total_commands_processed),
            static_cast<unsigned long long>(engine.ops_per_second()),
            static_cast<unsigned long long>(stats.total_net_input_bytes),
            static_cast<unsigned long long>(stats.total_net_output_bytes),
            static_cast<unsigned long long>(stats.rejected_connections),
            static_cast<unsigned long long>(keys.expired_keys),
            static_cast<unsigned long long>(engine.evictor().evicted_keys),
            static_cast<unsigned long long>(keys.keyspace_hits),
            static_cast<unsigned long long>(keys.keyspace_misses), engine.pubsub().channel_count(),
            engine.pubsub().pattern_count(),
            static_cast<unsigned long long>(stats.total_error_replies));
    }
    if (wants(c, "replication", true)) {
        section("Replication");
        text.add("role:master\r\nconnected_slaves:0\r\nmaster_repl_offset:0\r\n");
    }
    if (wants(c, "cpu", true)) {
        section("CPU");
        text.add("used_cpu_sys:0.000000\r\nused_cpu_user:0.000000\r\n");
    }
    if (wants(c, "modules", false)) section("Modules");
    if (wants(c, "errorstats", true)) section("Errorstats");
    if (wants(c, "cluster", true)) {
        section("Cluster");
        text.add("cluster_enabled:0\r\n");
    }
    if (wants(c, "keyspace", true)) {
        section("Keyspace");
        for (size_t i = 0; i < kDatabases; ++i) {
            Database& db = engine.keyspace().database(i);
            if (db.size() == 0) continue;
            text.add("db%zu:keys=%zu,expires=%zu,avg_ttl=0\r\n", i, db.size(), db.volatile_count());
        }
    }
    if (text.failed()) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    c.reply.verbatim(text.view());
}

void run_debug(Context& c) {
    std::string_view sub = c.arg(1);
    if (is_word(sub, "sleep") && c.argc() == 3) {
        double seconds;
        if (!parse_double(c.arg(2), seconds) || seconds < 0) {
            c.reply.error(errors::kNotFloat);
            return;
        }
        sched::sleep_for(static_cast<uint64_t>(seconds * 1e9));
        c.reply.ok();
    } else if (is_word(sub, "set-active-expire") && c.argc() == 3) {
        int64_t on;
        if (!int_argument(c, 2, on)) return;
        c.engine.active_expire = on != 0;
        c.reply.ok();
    } else if (is_word(sub, "populate") && c.argc() >= 3 && c.argc() <= 5) {
        int64_t count, size = -1;
        if (!int_argument(c, 2, count)) return;
        if (count < 0) {
            c.reply.error("ERR count can't be negative");
            return;
        }
        std::string_view prefix = c.argc() >= 4 ? c.arg(3) : "key";
        if (c.argc() == 5 && !int_argument(c, 4, size)) return;
        char key[256], value[256];
        Database& db = c.db();
        for (int64_t i = 0; i < count; ++i) {
            int kn = snprintf(key, sizeof key, "%.*s:%lld",
                              static_cast<int>(prefix.size() > 200 ? 200 : prefix.size()),
                              prefix.data(), static_cast<long long>(i));
            if (db.find({key, static_cast<size_t>(kn)})) continue;
            int vn = snprintf(value, sizeof value, "value:%lld", static_cast<long long>(i));
            size_t value_length = static_cast<size_t>(vn);
            auto created = db.create_string({key, static_cast<size_t>(kn)}, {value, value_length},
                                            size > 0 ? static_cast<size_t>(size) : 0);
            if (!created) {
                c.reply.error(errors::kOutOfMemory);
                return;
            }
            if (size > 0) {
                Entry* entry = *created;
                size_t length = static_cast<size_t>(size);
                if (length > value_length)
                    std::memset(entry->value_bytes() + value_length, 0, length - value_length);
                entry->value_length = static_cast<uint32_t>(length);
            }
            c.breathe();  // a million keys must not hold the reactor past the watchdog
        }
        c.reply.ok();
    } else if (is_word(sub, "help")) {
        c.reply.array(1);
        c.reply.simple(
            "DEBUG SLEEP <seconds> | SET-ACTIVE-EXPIRE <0|1> | POPULATE <count> [prefix] [size]");
    } else {
        error_quoting(c, "ERR unknown subcommand '", sub, "'. Try DEBUG HELP.");
    }
}

}  // namespace coronet::redis
