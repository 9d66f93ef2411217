// (being written)
#include "apps/redis/command.hpp"

namespace coronet::redis {

const CommandFamily kSortedSetCommands{nullptr, 0};

}  // namespace coronet::redis
