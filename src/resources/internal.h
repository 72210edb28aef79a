/* Internal to src/resources: helpers its files share. Nothing outside
 * src/resources includes this; the subsystem's interface is resources.h. */
#ifndef VIGIL_RESOURCES_INTERNAL_H
#define VIGIL_RESOURCES_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../common/errbuf.h"
#include "resources.h"

/* Fill s for vip on link, with no socket yet (fd -1). */
void res_ip_sock_init(struct res_ip_sock *s, const struct res_ip_addr *vip,
                      const struct res_ip_link *link);

/* s's address alone, for messages; returns buf (RES_IP_TEXT_MAX). */
const char *res_ip_sock_text(const struct res_ip_sock *s, char *buf, size_t len);

void res_ip_sock_close(struct res_ip_sock *s);

/* ff:ff:ff:ff:ff:ff, where ARP announcements and probes go (ip_announce.c). */
extern const uint8_t res_eth_broadcast[RES_IP_ETH_ALEN];

#endif
