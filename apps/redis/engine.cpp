// Dispatch: name lookup, arity, MULTI queueing, counters. The commands themselves live in the
// commands_*.cpp files by family.
#include "apps/redis/engine.hpp"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "apps/redis/clock.hpp"
#include "apps/redis/config.hpp"
#include "apps/redis/lookup.hpp"
#include "apps/redis/numbers.hpp"
#include "apps/redis/transaction.hpp"
#include "kernel/sched/scheduler.hpp"

namespace coronet::redis {
namespace {

// Error replies are one line: Redis replaces CR and LF in what it echoes back with spaces.
void error_line(Reply& reply, char* text, size_t length) {
    for (size_t i = 0; i < length; ++i)
        if (text[i] == '\r' || text[i] == '\n') text[i] = ' ';
    reply.error({text, length});
}

void unknown_command(Reply& reply, const Arguments& args) {
    char text[512];
    size_t length = 0;
    auto add = [&](std::string_view piece, size_t limit) {
        if (piece.size() > limit) piece = piece.substr(0, limit);
        if (piece.size() > sizeof text - length) piece = piece.substr(0, sizeof text - length);
        std::memcpy(text + length, piece.data(), piece.size());
        length += piece.size();
    };
    add("ERR unknown command '", SIZE_MAX);
    // Like Redis's "%.128s": up to 128 bytes, stopping at a NUL.
    std::string_view name = args[0];
    if (const void* nul = std::memchr(name.data(), 0, name.size()))
        name = name.substr(0, static_cast<const char*>(nul) - name.data());
    add(name, 128);
    add("', with args beginning with: ", SIZE_MAX);
    size_t listed = 0;
    for (size_t i = 1; i < args.size() && listed < 128; ++i) {
        size_t before = length;
        add("'", SIZE_MAX);
        std::string_view arg = args[i];
        if (const void* nul = std::memchr(arg.data(), 0, arg.size()))
            arg = arg.substr(0, static_cast<const char*>(nul) - arg.data());
        add(arg, 128 - listed);
        add("' ", SIZE_MAX);
        listed += length - before;
    }
    error_line(reply, text, length);
}

bool is_exec(const Command& command) { return std::strcmp(command.name, "exec") == 0; }

void wrong_arity(Reply& reply, const Command& command) {
    char text[160];
    // A refused EXEC also ends the transaction, and says so (as Redis's execCommandAbort does).
    const char* prefix = is_exec(command) ? "EXECABORT Transaction discarded because of: " : "ERR ";
    int n = snprintf(text, sizeof text, "%swrong number of arguments for '%s' command", prefix,
                     command.name);
    reply.error({text, static_cast<size_t>(n)});
}

void on_database_change(Database& database, std::string_view key, void* context) {
    auto* engine = static_cast<Engine*>(context);
    engine->touch_watched(database.index(), key);
    engine->blocking().key_changed(database.index(), key);
}

void on_database_expire(Database& database, std::string_view key, void* context) {
    static_cast<Engine*>(context)->notify('x', "expired", database.index(), key);
}

// Whether notify-keyspace-events asks for events of class `type` (K or E must be there too).
bool notification_wanted(const char* flags, char type, bool& keyspace, bool& keyevent) {
    keyspace = std::strchr(flags, 'K') != nullptr;
    keyevent = std::strchr(flags, 'E') != nullptr;
    if (!keyspace && !keyevent) return false;
    // 'A' is every class but the key-miss and new-key ones.
    return std::strchr(flags, type) != nullptr || std::strchr(flags, 'A') != nullptr;
}

}  // namespace

void Engine::notify(char type, const char* event, size_t db, std::string_view key) {
    ConfigParameter* parameter = config_find("notify-keyspace-events");
    bool keyspace, keyevent;
    if (!parameter || !notification_wanted(parameter->value, type, keyspace, keyevent)) return;
    char prefix[48];
    if (keyspace) {
        int n = snprintf(prefix, sizeof prefix, "__keyspace@%zu__:", db);
        size_t total = static_cast<size_t>(n) + key.size();
        char stack_channel[256];
        char* channel =
            total <= sizeof stack_channel ? stack_channel : static_cast<char*>(malloc(total));
        if (channel) {
            std::memcpy(channel, prefix, static_cast<size_t>(n));
            std::memcpy(channel + n, key.data(), key.size());
            m_pubsub.publish(*this, {channel, total}, event, nullptr, nullptr);
            if (channel != stack_channel) free(channel);
        }
    }
    if (keyevent) {
        int n = snprintf(prefix, sizeof prefix, "__keyevent@%zu__:%s", db, event);
        m_pubsub.publish(*this, {prefix, static_cast<size_t>(n)}, key, nullptr, nullptr);
    }
}

void error_quoting(Context& c, std::string_view before, std::string_view quoted,
                   std::string_view after) {
    char text[512];
    size_t length = 0;
    for (std::string_view piece : {before, quoted.substr(0, 128), after}) {
        size_t n = piece.size() < sizeof text - length ? piece.size() : sizeof text - length;
        std::memcpy(text + length, piece.data(), n);
        length += n;
    }
    error_line(c.reply, text, length);
}

Database& Context::db() { return engine.keyspace().database(session.db); }

Engine::Engine(const EngineOptions& options) : m_options(options) {
    m_pubsub.output_limit = options.pubsub_output_limit;
    m_stats.start_ms = unix_time_ms();
    m_lastsave_seconds = static_cast<uint64_t>(m_stats.start_ms / 1000);
    for (size_t i = 0; i < kDatabases; ++i) {
        Database& database = m_keyspace.database(i);
        database.on_change = on_database_change;
        database.on_change_context = this;
        database.on_expire = on_database_expire;
        database.on_large_free = doom;
    }
    char number[24];
    snprintf(number, sizeof number, "%u", options.port);
    config_set("port", number);
    snprintf(number, sizeof number, "%zu", options.max_clients);
    apply_config("maxclients", number);
    snprintf(number, sizeof number, "%llu",
             static_cast<unsigned long long>(options.max_bulk_length));
    config_set("proto-max-bulk-len", number);
    snprintf(number, sizeof number, "%llu",
             static_cast<unsigned long long>(options.max_query_buffer));
    config_set("client-query-buffer-limit", number);
    snprintf(number, sizeof number, "%llu", static_cast<unsigned long long>(options.max_memory));
    apply_config("maxmemory", number);
    apply_config("maxmemory-policy", policy_name(options.policy));
}

void Context::breathe_slow() {
    uint64_t now = sched::now();
    if (slice_start == 0) slice_start = now;
    if (now - slice_start < kCommandSlice) return;
    engine.pause(session);
    slice_start = sched::now();
}

void Engine::pause(Session& session) {
    if (!m_paused_by) {
        m_paused_by = &session;
        m_resumed.reset();
    }
    sched::yield();
}

void Engine::execute(Session& session, const Arguments& args, Reply& reply) {
    while (m_paused_by && m_paused_by != &session) (void)m_resumed.wait();
    execute_command(session, args, reply);
    if (m_paused_by == &session) {  // the whole command, or EXEC's whole queue, is done
        m_paused_by = nullptr;
        m_resumed.set();
    }
}

void Engine::execute_command(Session& session, const Arguments& args, Reply& reply) {
    Context context{*this, session, args, reply};
    session.last_interaction_ms = unix_time_ms();
    const Command* command = find_command(args[0]);
    if (!command) {
        if (session.in_multi) session.multi_failed = true;
        ++m_stats.total_error_replies;
        unknown_command(reply, args);
        return;
    }
    int argc = static_cast<int>(args.size());
    if ((command->arity > 0 && argc != command->arity) ||
        (command->arity < 0 && argc < -command->arity)) {
        if (session.in_multi) session.multi_failed = true;
        ++m_stats.total_error_replies;
        wrong_arity(reply, *command);
        if (is_exec(*command)) {
            discard(session);
            unwatch(session);
        }
        return;
    }
    if (session.protocol == 2 && session.subscriptions() > 0 && !(command->flags & kPubSub)) {
        char text[200];
        int n = snprintf(text, sizeof text,
                         "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                         "QUIT / RESET are allowed in this context",
                         command->name);
        ++m_stats.total_error_replies;
        reply.error({text, static_cast<size_t>(n)});
        return;
    }
    if (command->flags & kDenyOom) {
        uint64_t incoming = 0;
        for (std::string_view arg : args) incoming += arg.size() + kArgumentOverhead;
        if (!m_evictor.make_room(*this, incoming)) {
            if (session.in_multi) session.multi_failed = true;
            ++m_stats.total_error_replies;
            reply.error(errors::kOutOfMemory);
            return;
        }
    }
    if (session.in_multi && !(command->flags & kNoMulti)) {
        if (!queue_command(session, *command, args)) {
            session.multi_failed = true;
            reply.error("ERR out of memory queueing the command");
            return;
        }
        reply.simple("QUEUED");
        return;
    }
    run(context, *command);
    // Clients blocked on keys this command filled are served before anyone else runs.
    m_blocking.serve(*this);
}

void Engine::run(Context& context, const Command& command) {
    context.session.last_command = command.name;
    ++m_stats.total_commands_processed;
    command.handler(context);
}

void Engine::attach(Session& session) {
    session.id = m_next_client_id++;
    session.created_ms = session.last_interaction_ms = unix_time_ms();
    session.next = m_clients;
    if (m_clients) m_clients->previous = &session;
    m_clients = &session;
    ++m_client_count;
    ++m_stats.total_connections_received;
}

void Engine::detach(Session& session) {
    discard(session);
    unwatch(session);
    m_pubsub.leave_all(session);
    if (session.previous) session.previous->next = session.next;
    else m_clients = session.next;
    if (session.next) session.next->previous = session.previous;
    session.previous = session.next = nullptr;
    --m_client_count;
}

Session* Engine::find_client(uint64_t id) {
    for (Session* s = m_clients; s; s = s->next)
        if (s->id == id) return s;
    return nullptr;
}

void Engine::kill(Session& session, const Session* caller) {
    session.killed = true;
    if (&session == caller) {
        session.close_after_reply = true;
        return;
    }
    if (session.blocked) BlockingRegistry::wake(*session.blocked);
    else if (session.interrupt) session.interrupt(session.interrupt_context);
}

ConfigParameter* Engine::config(std::string_view name) { return config_find(name); }

ConfigParameter* Engine::config_parameters(size_t& count) { return config_table(count); }

bool Engine::apply_config(std::string_view name, std::string_view value, const char** why) {
    if (why) *why = "argument couldn't be parsed or is out of range";
    ConfigParameter* parameter = config_find(name);
    if (!parameter) return false;
    std::string_view canonical = parameter->name;
    char normal[32];
    if (canonical == "maxmemory") {
        uint64_t bytes;
        if (!parse_memory_size(value, bytes)) return false;
        m_evictor.set_limit(bytes);
        int n = snprintf(normal, sizeof normal, "%llu", static_cast<unsigned long long>(bytes));
        value = {normal, static_cast<size_t>(n)};
    } else if (canonical == "maxmemory-policy") {
        EvictionPolicy policy;
        if (!parse_policy(value, policy)) {
            if (why) *why = policy_choices();
            return false;
        }
        m_evictor.policy = policy;
        set_frequency_tracking(policy == EvictionPolicy::AllKeysLfu ||
                               policy == EvictionPolicy::VolatileLfu);
        value = policy_name(policy);
    } else if (canonical == "maxclients") {
        int64_t clients;
        if (!parse_int64(value, clients) || clients < 1 ||
            static_cast<uint64_t>(clients) > m_options.max_clients)
            return false;
        m_max_clients = static_cast<size_t>(clients);
    } else if (canonical == "maxmemory-samples") {
        int64_t samples;
        if (!parse_int64(value, samples) || samples < 1 || samples > 64) return false;
        m_evictor.samples = static_cast<size_t>(samples);
    }
    return config_set(canonical, value);
}

struct Engine::Grave {
    Grave* next;
    HashIndex entries;
};

void Engine::flush(size_t db) {
    touch_all_watched(db);
    Database& database = m_keyspace.database(db);
    if (database.size() == 0) return;
    auto* grave = new (std::nothrow)
        Grave{nullptr, HashIndex([](const HashIndex::Link*) { return std::string_view{}; })};
    if (!grave) {
        database.clear();  // no memory for the bookkeeping: free them now
        return;
    }
    database.clear_into(grave->entries);
    grave->next = m_graves;
    m_graves = grave;
    m_flushed.set();
}

void Engine::doom(Collection* collection, void* context) {
    auto* engine = static_cast<Engine*>(context);
    if (engine->m_doomed_count == engine->m_doomed_capacity) {
        size_t capacity = engine->m_doomed_capacity ? engine->m_doomed_capacity * 2 : 8;
        auto* grown =
            static_cast<Collection**>(realloc(engine->m_doomed, capacity * sizeof(Collection*)));
        if (!grown) {
            delete collection;  // no room to remember it: free it now
            return;
        }
        engine->m_doomed = grown;
        engine->m_doomed_capacity = capacity;
    }
    engine->m_doomed[engine->m_doomed_count++] = collection;
    engine->m_flushed.set();
}

bool Engine::free_flushed(size_t budget) {
    // Freeing a flushed database hands its big collections to m_doomed: both lists are
    // checked again until both are empty.
    for (;;) {
        if (m_doomed_count > 0) {
            Collection* collection = m_doomed[m_doomed_count - 1];
            if (!collection->release_some(budget)) return false;
            delete collection;
            --m_doomed_count;
        } else if (m_graves) {
            Grave* grave = m_graves;
            if (!Database::free_some(grave->entries, budget, doom, this)) return false;
            m_graves = grave->next;
            delete grave;
        } else {
            break;
        }
    }
    m_flushed.reset();
    return true;
}

void Engine::sample_ops(uint64_t now_ns) {
    uint64_t count = m_stats.total_commands_processed;
    if (m_ops_last_ns != 0 && now_ns > m_ops_last_ns) {
        uint64_t done = count >= m_ops_last_count ? count - m_ops_last_count : 0;
        m_ops_rates[m_ops_index] = done * 1000000000ULL / (now_ns - m_ops_last_ns);
        m_ops_index = (m_ops_index + 1) % kOpsSamples;
    }
    m_ops_last_count = count;
    m_ops_last_ns = now_ns;
}

uint64_t Engine::ops_per_second() const {
    uint64_t sum = 0;
    for (uint64_t rate : m_ops_rates) sum += rate;
    return sum / kOpsSamples;
}

void Engine::reset_stats() {
    // CONFIG RESETSTAT: every counter INFO stats shows starts again (the uptime does not).
    int64_t start = m_stats.start_ms;
    m_stats = {};
    m_stats.start_ms = start;
    keyspace_stats() = {};
    m_evictor.evicted_keys = 0;
}

}  // namespace coronet::redis
