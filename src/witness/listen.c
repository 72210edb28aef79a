/* Listen addresses: "127.0.0.1:9872" and "[::1]:9872" into socket
 * addresses, and the listening sockets themselves (opened before
 * libmicrohttpd starts, so that a bind error is reported with its reason). */
#include "witness.h"
#include "../common/errbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_port(const char *s, uint16_t *port)
{
    unsigned long v = 0;

    if (*s == '\0' || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
        return -EINVAL;
    v = strtoul(s, NULL, 10);
    if (v > 65535)
        return -EINVAL;
    *port = (uint16_t)v;
    return 0;
}

int listen_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char *err,
                 size_t errlen)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *port_s;
    uint16_t port;
    size_t hlen;

    memset(ss, 0, sizeof(*ss));
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':')
            return errbuf_fail(err, errlen, -EINVAL, "'%s': expected [IPv6]:PORT, e.g. [::1]:9872",
                               spec);
        hlen = (size_t)(close - spec - 1);
        port_s = close + 2;
        if (hlen == 0 || hlen >= sizeof(host))
            return errbuf_fail(err, errlen, -EINVAL,
                               "'%s': not an IPv6 address between the brackets", spec);
        memcpy(host, spec + 1, hlen);
        host[hlen] = '\0';
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
            return errbuf_fail(err, errlen, -EINVAL, "'%s': '%s' is not a numeric IPv6 address",
                               spec, host);
        if (parse_port(port_s, &port) < 0)
            return errbuf_fail(err, errlen, -EINVAL,
                               "'%s': the port must be a number from 0 to 65535", spec);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        *len = sizeof(*sin6);
        return 0;
    }
    port_s = strrchr(spec, ':');
    if (!port_s)
        return errbuf_fail(err, errlen, -EINVAL,
                           "'%s': expected ADDR:PORT, e.g. 127.0.0.1:9872 or [::1]:9872", spec);
    hlen = (size_t)(port_s - spec);
    if (hlen == 0 || hlen >= sizeof(host) || memchr(spec, ':', hlen))
        return errbuf_fail(
            err, errlen, -EINVAL,
            "'%s': expected IPv4:PORT or [IPv6]:PORT (IPv6 addresses go in brackets)", spec);
    memcpy(host, spec, hlen);
    host[hlen] = '\0';
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
        return errbuf_fail(err, errlen, -EINVAL, "'%s': '%s' is not a numeric IPv4 address", spec,
                           host);
    if (parse_port(port_s + 1, &port) < 0)
        return errbuf_fail(err, errlen, -EINVAL, "'%s': the port must be a number from 0 to 65535",
                           spec);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    *len = sizeof(*sin);
    return 0;
}

void listen_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN];

    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
        snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
    } else if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
        snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
    } else {
        snprintf(buf, size, "?");
    }
}

int listen_open(const struct sockaddr_storage *ss, socklen_t len)
{
    int one = 1, fd, r;

    /* Non-blocking: the server's poll loop accepts, and must never hang in accept(). */
    fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        goto fail;
    /* [::]:P and 0.0.0.0:P can then both be given, as two --listen. */
    if (ss->ss_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
        goto fail;
    if (bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, 128) < 0)
        goto fail;
    return fd;
fail:
    r = -errno;
    close(fd);
    return r;
}
