// The parameter table and Redis's glob matcher.
#include "apps/redis/config.hpp"

#include <cctype>
#include <cstring>

namespace coronet::redis {
namespace {

ConfigParameter g_parameters[] = {
    {"appendonly", "no"},
    {"appendfsync", "everysec"},
    {"bind", "* -::*"},
    {"client-query-buffer-limit", "1073741824"},
    {"databases", "16"},
    {"dir", "/"},
    {"hz", "10"},
    {"lazyfree-lazy-eviction", "no"},
    {"lazyfree-lazy-expire", "no"},
    {"lazyfree-lazy-server-del", "no"},
    {"lazyfree-lazy-user-del", "no"},
    {"lazyfree-lazy-user-flush", "no"},
    {"loglevel", "notice"},
    {"maxclients", "10000"},
    {"maxmemory", "0"},
    {"maxmemory-policy", "noeviction"},
    {"maxmemory-samples", "5"},
    {"notify-keyspace-events", ""},
    {"port", "6379"},
    {"protected-mode", "no"},
    {"proto-max-bulk-len", "536870912"},
    {"save", ""},
    {"slowlog-log-slower-than", "10000"},
    {"slowlog-max-len", "128"},
    {"tcp-keepalive", "300"},
    {"timeout", "0"},
};

}  // namespace

ConfigParameter* config_table(size_t& count) {
    count = sizeof g_parameters / sizeof g_parameters[0];
    return g_parameters;
}

ConfigParameter* config_find(std::string_view name) {
    for (ConfigParameter& parameter : g_parameters) {
        if (name.size() != std::strlen(parameter.name)) continue;
        bool same = true;
        for (size_t i = 0; i < name.size() && same; ++i)
            same = std::tolower(static_cast<unsigned char>(name[i])) == parameter.name[i];
        if (same) return &parameter;
    }
    return nullptr;
}

bool config_set(std::string_view name, std::string_view value) {
    ConfigParameter* parameter = config_find(name);
    if (!parameter || value.size() > kConfigValueMax) return false;
    std::memcpy(parameter->value, value.data(), value.size());
    parameter->value[value.size()] = '\0';
    return true;
}

bool glob_match(std::string_view pattern, std::string_view text, bool nocase) {
    auto fold = [nocase](char c) {
        return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
    };
    size_t p = 0, t = 0;
    // Backtracking point of the last '*': iterative, so a hostile pattern costs
    // O(pattern * text), never recursion depth.
    size_t star_p = SIZE_MAX, star_t = 0;
    while (t < text.size()) {
        if (p < pattern.size()) {
            char c = pattern[p];
            if (c == '*') {
                while (p < pattern.size() && pattern[p] == '*') ++p;
                if (p == pattern.size()) return true;
                star_p = p;
                star_t = t;
                continue;
            }
            bool matched = false;
            size_t next = p + 1;
            if (c == '?') {
                matched = true;
            } else if (c == '[') {
                size_t q = p + 1;
                bool negate = q < pattern.size() && pattern[q] == '^';
                if (negate) ++q;
                bool found = false;
                while (q < pattern.size() && pattern[q] != ']') {
                    if (pattern[q] == '\\' && q + 1 < pattern.size()) {
                        ++q;
                        if (fold(pattern[q]) == fold(text[t])) found = true;
                        ++q;
                    } else if (q + 2 < pattern.size() && pattern[q + 1] == '-' &&
                               pattern[q + 2] != ']') {
                        char lo = fold(pattern[q]), hi = fold(pattern[q + 2]);
                        if (lo > hi) {
                            char x = lo;
                            lo = hi;
                            hi = x;
                        }
                        char ch = fold(text[t]);
                        if (ch >= lo && ch <= hi) found = true;
                        q += 3;
                    } else {
                        if (fold(pattern[q]) == fold(text[t])) found = true;
                        ++q;
                    }
                }
                next = q < pattern.size() ? q + 1 : q;  // past ']' (an unclosed '[' ends)
                matched = negate ? !found : found;
            } else if (c == '\\' && p + 1 < pattern.size()) {
                matched = fold(pattern[p + 1]) == fold(text[t]);
                next = p + 2;
            } else {
                matched = fold(c) == fold(text[t]);
            }
            if (matched) {
                p = next;
                ++t;
                continue;
            }
        }
        if (star_p == SIZE_MAX) return false;
        p = star_p;
        t = ++star_t;
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

}  // namespace coronet::redis
