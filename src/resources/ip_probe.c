/* Before taking a floating address: does another machine already answer for
 * it? IPv4 sends an ARP probe (RFC 5227: sender IP 0.0.0.0, so that no
 * neighbour learns anything from it) and listens for any ARP from the
 * address; IPv6 sends a duplicate-address-detection neighbour solicitation
 * (from ::, to the solicited-node group) and listens for an advertisement.
 *
 * Non-blocking: the caller polls the socket, feeds it back here when it is
 * readable, and decides with its own clock when silence means "free". */
#include "internal.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/icmp6.h>
#include <netpacket/packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IP6_HLEN 40
#define IP6_OFF ETH_HLEN                /* IPv6 header in an Ethernet frame */
#define ICMP6_OFF (ETH_HLEN + IP6_HLEN) /* ICMPv6 right after it (ND has no extension headers) */
#define ND_MSG_LEN 24                   /* NS or NA without options: header + target */
#define PROBE_READ_MAX 256              /* frames read per call, so a flood cannot hold the loop */

static const uint8_t zero[16];

int res_ip_build_arp_probe(uint8_t *buf, size_t size, const uint8_t mac[RES_IP_ETH_ALEN],
                           const uint8_t ip[4])
{
    return res_ip_build_arp(buf, size, res_eth_broadcast, ARPOP_REQUEST, mac, zero, zero, ip);
}

/* The Internet checksum of the IPv6 pseudo-header (src, dst, length, next
 * header 58) followed by the ICMPv6 message. */
