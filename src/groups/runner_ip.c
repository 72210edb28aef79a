/* The ip adapter: a floating address as a group resource.
 *
 *   start   = resolve its link, add it, announce it: the first round at
 *             once, the other announce_count - 1 rounds RES_IP_ANNOUNCE_INTERVAL
 *             apart from a timer, while the group goes on starting
 *   stop    = stop announcing, delete it (absent already is a success)
 *   monitor = res_ip_check: on the link and the link up
 *
 * Each call through runner_ip_ops is a short netlink round trip with the
 * kernel (no network I/O), so they run from the loop; nothing here waits.
 * The on-the-wire probe for another holder (ip_probe.c) is not used: rule 2
 * already keeps a second node from starting the group, and the probe would
 * add its wait to every failover. */
#include "runner_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TIMER_ACCURACY VG_USEC_PER_MSEC

/* "start of web/vip (ip 192.0.2.100/24 on eth0)": the agents' style. */
static const char *label(const struct runner_res *x, enum agent_action a, char *buf, size_t len)
{
    char text[RES_IP_TEXT_MAX];

    res_ip_format(&x->d.ip.addr, text, sizeof(text));
    snprintf(buf, len, "%s of %s/%s (ip %s%s%s)", agent_action_name(a), x->r->name, x->d.name, text,
             x->ip.have_link ? " on " : "", x->ip.have_link ? x->ip.link.name : "");
    return buf;
}

static const struct runner_ip_ops *ops(const struct runner_res *x)
{
    return x->r->cb.ip;
}

static void announce_stop(struct runner_res *x)
{
    if (x->ip.announcing)
        ops(x)->announce_close(&x->ip.ann);
    x->ip.announcing = false;
    if (x->ip.ann_timer)
        sd_event_source_set_enabled(x->ip.ann_timer, SD_EVENT_OFF);
}

void runner_ip_release(struct runner_res *x)
{
    if (x->d.kind != RUNNER_IP)
        return;
    announce_stop(x);
    x->ip.ann_timer = sd_event_source_disable_unref(x->ip.ann_timer);
}

static void announce_warn(struct runner_res *x, const char *err)
{
    struct runner *r = x->r;

    runner_emit(r, RUNNER_EV_WARNING, LOG_LVL_WARN, x,
                "group %s on %s: resource %s: the address is up, but its announcement stopped "
                "after %d of %d rounds, so neighbours may keep the old holder for a while: %s",
                r->name, r->node, x->d.name, x->ip.ann.rounds, x->d.ip.announce_count, err);
}

static int announce_arm(struct runner_res *x);

static int on_announce(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct runner_res *x = userdata;
    struct runner *r = x->r;
    char err[RES_IP_ERR_MAX] = "";
    int rc;

    if (!x->ip.announcing)
        return 0;
    runner_enter(r);
    if ((rc = ops(x)->announce_round(&x->ip.ann, err, sizeof(err))) < 0) {
        announce_warn(x, err);
        announce_stop(x);
    } else if (x->ip.ann.rounds >= x->d.ip.announce_count) {
        announce_stop(x);
    } else if ((rc = announce_arm(x)) < 0) {
        announce_warn(x, strerror(-rc));
        announce_stop(x);
    }
    runner_leave(r);
    return 0;
}

static int announce_arm(struct runner_res *x)
{
    vg_usec_t at = runner_loop_now(x->r) + RES_IP_ANNOUNCE_INTERVAL;
    int rc;

    if (x->r->freed)
        return -ESTALE;
    if (x->ip.ann_timer) {
        if ((rc = sd_event_source_set_time(x->ip.ann_timer, at)) < 0)
            return rc;
        return sd_event_source_set_enabled(x->ip.ann_timer, SD_EVENT_ONESHOT);
    }
    rc = sd_event_add_time(x->r->ev, &x->ip.ann_timer, CLOCK_MONOTONIC, at, TIMER_ACCURACY,
                           on_announce, x);
    if (rc < 0)
        return rc;
    return sd_event_source_set_priority(x->ip.ann_timer, x->r->priority);
}

/* Open the announcer and send the first round; the timer sends the rest.
 * A failure here does not fail the start (the address works; neighbours
 * learn it later): it is a warning. Fills note with what happened. */
static void announce_begin(struct runner_res *x, char *note, size_t len)
{
    char err[RES_IP_ERR_MAX] = "";
    int count = x->d.ip.announce_count, rc;

    if (count <= 0) {
        snprintf(note, len, "not announced (announce-count 0)");
        return;
    }
    rc = ops(x)->announce_open(&x->ip.ann, &x->d.ip.addr, &x->ip.link, err, sizeof(err));
    if (rc == -EOPNOTSUPP) {
        snprintf(note, len, "not announced: %s", err);
        return;
    }
    if (rc < 0) {
        snprintf(note, len, "not announced");
        announce_warn(x, err);
        return;
    }
    x->ip.announcing = true;
    if ((rc = ops(x)->announce_round(&x->ip.ann, err, sizeof(err))) < 0) {
        snprintf(note, len, "not announced");
        announce_warn(x, err);
        announce_stop(x);
        return;
    }
    if (count == 1)
        snprintf(note, len, "announced");
    else
        snprintf(note, len, "announcing it %d times, %llu ms apart", count,
                 (unsigned long long)(RES_IP_ANNOUNCE_INTERVAL / VG_USEC_PER_MSEC));
    if (x->ip.ann.rounds >= count) {
        announce_stop(x);
    } else if ((rc = announce_arm(x)) < 0) {
        announce_warn(x, strerror(-rc));
        announce_stop(x);
    }
}

