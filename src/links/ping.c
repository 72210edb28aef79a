/* The pinger: raw ICMP / ICMPv6 sockets and an sd-event timer that probe a
 * few targets without ever blocking the loop. A send that fails (no route,
 * host unreachable, full buffer) is counted and otherwise treated as a lost
 * request: reachability is only ever judged from replies. */
#include "ping.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../common/errbuf.h"
#include "../common/limits.h"
#include "../common/log.h"

/* linux/icmp.h's ICMP_FILTER (a SOL_RAW option: a bitmask of the ICMP types
 * to drop), not included because it clashes with the libc headers. */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif

#define PING_RECV_BATCH 64 /* datagrams read per wake-up; the rest next time */
#define PING_WINDOW 64     /* sequences per target that a reply may answer */

struct ping_target {
    struct sockaddr_storage addr;
    socklen_t len;
    uint16_t next_seq;
    uint64_t outstanding; /* bit i: seq next_seq-1-i was sent, no reply yet */
    vg_usec_t last_reply;
    uint64_t sent, received, send_errors;
};

struct pinger {
    sd_event *ev;
    char name[VIGIL_NAME_MAX];
    uint16_t id;
    int count;
    vg_usec_t interval, step, timeout, next_send;
    int fd4, fd6; /* -1 when no target of that family */
    sd_event_source *io4, *io6, *timer;
    struct ping_target targets[PING_MAX_TARGETS];
    int n;
    vg_usec_t last_reply;
};

/* Send one echo request to t; a failure only shows in the counters. */
static void send_one(struct pinger *p, struct ping_target *t, vg_usec_t now)
{
    uint8_t payload[PING_PAYLOAD_LEN], pkt[PING_PACKET_LEN];
    uint16_t seq = t->next_seq++;
    bool v4 = t->addr.ss_family == AF_INET;
    int len;

    ping_payload_put_time(payload, now);
    if (v4)
        len = ping_build_v4(pkt, sizeof(pkt), p->id, seq, payload);
    else
        len = ping_build_v6(pkt, sizeof(pkt), p->id, seq, payload);
    t->outstanding <<= 1;
    t->sent++;
    if (len < 0 || sendto(v4 ? p->fd4 : p->fd6, pkt, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL,
                          (const struct sockaddr *)&t->addr, t->len) < 0) {
        t->send_errors++;
        return;
    }
    t->outstanding |= 1;
}

/* Every `step` (interval / count): one request to each target. The next
 * round is due one step after the last one was due, so rounds do not drift;
 * after a stall the loop starts afresh from now rather than catching up. */
static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct pinger *p = userdata;
    vg_usec_t now = clock_now();

    for (int i = 0; i < p->n; i++)
        send_one(p, &p->targets[i], now);
    p->next_send += p->step;
    if (p->next_send <= now)
        p->next_send = now + p->step;
    sd_event_source_set_time(s, p->next_send);
    sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
    return 0;
}

static bool same_address(const struct sockaddr_storage *target, const struct sockaddr_storage *from)
{
    if (target->ss_family != from->ss_family)
        return false;
    if (target->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)target;
        const struct sockaddr_in *b = (const struct sockaddr_in *)from;
        return a->sin_addr.s_addr == b->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)target;
    const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)from;
    return memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0 &&
           (a->sin6_scope_id == 0 || a->sin6_scope_id == b->sin6_scope_id);
}

/* Account for an echo reply from `from`: it counts only when it comes from
 * a target, carries our identifier and a sequence we sent that target and
 * have not seen answered yet, and its request left within the timeout. */
static void on_reply(struct pinger *p, const struct ping_echo *e,
                     const struct sockaddr_storage *from, vg_usec_t now)
{
    if (e->id != p->id)
        return;
    vg_usec_t sent = ping_payload_time(e->payload);
    if (sent > now || now - sent > p->timeout)
        return;
    for (int i = 0; i < p->n; i++) {
        struct ping_target *t = &p->targets[i];
        uint16_t age = (uint16_t)(t->next_seq - 1 - e->seq);

        if (!same_address(&t->addr, from) || age >= PING_WINDOW ||
            !(t->outstanding & (UINT64_C(1) << age)))
            continue;
        t->outstanding &= ~(UINT64_C(1) << age);
        t->received++;
        t->last_reply = now;
        p->last_reply = now;
        return;
    }
}

/* Read what the socket holds (a bounded batch: the source fires again while
 * more is waiting), keeping the echo replies. */
static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct pinger *p = userdata;
    bool v4 = fd == p->fd4;
    uint8_t buf[2048];

    for (int i = 0; i < PING_RECV_BATCH; i++) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof(from);
        struct ping_echo e;

        ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
                             (struct sockaddr *)&from, &from_len);
        if (n < 0)
            break; /* EAGAIN, or an ICMP error queued on the socket: nothing to read */
        if ((size_t)n > sizeof(buf))
            continue; /* not one of ours: ours are small */
        int r = v4 ? ping_parse_v4(buf, (size_t)n, &e) : ping_parse_v6(buf, (size_t)n, &e);
        if (r < 0 || e.type != (v4 ? PING_ICMP4_ECHO_REPLY : PING_ICMP6_ECHO_REPLY))
            continue;
        on_reply(p, &e, &from, clock_now());
    }
    return 0;
}

/* Open a raw socket for one family, let the kernel drop all but echo
 * replies where it can, and watch it. */