static uint16_t icmp6_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
                               size_t len)
{
    uint32_t sum = 0;

    for (size_t i = 0; i < 16; i += 2)
        sum += (uint32_t)(src[i] << 8 | src[i + 1]) + (uint32_t)(dst[i] << 8 | dst[i + 1]);
    sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + IPPROTO_ICMPV6;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(msg[i] << 8 | msg[i + 1]);
    if (len & 1)
        sum += (uint32_t)msg[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

int res_ip_build_ns_probe(uint8_t *buf, size_t size, const uint8_t mac[RES_IP_ETH_ALEN],
                          const uint8_t ip6[16])
{
    uint8_t *ip = buf + IP6_OFF, *icmp = buf + ICMP6_OFF;
    uint16_t sum;

    if (size < RES_IP_NS_FRAME_LEN)
        return -ENOSPC;
    memset(buf, 0, RES_IP_NS_FRAME_LEN);
    /* Ethernet: to 33:33 + the low 32 bits of ff02::1:ffXX:XXXX */
    buf[0] = 0x33;
    buf[1] = 0x33;
    buf[2] = 0xff;
    memcpy(buf + 3, ip6 + 13, 3);
    memcpy(buf + RES_IP_ETH_ALEN, mac, RES_IP_ETH_ALEN);
    buf[12] = ETHERTYPE_IPV6 >> 8;
    buf[13] = ETHERTYPE_IPV6 & 0xff;
    /* IPv6: version 6, payload length, next header ICMPv6, hop limit 255,
     * source :: (left zero), destination the solicited-node group */
    ip[0] = 0x60;
    ip[5] = ND_MSG_LEN;
    ip[6] = IPPROTO_ICMPV6;
    ip[7] = 255;
    ip[24] = 0xff;
    ip[25] = 0x02;
    ip[35] = 0x01;
    ip[36] = 0xff;
    memcpy(ip + 37, ip6 + 13, 3);
    /* ICMPv6 neighbour solicitation for the address, no options */
    icmp[0] = ND_NEIGHBOR_SOLICIT;
    memcpy(icmp + 8, ip6, 16);
    sum = icmp6_checksum(ip + 8, ip + 24, icmp, ND_MSG_LEN);
    icmp[2] = (uint8_t)(sum >> 8);
    icmp[3] = (uint8_t)(sum & 0xff);
    return RES_IP_NS_FRAME_LEN;
}

bool res_ip_arp_conflict(const uint8_t *frame, size_t len, const uint8_t ip[4],
                         const uint8_t mac[RES_IP_ETH_ALEN], uint8_t peer[RES_IP_ETH_ALEN])
{
    const uint8_t *arp = frame + ETH_HLEN;
    unsigned op;

    if (len < RES_IP_ARP_FRAME_LEN || frame[12] != ETHERTYPE_ARP >> 8 ||
        frame[13] != (ETHERTYPE_ARP & 0xff))
        return false;
    op = (unsigned)arp[6] << 8 | arp[7];
    if (arp[0] != 0 || arp[1] != ARPHRD_ETHER || arp[2] != ETHERTYPE_IP >> 8 || arp[3] != 0 ||
        arp[4] != RES_IP_ETH_ALEN || arp[5] != 4 || (op != ARPOP_REQUEST && op != ARPOP_REPLY))
        return false;
    if (memcmp(arp + 14, ip, 4) != 0 || memcmp(arp + 8, mac, RES_IP_ETH_ALEN) == 0)
        return false;
    memcpy(peer, arp + 8, RES_IP_ETH_ALEN);
    return true;
}

/* The MAC an advertisement speaks for: its target link-layer address option
 * when present (bounded by the frame and the IPv6 payload), else the
 * Ethernet source. */
static const uint8_t *na_lladdr(const uint8_t *frame, size_t end)
{
    size_t off = ICMP6_OFF + ND_MSG_LEN;

    while (off + 2 <= end && frame[off + 1] != 0) {
        size_t optlen = (size_t)frame[off + 1] * 8;

        if (off + optlen > end)
            break;
        if (frame[off] == ND_OPT_TARGET_LINKADDR && optlen >= 2 + RES_IP_ETH_ALEN)
            return frame + off + 2;
        off += optlen;
    }
    return frame + RES_IP_ETH_ALEN;
}

bool res_ip_na_conflict(const uint8_t *frame, size_t len, const uint8_t ip6[16],
                        const uint8_t mac[RES_IP_ETH_ALEN], uint8_t peer[RES_IP_ETH_ALEN])
{
    const uint8_t *ip = frame + IP6_OFF, *icmp = frame + ICMP6_OFF, *who;
    size_t plen, end;

    if (len < ICMP6_OFF + ND_MSG_LEN || frame[12] != ETHERTYPE_IPV6 >> 8 ||
        frame[13] != (ETHERTYPE_IPV6 & 0xff))
        return false;
    plen = (size_t)ip[4] << 8 | ip[5];
    end = ICMP6_OFF + plen;
    if ((ip[0] >> 4) != 6 || ip[6] != IPPROTO_ICMPV6 || ip[7] != 255 || plen < ND_MSG_LEN ||
        end > len)
        return false;
    if (icmp[0] != ND_NEIGHBOR_ADVERT || icmp[1] != 0 || memcmp(icmp + 8, ip6, 16) != 0)
        return false;
    who = na_lladdr(frame, end);
    if (memcmp(who, mac, RES_IP_ETH_ALEN) == 0 ||
        memcmp(frame + RES_IP_ETH_ALEN, mac, RES_IP_ETH_ALEN) == 0)
        return false;
    memcpy(peer, who, RES_IP_ETH_ALEN);
    return true;
}

/* Let only ICMPv6 neighbour advertisements through to an IPv6 probe socket,
 * so that a busy link does not wake the loop for every packet. */
static int attach_na_filter(int fd)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, IP6_OFF + 6),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, 3),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ICMP6_OFF),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ND_NEIGHBOR_ADVERT, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffff),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

int res_ip_probe_start(struct res_ip_probe *p, const struct res_ip_addr *vip,
                       const struct res_ip_link *link, char *err, size_t errlen)
{
    uint16_t proto = vip->family == AF_INET ? ETH_P_ARP : ETH_P_IPV6;
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(proto),
        .sll_ifindex = link->ifindex,
    };
    char text[RES_IP_TEXT_MAX];
    int fd, rc = 0;

    memset(p, 0, sizeof(*p));
    res_ip_sock_init(&p->s, vip, link);
    res_ip_sock_text(&p->s, text, sizeof(text));
    if (!link->ethernet)
        return errbuf_fail(err, errlen, -EOPNOTSUPP,
                           "cannot probe for %s on %s: not an Ethernet interface", text,
                           link->name);
    fd = p->s.fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(proto));
    if (fd < 0)
        rc = -errno;
    if (rc == 0 && vip->family == AF_INET6)
        rc = attach_na_filter(fd);
    if (rc == 0 && bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
        rc = -errno;
    if (rc < 0) {
        res_ip_probe_close(p);
        return errbuf_fail(
            err, errlen, rc, "cannot open a packet socket to probe for %s on %s: %s%s", text,
            link->name, strerror(-rc), rc == -EPERM ? " (vigild needs root or CAP_NET_RAW)" : "");
    }
    if (res_ip_list_macs(p->own, RES_IP_PROBE_OWN_MAX, &p->n_own, err, errlen) < 0 ||
        p->n_own == 0) {
        /* the link's own MAC is filtered anyway (res_ip_arp_conflict) */
        p->n_own = 0;
        err[0] = '\0';
    }
    rc = res_ip_probe_send(p, err, errlen);
    if (rc < 0)
        res_ip_probe_close(p);
    return rc;
}

