/* Resources: the things a failover group starts, monitors and stops
 * (DESIGN.md, "resource"). What groups and the daemon may use of them.
 *
 * For now this holds the built-in `ip` resource: a floating IPv4/IPv6
 * address, parsed from its [resource] keys (ip_parse.c, pure), added, removed
 * and checked with netlink (ip_netlink.c), announced with gratuitous ARP or
 * unsolicited neighbour advertisement (ip_announce.c), and probed on the
 * network before start (ip_probe.c). The `exec`, `ocf` and `systemd` kinds
 * follow in this header.
 *
 * Conventions: functions return 0 or a negative errno; those that can fail
 * for a reason an operator must see fill `err` (RES_IP_ERR_MAX is enough)
 * with one sentence naming the address and interface and what to do. Nothing
 * here sleeps: announcing and probing hand a non-blocking socket to the
 * caller's event loop, which drives repetition and deadlines with its clock. */
#ifndef VIGIL_RESOURCES_H
#define VIGIL_RESOURCES_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/clock.h"

/* ---- ip: configuration (ip_parse.c, pure) ---- */

#define RES_IP_ANNOUNCE_COUNT_DEFAULT 5 /* rounds, as Pacemaker's IPaddr2 arp_count */
#define RES_IP_ANNOUNCE_COUNT_MAX 100
#define RES_IP_ANNOUNCE_INTERVAL (200 * VG_USEC_PER_MSEC) /* between two rounds */
#define RES_IP_ERR_MAX 512                                /* room for any message here */
#define RES_IP_TEXT_MAX (INET6_ADDRSTRLEN + 4)            /* "ADDR/PREFIX" with the NUL */
#define RES_IP_MAC_TEXT_MAX 18                            /* "aa:bb:cc:dd:ee:ff" with the NUL */
#define RES_IP_ETH_ALEN 6
/* probe-timeout: how long start listens for another holder before adding
 * the address (0: no probe). It adds to every failover, so it is short: a
 * machine on the same segment answers an ARP or DAD probe within
 * milliseconds; 200 ms covers a loaded host and a busy bridge. */
#define RES_IP_PROBE_TIMEOUT_DEFAULT (50 * VG_USEC_PER_MSEC)
#define RES_IP_PROBE_TIMEOUT_MIN (10 * VG_USEC_PER_MSEC) /* but 0 */
#define RES_IP_PROBE_TIMEOUT_MAX (10 * VG_USEC_PER_SEC)
#define RES_IP_PROBE_COUNT 3 /* probes sent over the window, evenly spaced (RFC 5227: 3) */
/* An answer from another machine is waited out this long (probing again,
 * a pause between rounds) before the start fails: a holder that is letting
 * go of the address (its stop under way) answers for a moment. */
#define RES_IP_PROBE_CONFLICT_WAIT (2 * VG_USEC_PER_SEC)
#define RES_IP_PROBE_RETRY_PAUSE (100 * VG_USEC_PER_MSEC)

/* An address with its prefix length; bytes in network order (4 used for IPv4). */
struct res_ip_addr {
    int family; /* AF_INET or AF_INET6; 0: unset */
    uint8_t bytes[16];
    uint8_t prefix; /* 1..32 or 1..128 */
};

/* One `type = ip` resource section. */
struct res_ip {
    struct res_ip_addr addr;     /* `address = ADDR/PREFIX`, required */
    char interface[IF_NAMESIZE]; /* `interface =`; "": the one whose network holds addr */
    int announce_count;          /* `announce-count =`, 0..RES_IP_ANNOUNCE_COUNT_MAX */
    vg_usec_t probe_timeout;     /* `probe-timeout =` (parsed by conf); 0: no probe */
};

/* Defaults: no address yet, automatic interface, RES_IP_ANNOUNCE_COUNT_DEFAULT,
 * RES_IP_PROBE_TIMEOUT_DEFAULT. */
void res_ip_init(struct res_ip *ip);

