// String commands: binary-safe values, counters, ranges and bits, with Redis's option parsing
// and error texts.
#include <cmath>
#include <cstdio>
#include <cstring>

#include "apps/redis/clock.hpp"
#include "apps/redis/config.hpp"
#include "apps/redis/lookup.hpp"

namespace coronet::redis {

void invalid_expire_time(Context& c) {
    char text[160];
    int n = snprintf(text, sizeof text, "ERR invalid expire time in '%s' command",
                     c.session.last_command);
    c.reply.error({text, static_cast<size_t>(n)});
}

bool expiry_argument(Context& c, size_t index, int64_t unit_ms, bool absolute, int64_t& at_ms) {
    int64_t value;
    if (!int_argument(c, index, value)) return false;
    if (value <= 0 || (unit_ms == 1000 && value > INT64_MAX / 1000)) {
        invalid_expire_time(c);
        return false;
    }
    value *= unit_ms;
    if (!absolute) {
        int64_t now = unix_time_ms();
        if (value > INT64_MAX - now) {
            invalid_expire_time(c);
            return false;
        }
        value += now;
    }
    at_ms = value;
    return true;
}

namespace {

uint64_t max_string_length(Context& c) { return c.engine.options().max_bulk_length; }

void reply_string(Context& c, const Entry* entry) {
    if (entry) c.reply.bulk(entry->string());
    else c.reply.null();
}

void get_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::String, entry)) return;
    reply_string(c, entry);
}

// Stores `value` under `key` (replacing any type), with an expiry or keeping the old one.
bool store_string(Context& c, std::string_view key, std::string_view value, int64_t at_ms,
                  bool keep_ttl) {
    Database& db = c.db();
    Entry* entry = db.find(key);
    Result<Entry*> stored =
        entry ? db.assign_string(entry, value, keep_ttl) : db.create_string(key, value);
    if (!stored) {
        c.reply.error(errors::kOutOfMemory);
        return false;
    }
    if (at_ms != kNoExpiry) db.set_expiry(*stored, at_ms);
    return true;
}

void set_command(Context& c) {
    enum : unsigned {
        kNx = 1,
        kXx = 2,
        kGet = 4,
        kEx = 8,
        kPx = 16,
        kExAt = 32,
        kPxAt = 64,
        kKeepTtl = 128
    };
    unsigned flags = 0;
    size_t expire_index = 0;
    for (size_t i = 3; i < c.argc(); ++i) {
        std::string_view option = c.arg(i);
        bool has_next = i + 1 < c.argc();
        unsigned expiry_flags = kEx | kPx | kExAt | kPxAt | kKeepTtl;
        if (is_word(option, "nx") && !(flags & kXx)) flags |= kNx;
        else if (is_word(option, "xx") && !(flags & kNx)) flags |= kXx;
        else if (is_word(option, "get")) flags |= kGet;
        else if (is_word(option, "keepttl") && !(flags & expiry_flags)) flags |= kKeepTtl;
        else if (has_next && !(flags & expiry_flags) &&
                 (is_word(option, "ex") || is_word(option, "px") || is_word(option, "exat") ||
                  is_word(option, "pxat"))) {
            flags |= is_word(option, "ex")     ? kEx
                     : is_word(option, "px")   ? kPx
                     : is_word(option, "exat") ? kExAt
                                               : kPxAt;
            expire_index = ++i;
        } else {
            c.reply.error(errors::kSyntax);
            return;
        }
    }
    int64_t at_ms = kNoExpiry;
    if (expire_index && !expiry_argument(c, expire_index, (flags & (kEx | kExAt)) ? 1000 : 1,
                                         (flags & (kExAt | kPxAt)) != 0, at_ms))
        return;
    Database& db = c.db();
    Entry* entry = db.find(c.arg(1));
    if ((flags & kGet) && entry && entry->type != Type::String) {
        c.reply.error(errors::kWrongType);
        return;
    }
    bool condition_met = !((flags & kNx) && entry) && !((flags & kXx) && !entry);
    if (flags & kGet) reply_string(c, entry);  // the old value, whether or not it is replaced
    if (!condition_met) {
        if (!(flags & kGet)) c.reply.null();
        return;
    }
    // The reply (OK or the old value) stays owed; an old value copied out above is already
    // gathered in the output, so replacing the entry now is safe.
    if (at_ms != kNoExpiry && at_ms <= unix_time_ms()) {
        if (entry) db.remove(entry);  // an expiry in the past: the key is gone at once
        if (!(flags & kGet)) c.reply.ok();
        return;
    }
    if (!store_string(c, c.arg(1), c.arg(2), at_ms, (flags & kKeepTtl) != 0)) return;
    if (!(flags & kGet)) c.reply.ok();
}

