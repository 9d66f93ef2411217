// (being written)
#include "apps/redis/command.hpp"

namespace coronet::redis {

const CommandFamily kHashCommands{nullptr, 0};

}  // namespace coronet::redis
