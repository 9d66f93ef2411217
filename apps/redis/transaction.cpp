// Transactions as Redis runs them: commands queued after MULTI (name and arity checked at
// once: a refused one dooms the EXEC), run back to back by EXEC with nothing in between, and
// WATCH's optimistic check. Watched keys sit on one list the engine walks on every change;
// with no WATCH in effect a change costs a pointer test.
#include "apps/redis/transaction.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "apps/redis/engine.hpp"

namespace coronet::redis {

struct QueuedCommand {
    QueuedCommand* next = nullptr;
    const Command* command = nullptr;
    char* bytes = nullptr;
    Arguments args;
    ~QueuedCommand() { free(bytes); }
};

struct WatchedKey {
    WatchedKey* next_global;
    WatchedKey* next_in_session;
    Session* session;
    size_t db;
    bool expired_when_watched;
    uint32_t length;
    char key[];
    std::string_view view() const { return {key, length}; }
};

bool queue_command(Session& session, const Command& command, const Arguments& args) {
    auto* queued = new (std::nothrow) QueuedCommand;
    if (!queued) return false;
    size_t total = 0;
    for (std::string_view arg : args) total += arg.size();
    queued->bytes = static_cast<char*>(malloc(total ? total : 1));
    if (!queued->bytes || !queued->args.reserve(args.size())) {
        delete queued;
        return false;
    }
    char* at = queued->bytes;
    for (std::string_view arg : args) {
        std::memcpy(at, arg.data(), arg.size());
        if (!queued->args.push({at, arg.size()})) {
            delete queued;
            return false;
        }
        at += arg.size();
    }
    queued->command = &command;
    if (session.queue_tail) session.queue_tail->next = queued;
    else session.queue_head = queued;
    session.queue_tail = queued;
    ++session.queued;
    return true;
}

void Engine::discard(Session& session) {
    for (QueuedCommand* queued = session.queue_head; queued;) {
        QueuedCommand* next = queued->next;
        delete queued;
        queued = next;
    }
    session.queue_head = session.queue_tail = nullptr;
    session.queued = 0;
    session.in_multi = false;
    session.multi_failed = false;
}

void Engine::watch(Session& session, std::string_view key) {
    for (WatchedKey* w = session.watched; w; w = w->next_in_session)
        if (w->db == session.db && w->view() == key) return;
    auto* watched = static_cast<WatchedKey*>(malloc(sizeof(WatchedKey) + key.size()));
    if (!watched) {
        // Without memory to remember the key, be safe: the transaction will not run.
        session.watch_touched = true;
        return;
    }
    Database& database = m_keyspace.database(session.db);
    Entry* entry = database.peek(key);
    watched->session = &session;
    watched->db = session.db;
    watched->expired_when_watched = entry && database.is_expired(entry);
    watched->length = static_cast<uint32_t>(key.size());
    std::memcpy(watched->key, key.data(), key.size());
    watched->next_in_session = session.watched;
    session.watched = watched;
    watched->next_global = m_watched_keys;
    m_watched_keys = watched;
}

void Engine::unwatch(Session& session) {
    if (!session.watched) {
        session.watch_touched = false;
        return;
    }
    for (WatchedKey** at = &m_watched_keys; *at;) {
        if ((*at)->session == &session) *at = (*at)->next_global;
        else at = &(*at)->next_global;
    }
    for (WatchedKey* w = session.watched; w;) {
        WatchedKey* next = w->next_in_session;
        free(w);
        w = next;
    }
    session.watched = nullptr;
    session.watch_touched = false;
}

void Engine::touch_watched(size_t db, std::string_view key) {
    for (WatchedKey* w = m_watched_keys; w; w = w->next_global)
        if (w->db == db && w->view() == key) w->session->watch_touched = true;
}

void Engine::touch_all_watched(size_t db) {
    for (WatchedKey* w = m_watched_keys; w; w = w->next_global)
        if (w->db == db) w->session->watch_touched = true;
}

void Engine::exec(Context& context) {
    Session& session = context.session;
    Reply& reply = context.reply;
    if (!session.in_multi) {
        reply.error("ERR EXEC without MULTI");
        return;
    }
    if (session.multi_failed) {
        discard(session);
        unwatch(session);
        reply.error("EXECABORT Transaction discarded because of previous errors.");
        return;
    }
    // A watched key that has expired since WATCH counts as changed, even if nobody read it.
    for (WatchedKey* w = session.watched; w && !session.watch_touched; w = w->next_in_session) {
        Database& database = m_keyspace.database(w->db);
        Entry* entry = database.peek(w->view());
        if (entry && database.is_expired(entry) && !w->expired_when_watched)
            session.watch_touched = true;
    }
    if (session.watch_touched) {
        discard(session);
        unwatch(session);
        reply.null_array();
        return;
    }
    unwatch(session);
    QueuedCommand* queue = session.queue_head;
    size_t count = session.queued;
    session.queue_head = session.queue_tail = nullptr;
    session.queued = 0;
    session.in_multi = false;
    session.in_exec = true;
    reply.array(count);
    for (QueuedCommand* queued = queue; queued;) {
        Context inner{*this, session, queued->args, reply};
        run(inner, *queued->command);
        QueuedCommand* next = queued->next;
        delete queued;
        queued = next;
    }
    session.in_exec = false;
}

namespace {

void multi_command(Context& c) {
    if (c.session.in_multi) {
        c.reply.error("ERR MULTI calls can not be nested");
        return;
    }
    c.session.in_multi = true;
    c.session.multi_failed = false;
    c.reply.ok();
}

void exec_command(Context& c) { c.engine.exec(c); }

void discard_command(Context& c) {
    if (!c.session.in_multi) {
        c.reply.error("ERR DISCARD without MULTI");
        return;
    }
    c.engine.discard(c.session);
    c.engine.unwatch(c.session);
    c.reply.ok();
}

void watch_command(Context& c) {
    if (c.session.in_multi) {
        c.reply.error("ERR WATCH inside MULTI is not allowed");
        return;
    }
    for (size_t i = 1; i < c.argc(); ++i) c.engine.watch(c.session, c.arg(i));
    c.reply.ok();
}

void unwatch_command(Context& c) {
    c.engine.unwatch(c.session);
    c.reply.ok();
}

const Command kCommands[] = {
    {"multi", 1, kFast | kNoMulti, multi_command, 0, 0, 0},
    {"exec", 1, kNoMulti, exec_command, 0, 0, 0},
    {"discard", 1, kFast | kNoMulti, discard_command, 0, 0, 0},
    {"watch", -2, kFast | kNoMulti, watch_command, 1, -1, 1},
    {"unwatch", 1, kFast, unwatch_command, 0, 0, 0},
};

}  // namespace

const CommandFamily kTransactionCommands{kCommands, sizeof kCommands / sizeof kCommands[0]};

}  // namespace coronet::redis
