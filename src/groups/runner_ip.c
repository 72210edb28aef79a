/* The ip adapter: a floating address as a group resource.
 *
 *   start   = resolve its link; unless probe-timeout is 0 or the address is
 *             on the link already, probe the network for another holder
 *             (ip_probe.c: RES_IP_PROBE_COUNT ARP probes or DAD neighbour
 *             solicitations over the window, the answers read from an io
 *             source): an answer from a MAC not of this host fails the
 *             start; silence for the window goes on: add it, announce it
 *             (the first round at once, the other announce_count - 1 rounds
 *             RES_IP_ANNOUNCE_INTERVAL apart from a timer, while the group
 *             goes on starting)
 *   stop    = stop announcing, delete it (absent already is a success)
 *   monitor = res_ip_check: on the link and the link up
 *
 * Each call through runner_ip_ops is a short netlink round trip with the
 * kernel or a non-blocking send or read on a packet socket; the probe's
 * window is the loop's timer, so nothing here waits. Rule 2 keeps a second
 * node of the cluster from starting the group; the probe is for a machine
 * outside it that holds the address (a mistake in the plan, a VM clone). */
#include "runner_internal.h"

#include "../common/errbuf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

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

/* Close the probe and its sources, if one is open. */
static void probe_close(struct runner_res *x)
{
    x->ip.probe_io = sd_event_source_disable_unref(x->ip.probe_io);
    x->ip.probe_timer = sd_event_source_disable_unref(x->ip.probe_timer);
    if (x->ip.probing)
        ops(x)->probe_close(&x->ip.probe);
    x->ip.probing = false;
}

void runner_ip_cancel(struct runner_res *x)
{
    if (x->d.kind == RUNNER_IP)
        probe_close(x);
}

