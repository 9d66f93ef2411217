// Connection and server commands: the handshake clients open with (HELLO, AUTH, CLIENT
// SETNAME/SETINFO, COMMAND, CONFIG GET), database selection and flushing, and the reports
// (INFO, CLIENT LIST, TIME) in Redis's field names.
#include <cstdio>
#include <cstring>

#include "apps/redis/clock.hpp"
#include "apps/redis/config.hpp"
#include "apps/redis/lookup.hpp"
#include "apps/redis/server_info.hpp"

namespace coronet::redis {
namespace {

// "ERR unknown subcommand 'x'. Try CONFIG HELP." (`try_help` is the part after the name).
void unknown_subcommand(Context& c, std::string_view try_help) {
    error_quoting(c, "ERR unknown subcommand '", c.arg(1), try_help);
}

void subcommand_arity(Context& c, const char* full_name) {
    char text[160];
    int n =
        snprintf(text, sizeof text, "ERR wrong number of arguments for '%s' command", full_name);
    c.reply.error({text, static_cast<size_t>(n)});
}

void ping_command(Context& c) {
    if (c.argc() > 2) {
        subcommand_arity(c, "ping");
        return;
    }
    if (c.session.protocol == 2 && c.session.subscriptions() > 0) {
        // A RESP2 subscriber's PING answers in the shape of a message.
        c.reply.array(2);
        c.reply.bulk("pong");
        c.reply.bulk(c.argc() == 2 ? c.arg(1) : std::string_view{});
        return;
    }
    if (c.argc() == 2) c.reply.bulk(c.arg(1));
    else c.reply.simple("PONG");
}

void echo_command(Context& c) { c.reply.bulk(c.arg(1)); }

void quit_command(Context& c) {
    c.session.close_after_reply = true;
    c.reply.ok();
}

void select_command(Context& c) {
    int64_t number;
    if (!int_argument(c, 1, number)) return;
    if (number < 0 || number >= static_cast<int64_t>(kDatabases)) {
        c.reply.error(errors::kDbIndex);
        return;
    }
    c.session.db = static_cast<size_t>(number);
    c.reply.ok();
}

void swapdb_command(Context& c) {
    int64_t a, b;
    if (!parse_int64(c.arg(1), a)) {
        c.reply.error("ERR invalid first DB index");
        return;
    }
    if (!parse_int64(c.arg(2), b)) {
        c.reply.error("ERR invalid second DB index");
        return;
    }
    if (a < 0 || a >= static_cast<int64_t>(kDatabases) || b < 0 ||
        b >= static_cast<int64_t>(kDatabases)) {
        c.reply.error(errors::kDbIndex);
        return;
    }
    c.engine.keyspace().swap(static_cast<size_t>(a), static_cast<size_t>(b));
    c.engine.touch_all_watched(static_cast<size_t>(a));
    c.engine.touch_all_watched(static_cast<size_t>(b));
    c.reply.ok();
}

void dbsize_command(Context& c) { c.reply.integer(static_cast<int64_t>(c.db().size())); }

bool flush_mode(Context& c) {
    if (c.argc() == 1) return true;
    if (c.argc() == 2 && (is_word(c.arg(1), "async") || is_word(c.arg(1), "sync"))) return true;
    c.reply.error(errors::kSyntax);
    return false;
}

void flushdb_command(Context& c) {
    if (!flush_mode(c)) return;
    c.engine.flush(c.session.db);
    c.reply.ok();
}

void flushall_command(Context& c) {
    if (!flush_mode(c)) return;
    for (size_t i = 0; i < kDatabases; ++i) c.engine.flush(i);
    c.reply.ok();
}

void time_command(Context& c) {
    int64_t us = unix_time_us();
    char seconds[24], micros[24];
    size_t a = format_int64(us / 1000000, seconds), b = format_int64(us % 1000000, micros);
    c.reply.array(2);
    c.reply.bulk({seconds, a});
    c.reply.bulk({micros, b});
}

void lastsave_command(Context& c) {
    c.reply.integer(static_cast<int64_t>(c.engine.lastsave_seconds()));
}

constexpr std::string_view kNoPasswordAuth =
    "ERR AUTH <password> called without any password configured for the default user. Are "
    "you sure your configuration is correct?";
constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

// The appliance has only Redis's default user, with no password ("nopass"): AUTH default <any>
// succeeds as it does on a redis-server without requirepass.
bool authenticate(Context& c, std::string_view user) {
    if (user != "default") {
        c.reply.error(kWrongPass);
        return false;
    }
    return true;
}

void auth_command(Context& c) {
    if (c.argc() > 3) {
        c.reply.error(errors::kSyntax);
        return;
    }
    if (c.argc() == 2) {
        c.reply.error(kNoPasswordAuth);
        return;
    }
    if (authenticate(c, c.arg(1))) c.reply.ok();
}

bool set_name(Context& c, std::string_view name) {
    for (char ch : name) {
        if (ch < '!' || ch > '~') {
            c.reply.error(
                "ERR Client names cannot contain spaces, newlines or special characters.");
            return false;
        }
    }
    if (name.size() > kClientNameMax) {
        c.reply.error("ERR client name is too long");
        return false;
    }
    std::memcpy(c.session.name, name.data(), name.size());
    c.session.name[name.size()] = '\0';
    return true;
}

void hello_command(Context& c) {
    int64_t version = c.session.protocol;
    size_t i = 1;
    if (c.argc() >= 2) {
        if (!parse_int64(c.arg(1), version)) {
            c.reply.error("ERR Protocol version is not an integer or out of range");
            return;
        }
        if (version < 2 || version > 3) {
            c.reply.error("NOPROTO unsupported protocol version");
            return;
        }
        i = 2;
    }
    std::string_view name;
    bool has_name = false;
    for (; i < c.argc(); ++i) {
        bool more = c.argc() - i - 1;
        if (is_word(c.arg(i), "auth") && c.argc() - i - 1 >= 2) {
            if (!authenticate(c, c.arg(i + 1))) return;
            i += 2;
        } else if (is_word(c.arg(i), "setname") && more) {
            name = c.arg(++i);
            has_name = true;
        } else {
            return error_quoting(c, "ERR Syntax error in HELLO option '", c.arg(i), "'");
        }
    }
    if (has_name && !set_name(c, name)) return;
    c.session.protocol = static_cast<int>(version);
    c.reply.set_protocol(c.session.protocol);
    c.reply.map(7);
    c.reply.bulk("server");
    c.reply.bulk("redis");
    c.reply.bulk("version");
    c.reply.bulk(kRedisCompatibleVersion);
    c.reply.bulk("proto");
    c.reply.integer(version);
    c.reply.bulk("id");
    c.reply.integer(static_cast<int64_t>(c.session.id));
    c.reply.bulk("mode");
    c.reply.bulk("standalone");
    c.reply.bulk("role");
    c.reply.bulk("master");
    c.reply.bulk("modules");
    c.reply.array(0);
}

void reset_command(Context& c) {
    c.engine.discard(c.session);
    c.engine.unwatch(c.session);
    c.engine.pubsub().leave_all(c.session);
    c.session.db = 0;
    c.session.protocol = 2;
    c.reply.set_protocol(2);
    c.session.name[0] = '\0';
    c.reply.simple("RESET");
}

void config_command(Context& c) {
    std::string_view sub = c.arg(1);
    if (is_word(sub, "get")) {
        if (c.argc() < 3) return subcommand_arity(c, "config|get");
        size_t count;
        ConfigParameter* table = config_table(count);
        size_t matches = 0;
        bool matched[64] = {};
        for (size_t i = 2; i < c.argc(); ++i)
            for (size_t p = 0; p < count && p < 64; ++p)
                if (!matched[p] && glob_match(c.arg(i), table[p].name, true)) {
                    matched[p] = true;
                    ++matches;
                }
        c.reply.map(matches);
        for (size_t p = 0; p < count && p < 64; ++p) {
            if (!matched[p]) continue;
            c.reply.bulk(table[p].name);
            c.reply.bulk(table[p].value);
        }
    } else if (is_word(sub, "set")) {
        if (c.argc() < 4 || c.argc() % 2 != 0) return subcommand_arity(c, "config|set");
        for (size_t i = 2; i < c.argc(); i += 2) {
            if (!c.engine.config(c.arg(i)))
                return error_quoting(c,
                                     "ERR Unknown option or number of arguments for CONFIG SET - '",
                                     c.arg(i), "'");
        }
        for (size_t i = 2; i < c.argc(); i += 2) {
            const char* why = nullptr;
            if (!c.engine.apply_config(c.arg(i), c.arg(i + 1), &why)) {
                char after[256];
                int n = snprintf(after, sizeof after, "') - %s", why);
                return error_quoting(c, "ERR CONFIG SET failed (possibly related to argument '",
                                     c.arg(i), {after, static_cast<size_t>(n)});
            }
        }
        c.reply.ok();
    } else if (is_word(sub, "resetstat")) {
        c.engine.reset_stats();
        c.reply.ok();
    } else if (is_word(sub, "rewrite")) {
        c.reply.error("ERR The server is running without a config file");
    } else {
        unknown_subcommand(c, "'. Try CONFIG HELP.");
    }
}

void command_info(Context& c, const Command& command) {
    c.reply.array(10);
    c.reply.bulk(command.name);
    c.reply.integer(command.arity);
    size_t flags = 0;
    const char* names[6];
    if (command.flags & kWrite) names[flags++] = "write";
    if (command.flags & kReadOnly) names[flags++] = "readonly";
    if (command.flags & kDenyOom) names[flags++] = "denyoom";
    if (command.flags & kAdmin) names[flags++] = "admin";
    if (command.flags & kFast) names[flags++] = "fast";
    if (command.flags & kBlocking) names[flags++] = "blocking";
    c.reply.set(flags);
    for (size_t i = 0; i < flags; ++i) c.reply.simple(names[i]);
    c.reply.integer(command.first_key);
    c.reply.integer(command.last_key);
    c.reply.integer(command.key_step);
    c.reply.set(0);    // ACL categories
    c.reply.set(0);    // tips
    c.reply.array(0);  // key specs
    c.reply.array(0);  // subcommands
}

void command_command(Context& c) {
    size_t total = command_count();
    if (c.argc() == 1) {
        c.reply.array(total);
        for (size_t i = 0; i < total; ++i) command_info(c, command_at(i));
        return;
    }
    std::string_view sub = c.arg(1);
    if (is_word(sub, "count") && c.argc() == 2) {
        c.reply.integer(static_cast<int64_t>(total));
    } else if (is_word(sub, "info")) {
        if (c.argc() == 2) {
            c.reply.array(total);
            for (size_t i = 0; i < total; ++i) command_info(c, command_at(i));
            return;
        }
        c.reply.array(c.argc() - 2);
        for (size_t i = 2; i < c.argc(); ++i) {
            const Command* command = find_command(c.arg(i));
            if (command) command_info(c, *command);
            else c.reply.null_array();
        }
    } else if (is_word(sub, "list")) {
        c.reply.array(total);
        for (size_t i = 0; i < total; ++i) c.reply.bulk(command_at(i).name);
    } else if (is_word(sub, "docs")) {
        // No documentation is carried in the image: an empty map, which clients (redis-cli's
        // hints) take as "nothing known" and carry on.
        c.reply.map(0);
    } else {
        unknown_subcommand(c, "'. Try COMMAND HELP.");
    }
}

void client_command(Context& c) {
    std::string_view sub = c.arg(1);
    Session& s = c.session;
    if (is_word(sub, "id") && c.argc() == 2) {
        c.reply.integer(static_cast<int64_t>(s.id));
    } else if (is_word(sub, "setname") && c.argc() == 3) {
        if (set_name(c, c.arg(2))) c.reply.ok();
    } else if (is_word(sub, "getname") && c.argc() == 2) {
        if (s.name[0]) c.reply.bulk(s.name);
        else c.reply.null();
    } else if (is_word(sub, "setinfo") && c.argc() == 4) {
        std::string_view attribute = c.arg(2), value = c.arg(3);
        char* target = is_word(attribute, "lib-name")  ? s.lib_name
                       : is_word(attribute, "lib-ver") ? s.lib_version
                                                       : nullptr;
        if (!target) return error_quoting(c, "ERR Unrecognized option '", attribute, "'");
        if (value.size() > kClientNameMax) value = value.substr(0, kClientNameMax);
        std::memcpy(target, value.data(), value.size());
        target[value.size()] = '\0';
        c.reply.ok();
    } else if (is_word(sub, "info") && c.argc() == 2) {
        char line[kClientLineMax];
        size_t n = format_client_line(c.engine, s, line, sizeof line);
        c.reply.verbatim({line, n});
    } else if (is_word(sub, "list")) {
        write_client_list(c);
    } else if (is_word(sub, "kill")) {
        kill_clients(c);
    } else if (is_word(sub, "no-evict") || is_word(sub, "no-touch")) {
        c.reply.ok();
    } else if (is_word(sub, "help")) {
        c.reply.array(1);
        c.reply.simple("CLIENT <subcommand>: ID GETNAME SETNAME SETINFO INFO LIST KILL");
    } else {
        unknown_subcommand(c, "'. Try CLIENT HELP.");
    }
}

void info_command(Context& c) { write_info(c); }

void debug_command(Context& c) { run_debug(c); }

const Command kCommands[] = {
    {"ping", -1, kFast | kPubSub, ping_command, 0, 0, 0},
    {"echo", 2, kFast, echo_command, 0, 0, 0},
    {"quit", -1, kFast | kNoMulti | kPubSub, quit_command, 0, 0, 0},
    {"reset", 1, kFast | kNoMulti | kPubSub, reset_command, 0, 0, 0},
    {"hello", -1, kFast, hello_command, 0, 0, 0},
    {"auth", -2, kFast, auth_command, 0, 0, 0},
    {"select", 2, kFast, select_command, 0, 0, 0},
    {"swapdb", 3, kWrite | kFast, swapdb_command, 0, 0, 0},
    {"dbsize", 1, kReadOnly | kFast, dbsize_command, 0, 0, 0},
    {"flushdb", -1, kWrite, flushdb_command, 0, 0, 0},
    {"flushall", -1, kWrite, flushall_command, 0, 0, 0},
    {"time", 1, kFast, time_command, 0, 0, 0},
    {"lastsave", 1, kFast, lastsave_command, 0, 0, 0},
    {"info", -1, 0, info_command, 0, 0, 0},
    {"config", -2, kAdmin, config_command, 0, 0, 0},
    {"command", -1, 0, command_command, 0, 0, 0},
    {"client", -2, 0, client_command, 0, 0, 0},
    {"debug", -2, kAdmin, debug_command, 0, 0, 0},
};

}  // namespace

const CommandFamily kServerCommands{kCommands, sizeof kCommands / sizeof kCommands[0]};

}  // namespace coronet::redis