void setnx_command(Context& c) {
    if (c.db().find(c.arg(1))) {
        c.reply.integer(0);
        return;
    }
    if (store_string(c, c.arg(1), c.arg(2), kNoExpiry, false)) c.reply.integer(1);
}

void setex_generic(Context& c, int64_t unit_ms) {
    int64_t at_ms;
    if (!expiry_argument(c, 2, unit_ms, false, at_ms)) return;
    if (store_string(c, c.arg(1), c.arg(3), at_ms, false)) c.reply.ok();
}
void setex_command(Context& c) { setex_generic(c, 1000); }
void psetex_command(Context& c) { setex_generic(c, 1); }

void mget_command(Context& c) {
    c.reply.array(c.argc() - 1);
    for (size_t i = 1; i < c.argc(); ++i) {
        Entry* entry = read_key(c, c.arg(i));
        if (entry && entry->type == Type::String) c.reply.bulk(entry->string());
        else c.reply.null();
    }
}

void mset_generic(Context& c, bool nx) {
    if (c.argc() % 2 == 0) {
        char text[96];
        int n = snprintf(text, sizeof text, "ERR wrong number of arguments for '%s' command",
                         nx ? "msetnx" : "mset");
        c.reply.error({text, static_cast<size_t>(n)});
        return;
    }
    if (nx) {
        for (size_t i = 1; i < c.argc(); i += 2) {
            if (c.db().find(c.arg(i))) {
                c.reply.integer(0);
                return;
            }
        }
    }
    for (size_t i = 1; i < c.argc(); i += 2)
        if (!store_string(c, c.arg(i), c.arg(i + 1), kNoExpiry, false)) return;
    if (nx) c.reply.integer(1);
    else c.reply.ok();
}
void mset_command(Context& c) { mset_generic(c, false); }
void msetnx_command(Context& c) { mset_generic(c, true); }

void getset_command(Context& c) {
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::String, entry)) return;
    reply_string(c, entry);
    store_string(c, c.arg(1), c.arg(2), kNoExpiry, false);
}

void getdel_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::String, entry)) return;
    reply_string(c, entry);
    if (entry) c.db().remove(entry);
}

void getex_command(Context& c) {
    int64_t at_ms = kNoExpiry;
    bool persist = false, expire = false;
    for (size_t i = 2; i < c.argc(); ++i) {
        std::string_view option = c.arg(i);
        bool has_next = i + 1 < c.argc();
        if (is_word(option, "persist") && !expire && !persist) {
            persist = true;
        } else if (has_next && !expire && !persist &&
                   (is_word(option, "ex") || is_word(option, "px") || is_word(option, "exat") ||
                    is_word(option, "pxat"))) {
            bool seconds = is_word(option, "ex") || is_word(option, "exat");
            bool absolute = is_word(option, "exat") || is_word(option, "pxat");
            expire = true;
            if (!expiry_argument(c, ++i, seconds ? 1000 : 1, absolute, at_ms)) return;
        } else {
            c.reply.error(errors::kSyntax);
            return;
        }
    }
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::String, entry)) return;
    reply_string(c, entry);
    if (!entry) return;
    if (expire && at_ms <= unix_time_ms()) c.db().remove(entry);
    else if (expire) c.db().set_expiry(entry, at_ms);
    else if (persist) c.db().set_expiry(entry, kNoExpiry);
}

void append_command(Context& c) {
    Database& db = c.db();
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::String, entry)) return;
    std::string_view tail = c.arg(2);
    if (!entry) {
        if (store_string(c, c.arg(1), tail, kNoExpiry, false))
            c.reply.integer(static_cast<int64_t>(tail.size()));
        return;
    }
    uint64_t length = uint64_t{entry->value_length} + tail.size();
    if (length > max_string_length(c)) {
        c.reply.error(errors::kStringTooLong);
        return;
    }
    auto grown = db.reserve_string(entry, length);
    if (!grown) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    entry = *grown;
    std::memcpy(entry->value_bytes() + entry->value_length, tail.data(), tail.size());
    entry->value_length = static_cast<uint32_t>(length);
    db.touched(entry->key());
    c.reply.integer(static_cast<int64_t>(length));
}

void strlen_command(Context& c) {
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::String, entry)) return;
    c.reply.integer(entry ? entry->value_length : 0);
}