/* "192.0.2.100/24" or "2001:db8::100/64". Refuses what cannot float: no
 * prefix, unspecified, loopback, multicast, broadcast, IPv4-mapped and
 * link-local IPv6, and an IPv4 network or broadcast address of its prefix.
 * *out is written only on success. */
int res_ip_parse_address(const char *s, struct res_ip_addr *out, char *err, size_t errlen);

/* An interface name as the kernel accepts it (1..15 bytes, no '/', ':' or blank). */
int res_ip_parse_interface(const char *s, char out[IF_NAMESIZE], char *err, size_t errlen);

/* A decimal count 0..RES_IP_ANNOUNCE_COUNT_MAX (0: never announce). */
int res_ip_parse_announce_count(const char *s, int *out, char *err, size_t errlen);

/* Apply one `key = value` of an ip resource section: address, interface or
 * announce-count. -ENOENT for another key (the caller decides whether it is
 * a common resource key or a mistake), -EINVAL for a bad value. */
int res_ip_set_key(struct res_ip *ip, const char *key, const char *value, char *err, size_t errlen);

/* Once every key is read: -EINVAL when `address` is missing. */
int res_ip_validate(const struct res_ip *ip, char *err, size_t errlen);

/* "ADDR/PREFIX" into buf (RES_IP_TEXT_MAX); returns buf. */
const char *res_ip_format(const struct res_ip_addr *a, char *buf, size_t len);

/* The address alone, without prefix; returns buf. */
const char *res_ip_format_host(const struct res_ip_addr *a, char *buf, size_t len);

/* "aa:bb:cc:dd:ee:ff"; returns buf. */
const char *res_ip_format_mac(const uint8_t mac[RES_IP_ETH_ALEN], char *buf, size_t len);

/* True when the first `prefix` bits of a and b (of `family`) are equal. */
bool res_ip_same_net(int family, const uint8_t *a, const uint8_t *b, unsigned prefix);

/* ---- ip: choosing the interface (ip_parse.c, pure) ---- */

/* One address of one interface, as the kernel lists them. */
struct res_ip_ifaddr {
    int ifindex;
    char name[IF_NAMESIZE];
    int family;
    uint8_t addr[16];
    uint8_t prefix;
    uint32_t flags; /* IFA_F_* (ip_netlink.c fills it; matching ignores it) */
};

/* The interface for vip among the host's addresses: one that already holds
 * vip itself, else the one whose network holds vip with the longest prefix.
 * *index gets the list position. -ENODEV when none does, -ENOTUNIQ when two
 * interfaces tie (the message names them: set `interface`). */
int res_ip_match_interface(const struct res_ip_addr *vip, const struct res_ip_ifaddr *list,
                           size_t n, size_t *index, char *err, size_t errlen);

/* ---- ip: the kernel's addresses and links (ip_netlink.c) ----
 * Each call is one short rtnetlink exchange with the kernel (it answers at
 * once; no network I/O), so the event loop may call them directly. */

struct res_ip_link {
    int ifindex;
    char name[IF_NAMESIZE];
    uint8_t mac[RES_IP_ETH_ALEN];
    bool ethernet; /* an Ethernet-like link (ARPHRD_ETHER): mac is valid, can announce */
    bool up;       /* administratively up and with carrier */
};

/* Every address of `family` on this host (namespace); *list is malloc'd. */
int res_ip_list_ifaddrs(int family, struct res_ip_ifaddr **list, size_t *n, char *err,
                        size_t errlen);

/* The MAC of every Ethernet-like link of this host (namespace), at most max
 * of them: what a probe must not take for another machine. */
int res_ip_list_macs(uint8_t (*macs)[RES_IP_ETH_ALEN], size_t max, size_t *n, char *err,
                     size_t errlen);

/* A link by index (name = NULL) or by name (ifindex ignored). */
int res_ip_get_link(int ifindex, const char *name, struct res_ip_link *out, char *err,
                    size_t errlen);

/* The link ip lives on: its `interface`, else res_ip_match_interface() over
 * this host's addresses. */
