/* The address parsers of the `ip` resource (src/resources/ip_parse.c) and of
 * vigil-witness --listen (listen_parse): text from a configuration or a
 * command line.
 *
 * Input: one mode byte (mod 5), then
 *   0  an `address = ADDR/PREFIX` value (res_ip_parse_address),
 *   1  an `interface =` value (res_ip_parse_interface),
 *   2  an `announce-count =` value (res_ip_parse_announce_count),
 *   3  a --listen ADDR:PORT (listen_parse),
 *   4  a floating address and a list of interface addresses, as bytes
 *      (res_ip_match_interface).
 * Properties:
 *   - an accepted address can float (family, prefix range, none of the refused
 *     kinds), and its text (res_ip_format) parses back to it;
 *   - an accepted interface name is the input, 1..15 bytes, no '/', ':' or blank;
 *   - an accepted count is 0..RES_IP_ANNOUNCE_COUNT_MAX, and is the number written;
 *   - an accepted listen address formats (listen_format) and parses back to itself;
 *   - the chosen interface has the family of the address, holds it or has a
 *     network that holds it, and no other interface has a longer such prefix;
 *   - a refusal says why. */
#include <arpa/inet.h>
#include <errno.h>

#include "../src/resources/resources.h"
#include "../src/witness/witness.h"
#include "fuzz.h"

static void fuzz_address(const char *s)
{
    struct res_ip_addr a, b;
    char err[RES_IP_ERR_MAX] = "", text[RES_IP_TEXT_MAX];

    memset(&a, 0xa5, sizeof(a));
    if (res_ip_parse_address(s, &a, err, sizeof(err)) < 0) {
        FUZZ_CHECK(err[0], "refusal without a message");
        FUZZ_CHECK(a.family == (int)0xa5a5a5a5, "a refusal wrote *out");
        return;
    }
    FUZZ_CHECK((a.family == AF_INET && a.prefix >= 1 && a.prefix <= 32) ||
                   (a.family == AF_INET6 && a.prefix >= 1 && a.prefix <= 128),
               "'%s': family %d prefix %u", s, a.family, a.prefix);
    if (a.family == AF_INET) {
        uint8_t b0 = a.bytes[0];
        FUZZ_CHECK(b0 != 0 || a.bytes[1] || a.bytes[2] || a.bytes[3], "'%s': 0.0.0.0", s);
        FUZZ_CHECK(b0 != 127 && b0 < 224, "'%s': loopback, multicast or reserved", s);
    } else {
        struct in6_addr a6;
        memcpy(&a6, a.bytes, sizeof(a6));
        FUZZ_CHECK(!IN6_IS_ADDR_UNSPECIFIED(&a6) && !IN6_IS_ADDR_LOOPBACK(&a6) &&
                       !IN6_IS_ADDR_MULTICAST(&a6) && !IN6_IS_ADDR_V4MAPPED(&a6) &&
                       !IN6_IS_ADDR_LINKLOCAL(&a6),
                   "'%s': an IPv6 address that cannot float", s);
    }
    FUZZ_CHECK(res_ip_same_net(a.family, a.bytes, a.bytes, a.prefix), "'%s': not in its own net",
               s);
    res_ip_format(&a, text, sizeof(text));
    FUZZ_CHECK(res_ip_parse_address(text, &b, err, sizeof(err)) == 0,
               "'%s' formats as '%s', which is refused: %s", s, text, err);
    FUZZ_CHECK(a.family == b.family && a.prefix == b.prefix &&
                   memcmp(a.bytes, b.bytes, a.family == AF_INET ? 4 : 16) == 0,
               "'%s' formats as '%s', which parses to another address", s, text);
}

static void fuzz_interface(const char *s)
{
    char out[IF_NAMESIZE], err[RES_IP_ERR_MAX] = "";

    if (res_ip_parse_interface(s, out, err, sizeof(err)) < 0) {
        FUZZ_CHECK(err[0], "refusal without a message");
        return;
    }
    FUZZ_CHECK(strcmp(out, s) == 0 && strlen(out) >= 1 && strlen(out) < IF_NAMESIZE,
               "'%s' became '%s'", s, out);
    FUZZ_CHECK(strcspn(out, "/: \t\n\v\f\r") == strlen(out), "'%s': a forbidden byte", s);
}

static void fuzz_count(const char *s)
{
    char err[RES_IP_ERR_MAX] = "", back[16];
    int n = -1, m = -1;

    if (res_ip_parse_announce_count(s, &n, err, sizeof(err)) < 0) {
        FUZZ_CHECK(err[0], "refusal without a message");
        return;
    }
    FUZZ_CHECK(n >= 0 && n <= RES_IP_ANNOUNCE_COUNT_MAX, "'%s' gave %d", s, n);
    snprintf(back, sizeof(back), "%d", n);
    FUZZ_CHECK(res_ip_parse_announce_count(back, &m, err, sizeof(err)) == 0 && m == n,
               "'%s' gave %d, which does not parse back", s, n);
}

