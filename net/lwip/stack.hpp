// The TCP/IP stack's lifecycle (lwIP with NO_SYS). Interfaces and sockets arrive with the
// virtio-net driver.
#pragma once

namespace coronet::net {

void init_stack();
const char* stack_version();

}  // namespace coronet::net