int res_ip_resolve(const struct res_ip *ip, struct res_ip_link *out, char *err, size_t errlen);

/* Add ip->addr to the link (IPv6 with IFA_F_NODAD: usable at once, no DAD
 * delay). Already there is success, so a repeated start is harmless. */
int res_ip_add(const struct res_ip *ip, const struct res_ip_link *link, char *err, size_t errlen);

/* Remove ip->addr from the link. Already absent is success (a repeated stop). */
int res_ip_del(const struct res_ip *ip, const struct res_ip_link *link, char *err, size_t errlen);

enum res_ip_status {
    RES_IP_ABSENT,    /* the address is not on the link */
    RES_IP_PRESENT,   /* on the link, and the link is up */
    RES_IP_LINK_DOWN, /* on the link, but the link is down or without carrier */
    RES_IP_DADFAILED, /* IPv6: the kernel found a duplicate and will not use it */
};

/* The monitor: is the address on the link and the link up? err explains
 * any status but RES_IP_PRESENT. */
int res_ip_check(const struct res_ip *ip, int ifindex, enum res_ip_status *status, char *err,
                 size_t errlen);

const char *res_ip_status_name(enum res_ip_status s);

/* ---- ip: announcing a new holder (ip_announce.c) ---- */

#define RES_IP_ARP_FRAME_LEN 42 /* Ethernet header + ARP for IPv4 over Ethernet */
#define RES_IP_NA_LEN 32        /* ICMPv6 NA with a target link-layer address option */

/* Build an Ethernet ARP frame (pure); returns its length or -ENOSPC. The
 * Ethernet source is sha; eth_dst is where the frame goes. */
int res_ip_build_arp(uint8_t *buf, size_t size, const uint8_t eth_dst[RES_IP_ETH_ALEN], uint16_t op,
                     const uint8_t sha[RES_IP_ETH_ALEN], const uint8_t spa[4],
                     const uint8_t tha[RES_IP_ETH_ALEN], const uint8_t tpa[4]);

/* Gratuitous ARP (pure), broadcast: the request form (ARPOP_REQUEST, sender
 * and target IP the address, target MAC zero, RFC 5227 announcement) or the
 * reply form (ARPOP_REPLY, target MAC = sender MAC, which Linux requires to
 * take it as gratuitous). */
int res_ip_build_garp(uint8_t *buf, size_t size, const uint8_t mac[RES_IP_ETH_ALEN],
                      const uint8_t ip[4], bool reply);

/* Unsolicited neighbour advertisement (pure): the ICMPv6 message only
 * (the kernel adds the IPv6 header and the checksum), override flag set,
 * router and solicited flags clear, target link-layer address option. */
int res_ip_build_unsol_na(uint8_t *buf, size_t size, const uint8_t mac[RES_IP_ETH_ALEN],
                          const uint8_t ip6[16]);

/* One address on one link with a non-blocking socket: what announcing and
 * probing share. Poll fd (probes only; an announcer's socket never reads). */
struct res_ip_sock {
    int fd;
    int family;
    int ifindex;
    char ifname[IF_NAMESIZE];
    uint8_t mac[RES_IP_ETH_ALEN];
    uint8_t addr[16];
};

/* An announcer: its socket and the rounds sent so far. */
struct res_ip_announce {
    struct res_ip_sock s;
    int rounds;
};

/* Open the socket (AF_PACKET for IPv4, raw ICMPv6 hop limit 255 for IPv6).
 * -EOPNOTSUPP when the link is not Ethernet-like (nothing to announce). */
int res_ip_announce_open(struct res_ip_announce *a, const struct res_ip_addr *vip,
                         const struct res_ip_link *link, char *err, size_t errlen);

/* Send one round now (IPv4: a gratuitous ARP request and reply; IPv6: one NA
 * to ff02::1) and count it. The caller repeats it announce_count times,
 * RES_IP_ANNOUNCE_INTERVAL apart, from its own timer. */