static void fuzz_listen(const char *s)
{
    struct sockaddr_storage ss, ss2;
    socklen_t len = 0, len2 = 0;
    char err[512] = "", text[WITNESS_ADDR_MAX];

    if (listen_parse(s, &ss, &len, err, sizeof(err)) < 0) {
        FUZZ_CHECK(err[0], "refusal without a message");
        return;
    }
    FUZZ_CHECK((ss.ss_family == AF_INET && len == sizeof(struct sockaddr_in)) ||
                   (ss.ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6)),
               "'%s': family %d length %u", s, ss.ss_family, (unsigned)len);
    listen_format((struct sockaddr *)&ss, len, text, sizeof(text));
    FUZZ_CHECK(listen_parse(text, &ss2, &len2, err, sizeof(err)) == 0,
               "'%s' formats as '%s', which is refused: %s", s, text, err);
    FUZZ_CHECK(len == len2 && memcmp(&ss, &ss2, len) == 0,
               "'%s' formats as '%s', which parses to another address", s, text);
}

/* A floating address and up to 16 interface addresses, 24 bytes each. */
static void fuzz_match(const uint8_t *data, size_t size)
{
    struct fuzz_reader rd = {data, size};
    struct res_ip_addr vip = {0};
    struct res_ip_ifaddr list[16];
    char err[RES_IP_ERR_MAX] = "";
    size_t n = 0, index = 99;
    int best = -1;

    vip.family = fuzz_take(&rd, 1) & 1 ? AF_INET6 : AF_INET;
    fuzz_take_bytes(&rd, vip.bytes, sizeof(vip.bytes));
    vip.prefix = (uint8_t)(fuzz_take(&rd, 1) % (vip.family == AF_INET ? 33 : 129));
    while (rd.left && n < sizeof(list) / sizeof(list[0])) {
        struct res_ip_ifaddr *e = &list[n++];
        memset(e, 0, sizeof(*e));
        e->ifindex = (int)(fuzz_take(&rd, 1) % 4) + 1;
        snprintf(e->name, sizeof(e->name), "if%d", e->ifindex);
        e->family = fuzz_take(&rd, 1) & 1 ? AF_INET6 : AF_INET;
        fuzz_take_bytes(&rd, e->addr, sizeof(e->addr));
        e->prefix = (uint8_t)fuzz_take(&rd, 1); /* may be out of range: the kernel is trusted */
        if (e->prefix > (e->family == AF_INET ? 32 : 128))
            e->prefix %= (e->family == AF_INET ? 33 : 129);
    }

    size_t alen = vip.family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < n; i++) {
        int rank = -1;
        if (list[i].family != vip.family)
            continue;
        if (memcmp(list[i].addr, vip.bytes, alen) == 0)
            rank = 1000;
        else if (res_ip_same_net(vip.family, list[i].addr, vip.bytes, list[i].prefix))
            rank = list[i].prefix;
        if (rank > best)
            best = rank;
    }

    int r = res_ip_match_interface(&vip, list, n, &index, err, sizeof(err));
    if (r < 0) {
        FUZZ_CHECK(r == -ENODEV || r == -ENOTUNIQ, "returned %d", r);
        FUZZ_CHECK(err[0], "refusal without a message");
        FUZZ_CHECK((r == -ENODEV) == (best < 0), "-ENODEV when an interface holds the address");
        return;
    }
    FUZZ_CHECK(index < n, "index %zu of %zu", index, n);
    const struct res_ip_ifaddr *e = &list[index];
    int rank = memcmp(e->addr, vip.bytes, alen) == 0 ? 1000 : e->prefix;
    FUZZ_CHECK(e->family == vip.family, "chose an interface of another family");
    FUZZ_CHECK(rank == 1000 || res_ip_same_net(vip.family, e->addr, vip.bytes, e->prefix),
               "chose an interface whose network does not hold the address");
    FUZZ_CHECK(rank == best, "chose rank %d when rank %d was there", rank, best);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;

    if (size < 1)
        return 0;
    if (data[0] % 5 == 4) {
        fuzz_match(data + 1, size - 1);
        return 0;
    }
    s = fuzz_cstr(data + 1, size - 1);
    switch (data[0] % 5) {
    case 0:
        fuzz_address(s);
        break;
    case 1:
        fuzz_interface(s);
        break;
    case 2:
        fuzz_count(s);
        break;
    case 3:
        fuzz_listen(s);
        break;
    }
    free(s);
    return 0;
}
