/* The watchdog in vigild (watchdog_run.h). */
#include "watchdog_run.h"

#include "daemon.h"
#include "groups.h"

#include <errno.h>
#include <string.h>

#include "../common/log.h"
#include "../groups/runner.h"

#define KICK_MAX (1 * VG_USEC_PER_SEC) /* kick at least this often */

/* A group whose stop failed here: it may run on. */
static bool stop_failed_here(const struct daemon *d)
{
    for (int g = 0; g < d->conf.n_groups; g++)
        if (d->groups.run[g] && runner_state(d->groups.run[g]) == RUNNER_STOP_FAILED)
            return true;
    return false;
}

/* Every group here stopped or failed (a failed one was stopped again):
 * nothing to protect by a reset. */
static bool nothing_active(const struct daemon *d)
{
    for (int g = 0; g < d->conf.n_groups; g++) {
        const struct runner *r = d->groups.run[g];
        enum runner_state s = r ? runner_state(r) : RUNNER_STOPPED;
        if (s != RUNNER_STOPPED && s != RUNNER_FAILED)
            return false;
    }
    return true;
}

static vg_usec_t kick_period(const struct daemon *d)
{
    vg_usec_t p = d->conf.watchdog_timeout / 4;

    return p < KICK_MAX ? p : KICK_MAX;
}

static int on_control(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct daemon *d = userdata;

    d->wd.control_at = clock_now();
    sd_event_source_set_time(s, d->wd.control_at + kick_period(d));
    sd_event_source_set_enabled(s, SD_EVENT_ON);
    return 0;
}

static int on_kick(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct daemon *d = userdata;
    struct daemon_watchdog *W = &d->wd;
    vg_usec_t now = clock_now();
    const char *how;
    bool quorate = membership_quorate(d, &how);
    char err[WATCHDOG_ERR_MAX];

    if (quorate)
        W->seen_quorum = true;
    struct watchdog_health h = {
        .now = now,
        .loop_turned = W->control_at,
        .hb_alive = W->hb_at,
        .quorum_required = d->conf.quorum != QUORUM_NONE && W->seen_quorum,
        .quorate = quorate,
        .nothing_active = nothing_active(d),
        .stop_failed = stop_failed_here(d),
    };
    /* the control path and the heartbeats may each lag the heartbeat
     * timeout before it counts: what the peers would notice */
    struct watchdog_limits l = {.loop_max = d->conf.timeout + kick_period(d),
                                .hb_max = d->conf.timeout};
    enum watchdog_verdict v = watchdog_decide(&h, &l);

    if (v == WATCHDOG_KICK) {
        if (watchdog_kick(&W->dev, err, sizeof(err)) < 0)
            log_err("watchdog: %s", err);
        if (W->holding_since)
            log_notice("watchdog: kicking %s again after %.1f s (healthy again)", W->dev.path,
                       (double)(now - W->holding_since) / VG_USEC_PER_SEC);
        W->holding_since = 0;
    } else if (!W->holding_since || v != W->last) {
        if (!W->holding_since)
            W->holding_since = now;
        log_err("watchdog: not kicking %s: %s; this node resets %us after its last kick unless "
                "it recovers",
                W->dev.path, watchdog_verdict_text(v), W->dev.timeout_s);
    }
    W->last = v;
    sd_event_source_set_time(s, now + kick_period(d));
    sd_event_source_set_enabled(s, SD_EVENT_ON);
    return 0;
}

int watchdog_run_start(struct daemon *d)
{
    struct daemon_watchdog *W = &d->wd;
    char err[WATCHDOG_ERR_MAX];
    unsigned want = (unsigned)(d->conf.watchdog_timeout / VG_USEC_PER_SEC);
    bool nowayout = false;
    vg_usec_t now = clock_now();
    int r;

    W->dev.fd = -1;
    if (!d->conf.watchdog)
        return 0;
    if (watchdog_nowayout(d->conf.watchdog_device, &nowayout) == 0 && nowayout)
        log_warn("watchdog %s: its driver was loaded with nowayout: no stop disarms it, so "
                 "stopping vigild resets this node %us later; stop vigild only to reboot, or "
                 "reload the driver without nowayout",
                 d->conf.watchdog_device, want);
    if ((r = watchdog_open(&W->dev, d->conf.watchdog_device, want, err, sizeof(err))) < 0) {
        log_err("%s:%d: [watchdog]: %s", d->conf.path, d->conf.watchdog_line, err);
        return r;
    }
    W->armed = true;
    if (W->dev.timeout_set)
        log_notice("watchdog %s%s%s armed: timeout %us", W->dev.path, W->dev.identity[0] ? " " : "",
                   W->dev.identity, W->dev.timeout_s);
    else
        log_notice("watchdog %s armed: it does not take a timeout (WDIOC_SETTIMEOUT): trusting "
                   "the configured %us",
                   W->dev.path, want);
    if (W->dev.timeout_s != want)
        log_warn("watchdog %s: the driver took a timeout of %us instead of %us", W->dev.path,
                 W->dev.timeout_s, want);
    W->control_at = W->hb_at = now;
    W->last = WATCHDOG_KICK;
    if (watchdog_kick(&W->dev, err, sizeof(err)) < 0)
        log_err("watchdog: %s", err);
    if ((r = sd_event_add_time(d->ev, &W->kick_timer, CLOCK_MONOTONIC, now + kick_period(d), 1,
                               on_kick, d)) < 0 ||
        (r = sd_event_add_time(d->ev, &W->control_timer, CLOCK_MONOTONIC, now + kick_period(d), 1,
                               on_control, d)) < 0) {
        log_err("watchdog: cannot add its timers: %s", strerror(-r));
        return r;
    }
    sd_event_source_set_priority(W->kick_timer, PRIO_HEARTBEAT);
    sd_event_source_set_priority(W->control_timer, PRIO_CONTROL);
    return 0;
}

void watchdog_run_stop(struct daemon *d)
{
    struct daemon_watchdog *W = &d->wd;
    char err[WATCHDOG_ERR_MAX];
    bool disarm;

    W->kick_timer = sd_event_source_disable_unref(W->kick_timer);
    W->control_timer = sd_event_source_disable_unref(W->control_timer);
    if (!W->armed)
        return;
    disarm = nothing_active(d);
    if (watchdog_close(&W->dev, disarm, err, sizeof(err)) < 0)
        log_err("watchdog: %s", err);
    else if (disarm)
        log_notice("watchdog %s disarmed (nothing runs here)", W->dev.path);
    else
        log_err("watchdog %s left armed: a group may still be active here (its stop did not "
                "end): this node resets within %us",
                W->dev.path, W->dev.timeout_s);
    W->armed = false;
}
