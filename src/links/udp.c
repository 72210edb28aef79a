#include "links.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"

/* Ask the network to carry heartbeats ahead of bulk traffic. Failures are
 * harmless (the datagrams still flow), so they are only logged. */
static void set_priority(struct udp_link *l)
{
    int tos = IPTOS_CLASS_CS6;
    int prio = 6;

    if (l->family == AF_INET) {
        if (setsockopt(l->fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) < 0)
            log_debug("link %s: cannot set IP_TOS: %s", l->name, strerror(errno));
    } else if (setsockopt(l->fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos)) < 0) {
        log_debug("link %s: cannot set IPV6_TCLASS: %s", l->name, strerror(errno));
    }
    if (setsockopt(l->fd, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)) < 0)
        log_debug("link %s: cannot set SO_PRIORITY: %s", l->name, strerror(errno));
}

int udp_link_open(struct udp_link *l, const char *name, const struct sockaddr_storage *local,
                  socklen_t local_len)
{
    int one = 1;

    memset(l, 0, sizeof(*l));
    snprintf(l->name, sizeof(l->name), "%s", name);
    l->family = local->ss_family;
    l->fd = socket(l->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (l->fd < 0) {
        int err = errno;
        log_err("link %s: cannot create a UDP socket: %s", name, strerror(err));
        return -err;
    }
    if (l->family == AF_INET6) {
        setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (setsockopt(l->fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) < 0)
            log_warn("link %s: IPV6_FREEBIND not available: %s", name, strerror(errno));
    } else if (setsockopt(l->fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0) {
        log_warn("link %s: IP_FREEBIND not available: %s", name, strerror(errno));
    }
    set_priority(l);
    if (bind(l->fd, (const struct sockaddr *)local, local_len) < 0) {
        int err = errno;
        log_err("link %s: cannot bind to this node's address on the link: %s; check the "
                "address in the [node] section and that no other program uses the port",
                name, strerror(err));
        close(l->fd);
        l->fd = -1;
        return -err;
    }
    return 0;
}

int udp_link_send(struct udp_link *l, const void *buf, size_t len,
                  const struct sockaddr_storage *to, socklen_t to_len)
{
    if (l->fd < 0)
        return -EBADF;
    ssize_t n =
        sendto(l->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)to, to_len);
    if (n < 0)
        return -errno;
    return 0;
}

ssize_t udp_link_recv(struct udp_link *l, void *buf, size_t cap)
{
    ssize_t n = recv(l->fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0)
        return -errno;
    return n;
}

void udp_link_close(struct udp_link *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
}
