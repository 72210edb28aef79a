/* Telling the network that a floating address has a new holder, so that
 * neighbours and switches update their caches at once instead of when their
 * entries time out: gratuitous ARP for IPv4 (both the request and the reply
 * form, since devices differ in which one they honour) and an unsolicited
 * neighbour advertisement with the override flag for IPv6.
 *
 * Packets are built by pure functions; the announcer sends one round per
 * call and never sleeps: the caller's timer spaces the rounds. */
#include "internal.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netpacket/packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const uint8_t res_eth_broadcast[RES_IP_ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t eth_zero[RES_IP_ETH_ALEN];

int res_ip_build_arp(uint8_t *buf, size_t size, const uint8_t eth_dst[RES_IP_ETH_ALEN], uint16_t op,
                     const uint8_t sha[RES_IP_ETH_ALEN], const uint8_t spa[4],
                     const uint8_t tha[RES_IP_ETH_ALEN], const uint8_t tpa[4])
{
    uint8_t *arp = buf + ETH_HLEN;

    if (size < RES_IP_ARP_FRAME_LEN)
        return -ENOSPC;
    memcpy(buf, eth_dst, RES_IP_ETH_ALEN);
    memcpy(buf + RES_IP_ETH_ALEN, sha, RES_IP_ETH_ALEN);
    buf[12] = ETHERTYPE_ARP >> 8;
    buf[13] = ETHERTYPE_ARP & 0xff;
    arp[0] = ARPHRD_ETHER >> 8;
    arp[1] = ARPHRD_ETHER & 0xff;
    arp[2] = ETHERTYPE_IP >> 8;
    arp[3] = ETHERTYPE_IP & 0xff;
    arp[4] = RES_IP_ETH_ALEN;
    arp[5] = 4;
    arp[6] = (uint8_t)(op >> 8);
    arp[7] = (uint8_t)(op & 0xff);
    memcpy(arp + 8, sha, RES_IP_ETH_ALEN);
    memcpy(arp + 14, spa, 4);
    memcpy(arp + 18, tha, RES_IP_ETH_ALEN);
    memcpy(arp + 24, tpa, 4);
    return RES_IP_ARP_FRAME_LEN;
}

int res_ip_build_garp(uint8_t *buf, size_t size, const uint8_t mac[RES_IP_ETH_ALEN],
                      const uint8_t ip[4], bool reply)
{
    if (reply)
        return res_ip_build_arp(buf, size, res_eth_broadcast, ARPOP_REPLY, mac, ip, mac, ip);
    return res_ip_build_arp(buf, size, res_eth_broadcast, ARPOP_REQUEST, mac, ip, eth_zero, ip);
}

int res_ip_build_unsol_na(uint8_t *buf, size_t size, const uint8_t mac[RES_IP_ETH_ALEN],
                          const uint8_t ip6[16])
{
    if (size < RES_IP_NA_LEN)
        return -ENOSPC;
    memset(buf, 0, RES_IP_NA_LEN);
    buf[0] = ND_NEIGHBOR_ADVERT;
    /* bytes 2-3: checksum, filled in by the kernel on a raw ICMPv6 socket;
     * byte 4: flags R (0x80), S (0x40), O (0x20): override only */
    buf[4] = 0x20;
    memcpy(buf + 8, ip6, 16);
    buf[24] = ND_OPT_TARGET_LINKADDR;
    buf[25] = 1; /* option length in units of 8 bytes */
    memcpy(buf + 26, mac, RES_IP_ETH_ALEN);
    return RES_IP_NA_LEN;
}

static int set_int(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

/* A raw ICMPv6 socket that sends on ifindex with hop limit 255 (receivers
 * drop neighbour discovery with any other) and receives nothing. */
static int open_icmp6(int ifindex)
{
    struct icmp6_filter filter;
    int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    int rc = 0;

    if (fd < 0)
        return -errno;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) < 0)
        rc = -errno;
    if (rc == 0)
        rc = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
    if (rc == 0)
        rc = set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255);
    if (rc == 0)
        rc = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
    if (rc == 0)
        rc = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

