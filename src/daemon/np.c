/* Network-partition resolution ([np] sections, docs/membership.md): keep
 * probing whether this node reaches the outside — ping targets, or an HTTP
 * URL — so that, in a tie, a side that cannot is known at once and loses. */
#include "daemon.h"

#include <stdio.h>
#include <string.h>

#include "../common/log.h"

#define PRIO_NP (PRIO_HEARTBEAT + 20)

static int np_of_http(const struct daemon *d, const struct witness_http *w)
{
    for (int k = 0; k < d->conf.n_nps; k++)
        if (d->np_http[k] == w)
            return k;
    return -1;
}

/* Any HTTP answer at all proves the path; a failure before one does not. */
static void on_http_answer(struct witness_http *w, long status, const char *body, size_t len,
                           int err, const char *errtext, void *userdata)
{
    struct daemon *d = userdata;
    int k = np_of_http(d, w);

    if (k < 0)
        return;
    if (!err) {
        d->np_http_last_ok[k] = clock_now();
        d->np_http_error[k][0] = '\0';
    } else {
        snprintf(d->np_http_error[k], sizeof(d->np_http_error[k]), "%s", errtext);
    }
}

static int on_http_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct daemon *d = userdata;

    for (int k = 0; k < d->conf.n_nps; k++) {
        if (d->np_timer[k] != s)
            continue;
        sd_event_source_set_time(s, usec + d->conf.nps[k].interval);
        sd_event_source_set_enabled(s, SD_EVENT_ON);
        if (!witness_http_busy(d->np_http[k]))
            witness_http_get(d->np_http[k], "");
    }
    return 0;
}

int np_start(struct daemon *d)
{
    char err[256];
    int r;

    for (int k = 0; k < d->conf.n_nps; k++) {
        const struct conf_np *np = &d->conf.nps[k];
        if (np->type == NP_PING) {
            r = pinger_new(&d->np_ping[k], d->ev, np->name, np->targets, np->target_len,
                           np->n_targets, np->count, np->interval, np->timeout, PRIO_NP, err,
                           sizeof(err));
            if (r < 0) {
                log_err("np %s: %s", np->name, err);
                return r;
            }
            continue;
        }
        struct witness_http_opts o = {
            .url = np->url, .token = NULL, .timeout = np->timeout, .priority = PRIO_NP};
        r = witness_http_new(&d->np_http[k], d->ev, &o, on_http_answer, d);
        if (r < 0) {
            log_err("np %s: cannot set up its HTTP client: %s", np->name, strerror(-r));
            return r;
        }
        r = sd_event_add_time(d->ev, &d->np_timer[k], CLOCK_MONOTONIC, clock_now(), 1000,
                              on_http_timer, d);
        if (r < 0)
            return r;
        sd_event_source_set_priority(d->np_timer[k], PRIO_NP);
        sd_event_source_set_enabled(d->np_timer[k], SD_EVENT_ON);
    }
    return 0;
}

void np_stop(struct daemon *d)
{
    for (int k = 0; k < d->conf.n_nps; k++) {
        pinger_free(d->np_ping[k]);
        d->np_ping[k] = NULL;
        d->np_timer[k] = sd_event_source_disable_unref(d->np_timer[k]);
        witness_http_free(d->np_http[k]);
        d->np_http[k] = NULL;
    }
}

bool np_reachable(const struct daemon *d, int k, vg_usec_t now, char *why, size_t len)
{
    const struct conf_np *np = &d->conf.nps[k];
    bool ok;

    if (np->type == NP_PING) {
        ok = d->np_ping[k] && pinger_reachable(d->np_ping[k], now);
        snprintf(why, len, "np %s: %s its ping targets", np->name, ok ? "reaches" : "cannot reach");
        return ok;
    }
    ok = d->np_http_last_ok[k] && now - d->np_http_last_ok[k] < np->timeout;
    if (ok)
        snprintf(why, len, "np %s: reaches %s", np->name, np->url);
    else
        snprintf(why, len, "np %s: cannot reach %s%s%s", np->name, np->url,
                 d->np_http_error[k][0] ? ": " : "", d->np_http_error[k]);
    return ok;
}
