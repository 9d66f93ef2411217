// (being written)
#include "apps/redis/command.hpp"

namespace coronet::redis {

const CommandFamily kSetCommands{nullptr, 0};

}  // namespace coronet::redis
