// The TCP/IP stack's lifecycle (lwIP with NO_SYS=1): bring-up, the timer coroutine, and the
// rule that lwIP runs only in reactor/coroutine context, never in an interrupt handler.
#pragma once

#include "arch/boot_info.hpp"

namespace coronet::net {

// Initialises lwIP, finds the network devices (virtio), brings up an interface on each and
// starts lwIP's timers. Needs the scheduler; call once from the app before serving.
void start_stack(const BootInfo& info);
const char* stack_version();

// After calling into lwIP: pushes queued frames to the devices and re-arms lwIP's timers if
// the call created an earlier timeout. Socket calls and the receive path call this.
void stack_activity();

}  // namespace coronet::net
