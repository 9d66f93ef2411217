// See net_fixture.hpp.
#include "tests/kernel/net_fixture.hpp"

#include "kernel/boot_config.hpp"
#include "kernel/sched/scheduler.hpp"
#include "net/lwip/stack.hpp"
#include "net/stack_config.hpp"
#include "tests/kernel/ktest.hpp"

namespace coronet::ktest {

void run_with_network(void (*body)()) {
    net::start_stack(boot_info(), net::read_stack_options(boot_config()));
    auto spawned = sched::spawn(
        [body] {
            body();
            conclude();
        },
        {.name = "ktest-body", .stack_size = 256 * 1024});
    KCHECK(spawned.ok());
    if (!spawned) conclude();
    sched::run_forever();
}

net::Endpoint endpoint_option(std::string_view key) {
    net::Endpoint endpoint{};
    auto text = boot_config().get(key);
    net::HostPort split;
    bool ok =
        text && net::split_host_port(*text, split) && net::parse_ip(split.host, endpoint.address);
    if (!ok) {
        printf("ktest: boot option %.*s wants an address:port\n", static_cast<int>(key.size()),
               key.data());
        KCHECK(ok);
        return {};
    }
    endpoint.port = split.port;
    return endpoint;
}

}  // namespace coronet::ktest
