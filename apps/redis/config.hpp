// CONFIG GET/SET's parameters: Redis's names with their current values as text. The ones the
// appliance acts on are read by the engine (maxmemory, proto-max-bulk-len, ...); the others are
// Redis parameters a client may set for its own reasons (save, appendonly, hz, ...): accepted,
// stored and reported back, with no effect here.
#pragma once

#include <cstddef>
#include <string_view>

namespace coronet::redis {

inline constexpr size_t kConfigValueMax = 256;

struct ConfigParameter {
    const char* name;
    char value[kConfigValueMax + 1];
};

// The table, with defaults; `overrides` are "name value" pairs the composition root sets.
ConfigParameter* config_table(size_t& count);
ConfigParameter* config_find(std::string_view name);
bool config_set(std::string_view name, std::string_view value);

// Redis's glob: * ? [abc] [^a-z] and \ escapes, optionally case-insensitive (KEYS, SCAN MATCH,
// CONFIG GET, PUBSUB CHANNELS).
bool glob_match(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace coronet::redis