void getrange_command(Context& c) {
    int64_t start, end;
    if (!int_argument(c, 2, start) || !int_argument(c, 3, end)) return;
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::String, entry)) return;
    std::string_view value = entry ? entry->string() : std::string_view{};
    int64_t length = static_cast<int64_t>(value.size());
    if (start < 0 && end < 0 && start > end) {
        c.reply.bulk({});
        return;
    }
    if (start < 0) start += length;
    if (end < 0) end += length;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= length) end = length - 1;
    if (length == 0 || start > end) {
        c.reply.bulk({});
        return;
    }
    c.reply.bulk(value.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

// Makes `entry` (or a new key when null) a string of at least `length` bytes, zero-filled.
Entry* grow_zeroed(Context& c, Entry* entry, std::string_view key, uint64_t length) {
    Database& db = c.db();
    if (length > max_string_length(c)) {
        c.reply.error(errors::kStringTooLong);
        return nullptr;
    }
    if (!entry) {
        auto created = db.create_string(key, {}, length);
        if (!created) {
            c.reply.error(errors::kOutOfMemory);
            return nullptr;
        }
        entry = *created;
    }
    if (length > entry->value_length) {
        auto grown = db.reserve_string(entry, length);
        if (!grown) {
            c.reply.error(errors::kOutOfMemory);
            return nullptr;
        }
        entry = *grown;
        std::memset(entry->value_bytes() + entry->value_length, 0, length - entry->value_length);
        entry->value_length = static_cast<uint32_t>(length);
    }
    return entry;
}

void setrange_command(Context& c) {
    int64_t offset;
    if (!int_argument(c, 2, offset)) return;
    if (offset < 0) {
        c.reply.error("ERR offset is out of range");
        return;
    }
    std::string_view value = c.arg(3);
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::String, entry)) return;
    if (value.empty()) {
        c.reply.integer(entry ? entry->value_length : 0);
        return;
    }
    uint64_t end = static_cast<uint64_t>(offset) + value.size();
    entry = grow_zeroed(c, entry, c.arg(1), end);
    if (!entry) return;
    std::memcpy(entry->value_bytes() + offset, value.data(), value.size());
    c.db().touched(entry->key());
    c.reply.integer(entry->value_length);
}

void incr_generic(Context& c, int64_t increment) {
    Database& db = c.db();
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::String, entry)) return;
    int64_t value = 0;
    if (entry && !parse_int64(entry->string(), value)) {
        c.reply.error(errors::kNotInteger);
        return;
    }
    if (!checked_add(value, increment, value)) {
        c.reply.error(errors::kOverflow);
        return;
    }
    char digits[24];
    size_t length = format_int64(value, digits);
    Result<Entry*> stored = entry ? db.assign_string(entry, {digits, length}, true)
                                  : db.create_string(c.arg(1), {digits, length});
    if (!stored) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    c.reply.integer(value);
}

void incr_command(Context& c) { incr_generic(c, 1); }
void decr_command(Context& c) { incr_generic(c, -1); }
void incrby_command(Context& c) {
    int64_t by;
    if (int_argument(c, 2, by)) incr_generic(c, by);
}
void decrby_command(Context& c) {
    int64_t by;
    if (!int_argument(c, 2, by)) return;
    if (by == INT64_MIN) {
        c.reply.error("ERR decrement would overflow");
        return;
    }
    incr_generic(c, -by);
}

void incrbyfloat_command(Context& c) {
    long double increment, value = 0;
    if (!parse_long_double(c.arg(2), increment)) {
        c.reply.error(errors::kNotFloat);
        return;
    }
    Database& db = c.db();
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::String, entry)) return;
    if (entry && !parse_long_double(entry->string(), value)) {
        c.reply.error(errors::kNotFloat);
        return;
    }
    value += increment;
    if (std::isnan(value) || std::isinf(value)) {
        c.reply.error("ERR increment would produce NaN or Infinity");
        return;
    }
    static char text[kLongDoubleTextMax];  // reactor-only: one command runs at a time
    size_t length = format_long_double(value, text);
    Result<Entry*> stored = entry ? db.assign_string(entry, {text, length}, true)
                                  : db.create_string(c.arg(1), {text, length});
    if (!stored) {
        c.reply.error(errors::kOutOfMemory);
        return;
    }
    c.reply.bulk({text, length});
}

constexpr int64_t kMaxBitOffset = (int64_t{512} << 20) * 8 - 1;

