/* Witness and proxy URLs, checked for shape only: nothing is resolved or
 * fetched, so the parser stays pure (libcurl reads them in the daemon). The
 * grammar is a narrow part of RFC 3986 on purpose: no user:password@, no
 * query or fragment, hosts as DNS names or IP literals, so that what passes
 * here means the same thing to libcurl and to a human. */
#include "parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#define HOST_MAX 253 /* a DNS name, dots included */
#define LABEL_MAX 63 /* one label of it */
#define PORT_TEXT_MAX 8

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Dot-separated labels of letters, digits and '-', 1 to 63 each, not
 * starting or ending with '-'. */
static bool dns_name_valid(const char *s, size_t n)
{
    size_t label = 0;

    if (n == 0 || n > HOST_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!is_alpha(c) && !is_digit(c) && c != '-')
            return false;
        if (c == '-' && label == 0)
            return false;
        if (++label > LABEL_MAX)
            return false;
    }
    return label > 0 && s[n - 1] != '-';
}

/* HOST of an authority (n bytes, no port): a name, an IPv4 literal or a
 * bracketed IPv6 literal. */
static int check_host(const char *s, size_t n, const char **why)
{
    char buf[HOST_MAX + 1];
    struct in6_addr a6;
    struct in_addr a4;
    size_t last = n; /* start of the trailing digits */

    if (n == 0) {
        *why = "no host after '//': expected a name or an address, e.g. witness.example";
        return -EINVAL;
    }
    if (s[0] == '[') {
        if (memchr(s, '%', n)) {
            *why = "scoped IPv6 addresses (with %zone) are not supported";
            return -EINVAL;
        }
        if (n < 3 || n - 2 >= sizeof(buf)) {
            *why = "expected an IPv6 address inside the brackets, e.g. https://[2001:db8::1]:8443";
            return -EINVAL;
        }
        memcpy(buf, s + 1, n - 2);
        buf[n - 2] = '\0';
        if (inet_pton(AF_INET6, buf, &a6) != 1) {
            *why = "expected an IPv6 address inside the brackets, e.g. https://[2001:db8::1]:8443";
            return -EINVAL;
        }
        if (IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_MULTICAST(&a6)) {
            *why = "the unspecified address and multicast addresses cannot be a host";
            return -EINVAL;
        }
        return 0;
    }
    /* a last label of digits makes it an IPv4 address (as in URL parsers), never a name */
    while (last > 0 && is_digit(s[last - 1]))
        last--;
    if (last < n && (last == 0 || s[last - 1] == '.')) {
        if (n < sizeof(buf)) {
            memcpy(buf, s, n);
            buf[n] = '\0';
        }
        if (n >= sizeof(buf) || inet_pton(AF_INET, buf, &a4) != 1) {
            *why = "not a valid IPv4 address: expected four numbers from 0 to 255, e.g. 192.0.2.10";
            return -EINVAL;
        }
        if (a4.s_addr == 0 || a4.s_addr == 0xffffffffu || (ntohl(a4.s_addr) >> 28) == 0xe) {
            *why = "the unspecified, broadcast and multicast addresses cannot be a host";
            return -EINVAL;
        }
        return 0;
    }
    if (!dns_name_valid(s, n)) {
        *why = "bad host name: expected labels of letters, digits and '-' separated by dots, "
               "e.g. witness.example";
        return -EINVAL;
    }
    return 0;
}

/* ":PORT" after the host: 1..65535. */
static int check_port(const char *s, size_t n, const char **why)
{
    char buf[PORT_TEXT_MAX];
    unsigned long port;

    if (n == 0) {
        *why = "empty port after ':': expected a number from 1 to 65535";
        return -EINVAL;
    }
    if (n >= sizeof(buf)) {
        *why = "bad port: expected a number from 1 to 65535";
        return -EINVAL;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (conf_parse_uint(buf, 1, 65535, &port) < 0) {
        *why = "bad port: expected a number from 1 to 65535";
        return -EINVAL;
    }
    return 0;
}

/* The path: RFC 3986 pchar and '/', with %XX escapes; '?' and '#' are not
 * part of it. */
static int check_path(const char *s, const char **why)
{
    static const char allowed[] = "-._~!$&'()*+,;=:@/";

    for (; *s; s++) {
        if (*s == '?') {
            *why = "a query ('?...') is not allowed: the witness API adds its own paths";
            return -EINVAL;
        }
        if (*s == '#') {
            *why = "a fragment ('#...') is not allowed in the URL";
            return -EINVAL;
        }
        if (*s == '%') {
            if (!is_hex(s[1]) || !is_hex(s[2])) {
                *why = "'%' in the path must start an escape of two hex digits, e.g. %20";
                return -EINVAL;
            }
            s += 2;
            continue;
        }
        if (!is_alpha(*s) && !is_digit(*s) && !strchr(allowed, *s)) {
            *why = "the path may hold letters, digits, -._~!$&'()*+,;=:@/ and %XX escapes only";
            return -EINVAL;
        }
    }
    return 0;
}

int conf_parse_url(const char *s, bool proxy, bool *https, const char **why)
{
    const char *auth, *end, *host_end, *port = NULL;
    bool secure;

    if (strncmp(s, "http://", 7) == 0) {
        secure = false;
        auth = s + 7;
    } else if (strncmp(s, "https://", 8) == 0 && !proxy) {
        secure = true;
        auth = s + 8;
    } else {
        *why = proxy ? "expected an http:// proxy URL, e.g. http://proxy.example:3128"
                     : "expected a URL that starts with http:// or https://, e.g. "
                       "https://witness.example:8443";
        return -EINVAL;
    }
    end = auth + strcspn(auth, "/?#");
    if (memchr(auth, '@', (size_t)(end - auth))) {
        *why = proxy ? "user:password@ is not allowed in the proxy URL"
                     : "user:password@ is not allowed in the URL: the witness is authenticated "
                       "by the token in token-file";
        return -EINVAL;
    }
    if (auth[0] == '[') {
        const char *close = memchr(auth, ']', (size_t)(end - auth));

        if (!close) {
            *why = "no closing ']' after the IPv6 address, e.g. https://[2001:db8::1]:8443";
            return -EINVAL;
        }
        host_end = close + 1;
        if (host_end < end && *host_end != ':') {
            *why = "unexpected text after ']': expected ':PORT' or a path";
            return -EINVAL;
        }
    } else {
        host_end = memchr(auth, ':', (size_t)(end - auth));
        if (!host_end)
            host_end = end;
        else if (memchr(host_end + 1, ':', (size_t)(end - host_end - 1))) {
            *why = "an IPv6 address goes in brackets, e.g. https://[2001:db8::1]:8443";
            return -EINVAL;
        }
    }
    if (check_host(auth, (size_t)(host_end - auth), why) < 0)
        return -EINVAL;
    if (host_end < end) {
        port = host_end + 1;
        if (check_port(port, (size_t)(end - port), why) < 0)
            return -EINVAL;
    }
    if (check_path(end, why) < 0)
        return -EINVAL;
    if (proxy && !port) {
        *why = "the proxy needs a port: expected http://HOST:PORT, e.g. http://proxy.example:3128";
        return -EINVAL;
    }
    if (proxy && end[0] && strcmp(end, "/") != 0) {
        *why = "a proxy URL has no path: expected http://HOST:PORT";
        return -EINVAL;
    }
    *https = secure;
    return 0;
}
