/* lwIP hooks (LWIP_HOOK_FILENAME, included by lwIP's own sources). Each hook is implemented in
   net/lwip/; this header only declares them and maps lwIP's macros onto them. */
#ifndef CORONET_LWIP_HOOKS_H
#define CORONET_LWIP_HOOKS_H

#include <stdint.h>

struct pbuf;
struct netif;
struct tcp_pcb;
struct tcp_hdr;

#ifdef __cplusplus
extern "C" {
#endif

/* Every IPv4/IPv6 packet before lwIP parses it; nonzero would mean "consumed". A SYN for the
   address pair of a connection in TIME-WAIT retires that connection (net/lwip/time_wait.cpp);
   an IPv4 segment of an indexed connection puts its control block first for lwIP's lookup
   (net/lwip/pcb_index.hpp). */
int coronet_ip4_input_hook(struct pbuf* p, struct netif* input);
int coronet_ip6_input_hook(struct pbuf* p, struct netif* input);

/* Retransmission at the path's time scale (net/lwip/retransmit.hpp): every data or FIN segment
   sent arms or times its connection's timer (options are left unchanged), and every segment
   received for a connection is looked at for an acknowledgement of new data before lwIP
   processes it (0: go on). */
uint32_t* coronet_tcp_out_hook(struct pbuf* p, struct tcp_hdr* header, const struct tcp_pcb* pcb,
                               uint32_t* options);
int coronet_tcp_in_hook(struct tcp_pcb* pcb, struct tcp_hdr* header);

#ifdef __cplusplus
}
#endif

#define LWIP_HOOK_IP4_INPUT(p, input) coronet_ip4_input_hook((p), (input))
#define LWIP_HOOK_IP6_INPUT(p, input) coronet_ip6_input_hook((p), (input))
#define LWIP_HOOK_TCP_OUT_ADD_TCPOPTS(p, header, pcb, options) \
    coronet_tcp_out_hook((p), (header), (pcb), (options))
#define LWIP_HOOK_TCP_INPACKET_PCB(pcb, header, optlen, opt1len, opt2, p) \
    coronet_tcp_in_hook((pcb), (header))

#endif
