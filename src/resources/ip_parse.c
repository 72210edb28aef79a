/* The `ip` resource's keys and the choice of its interface: pure functions
 * over text and over a list of the host's addresses, so that both are unit
 * tested and fuzzed without a network. */
#include "internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void res_ip_init(struct res_ip *ip)
{
    memset(ip, 0, sizeof(*ip));
    ip->announce_count = RES_IP_ANNOUNCE_COUNT_DEFAULT;
    ip->probe_timeout = RES_IP_PROBE_TIMEOUT_DEFAULT;
}

bool res_ip_same_net(int family, const uint8_t *a, const uint8_t *b, unsigned prefix)
{
    unsigned max = family == AF_INET ? 32 : 128;
    unsigned full = (prefix > max ? max : prefix) / 8, rest = prefix % 8;

    if (memcmp(a, b, full) != 0)
        return false;
    if (prefix >= max || rest == 0)
        return true;
    return ((a[full] ^ b[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

/* Why an IPv4 address cannot float with this prefix, or NULL. */
static const char *v4_refusal(const uint8_t b[4], unsigned prefix)
{
    uint32_t h = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    uint32_t host = prefix >= 32 ? 0 : 0xffffffffu >> prefix;

    if (h == 0)
        return "the unspecified address 0.0.0.0 cannot be a floating address";
    if (h == 0xffffffffu)
        return "the broadcast address cannot be a floating address";
    if ((h >> 24) == 127)
        return "a loopback address (127.0.0.0/8) cannot be a floating address";
    if ((h >> 28) == 0xe)
        return "a multicast address cannot be a floating address";
    if ((h >> 28) == 0xf)
        return "a reserved address (240.0.0.0/4) cannot be a floating address";
    if (prefix <= 30 && (h & host) == 0)
        return "this is the network address of its prefix: pick a host address, or check the "
               "prefix length";
    if (prefix <= 30 && (h & host) == host)
        return "this is the broadcast address of its prefix: pick a host address, or check the "
               "prefix length";
    return NULL;
}

/* Why an IPv6 address cannot float, or NULL. */
static const char *v6_refusal(const struct in6_addr *a)
{
    if (IN6_IS_ADDR_UNSPECIFIED(a))
        return "the unspecified address :: cannot be a floating address";
    if (IN6_IS_ADDR_LOOPBACK(a))
        return "the loopback address ::1 cannot be a floating address";
    if (IN6_IS_ADDR_MULTICAST(a))
        return "a multicast address cannot be a floating address";
    if (IN6_IS_ADDR_V4MAPPED(a))
        return "an IPv4-mapped IPv6 address: write the IPv4 address itself";
    if (IN6_IS_ADDR_LINKLOCAL(a))
        return "a link-local address (fe80::/10) cannot float: use a global or unique-local "
               "address";
    return NULL;
}

/* The whole of `address = ...`; *out is only written on success. */
static int parse_address(const char *s, struct res_ip_addr *out, char *err, size_t errlen)
{
    static const char expect[] = "expected ADDRESS/PREFIX, e.g. 192.0.2.100/24 or "
                                 "2001:db8::100/64";
    char host[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/'), *why;
    struct in6_addr a6;
    unsigned long prefix;
    size_t n;
    char *end;

    memset(out, 0, sizeof(*out));
    if (!slash)
        return errbuf_fail(err, errlen, -EINVAL,
                           "address '%s': no prefix length; %s (the prefix of the network the "
                           "address is reached in)",
                           s, expect);
    n = (size_t)(slash - s);
    if (n == 0 || n >= sizeof(host))
        return errbuf_fail(err, errlen, -EINVAL, "address '%s': %s", s, expect);
    memcpy(host, s, n);
    host[n] = '\0';
    if (inet_pton(AF_INET, host, out->bytes) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, host, &a6) == 1) {
        out->family = AF_INET6;
        memcpy(out->bytes, &a6, sizeof(a6));
    } else
        return errbuf_fail(err, errlen, -EINVAL, "address '%s': '%s' is not an IP address; %s", s,
                           host, expect);

    errno = 0;
    prefix = strtoul(slash + 1, &end, 10);
    if (!isdigit((unsigned char)slash[1]) || *end != '\0' || errno || prefix == 0 ||
        prefix > (out->family == AF_INET ? 32u : 128u))
        return errbuf_fail(err, errlen, -EINVAL, "address '%s': the prefix length must be 1 to %d",
                           s, out->family == AF_INET ? 32 : 128);
    out->prefix = (uint8_t)prefix;

    why = out->family == AF_INET ? v4_refusal(out->bytes, out->prefix) : v6_refusal(&a6);
    if (why)
        return errbuf_fail(err, errlen, -EINVAL, "address '%s': %s", s, why);
    return 0;
}

int res_ip_parse_address(const char *s, struct res_ip_addr *out, char *err, size_t errlen)
{
    struct res_ip_addr a;
    int rc = parse_address(s, &a, err, errlen);

    if (rc == 0)
        *out = a;
    return rc;
}

int res_ip_parse_interface(const char *s, char out[IF_NAMESIZE], char *err, size_t errlen)
{
    size_t n = strlen(s);

    if (n == 0 || n >= IF_NAMESIZE)
        return errbuf_fail(err, errlen, -EINVAL,
                           "interface '%s': expected an interface name of 1 to %d characters, e.g. "
                           "eth0 (or leave 'interface' out to use the one whose network holds the "
                           "address)",
                           s, IF_NAMESIZE - 1);
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return errbuf_fail(err, errlen, -EINVAL, "interface '%s': not a valid interface name", s);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
            return errbuf_fail(err, errlen, -EINVAL,
                               "interface '%s': an interface name has no '/', ':' or blanks", s);
    memcpy(out, s, n + 1);
    return 0;
}

int res_ip_parse_announce_count(const char *s, int *out, char *err, size_t errlen)
{
    unsigned long v;
    char *end;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (!isdigit((unsigned char)s[0]) || *end != '\0' || errno || v > RES_IP_ANNOUNCE_COUNT_MAX)
        return errbuf_fail(
            err, errlen, -EINVAL,
            "announce-count '%s': expected a whole number from 0 (never announce) to %d", s,
            RES_IP_ANNOUNCE_COUNT_MAX);
    *out = (int)v;
    return 0;
}

int res_ip_set_key(struct res_ip *ip, const char *key, const char *value, char *err, size_t errlen)
{
    if (strcmp(key, "address") == 0)
        return res_ip_parse_address(value, &ip->addr, err, errlen);
    if (strcmp(key, "interface") == 0)
        return res_ip_parse_interface(value, ip->interface, err, errlen);
    if (strcmp(key, "announce-count") == 0)
        return res_ip_parse_announce_count(value, &ip->announce_count, err, errlen);
    return errbuf_fail(err, errlen, -ENOENT,
                       "'%s' is not a key of an ip resource (expected address, interface, "
                       "announce-count)",
                       key);
}

int res_ip_validate(const struct res_ip *ip, char *err, size_t errlen)
{
    if (ip->addr.family != AF_INET && ip->addr.family != AF_INET6)
        return errbuf_fail(err, errlen, -EINVAL,
                           "an ip resource needs 'address = ADDRESS/PREFIX', e.g. 192.0.2.100/24");
    return 0;
}

const char *res_ip_format_host(const struct res_ip_addr *a, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)len))
        snprintf(buf, len, "?");
    return buf;
}

const char *res_ip_format(const struct res_ip_addr *a, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN];

    snprintf(buf, len, "%s/%u", res_ip_format_host(a, host, sizeof(host)), a->prefix);
    return buf;
}