void runner_ip_release(struct runner_res *x)
{
    if (x->d.kind != RUNNER_IP)
        return;
    probe_close(x);
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

/* Add the address and begin announcing it; `how` (may be "") says what the
 * probe found, for the reason. */
static enum agent_outcome add_and_announce(struct runner_res *x, const char *how, char *reason,
                                           size_t len)
{
    char err[RES_IP_ERR_MAX] = "", what[256], note[RES_IP_ERR_MAX + 64] = "";

    label(x, AGENT_ACTION_START, what, sizeof(what));
    if (ops(x)->add(&x->d.ip, &x->ip.link, err, sizeof(err)) < 0) {
        snprintf(reason, len, "%s failed: %s", what, err);
        return AGENT_FAILED;
    }
    x->ip.nothing_added = false;
    announce_begin(x, note, sizeof(note));
    snprintf(reason, len, "%s: %sadded, %s", what, how, note);
    return AGENT_OK;
}

/* The asynchronous start ends: its report goes to the runner (from the loop,
 * inside runner_enter/leave). */
static void start_end(struct runner_res *x, enum agent_outcome o, const char *reason)
{
    probe_close(x);
    x->in_flight = false;
    runner_action_done(x, AGENT_ACTION_START, o, reason);
}

/* The probe cannot do its job (its socket, a send or a read failed): the
 * address is taken all the same (a local fault is no sign of another holder,
 * and refusing would fail every failover from this node), with a warning. */
static void probe_warn(struct runner_res *x, const char *err)
{
    struct runner *r = x->r;
    char text[RES_IP_TEXT_MAX];

    runner_emit(r, RUNNER_EV_WARNING, LOG_LVL_WARN, x,
                "group %s on %s: resource %s: cannot tell whether another machine holds %s, so "
                "taking it without that check: %s",
                r->name, r->node, x->d.name, res_ip_format_host(&x->d.ip.addr, text, sizeof(text)),
                err);
}

static void probe_failed(struct runner_res *x, const char *err)
{
    char reason[RUNNER_REASON_MAX];
    enum agent_outcome o;

    probe_warn(x, err);
    if (!x->ip.probing)
        return; /* the event's callback called it off or freed the runner */
    probe_close(x);
    o = add_and_announce(x, "not probed (see the warning), ", reason, sizeof(reason));
    start_end(x, o, reason);
}

/* Another machine answered for the address: the start fails. */
static void probe_conflict(struct runner_res *x)
{
    char reason[RUNNER_REASON_MAX], what[256], text[RES_IP_TEXT_MAX], mac[RES_IP_MAC_TEXT_MAX];

    snprintf(reason, sizeof(reason),
             "%s failed: another machine holds %s (it answered from %s on %s, still after %llu "
             "ms): not taking it; free the address on that machine or change the resource's "
             "address",
             label(x, AGENT_ACTION_START, what, sizeof(what)),
             res_ip_format_host(&x->d.ip.addr, text, sizeof(text)),
             res_ip_format_mac(x->ip.probe.peer, mac, sizeof(mac)), x->ip.link.name,
             (unsigned long long)(RES_IP_PROBE_CONFLICT_WAIT / VG_USEC_PER_MSEC));
    start_end(x, AGENT_FAILED, reason);
}

/* Silence for the whole window: the address is free. */
static void probe_free(struct runner_res *x)
{
    char reason[RUNNER_REASON_MAX], how[128];
    enum agent_outcome o;
    int sent = x->ip.probe.sent;

    if (x->ip.probe.own_answers)
        snprintf(how, sizeof(how),
                 "no answer to %d probe%s in %llu ms (%d from this node's own interfaces, "
                 "ignored), ",
                 sent, sent == 1 ? "" : "s",
                 (unsigned long long)(x->d.ip.probe_timeout / VG_USEC_PER_MSEC),
                 x->ip.probe.own_answers);
    else
        snprintf(how, sizeof(how), "no answer to %d probe%s in %llu ms, ", sent,
                 sent == 1 ? "" : "s",
                 (unsigned long long)(x->d.ip.probe_timeout / VG_USEC_PER_MSEC));
    probe_close(x);
    o = add_and_announce(x, how, reason, sizeof(reason));
    start_end(x, o, reason);
}

/* When the timer fires next: the next probe (RES_IP_PROBE_COUNT of them,
 * evenly spaced over the window), or the end of the window. */
static vg_usec_t probe_next_at(const struct runner_res *x)
{
    vg_usec_t window = x->d.ip.probe_timeout;
    int sent = x->ip.probe.sent;

    if (sent < RES_IP_PROBE_COUNT)
        return x->ip.probe_began + window * (vg_usec_t)sent / RES_IP_PROBE_COUNT;
    return x->ip.probe_began + window;
}

/* Read what came; true when the start ended (an answer, or an error). */
static bool probe_take(struct runner_res *x)
{
    char err[RES_IP_ERR_MAX] = "";

    if (ops(x)->probe_read(&x->ip.probe, err, sizeof(err)) < 0) {
        probe_failed(x, err);
        return true;
    }
    if (x->ip.probe.result == RES_IP_PROBE_IN_USE) {
        struct runner *r = x->r;
        vg_usec_t now = runner_loop_now(r);
        char text[RES_IP_TEXT_MAX], mac[RES_IP_MAC_TEXT_MAX];
        int rc;

        if (!x->ip.conflict_since) {
            x->ip.conflict_since = now;
            runner_emit(r, RUNNER_EV_WARNING, LOG_LVL_WARN, x,
                        "group %s on %s: resource %s: %s answers from %s on %s: waiting up to "
                        "%llu ms for it to let go (a holder still stopping) before giving up",
                        r->name, r->node, x->d.name,
                        res_ip_format_host(&x->d.ip.addr, text, sizeof(text)),
                        res_ip_format_mac(x->ip.probe.peer, mac, sizeof(mac)), x->ip.link.name,
                        (unsigned long long)(RES_IP_PROBE_CONFLICT_WAIT / VG_USEC_PER_MSEC));
            if (!x->ip.probing)
                return true; /* the event's callback called it off or freed the runner */
        }
        if (now - x->ip.conflict_since >= RES_IP_PROBE_CONFLICT_WAIT) {
            probe_conflict(x);
            return true;
        }
        /* a new round: a whole window of silence from after the pause */
        x->ip.probe.result = RES_IP_PROBE_PENDING;
        x->ip.probe.sent = 0;
        x->ip.probe_began = now + RES_IP_PROBE_RETRY_PAUSE;
        if ((rc = sd_event_source_set_time(x->ip.probe_timer, probe_next_at(x))) < 0 ||
            (rc = sd_event_source_set_enabled(x->ip.probe_timer, SD_EVENT_ONESHOT)) < 0) {
            probe_failed(x, strerror(-rc));
            return true;
        }
    }
    return false;
}

static int on_probe_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct runner_res *x = userdata;
    struct runner *r = x->r;

    if (!x->ip.probing)
        return 0;
    runner_enter(r);
    probe_take(x);
    runner_leave(r);
    return 0;
}

