/* vigil_iptool: drive the `ip` resource primitives (src/resources) by hand,
 * for the system tests and for trying them out. Test-only; not installed.
 *
 *   vigil_iptool add|del|check|announce|probe ADDR/PREFIX [--interface IF]
 *                [--count N] [--timeout MS]
 *
 * Exit codes:
 *   0  done: added, deleted (or already absent), present and link up,
 *      announced, probe found the address free
 *   1  error (the message on stderr says what and what to do)
 *   2  usage error
 *   3  check: absent
 *   4  check: present, but the link is down (or IPv6 DAD failed)
 *   5  probe: the address is in use by another machine (its MAC on stdout)
 *
 * This is a CLI: unlike the daemon it may wait, so it stands in for the
 * event loop by polling with its own deadlines. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/common/clock.h"
#include "../../src/resources/resources.h"

enum {
    EXIT_DONE = 0,
    EXIT_ERROR = 1,
    EXIT_USAGE = 2,
    EXIT_ABSENT = 3,
    EXIT_LINK_DOWN = 4,
    EXIT_IN_USE = 5,
};

#define PROBE_COUNT_DEFAULT 2
#define PROBE_INTERVAL (200 * VG_USEC_PER_MSEC)

static void usage(FILE *to)
{
    fprintf(to,
            "usage: vigil_iptool add|del|check|announce|probe ADDR/PREFIX [--interface IF]\n"
            "                    [--count N] [--timeout MS]\n"
            "  add       add the address (IPv6 without DAD delay)\n"
            "  del       remove it (absent already is fine)\n"
            "  check     is it on the interface, and is the link up?\n"
            "  announce  N rounds (default %d) of gratuitous ARP / unsolicited NA, %llu ms "
            "apart\n"
            "  probe     N probes (default %d), %llu ms apart; free after MS ms (default %llu)\n"
            "            without an answer\n"
            "  --interface IF: default the interface whose network holds the address\n"
            "exit: 0 done/present/free, 1 error, 2 usage, 3 absent, 4 link down, 5 in use\n",
            RES_IP_ANNOUNCE_COUNT_DEFAULT,
            (unsigned long long)(RES_IP_ANNOUNCE_INTERVAL / VG_USEC_PER_MSEC), PROBE_COUNT_DEFAULT,
            (unsigned long long)(PROBE_INTERVAL / VG_USEC_PER_MSEC),
            (unsigned long long)(RES_IP_PROBE_WAIT_DEFAULT / VG_USEC_PER_MSEC));
}

/* Wait until `until` on the monotonic clock, or for fd to become readable
 * (fd < 0: just wait). Returns true when fd is readable. */
static bool wait_until(vg_usec_t until, int fd)
{
    vg_usec_t now = clock_now();
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ms = until > now ? (int)((until - now + 999) / VG_USEC_PER_MSEC) : 0;

    return poll(&pfd, fd >= 0 ? 1 : 0, ms) > 0 && (pfd.revents & POLLIN);
}

static int do_announce(const struct res_ip *ip, const struct res_ip_link *link, int count)
{
    struct res_ip_announce a;
    char err[RES_IP_ERR_MAX], text[RES_IP_TEXT_MAX];
    vg_usec_t start = clock_now();
    int rc = res_ip_announce_open(&a, &ip->addr, link, err, sizeof(err));

    if (rc < 0) {
        fprintf(stderr, "vigil_iptool: %s\n", err);
        return EXIT_ERROR;
    }
    for (int i = 0; i < count && rc == 0; i++) {
        wait_until(start + (vg_usec_t)i * RES_IP_ANNOUNCE_INTERVAL, -1);
        rc = res_ip_announce_round(&a, err, sizeof(err));
    }
    res_ip_announce_close(&a);
    if (rc < 0) {
        fprintf(stderr, "vigil_iptool: %s\n", err);
        return EXIT_ERROR;
    }
    printf("announced %s on %s (%d rounds)\n", res_ip_format_host(&ip->addr, text, sizeof(text)),
           link->name, a.rounds);
    return EXIT_DONE;
}

static int do_probe(const struct res_ip *ip, const struct res_ip_link *link, int count,
                    vg_usec_t wait)
{
    struct res_ip_probe p;
    char err[RES_IP_ERR_MAX], mac[RES_IP_MAC_TEXT_MAX], text[RES_IP_TEXT_MAX];
    vg_usec_t start = clock_now(), deadline, next;
    int rc = res_ip_probe_start(&p, &ip->addr, link, err, sizeof(err));

    if (rc < 0) {
        fprintf(stderr, "vigil_iptool: %s\n", err);
        return EXIT_ERROR;
    }
    deadline = start + (vg_usec_t)(count - 1) * PROBE_INTERVAL + PROBE_INTERVAL;
    if (start + wait > deadline)
        deadline = start + wait;
    while (rc == 0 && p.result == RES_IP_PROBE_PENDING && clock_now() < deadline) {
        next = p.sent < count ? start + (vg_usec_t)p.sent * PROBE_INTERVAL : deadline;
        if (wait_until(next < deadline ? next : deadline, p.s.fd))
            rc = res_ip_probe_read(&p, err, sizeof(err));
        else if (p.sent < count && clock_now() >= next)
            rc = res_ip_probe_send(&p, err, sizeof(err));
    }
    res_ip_probe_close(&p);
    if (rc < 0) {
        fprintf(stderr, "vigil_iptool: %s\n", err);
        return EXIT_ERROR;
    }
    res_ip_format_host(&ip->addr, text, sizeof(text));
    if (p.result == RES_IP_PROBE_IN_USE) {
        printf("in use: %s answers from %s on %s\n", text,
               res_ip_format_mac(p.peer, mac, sizeof(mac)), link->name);
        return EXIT_IN_USE;
    }
    printf("free: no answer for %s on %s after %d probes\n", text, link->name, p.sent);
    return EXIT_DONE;
}

