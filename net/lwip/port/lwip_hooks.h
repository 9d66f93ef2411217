/* lwIP hooks (LWIP_HOOK_FILENAME, included by lwIP's own sources). Each hook is implemented in
   net/lwip/; this header only declares them and maps lwIP's macros onto them. */
#ifndef CORONET_LWIP_HOOKS_H
#define CORONET_LWIP_HOOKS_H

struct pbuf;
struct netif;

#ifdef __cplusplus
extern "C" {
#endif

/* Every IPv4/IPv6 packet before lwIP parses it; nonzero would mean "consumed". A SYN for the
   address pair of a connection in TIME-WAIT retires that connection (net/lwip/time_wait.cpp);
   an IPv4 segment of an indexed connection puts its control block first for lwIP's lookup
   (net/lwip/pcb_index.hpp). */
int coronet_ip4_input_hook(struct pbuf* p, struct netif* input);
int coronet_ip6_input_hook(struct pbuf* p, struct netif* input);

#ifdef __cplusplus
}
#endif

#define LWIP_HOOK_IP4_INPUT(p, input) coronet_ip4_input_hook((p), (input))
#define LWIP_HOOK_IP6_INPUT(p, input) coronet_ip6_input_hook((p), (input))

#endif
