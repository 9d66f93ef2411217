// The default appliance image: brings up the network stack and idles until there is work.
// (HTTP, WebSocket and Redis apps attach here as they land.)
#include "arch/cpu.hpp"
#include "kernel/app.hpp"
#include "kernel/log.hpp"
#include "net/lwip/stack.hpp"

namespace coronet {

int app_main(const BootInfo&) {
    net::init_stack();
    LOG_INFO("net: lwIP %s initialised (no network interface driver yet)", net::stack_version());
    LOG_INFO("appliance: idle; halting until interrupts");
    arch::InterruptGuard guard;
    for (;;) arch::wait_for_interrupt();
}

}  // namespace coronet