bool bit_offset(Context& c, size_t index, uint64_t& offset) {
    int64_t value;
    if (!parse_int64(c.arg(index), value) || value < 0 ||
        static_cast<uint64_t>(value) >> 3 >= max_string_length(c) || value > kMaxBitOffset) {
        c.reply.error("ERR bit offset is not an integer or out of range");
        return false;
    }
    offset = static_cast<uint64_t>(value);
    return true;
}

void setbit_command(Context& c) {
    uint64_t offset;
    if (!bit_offset(c, 2, offset)) return;
    std::string_view bit = c.arg(3);
    if (bit.size() != 1 || (bit[0] != '0' && bit[0] != '1')) {
        c.reply.error("ERR bit is not an integer or out of range");
        return;
    }
    Entry* entry;
    if (!write_typed(c, c.arg(1), Type::String, entry)) return;
    entry = grow_zeroed(c, entry, c.arg(1), (offset >> 3) + 1);
    if (!entry) return;
    auto* byte = reinterpret_cast<unsigned char*>(entry->value_bytes()) + (offset >> 3);
    unsigned mask = 0x80u >> (offset & 7);
    int old = (*byte & mask) ? 1 : 0;
    if (bit[0] == '1') *byte = static_cast<unsigned char>(*byte | mask);
    else *byte = static_cast<unsigned char>(*byte & ~mask);
    c.db().touched(entry->key());
    c.reply.integer(old);
}

void getbit_command(Context& c) {
    uint64_t offset;
    if (!bit_offset(c, 2, offset)) return;
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::String, entry)) return;
    if (!entry || (offset >> 3) >= entry->value_length) {
        c.reply.integer(0);
        return;
    }
    auto byte = static_cast<unsigned char>(entry->string()[offset >> 3]);
    c.reply.integer((byte & (0x80u >> (offset & 7))) ? 1 : 0);
}

// Resolves [start end [BYTE|BIT]] against `length` bytes into a bit range [first, last];
// false when the range is empty. `error` is set (and answered) on bad arguments.
struct BitRange {
    int64_t first_bit = 0, last_bit = -1;
    bool explicit_end = false;
};

bool parse_bit_range(Context& c, size_t index, size_t length, BitRange& range, bool& error) {
    error = false;
    int64_t start = 0, end = 0;
    bool bits = false;
    size_t argc = c.argc();
    int64_t total_bits = static_cast<int64_t>(length) * 8;
    if (index < argc) {
        if (!int_argument(c, index, start)) return error = true, false;
        if (index + 1 < argc) {
            if (!int_argument(c, index + 1, end)) return error = true, false;
            range.explicit_end = true;
            if (index + 2 < argc) {
                if (index + 3 < argc) return c.reply.error(errors::kSyntax), error = true, false;
                std::string_view unit = c.arg(index + 2);
                if (is_word(unit, "bit")) bits = true;
                else if (!is_word(unit, "byte"))
                    return c.reply.error(errors::kSyntax), error = true, false;
            }
        } else {
            end = bits ? total_bits - 1 : static_cast<int64_t>(length) - 1;
        }
    } else {
        range.first_bit = 0;
        range.last_bit = total_bits - 1;
        return total_bits > 0;
    }
    int64_t size = bits ? total_bits : static_cast<int64_t>(length);
    if (start < 0) start += size;
    if (end < 0) end += size;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= size) end = size - 1;
    if (start > end || size == 0) return false;
    range.first_bit = bits ? start : start * 8;
    range.last_bit = bits ? end : end * 8 + 7;
    return true;
}

int bit_at(std::string_view value, int64_t bit) {
    return (static_cast<unsigned char>(value[bit >> 3]) >> (7 - (bit & 7))) & 1;
}

void bitcount_command(Context& c) {
    if (c.argc() == 3) {
        c.reply.error(errors::kSyntax);
        return;
    }
    Entry* entry;
    // Redis checks the arguments before the key's type.
    int64_t probe;
    if (c.argc() >= 4 && (!int_argument(c, 2, probe) || !int_argument(c, 3, probe))) return;
    if (c.argc() == 5 && !is_word(c.arg(4), "bit") && !is_word(c.arg(4), "byte")) {
        c.reply.error(errors::kSyntax);
        return;
    }
    if (c.argc() > 5) {
        c.reply.error(errors::kSyntax);
        return;
    }
    if (!read_typed(c, c.arg(1), Type::String, entry)) return;
    if (!entry) {
        c.reply.integer(0);
        return;
    }
    std::string_view value = entry->string();
    BitRange range;
    bool error;
    if (!parse_bit_range(c, 2, value.size(), range, error)) {
        if (!error) c.reply.integer(0);
        return;
    }
    int64_t count = 0;
    int64_t bit = range.first_bit;
    while (bit <= range.last_bit && (bit & 7)) count += bit_at(value, bit++);
    while (bit + 7 <= range.last_bit) {
        count += __builtin_popcount(static_cast<unsigned char>(value[bit >> 3]));
        bit += 8;
    }
    while (bit <= range.last_bit) count += bit_at(value, bit++);
    c.reply.integer(count);
}

