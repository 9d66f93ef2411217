// Waiters are records on the blocked coroutine's stack, one queue node per key it waits on;
// the registry maps (database, key) to the queue of nodes, oldest first. Serving pops for the
// oldest waiter of a key while the key's list has items, writes the reply into the waiter's
// own Reply (it is parked in its handler, its earlier replies already flushed), unlinks all its
// nodes and wakes it.
#include "apps/redis/blocking.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "apps/redis/collection_commands.hpp"
#include "apps/redis/engine.hpp"
#include "apps/redis/list.hpp"
#include "apps/redis/lookup.hpp"
#include "apps/redis/sorted_set.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_queue.hpp"

namespace coronet::redis {

enum class WaitKind : uint8_t {
    Pop,       // BLPOP BRPOP: [key, item]
    Move,      // BLMOVE BRPOPLPUSH: the item
    MultiPop,  // BLMPOP: [key, [items]]
    ZPop,      // BZPOPMIN BZPOPMAX: [key, member, score]
    ZMultiPop  // BZMPOP: [key, [[member, score], ...]]
};

Type awaited_type(WaitKind kind) {
    return kind == WaitKind::ZPop || kind == WaitKind::ZMultiPop ? Type::SortedSet : Type::List;
}

struct WaitNode {
    WaitNode* previous = nullptr;
    WaitNode* next = nullptr;
    Waiter* waiter = nullptr;
    BlockingRegistry::KeyWaiters* owner = nullptr;
};

struct Waiter {
    Session* session;
    Reply* reply;
    size_t db;
    WaitKind kind;
    bool left;     // the side popped
    bool to_left;  // BLMOVE: the side pushed
    std::string_view destination;
    uint64_t count;  // BLMPOP
    const std::string_view* keys;
    size_t key_count;
    WaitNode* nodes;
    sched::Event event;
    bool served = false;
};

struct BlockingRegistry::KeyWaiters {
    HashIndex::Link link;
    WaitNode* head = nullptr;
    WaitNode* tail = nullptr;
    size_t length;  // of the composite key below
    char key[];     // the database number's byte, then the key
    std::string_view composite() const { return {key, length}; }
};

namespace {

std::string_view key_of(const HashIndex::Link* link) {
    return reinterpret_cast<const BlockingRegistry::KeyWaiters*>(link)->composite();
}

// (database, key) as one byte string, in `buffer` when it fits, else on the heap.
class CompositeKey {
public:
    CompositeKey(size_t db, std::string_view key) {
        m_length = key.size() + 1;
        m_data = m_length <= sizeof m_inline ? m_inline : static_cast<char*>(malloc(m_length));
        if (!m_data) return;
        m_data[0] = static_cast<char>(db);
        std::memcpy(m_data + 1, key.data(), key.size());
    }
    ~CompositeKey() {
        if (m_data != m_inline) free(m_data);
    }
    bool ok() const { return m_data != nullptr; }
    std::string_view view() const { return {m_data, m_length}; }

private:
    char m_inline[256];
    char* m_data;
    size_t m_length;
};

List& list_of(Entry* entry) { return *static_cast<List*>(entry->collection()); }
SortedSet& zset_of(Entry* entry) { return *static_cast<SortedSet*>(entry->collection()); }

// Pops up to `count` items from one end of the list at `entry` into `reply`, one bulk string,
// or an array of them when `nested`; deletes the key when emptied.
void pop_list(Reply& reply, Database& database, Entry* entry, std::string_view key, bool left,
              uint64_t count, bool nested) {
    List& list = list_of(entry);
    uint64_t popped = count < list.size() ? count : list.size();
    if (nested) reply.array(popped);
    for (uint64_t i = 0; i < popped; ++i) {
        ListItem* item = left ? list.pop_front() : list.pop_back();
        reply.bulk(item->view());
        ListItem::destroy(item);
    }
    if (list.size() == 0) database.remove(entry);
    else database.touched(key);
}

// Pops up to `count` members from one end of the sorted set at `entry` into `reply`, flat
// ([member, score]) or nested ([[member, score], ...]); deletes the key when emptied.
void pop_sorted(Reply& reply, Database& database, Entry* entry, std::string_view key, bool max,
                uint64_t count, bool nested) {
    SortedSet& set = zset_of(entry);
    uint64_t popped = count < set.size() ? count : set.size();
    if (nested) reply.array(popped);
    for (uint64_t i = 0; i < popped; ++i) {
        SortedSet::Node* node = max ? set.last() : set.first();
        if (nested) reply.array(2);
        reply.bulk(node->member());
        reply.double_value(node->score);
        set.erase(node);
    }
    if (set.size() == 0) database.remove(entry);
    else database.touched(key);
}

}  // namespace

BlockingRegistry::BlockingRegistry() : m_keys(key_of) {}

BlockingRegistry::~BlockingRegistry() {
    for (size_t i = 0; i < m_ready_count; ++i) free(m_ready[i].key);
    free(m_ready);
}

BlockingRegistry::KeyWaiters* BlockingRegistry::find(size_t db, std::string_view key) {
    CompositeKey composite(db, key);
    if (!composite.ok()) return nullptr;
    return reinterpret_cast<KeyWaiters*>(m_keys.find(composite.view()));
}

bool BlockingRegistry::add(Waiter& waiter) {
    for (size_t i = 0; i < waiter.key_count; ++i) {
        CompositeKey composite(waiter.db, waiter.keys[i]);
        if (!composite.ok()) {
            remove(waiter);
            return false;
        }
        auto* queue = reinterpret_cast<KeyWaiters*>(m_keys.find(composite.view()));
        if (!queue) {
            queue = static_cast<KeyWaiters*>(malloc(sizeof(KeyWaiters) + composite.view().size()));
            if (!queue) {
                remove(waiter);
                return false;
            }
            new (queue) KeyWaiters{};
            queue->length = composite.view().size();
            std::memcpy(queue->key, composite.view().data(), queue->length);
            queue->link.hash = m_keys.hash(composite.view());
            if (!m_keys.insert(&queue->link)) {
                free(queue);
                remove(waiter);
                return false;
            }
        }
        WaitNode& node = waiter.nodes[i];
        node.waiter = &waiter;
        node.owner = queue;
        node.previous = queue->tail;
        node.next = nullptr;
        if (queue->tail) queue->tail->next = &node;
        else queue->head = &node;
        queue->tail = &node;
    }
    ++m_waiters;
    return true;
}

void BlockingRegistry::remove(Waiter& waiter) {
    bool counted = false;
    for (size_t i = 0; i < waiter.key_count; ++i) {
        WaitNode& node = waiter.nodes[i];
        KeyWaiters* queue = node.owner;
        if (!queue) continue;
        counted = true;
        if (node.previous) node.previous->next = node.next;
        else queue->head = node.next;
        if (node.next) node.next->previous = node.previous;
        else queue->tail = node.previous;
        node = {};
        if (!queue->head) {
            m_keys.remove(&queue->link);
            free(queue);
        }
    }
    if (counted) --m_waiters;
}

void BlockingRegistry::wake(Waiter& waiter) {
    waiter.event.set();
    Session& session = *waiter.session;
    if (session.wait_blocked && session.interrupt) session.interrupt(session.interrupt_context);
}

void BlockingRegistry::key_changed(size_t db, std::string_view key) {
    if (m_waiters == 0 || !find(db, key)) return;
    for (size_t i = 0; i < m_ready_count; ++i)
        if (m_ready[i].db == db && std::string_view{m_ready[i].key, m_ready[i].length} == key)
            return;
    if (m_ready_count == m_ready_capacity) {
        size_t capacity = m_ready_capacity ? m_ready_capacity * 2 : 8;
        auto* grown = static_cast<Ready*>(realloc(m_ready, capacity * sizeof(Ready)));
        if (!grown) return;  // served when the key next changes, or at the waiter's timeout
        m_ready = grown;
        m_ready_capacity = capacity;
    }
    char* copy = static_cast<char*>(malloc(key.size() ? key.size() : 1));
    if (!copy) return;
    std::memcpy(copy, key.data(), key.size());
    m_ready[m_ready_count++] = {db, copy, key.size()};
}

void BlockingRegistry::serve(Engine& engine) {
    // Serving a BLMOVE pushes to its destination, which may make more keys ready: bounded,
    // since each round serves at least one waiter or drops its key.
    while (m_ready_count > 0) {
        Ready ready = m_ready[--m_ready_count];
        serve_key(engine, ready.db, {ready.key, ready.length});
        free(ready.key);
    }
}

bool BlockingRegistry::serve_key(Engine& engine, size_t db, std::string_view key) {
    Database& database = engine.keyspace().database(db);
    for (;;) {
        KeyWaiters* queue = find(db, key);
        if (!queue) return false;
        Entry* entry = database.find(key);
        Waiter& waiter = *queue->head->waiter;
        Session& client = *waiter.session;
        if (client.gone && client.gone(client.interrupt_context)) {
            // Hung up while waiting (its coroutine has not run since): what would have been
            // popped for it stays for the next waiter.
            remove(waiter);
            wake(waiter);
            continue;
        }
        // A key that became another type leaves its waiters waiting, as in Redis.
        if (!entry || entry->type != awaited_type(waiter.kind) || entry->collection()->size() == 0)
            return false;
        Reply& reply = *waiter.reply;
        if (waiter.kind == WaitKind::ZPop || waiter.kind == WaitKind::ZMultiPop) {
            bool nested = waiter.kind == WaitKind::ZMultiPop;
            reply.array(nested ? 2 : 3);
            reply.bulk(key);
            pop_sorted(reply, database, entry, key, !waiter.left, nested ? waiter.count : 1,
                       nested);
        } else if (waiter.kind == WaitKind::Move) {
            Entry* target = database.find(waiter.destination);
            if (target && target->type != Type::List) {
                reply.error(errors::kWrongType);
            } else {
                List* target_list = target ? &list_of(target) : new (std::nothrow) List;
                bool room = target_list && target_list->reserve(1);
                if (room && !target) {
                    room = static_cast<bool>(
                        database.create_collection(waiter.destination, Type::List, target_list));
                    if (room) entry = database.find(key);  // the index may have moved on
                }
                if (!room) {
                    if (!target) delete target_list;
                    reply.error(errors::kOutOfMemory);
                } else {
                    List& source = list_of(entry);
                    ListItem* item = waiter.left ? source.pop_front() : source.pop_back();
                    (void)(waiter.to_left ? target_list->push_front(item)
                                          : target_list->push_back(item));
                    reply.bulk(item->view());
                    database.touched(waiter.destination);
                    if (source.size() == 0) database.remove(entry);
                    else database.touched(key);
                }
            }
        } else {
            bool nested = waiter.kind == WaitKind::MultiPop;
            reply.array(2);
            reply.bulk(key);
            pop_list(reply, database, entry, key, waiter.left, nested ? waiter.count : 1, nested);
        }
        waiter.served = true;
        remove(waiter);
        wake(waiter);
    }
}

namespace {

bool timeout_argument(Context& c, size_t index, sched::Deadline& deadline) {
    double seconds;
    if (!parse_double(c.arg(index), seconds) || std::isinf(seconds)) {
        c.reply.error("ERR timeout is not a float or out of range");
        return false;
    }
    if (seconds < 0) {
        c.reply.error("ERR timeout is negative");
        return false;
    }
    deadline = seconds == 0 ? sched::kForever : sched::now() + static_cast<uint64_t>(seconds * 1e9);
    return true;
}

// Parks the client until served, the deadline, or CLIENT KILL; answers the timeout itself.
void wait_for(Context& c, Waiter& waiter, sched::Deadline deadline) {
    WaitNode nodes[1];
    WaitNode* heap_nodes = nullptr;
    waiter.nodes = nodes;
    if (waiter.key_count > 1) {
        heap_nodes = static_cast<WaitNode*>(calloc(waiter.key_count, sizeof(WaitNode)));
        if (!heap_nodes) {
            c.reply.error(errors::kOutOfMemory);
            return;
        }
        waiter.nodes = heap_nodes;
    }
    BlockingRegistry& registry = c.engine.blocking();
    if (!registry.add(waiter)) {
        free(heap_nodes);
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    c.reply.flush();  // the replies before this command reach the client while it waits
    c.session.blocked = &waiter;
    bool gone = false;
    if (c.session.wait_blocked) {
        // Served, killed or timed out; or the client hangs up, and is not waited for any more.
        while (!waiter.served && !c.session.killed) {
            BlockedWake wake = c.session.wait_blocked(c.session.interrupt_context, deadline);
            if (wake == BlockedWake::TimedOut) break;
            if (wake == BlockedWake::Gone) {
                gone = true;
                break;
            }
        }
    } else {
        (void)waiter.event.wait(deadline);
    }
    c.session.blocked = nullptr;
    if (!waiter.served) {
        registry.remove(waiter);
        // Killed or gone: the connection closes with no reply, as Redis closes it.
        if (gone) c.session.close_after_reply = true;
        else if (!c.session.killed) c.reply.null_array();
    }
    free(heap_nodes);
}

// BLPOP/BRPOP key [key ...] timeout
void blocking_pop(Context& c, bool left) {
    sched::Deadline deadline;
    if (!timeout_argument(c, c.argc() - 1, deadline)) return;
    for (size_t i = 1; i + 1 < c.argc(); ++i) {
        Entry* entry;
        if (!write_typed(c, c.arg(i), Type::List, entry)) return;
        if (!entry) continue;
        c.reply.array(2);
        c.reply.bulk(c.arg(i));
        pop_list(c.reply, c.db(), entry, c.arg(i), left, 1, false);
        return;
    }
    if (c.session.in_exec) {  // inside a transaction nothing can arrive: answer at once
        c.reply.null_array();
        return;
    }
    Waiter waiter{&c.session, &c.reply,           c.session.db, WaitKind::Pop, left, false, {},
                  1,          &c.args.begin()[1], c.argc() - 2, nullptr,       {},   false};
    wait_for(c, waiter, deadline);
}

void blpop_command(Context& c) { blocking_pop(c, true); }
void brpop_command(Context& c) { blocking_pop(c, false); }

bool side(Context& c, size_t index, bool& left) {
    if (is_word(c.arg(index), "left")) left = true;
    else if (is_word(c.arg(index), "right")) left = false;
    else {
        c.reply.error(errors::kSyntax);
        return false;
    }
    return true;
}

void blocking_move(Context& c, bool from_left, bool to_left, size_t timeout_index) {
    sched::Deadline deadline;
    if (!timeout_argument(c, timeout_index, deadline)) return;
    Entry* source;
    if (!write_typed(c, c.arg(1), Type::List, source)) return;
    if (source) {
        // The non-blocking form does the rest (and its errors) exactly as LMOVE.
        const Command* lmove = find_command("lmove");
        Arguments args;
        if (!args.push("LMOVE") || !args.push(c.arg(1)) || !args.push(c.arg(2)) ||
            !args.push(from_left ? "LEFT" : "RIGHT") || !args.push(to_left ? "LEFT" : "RIGHT")) {
            c.reply.error(errors::kOutOfMemory);
            return;
        }
        Context inner{c.engine, c.session, args, c.reply};
        lmove->handler(inner);
        return;
    }
    if (c.session.in_exec) {
        c.reply.null();
        return;
    }
    Waiter waiter{&c.session,
                  &c.reply,
                  c.session.db,
                  WaitKind::Move,
                  from_left,
                  to_left,
                  c.arg(2),
                  1,
                  &c.args.begin()[1],
                  1,
                  nullptr,
                  {},
                  false};
    wait_for(c, waiter, deadline);
}

void blmove_command(Context& c) {
    bool from_left, to_left;
    if (!side(c, 3, from_left) || !side(c, 4, to_left)) return;
    blocking_move(c, from_left, to_left, 5);
}

void brpoplpush_command(Context& c) { blocking_move(c, false, true, 3); }

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
void blmpop_command(Context& c) {
    sched::Deadline deadline;
    if (!timeout_argument(c, 1, deadline)) return;
    MultiPop pop;
    if (!multi_pop_arguments(c, 2, "left", "right", pop)) return;
    for (size_t i = 0; i < pop.key_count; ++i) {
        std::string_view key = c.arg(pop.first_key + i);
        Entry* entry;
        if (!write_typed(c, key, Type::List, entry)) return;
        if (!entry) continue;
        c.reply.array(2);
        c.reply.bulk(key);
        pop_list(c.reply, c.db(), entry, key, pop.first_side, pop.count, true);
        return;
    }
    if (c.session.in_exec) {
        c.reply.null_array();
        return;
    }
    Waiter waiter{&c.session,
                  &c.reply,
                  c.session.db,
                  WaitKind::MultiPop,
                  pop.first_side,
                  false,
                  {},
                  pop.count,
                  &c.args.begin()[pop.first_key],
                  pop.key_count,
                  nullptr,
                  {},
                  false};
    wait_for(c, waiter, deadline);
}

// BZPOPMIN/BZPOPMAX key [key ...] timeout: [key, member, score], `left` meaning the minimum.
void blocking_zpop(Context& c, bool min) {
    sched::Deadline deadline;
    if (!timeout_argument(c, c.argc() - 1, deadline)) return;
    for (size_t i = 1; i + 1 < c.argc(); ++i) {
        Entry* entry;
        if (!write_typed(c, c.arg(i), Type::SortedSet, entry)) return;
        if (!entry) continue;
        c.reply.array(3);
        c.reply.bulk(c.arg(i));
        pop_sorted(c.reply, c.db(), entry, c.arg(i), !min, 1, false);
        return;
    }
    if (c.session.in_exec) {
        c.reply.null_array();
        return;
    }
    Waiter waiter{&c.session, &c.reply,           c.session.db, WaitKind::ZPop, min, false, {},
                  1,          &c.args.begin()[1], c.argc() - 2, nullptr,        {},  false};
    wait_for(c, waiter, deadline);
}

void bzpopmin_command(Context& c) { blocking_zpop(c, true); }
void bzpopmax_command(Context& c) { blocking_zpop(c, false); }

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
void bzmpop_command(Context& c) {
    sched::Deadline deadline;
    if (!timeout_argument(c, 1, deadline)) return;
    MultiPop pop;
    if (!multi_pop_arguments(c, 2, "min", "max", pop)) return;
    for (size_t i = 0; i < pop.key_count; ++i) {
        std::string_view key = c.arg(pop.first_key + i);
        Entry* entry;
        if (!write_typed(c, key, Type::SortedSet, entry)) return;
        if (!entry) continue;
        c.reply.array(2);
        c.reply.bulk(key);
        pop_sorted(c.reply, c.db(), entry, key, !pop.first_side, pop.count, true);
        return;
    }
    if (c.session.in_exec) {
        c.reply.null_array();
        return;
    }
    Waiter waiter{&c.session,
                  &c.reply,
                  c.session.db,
                  WaitKind::ZMultiPop,
                  pop.first_side,
                  false,
                  {},
                  pop.count,
                  &c.args.begin()[pop.first_key],
                  pop.key_count,
                  nullptr,
                  {},
                  false};
    wait_for(c, waiter, deadline);
}

const Command kCommands[] = {
    {"bzpopmin", -3, kWrite | kFast | kBlocking, bzpopmin_command, 1, -2, 1},
    {"bzpopmax", -3, kWrite | kFast | kBlocking, bzpopmax_command, 1, -2, 1},
    {"bzmpop", -5, kWrite | kBlocking, bzmpop_command, 0, 0, 0},
    {"blpop", -3, kWrite | kBlocking, blpop_command, 1, -2, 1},
    {"brpop", -3, kWrite | kBlocking, brpop_command, 1, -2, 1},
    {"blmove", 6, kWrite | kDenyOom | kBlocking, blmove_command, 1, 2, 1},
    {"brpoplpush", 4, kWrite | kDenyOom | kBlocking, brpoplpush_command, 1, 2, 1},
    {"blmpop", -5, kWrite | kBlocking, blmpop_command, 0, 0, 0},
};

}  // namespace

const CommandFamily kBlockingCommands{kCommands, sizeof kCommands / sizeof kCommands[0]};

}  // namespace coronet::redis
