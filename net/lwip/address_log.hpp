// Logs each address an interface gains (IPv4 static or from DHCP, IPv6 link-local or SLAAC),
// so the console says where the appliance can be reached.
#pragma once

namespace coronet::net {

// Registers lwIP's status callback; call once after lwip_init().
void log_address_changes();

}  // namespace coronet::net
