/* Node addresses: IPv4 and IPv6 literals, nothing that needs the network or
 * the host's interfaces (no names to resolve, no %zone to look up), so the
 * parser stays pure. */
#include "parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

static const char expect_any[] =
    "expected an IPv4 address (e.g. 192.0.2.1) or an IPv6 address (e.g. 2001:db8::1)";

const char *conf_family_name(int family)
{
    return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : "unknown";
}

static int check_v4(const struct in_addr *a, const char **why)
{
    uint32_t h = ntohl(a->s_addr);

    if (h == 0)
        *why = "the unspecified address 0.0.0.0 cannot be a node address";
    else if (h == 0xffffffffu)
        *why = "the broadcast address cannot be a node address";
    else if ((h >> 28) == 0xe)
        *why = "a multicast address cannot be a node address";
    else
        return 0;
    return -EINVAL;
}

static int check_v6(const struct in6_addr *a, const char **why)
{
    if (IN6_IS_ADDR_UNSPECIFIED(a))
        *why = "the unspecified address :: cannot be a node address";
    else if (IN6_IS_ADDR_MULTICAST(a))
        *why = "a multicast address cannot be a node address";
    else if (IN6_IS_ADDR_V4MAPPED(a))
        *why = "an IPv4-mapped IPv6 address: write the IPv4 address itself";
    else if (IN6_IS_ADDR_LINKLOCAL(a))
        *why = "link-local IPv6 addresses (fe80::/10) need an interface scope, which is not "
               "supported: use a global or unique-local address";
    else
        return 0;
    return -EINVAL;
}

/* [IPv6] without the brackets into buf; false when malformed (*why set). */
static bool unbracket(const char *s, char *buf, size_t size, const char **why)
{
    const char *close = strchr(s, ']');
    size_t n;

    if (!close) {
        *why = "no closing ']': expected an IPv6 address, e.g. [2001:db8::1]";
        return false;
    }
    if (close[1] != '\0') {
        *why = close[1] == ':' ? "a port does not go here: set 'port' in the [link] section"
                               : "unexpected text after ']'";
        return false;
    }
    n = (size_t)(close - s - 1);
    if (n >= size) {
        *why = "expected an IPv6 address inside the brackets, e.g. [2001:db8::1]";
        return false;
    }
    memcpy(buf, s + 1, n);
    buf[n] = '\0';
    return true;
}

int conf_parse_address(const char *s, struct sockaddr_storage *ss, socklen_t *len, const char **why)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    char inner[CONF_ADDR_TEXT_MAX];
    struct in_addr a4;
    struct in6_addr a6;

    memset(ss, 0, sizeof(*ss));
    *len = 0;
    *why = expect_any;
    if (strchr(s, '%')) {
        *why = "scoped addresses (with %zone) are not supported: use a global or unique-local "
               "address";
        return -EINVAL;
    }
    if (s[0] == '[') {
        if (!unbracket(s, inner, sizeof(inner), why))
            return -EINVAL;
        if (inet_pton(AF_INET6, inner, &a6) != 1) {
            *why = "expected an IPv6 address inside the brackets, e.g. [2001:db8::1]";
            return -EINVAL;
        }
    } else if (inet_pton(AF_INET, s, &a4) == 1) {
        if (check_v4(&a4, why) < 0)
            return -EINVAL;
        sin->sin_family = AF_INET;
        sin->sin_addr = a4;
        *len = sizeof(*sin);
        return 0;
    } else if (inet_pton(AF_INET6, s, &a6) != 1) {
        const char *colon = strchr(s, ':');

        if (colon && !strchr(colon + 1, ':') && strchr(s, '.'))
            *why = "a port does not go here: set 'port' in the [link] section";
        return -EINVAL;
    }
    if (check_v6(&a6, why) < 0)
        return -EINVAL;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = a6;
    *len = sizeof(*sin6);
    return 0;
}