static int open_socket(struct pinger *p, int family, int *fd, sd_event_source **io, int priority,
                       char *err, size_t errlen)
{
    bool v4 = family == AF_INET;
    int r;

    *fd =
        socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
    if (*fd < 0) {
        r = -errno;
        return errbuf_fail(
            err, errlen, r, "ping %s: cannot open a raw %s socket: %s%s", p->name,
            v4 ? "ICMP" : "ICMPv6", strerror(-r),
            r == -EPERM || r == -EACCES ? "; it needs CAP_NET_RAW (run vigild as root)" : "");
    }
    if (v4) {
        uint32_t blocked = ~(UINT32_C(1) << PING_ICMP4_ECHO_REPLY);
        if (setsockopt(*fd, SOL_RAW, ICMP_FILTER, &blocked, sizeof(blocked)) < 0)
            log_debug("ping %s: no ICMP_FILTER: %s", p->name, strerror(errno));
    } else {
        struct icmp6_filter f;
        ICMP6_FILTER_SETBLOCKALL(&f);
        ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
        if (setsockopt(*fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0)
            log_debug("ping %s: no ICMP6_FILTER: %s", p->name, strerror(errno));
    }
    r = sd_event_add_io(p->ev, io, *fd, EPOLLIN, on_readable, p);
    if (r < 0)
        return errbuf_fail(err, errlen, r, "ping %s: cannot watch its socket: %s", p->name,
                           strerror(-r));
    sd_event_source_set_priority(*io, priority);
    return 0;
}

static int check_target(const struct sockaddr_storage *a, socklen_t len)
{
    if (a->ss_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in))
        return 0;
    if (a->ss_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6))
        return 0;
    return -EINVAL;
}

int pinger_new(struct pinger **out, sd_event *ev, const char *name,
               const struct sockaddr_storage *targets, const socklen_t *lens, int n, int count,
               vg_usec_t interval, vg_usec_t timeout, int priority, char *err, size_t errlen)
{
    bool want4 = false, want6 = false;
    int r;

    if (n < 1 || n > PING_MAX_TARGETS)
        return errbuf_fail(err, errlen, -EINVAL, "ping %s: %d targets; 1 to %d are allowed", name,
                           n, PING_MAX_TARGETS);
    if (count < 1 || interval == 0 || timeout == 0)
        return errbuf_fail(err, errlen, -EINVAL,
                           "ping %s: count, interval and timeout must be positive", name);
    for (int i = 0; i < n; i++) {
        if (check_target(&targets[i], lens[i]) < 0)
            return errbuf_fail(err, errlen, -EINVAL,
                               "ping %s: target %d is not an IPv4 or IPv6 address", name, i + 1);
        want4 |= targets[i].ss_family == AF_INET;
        want6 |= targets[i].ss_family == AF_INET6;
    }

    struct pinger *p = calloc(1, sizeof(*p));
    if (!p)
        return errbuf_fail(err, errlen, -ENOMEM, "ping %s: out of memory", name);
    p->ev = ev;
    p->fd4 = p->fd6 = -1;
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->count = count;
    p->interval = interval;
    p->timeout = timeout;
    p->step = interval / (vg_usec_t)count ? interval / (vg_usec_t)count : 1;
    p->n = n;
    /* Random, so that two pingers (or two daemons) on a host tell their
     * replies apart on raw IPv4 sockets, which see every echo reply. */
    if (getrandom(&p->id, sizeof(p->id), GRND_NONBLOCK) != (ssize_t)sizeof(p->id))
        p->id = (uint16_t)(getpid() ^ clock_now());
    for (int i = 0; i < n; i++) {
        struct ping_target *t = &p->targets[i];
        memcpy(&t->addr, &targets[i], lens[i] < sizeof(t->addr) ? lens[i] : sizeof(t->addr));
        t->len = lens[i] < sizeof(t->addr) ? lens[i] : (socklen_t)sizeof(t->addr);
    }

    if ((want4 && (r = open_socket(p, AF_INET, &p->fd4, &p->io4, priority, err, errlen)) < 0) ||
        (want6 && (r = open_socket(p, AF_INET6, &p->fd6, &p->io6, priority, err, errlen)) < 0)) {
        pinger_free(p);
        return r;
    }
    p->next_send = clock_now();
    r = sd_event_add_time(ev, &p->timer, CLOCK_MONOTONIC, p->next_send, p->step / 20 + 1, on_timer,
                          p);
    if (r < 0) {
        pinger_free(p);
        return errbuf_fail(err, errlen, r, "ping %s: cannot add its timer: %s", name, strerror(-r));
    }
    sd_event_source_set_priority(p->timer, priority);
    *out = p;
    return 0;
}

bool pinger_reachable(const struct pinger *p, vg_usec_t now)
{
    return p->last_reply != 0 && (p->last_reply >= now || now - p->last_reply <= p->timeout);
}

vg_usec_t pinger_last_reply(const struct pinger *p)
{
    return p->last_reply;
}

int pinger_target_count(const struct pinger *p)
{
    return p->n;
}

int pinger_target_status(const struct pinger *p, int i, struct pinger_target_status *out)
{
    if (i < 0 || i >= p->n)
        return -EINVAL;
    const struct ping_target *t = &p->targets[i];
    memset(out, 0, sizeof(*out));
    out->addr = t->addr;
    out->len = t->len;
    out->last_reply = t->last_reply;
    out->sent = t->sent;
    out->received = t->received;
    out->send_errors = t->send_errors;
    return 0;
}

void pinger_free(struct pinger *p)
{
    if (!p)
        return;
    sd_event_source_disable_unref(p->timer);
    sd_event_source_disable_unref(p->io4);
    sd_event_source_disable_unref(p->io6);
    if (p->fd4 >= 0)
        close(p->fd4);
    if (p->fd6 >= 0)
        close(p->fd6);
    free(p);
}