int res_ip_announce_round(struct res_ip_announce *a, char *err, size_t errlen);

void res_ip_announce_close(struct res_ip_announce *a);

/* ---- ip: is the address already in use on the network? (ip_probe.c) ---- */

#define RES_IP_NS_FRAME_LEN 78 /* Ethernet + IPv6 + ICMPv6 NS without options */
/* vigil_iptool's wait; vigild's is the resource's probe-timeout */
#define RES_IP_PROBE_WAIT_DEFAULT (500 * VG_USEC_PER_MSEC)
#define RES_IP_PROBE_OWN_MAX 32 /* this host's MACs a probe ignores */

/* ARP probe (pure, RFC 5227): broadcast request, sender IP 0.0.0.0, target
 * the address, target MAC zero. */
int res_ip_build_arp_probe(uint8_t *buf, size_t size, const uint8_t mac[RES_IP_ETH_ALEN],
                           const uint8_t ip[4]);

/* Duplicate-address neighbour solicitation (pure): a whole Ethernet frame
 * from :: to the solicited-node multicast group of ip6, hop limit 255, no
 * source link-layer option (RFC 4861 7.2.2), checksum filled in. */
int res_ip_build_ns_probe(uint8_t *buf, size_t size, const uint8_t mac[RES_IP_ETH_ALEN],
                          const uint8_t ip6[16]);

/* Does this received Ethernet frame say that another machine holds the
 * address (pure)? IPv4: an ARP request or reply whose sender IP is ip, from
 * a MAC other than mac. IPv6: a neighbour advertisement for target ip6
 * from a MAC other than mac. The other machine's MAC goes to *peer. */
bool res_ip_arp_conflict(const uint8_t *frame, size_t len, const uint8_t ip[4],
                         const uint8_t mac[RES_IP_ETH_ALEN], uint8_t peer[RES_IP_ETH_ALEN]);
bool res_ip_na_conflict(const uint8_t *frame, size_t len, const uint8_t ip6[16],
                        const uint8_t mac[RES_IP_ETH_ALEN], uint8_t peer[RES_IP_ETH_ALEN]);

enum res_ip_probe_result {
    RES_IP_PROBE_PENDING, /* no answer yet: free once the caller's deadline passes */
    RES_IP_PROBE_IN_USE,  /* another machine answered for the address */
};

/* A probe in flight. Use: res_ip_probe_start(), then poll s.fd for POLLIN and
 * call res_ip_probe_read() when readable, optionally res_ip_probe_send()
 * again from a timer; once the caller's clock passes its deadline (e.g.
 * RES_IP_PROBE_WAIT_DEFAULT) with result still PENDING, the address is free.
 * res_ip_probe_close() in every case. */
struct res_ip_probe {
    struct res_ip_sock s;
    int sent; /* probes sent so far */
    enum res_ip_probe_result result;
    uint8_t peer[RES_IP_ETH_ALEN]; /* IN_USE: who answered */
    /* this host's own MACs (the link's, and every other link's: Linux answers
     * ARP for a local address on any interface): never "another machine" */
    uint8_t own[RES_IP_PROBE_OWN_MAX][RES_IP_ETH_ALEN];
    size_t n_own;
    int own_answers; /* answers seen from one of them, ignored */
};

/* Open a non-blocking AF_PACKET socket on the link, learn this host's MACs
 * (res_ip_list_macs; when that fails, only the link's), and send the first
 * probe. */
int res_ip_probe_start(struct res_ip_probe *p, const struct res_ip_addr *vip,
                       const struct res_ip_link *link, char *err, size_t errlen);

/* Send one more probe (RFC 5227 sends a few, spaced apart). */
int res_ip_probe_send(struct res_ip_probe *p, char *err, size_t errlen);

/* Read every frame waiting on p->s.fd and update p->result; never blocks. */
int res_ip_probe_read(struct res_ip_probe *p, char *err, size_t errlen);

void res_ip_probe_close(struct res_ip_probe *p);

#endif
