// In-guest network tests: the stack brought up from the command line's ip=/gw=/dns= options (as
// the appliance's composition root does), the test's body run in a coroutine beside lwIP's
// timers, and the machine ended with the verdict when the body returns. The servers the body
// talks to are started by the host side (tools/client_test.py), which passes their addresses
// as boot options.
#pragma once

#include <string_view>

#include "net/ip_address.hpp"

namespace coronet::ktest {

[[noreturn]] void run_with_network(void (*body)());

// The boot option `key` as an endpoint ("10.77.0.1:80", "[fe80::1]:80"); a missing or bad one
// is a failed check (and the unspecified endpoint).
net::Endpoint endpoint_option(std::string_view key);

}  // namespace coronet::ktest