const char *res_ip_format_mac(const uint8_t mac[RES_IP_ETH_ALEN], char *buf, size_t len)
{
    snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
    return buf;
}

/* Exact holders win (the address is already there: the same interface must
 * serve check and stop); then the longest network prefix that holds the
 * address, like a route lookup. Two different interfaces at the same best
 * rank are ambiguous: guessing could put the address on the wrong network. */
int res_ip_match_interface(const struct res_ip_addr *vip, const struct res_ip_ifaddr *list,
                           size_t n, size_t *index, char *err, size_t errlen)
{
    char text[RES_IP_TEXT_MAX];
    size_t addr_len = vip->family == AF_INET ? 4 : 16;
    int best_rank = -1;
    size_t best = 0;
    bool tie = false;
    size_t tie_with = 0;

    for (size_t i = 0; i < n; i++) {
        const struct res_ip_ifaddr *e = &list[i];
        int rank;

        if (e->family != vip->family)
            continue;
        if (memcmp(e->addr, vip->bytes, addr_len) == 0)
            rank = 1000; /* above any prefix length */
        else if (res_ip_same_net(vip->family, e->addr, vip->bytes, e->prefix))
            rank = e->prefix;
        else
            continue;
        if (rank > best_rank) {
            best_rank = rank;
            best = i;
            tie = false;
        } else if (rank == best_rank && e->ifindex != list[best].ifindex) {
            tie = true;
            tie_with = i;
        }
    }
    res_ip_format(vip, text, sizeof(text));
    if (best_rank < 0)
        return errbuf_fail(
            err, errlen, -ENODEV,
            "address %s: no interface has an %s network that holds it; set 'interface' "
            "in the resource, or give an interface an address in that network",
            text, vip->family == AF_INET ? "IPv4" : "IPv6");
    if (tie)
        return errbuf_fail(
            err, errlen, -ENOTUNIQ,
            "address %s: both %s and %s have a network that holds it; set 'interface' "
            "in the resource to say which",
            text, list[best].name, list[tie_with].name);
    *index = best;
    return 0;
}