static int on_probe_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct runner_res *x = userdata;
    struct runner *r = x->r;
    char err[RES_IP_ERR_MAX] = "";
    int rc;

    if (!x->ip.probing)
        return 0;
    runner_enter(r);
    if (probe_take(x)) {
        /* ended: an answer came with the timer */
    } else if (x->ip.probe.sent >= RES_IP_PROBE_COUNT) {
        probe_free(x);
    } else if (ops(x)->probe_send(&x->ip.probe, err, sizeof(err)) < 0) {
        probe_failed(x, err);
    } else if ((rc = sd_event_source_set_time(x->ip.probe_timer, probe_next_at(x))) < 0 ||
               (rc = sd_event_source_set_enabled(x->ip.probe_timer, SD_EVENT_ONESHOT)) < 0) {
        probe_failed(x, strerror(-rc));
    }
    runner_leave(r);
    return 0;
}

/* Open the probe (its first probe is sent) and watch it from the loop. */
static int probe_begin(struct runner_res *x, char *err, size_t errlen)
{
    struct runner *r = x->r;
    int rc;

    if ((rc = ops(x)->probe_start(&x->ip.probe, &x->d.ip.addr, &x->ip.link, err, errlen)) < 0)
        return rc;
    x->ip.probing = true;
    x->ip.probe_began = runner_loop_now(r);
    x->ip.conflict_since = 0;
    rc = sd_event_add_io(r->ev, &x->ip.probe_io, x->ip.probe.s.fd, EPOLLIN, on_probe_io, x);
    if (rc >= 0)
        rc = sd_event_source_set_priority(x->ip.probe_io, r->priority);
    if (rc >= 0)
        rc = sd_event_add_time(r->ev, &x->ip.probe_timer, CLOCK_MONOTONIC, probe_next_at(x),
                               TIMER_ACCURACY, on_probe_timer, x);
    if (rc >= 0)
        rc = sd_event_source_set_priority(x->ip.probe_timer, r->priority);
    if (rc < 0) {
        probe_close(x);
        return errbuf_fail(err, errlen, rc, "cannot watch the probe's socket: %s", strerror(-rc));
    }
    return 0;
}

/* Resolve, then add at once (no probe: probe-timeout 0, or the address is on
 * its link already, put there by this node) or probe first. False: the
 * probe is under way and the start ends from the loop. */
