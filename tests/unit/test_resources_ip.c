/* Unit tests of the `ip` resource's pure parts (src/resources/ip_*.c): its
 * keys, the choice of interface over a list of (ifindex, name, family,
 * address, prefix) tuples, and the ARP / neighbour discovery packets it
 * sends and reads, checked byte by byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/resources/resources.h"

static const uint8_t mac_a[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x0a};
static const uint8_t mac_b[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x0b};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero[16];

static struct res_ip_addr addr_of(const char *s)
{
    struct res_ip_addr a;
    char err[RES_IP_ERR_MAX];

    assert_int_equal(res_ip_parse_address(s, &a, err, sizeof(err)), 0);
    return a;
}

/* ---- address = ADDR/PREFIX ---- */

static void test_address_good(void **state)
{
    struct res_ip_addr a = addr_of("192.0.2.100/24");
    char text[RES_IP_TEXT_MAX];
    const uint8_t v4[4] = {192, 0, 2, 100};
    const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 5, [15] = 0x64};

    assert_int_equal(a.family, AF_INET);
    assert_int_equal(a.prefix, 24);
    assert_memory_equal(a.bytes, v4, 4);
    assert_string_equal(res_ip_format(&a, text, sizeof(text)), "192.0.2.100/24");

    a = addr_of("2001:DB8:5::64/64");
    assert_int_equal(a.family, AF_INET6);
    assert_int_equal(a.prefix, 64);
    assert_memory_equal(a.bytes, v6, 16);
    assert_string_equal(res_ip_format(&a, text, sizeof(text)), "2001:db8:5::64/64");
    assert_string_equal(res_ip_format_host(&a, text, sizeof(text)), "2001:db8:5::64");

    /* host routes and point-to-point prefixes have no network/broadcast address */
    assert_int_equal(addr_of("192.0.2.0/31").prefix, 31);
    assert_int_equal(addr_of("192.0.2.255/32").prefix, 32);
    assert_int_equal(addr_of("2001:db8::1/128").prefix, 128);
    assert_int_equal(addr_of("fd00::1/8").family, AF_INET6);
}

static void expect_bad_address(const char *s, const char *why)
{
    struct res_ip_addr a = {.family = 99};
    char err[RES_IP_ERR_MAX] = "";

    assert_int_equal(res_ip_parse_address(s, &a, err, sizeof(err)), -EINVAL);
    assert_int_equal(a.family, 99); /* untouched */
    if (!strstr(err, why) || !strstr(err, s))
        fail_msg("'%s': message '%s' lacks '%s' or the value", s, err, why);
}

static void test_address_bad(void **state)
{
    expect_bad_address("192.0.2.100", "no prefix length");
    expect_bad_address("2001:db8::1", "e.g. 192.0.2.100/24");
    expect_bad_address("/24", "expected ADDRESS/PREFIX");
    expect_bad_address("", "no prefix length");
    expect_bad_address("web.example/24", "is not an IP address");
    expect_bad_address("192.0.2.300/24", "is not an IP address");
    expect_bad_address("192.0.2.1/0", "1 to 32");
    expect_bad_address("192.0.2.1/33", "1 to 32");
    expect_bad_address("2001:db8::1/129", "1 to 128");
    expect_bad_address("192.0.2.1/", "1 to 32");
    expect_bad_address("192.0.2.1/24x", "1 to 32");
    expect_bad_address("192.0.2.1/+24", "1 to 32");
    expect_bad_address("192.0.2.1/-1", "1 to 32");
    expect_bad_address("192.0.2.1/ 24", "1 to 32");
    expect_bad_address("192.0.2.1/99999999999999999999", "1 to 32");
    expect_bad_address("192.0.2.1/24/24", "1 to 32");
    expect_bad_address("0.0.0.0/24", "unspecified");
    expect_bad_address("127.0.0.2/8", "loopback");
    expect_bad_address("224.0.0.5/24", "multicast");
    expect_bad_address("240.0.0.1/24", "reserved");
    expect_bad_address("255.255.255.255/32", "broadcast address cannot");
    expect_bad_address("192.0.2.0/24", "network address of its prefix");
    expect_bad_address("192.0.2.255/24", "broadcast address of its prefix");
    expect_bad_address("192.0.2.127/25", "broadcast address of its prefix");
    expect_bad_address("::/64", "unspecified");
    expect_bad_address("::1/128", "loopback");
    expect_bad_address("ff02::1/64", "multicast");
    expect_bad_address("fe80::1/64", "link-local");
    expect_bad_address("::ffff:192.0.2.1/96", "IPv4-mapped");
}