static int do_check(const struct res_ip *ip, const struct res_ip_link *link)
{
    enum res_ip_status st;
    char err[RES_IP_ERR_MAX], text[RES_IP_TEXT_MAX];
    int rc = res_ip_check(ip, link->ifindex, &st, err, sizeof(err));

    if (rc < 0) {
        fprintf(stderr, "vigil_iptool: %s\n", err);
        return EXIT_ERROR;
    }
    printf("%s %s %s\n", res_ip_status_name(st), res_ip_format(&ip->addr, text, sizeof(text)),
           link->name);
    if (st != RES_IP_PRESENT)
        fprintf(stderr, "vigil_iptool: %s\n", err);
    return st == RES_IP_PRESENT ? EXIT_DONE : st == RES_IP_ABSENT ? EXIT_ABSENT : EXIT_LINK_DOWN;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"interface", required_argument, NULL, 'i'},
        {"count", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char err[RES_IP_ERR_MAX], text[RES_IP_TEXT_MAX];
    const char *cmd, *count_arg = NULL;
    struct res_ip ip;
    struct res_ip_link link;
    vg_usec_t wait = RES_IP_PROBE_WAIT_DEFAULT;
    int count, o, rc;
    char *end;

    res_ip_init(&ip);
    while ((o = getopt_long(argc, argv, "i:c:t:h", opts, NULL)) != -1) {
        switch (o) {
        case 'i':
            if (res_ip_set_key(&ip, "interface", optarg, err, sizeof(err)) < 0) {
                fprintf(stderr, "vigil_iptool: %s\n", err);
                return EXIT_USAGE;
            }
            break;
        case 'c':
            count_arg = optarg;
            break;
        case 't':
            wait = strtoull(optarg, &end, 10) * VG_USEC_PER_MSEC;
            if (*optarg == '\0' || *end != '\0' || wait == 0) {
                fprintf(stderr, "vigil_iptool: --timeout: expected milliseconds, e.g. 500\n");
                return EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return EXIT_DONE;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    cmd = argv[optind];
    if (strcmp(cmd, "add") != 0 && strcmp(cmd, "del") != 0 && strcmp(cmd, "check") != 0 &&
        strcmp(cmd, "announce") != 0 && strcmp(cmd, "probe") != 0) {
        fprintf(stderr, "vigil_iptool: unknown command '%s'\n", cmd);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (res_ip_set_key(&ip, "address", argv[optind + 1], err, sizeof(err)) < 0 ||
        (count_arg && res_ip_set_key(&ip, "announce-count", count_arg, err, sizeof(err)) < 0)) {
        fprintf(stderr, "vigil_iptool: %s\n", err);
        return EXIT_USAGE;
    }
    count = count_arg                   ? ip.announce_count
            : strcmp(cmd, "probe") == 0 ? PROBE_COUNT_DEFAULT
                                        : ip.announce_count;
    if (strcmp(cmd, "probe") == 0 && count < 1) {
        fprintf(stderr, "vigil_iptool: probe: --count must be at least 1\n");
        return EXIT_USAGE;
    }

    rc = res_ip_resolve(&ip, &link, err, sizeof(err));
    if (rc == -ENODEV && !ip.interface[0] && (!strcmp(cmd, "del") || !strcmp(cmd, "check"))) {
        /* no interface holds it or its network: certainly absent */
        res_ip_format(&ip.addr, text, sizeof(text));
        printf("absent %s\n", text);
        return strcmp(cmd, "del") == 0 ? EXIT_DONE : EXIT_ABSENT;
    }
    if (rc < 0) {
        fprintf(stderr, "vigil_iptool: %s\n", err);
        return EXIT_ERROR;
    }
    res_ip_format(&ip.addr, text, sizeof(text));
    if (strcmp(cmd, "add") == 0 || strcmp(cmd, "del") == 0) {
        bool add = cmd[0] == 'a';

        rc = add ? res_ip_add(&ip, &link, err, sizeof(err))
                 : res_ip_del(&ip, &link, err, sizeof(err));
        if (rc < 0) {
            fprintf(stderr, "vigil_iptool: %s\n", err);
            return EXIT_ERROR;
        }
        printf("%s %s %s\n", add ? "added" : "deleted", text, link.name);
        return EXIT_DONE;
    }
    if (strcmp(cmd, "check") == 0)
        return do_check(&ip, &link);
    if (strcmp(cmd, "announce") == 0)
        return do_announce(&ip, &link, count);
    return do_probe(&ip, &link, count, wait);
}