void res_ip_sock_init(struct res_ip_sock *s, const struct res_ip_addr *vip,
                      const struct res_ip_link *link)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->family = vip->family;
    s->ifindex = link->ifindex;
    memcpy(s->ifname, link->name, sizeof(s->ifname));
    memcpy(s->mac, link->mac, sizeof(s->mac));
    memcpy(s->addr, vip->bytes, sizeof(s->addr));
}

const char *res_ip_sock_text(const struct res_ip_sock *s, char *buf, size_t len)
{
    struct res_ip_addr a = {.family = s->family};

    memcpy(a.bytes, s->addr, sizeof(a.bytes));
    return res_ip_format_host(&a, buf, len);
}

void res_ip_sock_close(struct res_ip_sock *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

int res_ip_announce_open(struct res_ip_announce *a, const struct res_ip_addr *vip,
                         const struct res_ip_link *link, char *err, size_t errlen)
{
    char text[RES_IP_TEXT_MAX];
    int fd;

    memset(a, 0, sizeof(*a));
    res_ip_sock_init(&a->s, vip, link);
    res_ip_sock_text(&a->s, text, sizeof(text));
    if (!link->ethernet)
        return errbuf_fail(err, errlen, -EOPNOTSUPP,
                           "cannot announce %s on %s: not an Ethernet interface (neighbours there "
                           "learn the address without ARP or neighbour discovery)",
                           text, link->name);
    /* protocol 0: this packet socket only sends, nothing is queued to it */
    fd = vip->family == AF_INET ? socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)
                                : open_icmp6(link->ifindex);
    if (vip->family == AF_INET && fd < 0)
        fd = -errno;
    if (fd < 0)
        return errbuf_fail(
            err, errlen, fd, "cannot open a %s socket to announce %s on %s: %s%s",
            vip->family == AF_INET ? "packet" : "raw ICMPv6", text, link->name, strerror(-fd),
            fd == -EPERM || fd == -EACCES ? " (vigild needs root or CAP_NET_RAW)" : "");
    a->s.fd = fd;
    return 0;
}

/* Both gratuitous ARP forms, request first. */
static int send_garps(const struct res_ip_sock *s)
{
    struct sockaddr_ll to = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_ARP),
        .sll_ifindex = s->ifindex,
        .sll_halen = RES_IP_ETH_ALEN,
    };
    uint8_t frame[RES_IP_ARP_FRAME_LEN];

    memcpy(to.sll_addr, res_eth_broadcast, RES_IP_ETH_ALEN);
    for (int reply = 0; reply <= 1; reply++) {
        int len = res_ip_build_garp(frame, sizeof(frame), s->mac, s->addr, reply);

        if (sendto(s->fd, frame, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
            return -errno;
    }
    return 0;
}

static int send_na(const struct res_ip_sock *s)
{
    struct sockaddr_in6 to = {
        .sin6_family = AF_INET6,
        .sin6_scope_id = (uint32_t)s->ifindex,
    };
    uint8_t msg[RES_IP_NA_LEN];
    int len = res_ip_build_unsol_na(msg, sizeof(msg), s->mac, s->addr);

    /* ff02::1, all nodes on the link */
    to.sin6_addr.s6_addr[0] = 0xff;
    to.sin6_addr.s6_addr[1] = 0x02;
    to.sin6_addr.s6_addr[15] = 0x01;
    if (sendto(s->fd, msg, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
        return -errno;
    return 0;
}

int res_ip_announce_round(struct res_ip_announce *a, char *err, size_t errlen)
{
    char text[RES_IP_TEXT_MAX];
    int rc = a->s.family == AF_INET ? send_garps(&a->s) : send_na(&a->s);

    if (rc < 0)
        return errbuf_fail(err, errlen, rc, "cannot send the %s announcing %s on %s: %s%s",
                           a->s.family == AF_INET ? "gratuitous ARP" : "neighbour advertisement",
                           res_ip_sock_text(&a->s, text, sizeof(text)), a->s.ifname, strerror(-rc),
                           rc == -ENETDOWN ? " (the interface is down)" : "");
    a->rounds++;
    return 0;
}

void res_ip_announce_close(struct res_ip_announce *a)
{
    res_ip_sock_close(&a->s);
}