/* ---- interface, announce-count, the section as a whole ---- */

static void test_interface(void **state)
{
    char name[IF_NAMESIZE], err[RES_IP_ERR_MAX];

    assert_int_equal(res_ip_parse_interface("eth0", name, err, sizeof(err)), 0);
    assert_string_equal(name, "eth0");
    assert_int_equal(res_ip_parse_interface("enp0s31f6.100", name, err, sizeof(err)), 0);
    assert_int_equal(res_ip_parse_interface("abcdefghijklmno", name, err, sizeof(err)), 0);
    assert_int_equal(res_ip_parse_interface("abcdefghijklmnop", name, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "1 to 15 characters"));
    assert_int_equal(res_ip_parse_interface("", name, err, sizeof(err)), -EINVAL);
    assert_int_equal(res_ip_parse_interface("eth0:1", name, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "'eth0:1'"));
    assert_int_equal(res_ip_parse_interface("a/b", name, err, sizeof(err)), -EINVAL);
    assert_int_equal(res_ip_parse_interface("eth 0", name, err, sizeof(err)), -EINVAL);
    assert_int_equal(res_ip_parse_interface("..", name, err, sizeof(err)), -EINVAL);
}

static void test_announce_count(void **state)
{
    char err[RES_IP_ERR_MAX];
    int n = -1;

    assert_int_equal(res_ip_parse_announce_count("0", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    assert_int_equal(res_ip_parse_announce_count("100", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 100);
    assert_int_equal(res_ip_parse_announce_count("101", &n, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "0 (never announce) to 100"));
    assert_int_equal(res_ip_parse_announce_count("-1", &n, err, sizeof(err)), -EINVAL);
    assert_int_equal(res_ip_parse_announce_count("", &n, err, sizeof(err)), -EINVAL);
    assert_int_equal(res_ip_parse_announce_count(" 3", &n, err, sizeof(err)), -EINVAL);
    assert_int_equal(res_ip_parse_announce_count("3x", &n, err, sizeof(err)), -EINVAL);
    assert_int_equal(res_ip_parse_announce_count("99999999999999999999", &n, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(n, 100); /* untouched by failures */
}

static void test_section_keys(void **state)
{
    struct res_ip ip;
    char err[RES_IP_ERR_MAX];

    res_ip_init(&ip);
    assert_int_equal(ip.announce_count, RES_IP_ANNOUNCE_COUNT_DEFAULT);
    assert_string_equal(ip.interface, "");
    assert_int_equal(res_ip_validate(&ip, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "address = ADDRESS/PREFIX"));

    assert_int_equal(res_ip_set_key(&ip, "address", "2001:db8:5::100/64", err, sizeof(err)), 0);
    assert_int_equal(res_ip_validate(&ip, err, sizeof(err)), 0);
    assert_string_equal(ip.interface, ""); /* optional: chosen on each node */
    assert_int_equal(res_ip_set_key(&ip, "interface", "lan0", err, sizeof(err)), 0);
    assert_int_equal(res_ip_set_key(&ip, "announce-count", "3", err, sizeof(err)), 0);
    assert_int_equal(ip.addr.family, AF_INET6);
    assert_string_equal(ip.interface, "lan0");
    assert_int_equal(ip.announce_count, 3);

    assert_int_equal(res_ip_set_key(&ip, "adress", "192.0.2.1/24", err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "'adress'"));
    assert_non_null(strstr(err, "address, interface, announce-count"));
    assert_int_equal(res_ip_set_key(&ip, "announce-count", "many", err, sizeof(err)), -EINVAL);
}

static void test_same_net(void **state)
{
    struct res_ip_addr a = addr_of("192.0.2.100/24"), b = addr_of("192.0.2.200/25");
    struct res_ip_addr c = addr_of("2001:db8:5::1/64"), d = addr_of("2001:db8:5:0:8000::1/64");

    assert_true(res_ip_same_net(AF_INET, a.bytes, b.bytes, 24));
    assert_true(res_ip_same_net(AF_INET, a.bytes, b.bytes, 0));
    assert_false(res_ip_same_net(AF_INET, a.bytes, b.bytes, 25));
    assert_false(res_ip_same_net(AF_INET, a.bytes, b.bytes, 32));
    assert_true(res_ip_same_net(AF_INET, a.bytes, a.bytes, 32));
    assert_true(res_ip_same_net(AF_INET6, c.bytes, d.bytes, 64));
    assert_false(res_ip_same_net(AF_INET6, c.bytes, d.bytes, 65));
    assert_true(res_ip_same_net(AF_INET6, c.bytes, c.bytes, 128));
}

/* ---- choosing the interface ---- */

/* One row of the host's address table. Built with inet_pton, not the
 * resource parser: a host may well have addresses that could not float. */
static struct res_ip_ifaddr ifa(int ifindex, const char *name, const char *addr)
{
    struct res_ip_ifaddr e = {.ifindex = ifindex};
    const char *slash = strchr(addr, '/');
    char host[64];

    snprintf(host, sizeof(host), "%.*s", (int)(slash - addr), addr);
    snprintf(e.name, sizeof(e.name), "%s", name);
    e.family = strchr(host, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(e.family, host, e.addr), 1);
    e.prefix = (uint8_t)atoi(slash + 1);
    return e;
}

static const char *match(const char *vip, const struct res_ip_ifaddr *list, size_t n, int *rc,
                         char *err, size_t errlen)
{
    struct res_ip_addr a = addr_of(vip);
    size_t i = 99;

    *rc = res_ip_match_interface(&a, list, n, &i, err, errlen);
    return *rc == 0 ? list[i].name : NULL;
}

static void test_match_interface(void **state)
{
    const struct res_ip_ifaddr host[] = {
        ifa(1, "lo", "127.0.0.1/8"),      ifa(1, "lo", "::1/128"),
        ifa(2, "lan0", "192.0.2.1/25"),   ifa(2, "lan0", "2001:db8:5::1/64"),
        ifa(2, "lan0", "fe80::1/64"),     ifa(3, "svc0", "192.0.2.129/26"),
        ifa(3, "svc0", "192.0.2.130/26"), /* a second address, same link: no tie */
        ifa(4, "wide0", "192.0.2.1/24"),  ifa(5, "v6only", "2001:db8:5:0:1::1/80"),
    };
    size_t n = sizeof(host) / sizeof(host[0]);
    char err[RES_IP_ERR_MAX];
    int rc;

    /* the longest prefix that holds the address, like a route lookup */
    assert_string_equal(match("192.0.2.100/24", host, n, &rc, err, sizeof(err)), "lan0");
    assert_string_equal(match("192.0.2.190/26", host, n, &rc, err, sizeof(err)), "svc0");
    assert_string_equal(match("192.0.2.220/24", host, n, &rc, err, sizeof(err)), "wide0");
    /* families never mix, and link-local networks do not hold global addresses */
    assert_string_equal(match("2001:db8:5::100/64", host, n, &rc, err, sizeof(err)), "lan0");
    assert_string_equal(match("2001:db8:5:0:1::9/64", host, n, &rc, err, sizeof(err)), "v6only");
    assert_string_equal(match("192.0.2.130/26", host, n, &rc, err, sizeof(err)), "svc0");

    assert_null(match("198.51.100.7/24", host, n, &rc, err, sizeof(err)));
    assert_int_equal(rc, -ENODEV);
    assert_non_null(strstr(err, "198.51.100.7/24"));
    assert_non_null(strstr(err, "no interface has an IPv4 network"));
    assert_non_null(strstr(err, "set 'interface'"));
    assert_null(match("2001:db8:6::1/64", host, n, &rc, err, sizeof(err)));
    assert_int_equal(rc, -ENODEV);
    assert_null(match("192.0.2.100/24", host, 0, &rc, err, sizeof(err)));
    assert_int_equal(rc, -ENODEV);
}

static void test_match_interface_tie(void **state)
{
    const struct res_ip_ifaddr host[] = {
        ifa(2, "eth0", "192.0.2.1/24"),
        ifa(3, "eth1", "192.0.2.2/24"),
        ifa(4, "eth2", "192.0.2.3/25"),
    };
    const struct res_ip_ifaddr held[] = {
        ifa(2, "eth0", "192.0.2.1/25"),
        ifa(3, "eth1", "192.0.2.100/24"),
    };
    const struct res_ip_ifaddr twice[] = {
        ifa(2, "eth0", "192.0.2.100/25"),
        ifa(3, "eth1", "192.0.2.100/24"),
    };
    char err[RES_IP_ERR_MAX];
    int rc;

    /* a longer prefix settles it */
    assert_string_equal(match("192.0.2.100/24", host, 3, &rc, err, sizeof(err)), "eth2");
    /* two links with the same network: refuse to guess */
    assert_null(match("192.0.2.200/24", host, 3, &rc, err, sizeof(err)));
    assert_int_equal(rc, -ENOTUNIQ);
    assert_non_null(strstr(err, "eth0"));
    assert_non_null(strstr(err, "eth1"));
    assert_non_null(strstr(err, "set 'interface'"));
    /* an interface that already holds the address wins over a longer prefix */
    assert_string_equal(match("192.0.2.100/24", held, 2, &rc, err, sizeof(err)), "eth1");
    /* the same address on two links is as ambiguous as the same network */
    assert_null(match("192.0.2.100/24", twice, 2, &rc, err, sizeof(err)));
    assert_int_equal(rc, -ENOTUNIQ);
}

/* ---- packets ---- */

static void check_arp(const uint8_t *f, const uint8_t *eth_dst, unsigned op, const uint8_t *sha,
                      const uint8_t *spa, const uint8_t *tha, const uint8_t *tpa)
{
    assert_memory_equal(f, eth_dst, 6);
    assert_memory_equal(f + 6, sha, 6); /* Ethernet source */
    assert_int_equal(f[12] << 8 | f[13], 0x0806);
    assert_int_equal(f[14] << 8 | f[15], 1);      /* hardware: Ethernet */
    assert_int_equal(f[16] << 8 | f[17], 0x0800); /* protocol: IPv4 */
    assert_int_equal(f[18], 6);
    assert_int_equal(f[19], 4);
    assert_int_equal(f[20] << 8 | f[21], op);
    assert_memory_equal(f + 22, sha, 6);
    assert_memory_equal(f + 28, spa, 4);
    assert_memory_equal(f + 32, tha, 6);
    assert_memory_equal(f + 38, tpa, 4);
}

static void test_garp(void **state)
{
    const uint8_t ip[4] = {192, 0, 2, 100};
    uint8_t f[64];

    memset(f, 0xee, sizeof(f));
    assert_int_equal(res_ip_build_garp(f, sizeof(f), mac_a, ip, false), 42);
    check_arp(f, bcast, 1, mac_a, ip, zero, ip); /* request, RFC 5227 announcement */
    assert_int_equal(f[42], 0xee);               /* nothing written past the frame */

    assert_int_equal(res_ip_build_garp(f, sizeof(f), mac_a, ip, true), 42);
    check_arp(f, bcast, 2, mac_a, ip, mac_a, ip); /* reply: target MAC = sender MAC */

    assert_int_equal(res_ip_build_garp(f, 41, mac_a, ip, false), -ENOSPC);
}

static void test_arp_probe(void **state)
{
    const uint8_t ip[4] = {192, 0, 2, 100};
    uint8_t f[RES_IP_ARP_FRAME_LEN];

    assert_int_equal(res_ip_build_arp_probe(f, sizeof(f), mac_a, ip), 42);
    check_arp(f, bcast, 1, mac_a, zero, zero, ip); /* sender IP 0.0.0.0 */
    assert_int_equal(res_ip_build_arp_probe(f, sizeof(f) - 1, mac_a, ip), -ENOSPC);
}

static void test_unsol_na(void **state)
{
    struct res_ip_addr a = addr_of("2001:db8:5::100/64");
    uint8_t m[40];

    assert_int_equal(res_ip_build_unsol_na(m, sizeof(m), mac_a, a.bytes), 32);
    assert_int_equal(m[0], 136); /* neighbour advertisement */
    assert_int_equal(m[1], 0);
    assert_int_equal(m[2] | m[3], 0); /* checksum: the kernel's job */
    assert_int_equal(m[4], 0x20);     /* override; not router, not solicited */
    assert_int_equal(m[5] | m[6] | m[7], 0);
    assert_memory_equal(m + 8, a.bytes, 16);
    assert_int_equal(m[24], 2); /* target link-layer address option */
    assert_int_equal(m[25], 1); /* 8 bytes */
    assert_memory_equal(m + 26, mac_a, 6);
    assert_int_equal(res_ip_build_unsol_na(m, 31, mac_a, a.bytes), -ENOSPC);
}

/* Fold the one's complement sum of the pseudo-header and message: a correct
 * checksum makes it 0xffff. Written apart from ip_probe.c on purpose. */
static unsigned icmp6_sum_ok(const uint8_t *ip6hdr, const uint8_t *msg, unsigned len)
{
    unsigned long sum = 58 + len;

    for (int i = 8; i < 40; i += 2)
        sum += (unsigned)ip6hdr[i] << 8 | ip6hdr[i + 1];
    for (unsigned i = 0; i < len; i += 2)
        sum += (unsigned)msg[i] << 8 | (i + 1 < len ? msg[i + 1] : 0);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (unsigned)sum;
}

static void test_ns_probe(void **state)
{
    struct res_ip_addr a = addr_of("2001:db8:5::1:2:3/64");
    const uint8_t eth_dst[6] = {0x33, 0x33, 0xff, 0x02, 0x00, 0x03};
    const uint8_t group[16] = {0xff, 0x02, [11] = 1, 0xff, 0x02, 0x00, 0x03};
    uint8_t f[100];
    const uint8_t *ip = f + 14, *icmp = f + 54;

    assert_int_equal(res_ip_build_ns_probe(f, sizeof(f), mac_a, a.bytes), 78);
    assert_memory_equal(f, eth_dst, 6);
    assert_memory_equal(f + 6, mac_a, 6);
    assert_int_equal(f[12] << 8 | f[13], 0x86dd);
    assert_int_equal(ip[0], 0x60);
    assert_int_equal(ip[1] | ip[2] | ip[3], 0);
    assert_int_equal(ip[4] << 8 | ip[5], 24); /* payload: NS without options */
    assert_int_equal(ip[6], 58);
    assert_int_equal(ip[7], 255);
    assert_memory_equal(ip + 8, zero, 16); /* from :: */
    assert_memory_equal(ip + 24, group, 16);
    assert_int_equal(icmp[0], 135);
    assert_int_equal(icmp[1], 0);
    assert_int_equal(icmp[4] | icmp[5] | icmp[6] | icmp[7], 0);
    assert_memory_equal(icmp + 8, a.bytes, 16);
    assert_int_not_equal(icmp[2] | icmp[3], 0);
    assert_int_equal(icmp6_sum_ok(ip, icmp, 24), 0xffff);
    assert_int_equal(res_ip_build_ns_probe(f, 77, mac_a, a.bytes), -ENOSPC);
}

static void test_arp_conflict(void **state)
{
    const uint8_t ip[4] = {192, 0, 2, 100}, other[4] = {192, 0, 2, 101};
    uint8_t f[64], peer[6] = {0};

    /* the holder's answer to a probe: a reply to us, sender IP the address */
    res_ip_build_arp(f, sizeof(f), mac_a, 2, mac_b, ip, mac_a, zero);
    assert_true(res_ip_arp_conflict(f, 42, ip, mac_a, peer));
    assert_memory_equal(peer, mac_b, 6);
    assert_true(res_ip_arp_conflict(f, 60, ip, mac_a, peer));  /* padded frame */
    assert_false(res_ip_arp_conflict(f, 41, ip, mac_a, peer)); /* truncated */
    assert_false(res_ip_arp_conflict(f, 42, other, mac_a, peer));
    /* someone else announcing it, in either form */
    res_ip_build_garp(f, sizeof(f), mac_b, ip, false);
    assert_true(res_ip_arp_conflict(f, 42, ip, mac_a, peer));
    /* our own announcement or probe is no conflict */
    res_ip_build_garp(f, sizeof(f), mac_a, ip, true);
    assert_false(res_ip_arp_conflict(f, 42, ip, mac_a, peer));
    res_ip_build_arp_probe(f, sizeof(f), mac_b, ip); /* another prober: sender 0.0.0.0 */
    assert_false(res_ip_arp_conflict(f, 42, ip, mac_a, peer));
    /* malformed: other ethertype, hardware type, opcode */
    res_ip_build_arp(f, sizeof(f), mac_a, 2, mac_b, ip, mac_a, zero);
    f[12] = 0x86;
    assert_false(res_ip_arp_conflict(f, 42, ip, mac_a, peer));
    res_ip_build_arp(f, sizeof(f), mac_a, 2, mac_b, ip, mac_a, zero);
    f[15] = 6;
    assert_false(res_ip_arp_conflict(f, 42, ip, mac_a, peer));
    res_ip_build_arp(f, sizeof(f), mac_a, 3, mac_b, ip, mac_a, zero);
    assert_false(res_ip_arp_conflict(f, 42, ip, mac_a, peer));
}

/* An NA frame as the holder sends it to ff02::1 after a DAD probe. */
static size_t na_frame(uint8_t *f, const uint8_t *src_mac, const uint8_t *target, bool option)
{
    size_t mlen = option ? 32 : 24;

    memset(f, 0, 128);
    f[0] = 0x33, f[1] = 0x33, f[5] = 1;
    memcpy(f + 6, src_mac, 6);
    f[12] = 0x86, f[13] = 0xdd;
    f[14] = 0x60;
    f[19] = (uint8_t)mlen;
    f[20] = 58;
    f[21] = 255;
    f[22] = 0xfe, f[23] = 0x80, f[37] = 9;
    f[38] = 0xff, f[39] = 0x02, f[53] = 1;
    res_ip_build_unsol_na(f + 54, 32, src_mac, target);
    return 54 + mlen;
}

static void test_na_conflict(void **state)
{
    struct res_ip_addr a = addr_of("2001:db8:5::100/64"), b = addr_of("2001:db8:5::101/64");
    uint8_t f[128], peer[6] = {0};
    size_t n = na_frame(f, mac_b, a.bytes, true);

    assert_true(res_ip_na_conflict(f, n, a.bytes, mac_a, peer));
    assert_memory_equal(peer, mac_b, 6);
    assert_false(res_ip_na_conflict(f, n, b.bytes, mac_a, peer));     /* another target */
    assert_false(res_ip_na_conflict(f, n - 1, a.bytes, mac_a, peer)); /* payload cut */
    assert_false(res_ip_na_conflict(f, 60, a.bytes, mac_a, peer));
    /* the option names the holder even when a bridge or proxy sent the frame */
    f[54 + 26 + 5] = 0x0c;
    memset(peer, 0, sizeof(peer));
    assert_true(res_ip_na_conflict(f, n, a.bytes, mac_a, peer));
    assert_int_equal(peer[5], 0x0c);
    /* without the option: the Ethernet source */
    n = na_frame(f, mac_b, a.bytes, false);
    assert_true(res_ip_na_conflict(f, n, a.bytes, mac_a, peer));
    assert_memory_equal(peer, mac_b, 6);
    /* a zero-length option ends the walk instead of looping */
    n = na_frame(f, mac_b, a.bytes, true);
    f[79] = 0;
    assert_true(res_ip_na_conflict(f, n, a.bytes, mac_a, peer));
    assert_memory_equal(peer, mac_b, 6);
    /* our own advertisement, a routed one (hop limit below 255), a solicitation */
    n = na_frame(f, mac_a, a.bytes, true);
    assert_false(res_ip_na_conflict(f, n, a.bytes, mac_a, peer));
    n = na_frame(f, mac_b, a.bytes, true);
    f[21] = 254;
    assert_false(res_ip_na_conflict(f, n, a.bytes, mac_a, peer));
    n = na_frame(f, mac_b, a.bytes, true);
    f[54] = 135;
    assert_false(res_ip_na_conflict(f, n, a.bytes, mac_a, peer));
    /* our DAD probe is not an advertisement */
    n = (size_t)res_ip_build_ns_probe(f, sizeof(f), mac_b, a.bytes);
    assert_false(res_ip_na_conflict(f, n, a.bytes, mac_a, peer));
}

static void test_format_mac(void **state)
{
    char buf[RES_IP_MAC_TEXT_MAX];

    assert_string_equal(res_ip_format_mac(mac_b, buf, sizeof(buf)), "02:00:5e:00:00:0b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_good),
        cmocka_unit_test(test_address_bad),
        cmocka_unit_test(test_interface),
        cmocka_unit_test(test_announce_count),
        cmocka_unit_test(test_section_keys),
        cmocka_unit_test(test_same_net),
        cmocka_unit_test(test_match_interface),
        cmocka_unit_test(test_match_interface_tie),
        cmocka_unit_test(test_garp),
        cmocka_unit_test(test_arp_probe),
        cmocka_unit_test(test_unsol_na),
        cmocka_unit_test(test_ns_probe),
        cmocka_unit_test(test_arp_conflict),
        cmocka_unit_test(test_na_conflict),
        cmocka_unit_test(test_format_mac),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
