// lwIP's extended netif callback, formatting addresses with lwIP's own helpers.
#include "net/lwip/address_log.hpp"

#include "kernel/log.hpp"
#include "lwip/dhcp.h"
#include "lwip/netif.h"

namespace coronet::net {
namespace {

netif_ext_callback_t g_callback;

void on_status(netif* nif, netif_nsc_reason_t reason, const netif_ext_callback_args_t* args) {
    char address[IPADDR_STRLEN_MAX];
    if (reason & LWIP_NSC_IPV4_ADDRESS_CHANGED && !ip4_addr_isany_val(*netif_ip4_addr(nif))) {
        char mask[IPADDR_STRLEN_MAX], gw[IPADDR_STRLEN_MAX];
        ip4addr_ntoa_r(netif_ip4_addr(nif), address, sizeof address);
        ip4addr_ntoa_r(netif_ip4_netmask(nif), mask, sizeof mask);
        ip4addr_ntoa_r(netif_ip4_gw(nif), gw, sizeof gw);
        LOG_INFO("net: %c%c%u ipv4 %s netmask %s gateway %s (%s)", nif->name[0], nif->name[1],
                 nif->num, address, mask, gw, dhcp_supplied_address(nif) ? "dhcp" : "static");
    }
    if (reason & LWIP_NSC_IPV6_ADDR_STATE_CHANGED) {
        s8_t index = args->ipv6_addr_state_changed.addr_index;
        if (ip6_addr_isvalid(netif_ip6_addr_state(nif, index)) &&
            !ip6_addr_isvalid(args->ipv6_addr_state_changed.old_state)) {
            ip6addr_ntoa_r(netif_ip6_addr(nif, index), address, sizeof address);
            LOG_INFO("net: %c%c%u ipv6 %s", nif->name[0], nif->name[1], nif->num, address);
        }
    }
}

}  // namespace

void log_address_changes() { netif_add_ext_callback(&g_callback, on_status); }

}  // namespace coronet::net
