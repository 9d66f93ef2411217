// The default appliance image: brings up the network stack and the apps, then runs the
// reactor loop. (WebSocket and Redis apps attach here as they land.)
#include "apps/appliance/web.hpp"
#include "apps/echo/echo.hpp"
#include "kernel/app.hpp"
#include "kernel/log.hpp"
#include "kernel/sched/scheduler.hpp"
#include "net/lwip/stack.hpp"

namespace coronet {

int app_main(const BootInfo& info) {
    net::start_stack(info);
    LOG_INFO("net: lwIP %s up", net::stack_version());
    if (auto echo = apps::start_echo(); !echo) LOG_ERROR("echo: cannot listen: %s", error_name(echo.error()));
    if (auto web = apps::start_web(); !web) LOG_ERROR("http: cannot start: %s", error_name(web.error()));
    sched::run_forever();
}

}  // namespace coronet