static enum agent_outcome ip_start(struct runner_res *x, char *reason, size_t len)
{
    char err[RES_IP_ERR_MAX] = "", what[256], note[RES_IP_ERR_MAX + 64] = "";

    announce_stop(x);
    x->ip.have_link = false; /* the interface is chosen afresh at every start */
    x->ip.nothing_added = true;
    if (ops(x)->resolve(&x->d.ip, &x->ip.link, err, sizeof(err)) < 0) {
        snprintf(reason, len, "%s failed: %s", label(x, AGENT_ACTION_START, what, sizeof(what)),
                 err);
        return AGENT_FAILED;
    }
    x->ip.have_link = true;
    if (ops(x)->add(&x->d.ip, &x->ip.link, err, sizeof(err)) < 0) {
        snprintf(reason, len, "%s failed: %s", label(x, AGENT_ACTION_START, what, sizeof(what)),
                 err);
        return AGENT_FAILED;
    }
    x->ip.nothing_added = false;
    announce_begin(x, note, sizeof(note));
    snprintf(reason, len, "%s: added, %s", label(x, AGENT_ACTION_START, what, sizeof(what)), note);
    return AGENT_OK;
}

/* The link to look at for a stop or a monitor: the one start chose, else
 * resolved now (after vigild restarted, a probe finds it there). */
static int ip_link(struct runner_res *x, char *err, size_t len)
{
    int rc;

    if (x->ip.have_link)
        return 0;
    if ((rc = ops(x)->resolve(&x->d.ip, &x->ip.link, err, len)) < 0)
        return rc;
    x->ip.have_link = true;
    return 0;
}

static enum agent_outcome ip_stop(struct runner_res *x, char *reason, size_t len)
{
    char err[RES_IP_ERR_MAX] = "", what[256];
    int rc;

    announce_stop(x);
    if (x->ip.nothing_added) {
        /* the start that failed added nothing (and it was not here before: stopped) */
        snprintf(reason, len, "%s: succeeded, the failed start added nothing",
                 label(x, AGENT_ACTION_STOP, what, sizeof(what)));
        x->ip.nothing_added = false;
        return AGENT_OK;
    }
    rc = ip_link(x, err, sizeof(err));
    if (rc == -ENODEV) {
        /* no interface holds it or its network: it cannot be on this host */
        snprintf(reason, len, "%s: succeeded, it was not here (%s)",
                 label(x, AGENT_ACTION_STOP, what, sizeof(what)), err);
        return AGENT_OK;
    }
    if (rc < 0 || ops(x)->del(&x->d.ip, &x->ip.link, err, sizeof(err)) < 0) {
        snprintf(reason, len, "%s failed: %s: the address may still be up here",
                 label(x, AGENT_ACTION_STOP, what, sizeof(what)), err);
        return AGENT_FAILED;
    }
    snprintf(reason, len, "%s: succeeded, removed",
             label(x, AGENT_ACTION_STOP, what, sizeof(what)));
    x->ip.have_link = false;
    return AGENT_OK;
}

static enum agent_outcome ip_monitor(struct runner_res *x, char *reason, size_t len)
{
    char err[RES_IP_ERR_MAX] = "", what[256];
    enum res_ip_status st = RES_IP_ABSENT;
    int rc;

    x->ip.nothing_added = false;
    rc = ip_link(x, err, sizeof(err));

    if (rc == -ENODEV) {
        snprintf(reason, len, "%s: not running: %s",
                 label(x, AGENT_ACTION_MONITOR, what, sizeof(what)), err);
        return AGENT_NOT_RUNNING;
    }
    if (rc < 0 || (rc = ops(x)->check(&x->d.ip, x->ip.link.ifindex, &st, err, sizeof(err))) < 0) {
        snprintf(reason, len, "%s failed: %s", label(x, AGENT_ACTION_MONITOR, what, sizeof(what)),
                 err);
        return AGENT_FAILED;
    }
    label(x, AGENT_ACTION_MONITOR, what, sizeof(what));
    switch (st) {
    case RES_IP_PRESENT:
        snprintf(reason, len, "%s: running (present, link up)", what);
        return AGENT_OK;
    case RES_IP_ABSENT:
        snprintf(reason, len, "%s: not running: %s", what, err);
        return AGENT_NOT_RUNNING;
    default:
        /* the link is down, or IPv6 found a duplicate: err says which */
        snprintf(reason, len, "%s failed: %s", what, err);
        return AGENT_FAILED;
    }
}

enum agent_outcome runner_ip_run(struct runner_res *x, enum agent_action a, char *reason,
                                 size_t len)
{
    switch (a) {
    case AGENT_ACTION_START:
        return ip_start(x, reason, len);
    case AGENT_ACTION_STOP:
        return ip_stop(x, reason, len);
    case AGENT_ACTION_MONITOR:
        return ip_monitor(x, reason, len);
    default:
        snprintf(reason, len, "%s of %s/%s (ip): an ip resource has only start, stop and monitor",
                 agent_action_name(a), x->r->name, x->d.name);
        return AGENT_CANNOT_RUN;
    }
}