static bool ip_start(struct runner_res *x, enum agent_outcome *o, char *reason, size_t len)
{
    char err[RES_IP_ERR_MAX] = "", what[256], how[RES_IP_ERR_MAX + 64];
    enum res_ip_status st = RES_IP_ABSENT;
    int rc;

    announce_stop(x);
    probe_close(x);
    x->ip.have_link = false; /* the interface is chosen afresh at every start */
    x->ip.nothing_added = true;
    x->ip.called_off = false;
    if (ops(x)->resolve(&x->d.ip, &x->ip.link, err, sizeof(err)) < 0) {
        snprintf(reason, len, "%s failed: %s", label(x, AGENT_ACTION_START, what, sizeof(what)),
                 err);
        *o = AGENT_FAILED;
        return true;
    }
    x->ip.have_link = true;
    if (!x->d.ip.probe_timeout) {
        *o = add_and_announce(x, "", reason, len);
        return true;
    }
    /* ours already (a start again after a failed stop, say): our own kernel
     * does not answer our probe from this link, but nothing to ask either */
    if (ops(x)->check(&x->d.ip, x->ip.link.ifindex, &st, err, sizeof(err)) >= 0 &&
        st != RES_IP_ABSENT) {
        snprintf(how, sizeof(how), "on %s here already, not probed, ", x->ip.link.name);
        *o = add_and_announce(x, how, reason, len);
        return true;
    }
    if (!x->r->want_run) {
        /* a stop came before the probe began: do not make it wait the window */
        x->ip.called_off = true;
        snprintf(reason, len, "%s: called off before the probe (a stop came), nothing added",
                 label(x, AGENT_ACTION_START, what, sizeof(what)));
        *o = AGENT_OK;
        return true;
    }
    err[0] = '\0';
    rc = probe_begin(x, err, sizeof(err));
    if (rc == -EOPNOTSUPP) {
        snprintf(how, sizeof(how), "not probed: %s; ", err);
        *o = add_and_announce(x, how, reason, len);
        return true;
    }
    if (rc < 0) {
        probe_warn(x, err);
        if (x->r->freed) { /* by the event's callback: add nothing any more */
            snprintf(reason, len, "%s: not done, the runner is gone",
                     label(x, AGENT_ACTION_START, what, sizeof(what)));
            *o = AGENT_CANNOT_RUN;
            return true;
        }
        *o = add_and_announce(x, "not probed (see the warning), ", reason, len);
        return true;
    }
    return false;
}

void runner_ip_call_off(struct runner_res *x)
{
    char what[256];

    if (x->d.kind != RUNNER_IP || !x->ip.probing || !x->in_flight)
        return;
    probe_close(x);
    x->ip.called_off = true;
    x->early_outcome = AGENT_OK;
    snprintf(x->early_reason, sizeof(x->early_reason),
             "%s: called off during the probe (a stop came), nothing added",
             label(x, AGENT_ACTION_START, what, sizeof(what)));
    if (sd_event_source_set_enabled(x->defer, SD_EVENT_ONESHOT) < 0) {
        x->in_flight = false;
        runner_action_done(x, AGENT_ACTION_START, AGENT_OK, x->early_reason);
    }
}

bool runner_ip_called_off(const struct runner_res *x)
{
    return x->d.kind == RUNNER_IP && x->ip.called_off;
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
        snprintf(reason, len, "%s: succeeded, the %s added nothing",
                 label(x, AGENT_ACTION_STOP, what, sizeof(what)),
                 x->ip.called_off ? "start called off" : "failed start");
        x->ip.nothing_added = false;
        x->ip.called_off = false;
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

bool runner_ip_run(struct runner_res *x, enum agent_action a, enum agent_outcome *o, char *reason,
                   size_t len)
{
    switch (a) {
    case AGENT_ACTION_START:
        return ip_start(x, o, reason, len);
    case AGENT_ACTION_STOP:
        *o = ip_stop(x, reason, len);
        return true;
    case AGENT_ACTION_MONITOR:
        *o = ip_monitor(x, reason, len);
        return true;
    default:
        snprintf(reason, len, "%s of %s/%s (ip): an ip resource has only start, stop and monitor",
                 agent_action_name(a), x->r->name, x->d.name);
        *o = AGENT_CANNOT_RUN;
        return true;
    }
}