int res_ip_probe_send(struct res_ip_probe *p, char *err, size_t errlen)
{
    const struct res_ip_sock *s = &p->s;
    struct sockaddr_ll to = {
        .sll_family = AF_PACKET,
        .sll_ifindex = s->ifindex,
        .sll_halen = RES_IP_ETH_ALEN,
    };
    uint8_t frame[RES_IP_NS_FRAME_LEN > RES_IP_ARP_FRAME_LEN ? RES_IP_NS_FRAME_LEN
                                                             : RES_IP_ARP_FRAME_LEN];
    char text[RES_IP_TEXT_MAX];
    int len, rc;

    if (s->family == AF_INET) {
        to.sll_protocol = htons(ETH_P_ARP);
        len = res_ip_build_arp_probe(frame, sizeof(frame), s->mac, s->addr);
    } else {
        to.sll_protocol = htons(ETH_P_IPV6);
        len = res_ip_build_ns_probe(frame, sizeof(frame), s->mac, s->addr);
    }
    memcpy(to.sll_addr, frame, RES_IP_ETH_ALEN); /* the frame's own destination */
    if (sendto(s->fd, frame, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
        rc = -errno;
        return errbuf_fail(err, errlen, rc, "cannot send the %s for %s on %s: %s%s",
                           s->family == AF_INET ? "ARP probe" : "neighbour solicitation",
                           res_ip_sock_text(s, text, sizeof(text)), s->ifname, strerror(-rc),
                           rc == -ENETDOWN ? " (the interface is down)" : "");
    }
    p->sent++;
    return 0;
}

/* Is mac one of this host's (the answer of our own kernel on another link)? */
static bool is_own(const struct res_ip_probe *p, const uint8_t mac[RES_IP_ETH_ALEN])
{
    for (size_t i = 0; i < p->n_own && i < RES_IP_PROBE_OWN_MAX; i++)
        if (memcmp(p->own[i], mac, RES_IP_ETH_ALEN) == 0)
            return true;
    return false;
}

int res_ip_probe_read(struct res_ip_probe *p, char *err, size_t errlen)
{
    const struct res_ip_sock *s = &p->s;
    uint8_t frame[2048];
    char text[RES_IP_TEXT_MAX];

    for (int i = 0; i < PROBE_READ_MAX; i++) {
        uint8_t peer[RES_IP_ETH_ALEN];
        struct sockaddr_ll from;
        socklen_t fromlen = sizeof(from);
        ssize_t n = recvfrom(s->fd, frame, sizeof(frame), 0, (struct sockaddr *)&from, &fromlen);
        bool hit;
        int rc;

        if (n < 0) {
            rc = -errno;
            if (rc == -EAGAIN || rc == -EWOULDBLOCK)
                return 0;
            if (rc == -EINTR)
                continue;
            return errbuf_fail(err, errlen, rc,
                               "cannot read the answers to the probe for %s on %s: %s",
                               res_ip_sock_text(s, text, sizeof(text)), s->ifname, strerror(-rc));
        }
        /* frames queued before bind() may come from another link; skip our own */
        if (from.sll_ifindex != s->ifindex || from.sll_pkttype == PACKET_OUTGOING)
            continue;
        if (s->family == AF_INET)
            hit = res_ip_arp_conflict(frame, (size_t)n, s->addr, s->mac, peer);
        else
            hit = res_ip_na_conflict(frame, (size_t)n, s->addr, s->mac, peer);
        if (hit && is_own(p, peer)) {
            p->own_answers++;
        } else if (hit && p->result != RES_IP_PROBE_IN_USE) {
            memcpy(p->peer, peer, RES_IP_ETH_ALEN);
            p->result = RES_IP_PROBE_IN_USE;
        }
    }
    return 0;
}

void res_ip_probe_close(struct res_ip_probe *p)
{
    res_ip_sock_close(&p->s);
}
