// The default appliance image: brings up the network stack and runs the reactor loop.
// (HTTP, WebSocket and Redis apps attach here as they land.)
#include "kernel/app.hpp"
#include "kernel/log.hpp"
#include "kernel/sched/scheduler.hpp"
#include "net/lwip/stack.hpp"

namespace coronet {

int app_main(const BootInfo&) {
    net::init_stack();
    LOG_INFO("net: lwIP %s initialised (no network interface driver yet)", net::stack_version());
    LOG_INFO("appliance: idle; halting until interrupts");
    sched::run_forever();
}

}  // namespace coronet
