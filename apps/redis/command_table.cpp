// Every family's commands in one open-addressed table, built on first use, looked up by name
// in any case without copying it.
#include <cctype>
#include <cstring>

#include "apps/redis/blocking.hpp"
#include "apps/redis/command.hpp"
#include "apps/redis/pubsub.hpp"
#include "apps/redis/transaction.hpp"

namespace coronet::redis {
namespace {

constexpr size_t kSlots = 512;  // a power of two, well above the command count
const CommandFamily* const kFamilies[] = {
    &kServerCommands,   &kKeyCommands,    &kStringCommands,    &kListCommands,
    &kHashCommands,     &kSetCommands,    &kSortedSetCommands, &kTransactionCommands,
    &kBlockingCommands, &kPubSubCommands,
};

const Command* g_slots[kSlots];
const Command* g_all[kSlots];
size_t g_count = 0;

uint32_t hash_name(std::string_view name) {
    uint32_t h = 2166136261u;
    for (char c : name) {
        h ^= static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
        h *= 16777619u;
    }
    return h;
}

bool same_name(const char* lower, std::string_view name) {
    size_t i = 0;
    for (; i < name.size(); ++i) {
        if (lower[i] == '\0') return false;
        if (std::tolower(static_cast<unsigned char>(name[i])) != lower[i]) return false;
    }
    return lower[i] == '\0';
}

void build() {
    for (const CommandFamily* family : kFamilies) {
        for (size_t i = 0; i < family->count; ++i) {
            const Command* command = &family->commands[i];
            size_t slot = hash_name(command->name) & (kSlots - 1);
            while (g_slots[slot]) slot = (slot + 1) & (kSlots - 1);
            g_slots[slot] = command;
            g_all[g_count++] = command;
        }
    }
}

}  // namespace

const Command* find_command(std::string_view name) {
    if (g_count == 0) build();
    if (name.size() > 32) return nullptr;
    for (size_t slot = hash_name(name) & (kSlots - 1); g_slots[slot];
         slot = (slot + 1) & (kSlots - 1)) {
        if (same_name(g_slots[slot]->name, name)) return g_slots[slot];
    }
    return nullptr;
}

size_t command_count() {
    if (g_count == 0) build();
    return g_count;
}

const Command& command_at(size_t index) { return *g_all[index]; }

}  // namespace coronet::redis
