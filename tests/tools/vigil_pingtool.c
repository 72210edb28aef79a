/* vigil_pingtool: run the ICMP echo prober (src/links/ping.c) on its own
 * sd-event loop, for the system tests and for trying it out. Test-only; not
 * installed.
 *
 *   vigil_pingtool TARGET... [--seconds N] [--interval MS] [--timeout MS]
 *                  [--count N]
 *
 * Once per interval prints one line, "reachable" or "unreachable", then the
 * time since start and each target's counters. Runs for N seconds (default:
 * until killed). Exit: 0 done, 1 error (the message on stderr), 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "../../src/common/clock.h"
#include "../../src/links/ping.h"

#define DEFAULT_INTERVAL (1000 * VG_USEC_PER_MSEC)
#define DEFAULT_TIMEOUT (3000 * VG_USEC_PER_MSEC)
#define DEFAULT_COUNT 1

struct tool {
    struct pinger *pinger;
    vg_usec_t start, interval;
};

static void usage(FILE *to)
{
    fprintf(to,
            "usage: vigil_pingtool TARGET... [--seconds N] [--interval MS] [--timeout MS]\n"
            "                      [--count N]\n"
            "  TARGET: a numeric IPv4 or IPv6 address (fe80::1%%eth0 for link-local),\n"
            "          at most %d\n"
            "  prints \"reachable\" or \"unreachable\" once per interval (default %llu ms):\n"
            "  reachable when a target answered within the timeout (default %llu ms);\n"
            "  --count N echo requests per target per interval (default %d)\n",
            PING_MAX_TARGETS, (unsigned long long)(DEFAULT_INTERVAL / VG_USEC_PER_MSEC),
            (unsigned long long)(DEFAULT_TIMEOUT / VG_USEC_PER_MSEC), DEFAULT_COUNT);
}

/* A positive integer option, or -1. */
static long positive(const char *s)
{
    char *end;

    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v <= 0)
        return -1;
    return v;
}

/* A numeric address, strictly (getaddrinfo would take "1.2.3" too); IPv6
 * may carry a zone: fe80::1%eth0. */
static int parse_target(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    char host[INET6_ADDRSTRLEN];
    const char *zone = strchr(s, '%');

    memset(ss, 0, sizeof(*ss));
    if (!zone && inet_pton(AF_INET, s, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        *len = sizeof(*v4);
        return 0;
    }
    if ((zone ? (size_t)(zone - s) : strlen(s)) >= sizeof(host))
        return -EINVAL;
    snprintf(host, sizeof(host), "%.*s", zone ? (int)(zone - s) : (int)strlen(s), s);
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1)
        return -EINVAL;
    if (zone && !(v6->sin6_scope_id = if_nametoindex(zone + 1)))
        return -EINVAL;
    v6->sin6_family = AF_INET6;
    *len = sizeof(*v6);
    return 0;
}

static int on_report(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct tool *t = userdata;
    vg_usec_t now = clock_now();

    printf("%s %.2f", pinger_reachable(t->pinger, now) ? "reachable" : "unreachable",
           (double)(now - t->start) / VG_USEC_PER_SEC);
    for (int i = 0; i < pinger_target_count(t->pinger); i++) {
        struct pinger_target_status st;
        char host[NI_MAXHOST];

        pinger_target_status(t->pinger, i, &st);
        if (getnameinfo((struct sockaddr *)&st.addr, st.len, host, sizeof(host), NULL, 0,
                        NI_NUMERICHOST) != 0)
            snprintf(host, sizeof(host), "?");
        printf(" %s:sent=%llu,received=%llu,errors=%llu,age_ms=%lld", host,
               (unsigned long long)st.sent, (unsigned long long)st.received,
               (unsigned long long)st.send_errors,
               st.last_reply ? (long long)((now - st.last_reply) / VG_USEC_PER_MSEC) : -1LL);
    }
    printf("\n");
    fflush(stdout);
    sd_event_source_set_time(s, usec + t->interval);
    sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
    return 0;
}

static int on_done(sd_event_source *s, uint64_t usec, void *userdata)
{
    return sd_event_exit(sd_event_source_get_event(s), 0);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seconds", required_argument, NULL, 's'}, {"interval", required_argument, NULL, 'i'},
        {"timeout", required_argument, NULL, 't'}, {"count", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    struct sockaddr_storage targets[PING_MAX_TARGETS];
    socklen_t lens[PING_MAX_TARGETS];
    struct tool t = {.interval = DEFAULT_INTERVAL};
    vg_usec_t timeout = DEFAULT_TIMEOUT;
    long seconds = 0, count = DEFAULT_COUNT, v;
    int opt, n = 0;
    char err[512];

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return 0;
        }
        if (opt == '?' || (v = positive(optarg)) < 0) {
            usage(stderr);
            return 2;
        }
        if (opt == 's')
            seconds = v;
        else if (opt == 'i')
            t.interval = (vg_usec_t)v * VG_USEC_PER_MSEC;
        else if (opt == 't')
            timeout = (vg_usec_t)v * VG_USEC_PER_MSEC;
        else
            count = v;
    }
    if (optind >= argc || argc - optind > PING_MAX_TARGETS) {
        usage(stderr);
        return 2;
    }
    for (int i = optind; i < argc; i++, n++) {
        if (parse_target(argv[i], &targets[n], &lens[n]) < 0) {
            fprintf(stderr, "vigil_pingtool: %s is not a numeric IP address\n", argv[i]);
            return 2;
        }
    }

    sd_event *ev = NULL;
    sd_event_source *report = NULL, *done = NULL;
    int r = sd_event_new(&ev);
    if (r < 0) {
        fprintf(stderr, "vigil_pingtool: sd_event_new: %s\n", strerror(-r));
        return 1;
    }
    r = pinger_new(&t.pinger, ev, "tool", targets, lens, n, (int)count, t.interval, timeout, 0, err,
                   sizeof(err));
    if (r < 0) {
        fprintf(stderr, "vigil_pingtool: %s\n", err);
        sd_event_unref(ev);
        return 1;
    }
    t.start = clock_now();
    r = sd_event_add_time(ev, &report, CLOCK_MONOTONIC, t.start + t.interval, 1000, on_report, &t);
    if (r >= 0) {
        /* half an interval after the last report of the run, not racing it */
        vg_usec_t end = t.start + (vg_usec_t)seconds * VG_USEC_PER_SEC + t.interval / 2;
        r = seconds ? sd_event_add_time(ev, &done, CLOCK_MONOTONIC, end, 1000, on_done, NULL) : 0;
    }
    if (r >= 0) {
        sd_event_source_set_enabled(report, SD_EVENT_ONESHOT);
        r = sd_event_loop(ev);
    }
    if (r < 0)
        fprintf(stderr, "vigil_pingtool: event loop: %s\n", strerror(-r));
    sd_event_source_disable_unref(report);
    sd_event_source_disable_unref(done);
    pinger_free(t.pinger);
    sd_event_unref(ev);
    return r < 0 ? 1 : 0;
}