void bitpos_command(Context& c) {
    std::string_view bit_text = c.arg(2);
    int64_t wanted;
    if (!int_argument(c, 2, wanted)) return;
    if (wanted != 0 && wanted != 1) {
        c.reply.error("ERR The bit argument must be 1 or 0.");
        return;
    }
    (void)bit_text;
    int64_t probe;
    if (c.argc() >= 4 && !int_argument(c, 3, probe)) return;
    if (c.argc() >= 5 && !int_argument(c, 4, probe)) return;
    if (c.argc() == 6 && !is_word(c.arg(5), "bit") && !is_word(c.arg(5), "byte")) {
        c.reply.error(errors::kSyntax);
        return;
    }
    if (c.argc() > 6) {
        c.reply.error(errors::kSyntax);
        return;
    }
    Entry* entry;
    if (!read_typed(c, c.arg(1), Type::String, entry)) return;
    if (!entry) {
        c.reply.integer(wanted ? -1 : 0);
        return;
    }
    std::string_view value = entry->string();
    BitRange range;
    bool error;
    if (!parse_bit_range(c, 3, value.size(), range, error)) {
        if (!error) c.reply.integer(-1);
        return;
    }
    for (int64_t bit = range.first_bit; bit <= range.last_bit; ++bit) {
        if (bit_at(value, bit) == wanted) {
            c.reply.integer(bit);
            return;
        }
    }
    // Looking for a clear bit with no end given: the string continues with zeros after it.
    if (wanted == 0 && !range.explicit_end) c.reply.integer(range.last_bit + 1);
    else c.reply.integer(-1);
}

const Command kCommands[] = {
    {"get", 2, kReadOnly | kFast, get_command, 1, 1, 1},
    {"set", -3, kWrite | kDenyOom, set_command, 1, 1, 1},
    {"setnx", 3, kWrite | kDenyOom | kFast, setnx_command, 1, 1, 1},
    {"setex", 4, kWrite | kDenyOom, setex_command, 1, 1, 1},
    {"psetex", 4, kWrite | kDenyOom, psetex_command, 1, 1, 1},
    {"mget", -2, kReadOnly | kFast, mget_command, 1, -1, 1},
    {"mset", -3, kWrite | kDenyOom, mset_command, 1, -1, 2},
    {"msetnx", -3, kWrite | kDenyOom, msetnx_command, 1, -1, 2},
    {"getset", 3, kWrite | kDenyOom | kFast, getset_command, 1, 1, 1},
    {"getdel", 2, kWrite | kFast, getdel_command, 1, 1, 1},
    {"getex", -2, kWrite | kFast, getex_command, 1, 1, 1},
    {"append", 3, kWrite | kDenyOom | kFast, append_command, 1, 1, 1},
    {"strlen", 2, kReadOnly | kFast, strlen_command, 1, 1, 1},
    {"getrange", 4, kReadOnly, getrange_command, 1, 1, 1},
    {"substr", 4, kReadOnly, getrange_command, 1, 1, 1},
    {"setrange", 4, kWrite | kDenyOom, setrange_command, 1, 1, 1},
    {"incr", 2, kWrite | kDenyOom | kFast, incr_command, 1, 1, 1},
    {"decr", 2, kWrite | kDenyOom | kFast, decr_command, 1, 1, 1},
    {"incrby", 3, kWrite | kDenyOom | kFast, incrby_command, 1, 1, 1},
    {"decrby", 3, kWrite | kDenyOom | kFast, decrby_command, 1, 1, 1},
    {"incrbyfloat", 3, kWrite | kDenyOom | kFast, incrbyfloat_command, 1, 1, 1},
    {"setbit", 4, kWrite | kDenyOom, setbit_command, 1, 1, 1},
    {"getbit", 3, kReadOnly | kFast, getbit_command, 1, 1, 1},
    {"bitcount", -2, kReadOnly, bitcount_command, 1, 1, 1},
    {"bitpos", -3, kReadOnly, bitpos_command, 1, 1, 1},
};

}  // namespace

const CommandFamily kStringCommands{kCommands, sizeof kCommands / sizeof kCommands[0]};

}  // namespace coronet::redis
