/* The local group runner (runner.h, docs/groups.md "The runner"): the
 * commands, the state machine and the failure count of one group here.
 *
 * The machine has a target (want_run: what the last command asked, or what
 * the runner itself decided after a failure) and a phase (idle, starting,
 * stopping, probing). step() moves it on whenever nothing of its own is in
 * flight: it runs from the loop after a command (the kick source) and after
 * every action's end. A start or stop under way is never cut short: a new
 * target is acted on once the action in flight ends. Monitors and probes
 * are only checks, so they are cancelled when something else must happen. */
#include "../common/errbuf.h"
#include "runner_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void step(struct runner *r);

/* ---- time and failures ---- */

vg_usec_t runner_loop_now(const struct runner *r)
{
    uint64_t now;

    if (sd_event_now(r->ev, CLOCK_MONOTONIC, &now) < 0)
        return clock_now();
    return now;
}

unsigned runner_failures(const struct runner *r, vg_usec_t now)
{
    if (!r->failures)
        return 0;
    if (r->failure_timeout && now >= r->last_failure && now - r->last_failure >= r->failure_timeout)
        return 0;
    return r->failures;
}

static bool at_threshold(const struct runner *r)
{
    return r->threshold && runner_failures(r, runner_loop_now(r)) >= r->threshold;
}

/* One more failure here, at the loop's time; an expired count starts again. */
static void count_failure(struct runner *r)
{
    vg_usec_t now = runner_loop_now(r);

    r->failures = runner_failures(r, now) + 1;
    r->last_failure = now;
}

/* "failure 2 of 3 here" */
static const char *failure_text(const struct runner *r, char *buf, size_t len)
{
    unsigned n = runner_failures(r, runner_loop_now(r));

    if (r->threshold)
        snprintf(buf, len, "failure %u of %u here", n, r->threshold);
    else
        snprintf(buf, len, "failure %u here, no migration threshold", n);
    return buf;
}

void runner_reset_failures(struct runner *r)
{
    r->failures = 0;
    r->last_failure = 0;
    runner_res_reset_failures(r);
}

/* ---- targets ---- */

/* The runner's own change of target: not a command to remark on. */
void runner_set_want(struct runner *r, bool want)
{
    r->want_run = want;
    r->noted_want = want;
}

/* Say how a command that came meanwhile meets the phase under way. */
static void note_command(struct runner *r)
{
    const char *what;

    if (r->want_run == r->noted_want)
        return;
    r->noted_want = r->want_run;
    switch (r->phase) {
    case PHASE_STARTING:
        if (r->want_run)
            what = "start asked again while it starts: the stop asked before is called off";
        else if (r->seq_busy)
            what = "stop asked while it starts: stopping what was started once the start of "
                   "the current resource ends";
        else
            what = "stop asked while it starts: stopping what was started";
        break;
    case PHASE_STOPPING:
        what = r->want_run ? "start asked while it stops: starting once the stop ends"
                           : "stop asked while it stops: it stays stopped once the stop ends";
        break;
    case PHASE_PROBING:
        what = r->want_run ? "start asked during the probe: starting once it ends, unless it "
                             "finds the group running"
                           : "the start asked during the probe is called off";
        break;
    default:
        return;
    }
    runner_emit(r, RUNNER_EV_COMMAND, LOG_LVL_INFO,
                r->seq_busy && r->busy < r->n ? &r->res[r->busy] : NULL, "group %s on %s: %s",
                r->name, r->node, what);
}

/* ---- phases ---- */

static void launch(struct runner *r, size_t i, enum agent_action a)
{
    if (r->freed)
        return;
    r->seq_busy = true;
    r->busy = i;
    runner_action_run(&r->res[i], a, 0);
}

static void begin_start(struct runner *r)
{
    r->phase = PHASE_STARTING;
    r->next = 0;
    r->start_failed = false;
    r->noted_want = r->want_run;
    runner_set_state(r, RUNNER_STARTING);
}

/* Stop, from the top, every resource marked active; then `after`. */
void runner_begin_stop(struct runner *r, enum runner_state after)
{
    r->phase = PHASE_STOPPING;
    r->next = r->n;
    r->after_stop = after;
    r->stop_failures = 0;
    r->stop_failed_names[0] = '\0';
    r->noted_want = r->want_run;
    runner_set_state(r, RUNNER_STOPPING);
}

/* The next monitor of x, monitor_interval from now. */
static void monitor_next(struct runner *r, struct runner_res *x)
{
    int rc;

    if (r->freed || !x->has_monitor || !x->d.monitor_interval)
        return;
    if ((rc = runner_monitor_arm(x, x->d.monitor_interval)) < 0)
        runner_emit(r, RUNNER_EV_WARNING, LOG_LVL_ERR, x,
                    "group %s on %s: cannot schedule the monitor of resource %s, so it is not "
                    "monitored any more: %s",
                    r->name, r->node, x->d.name, strerror(-rc));
}

void runner_monitors_start(struct runner *r)
{
    for (size_t i = 0; i < r->n; i++) {
        r->res[i].monitor_fails = 0;
        monitor_next(r, &r->res[i]);
    }
}

static void monitors_stop(struct runner *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct runner_res *x = &r->res[i];

        runner_monitor_disarm(x);
        if (x->in_flight && x->action == AGENT_ACTION_MONITOR)
            runner_action_cancel(x);
    }
}

void runner_mark_all_active(struct runner *r)
{
    for (size_t i = 0; i < r->n; i++)
        r->res[i].active = true;
}

/* The stop ended: stop-failed, or on to a start (a restart, or a start asked
 * meanwhile) without passing through stopped, or the state it aimed for. */
static void stop_end(struct runner *r)
{
    r->phase = PHASE_IDLE;
    if (r->stop_failures) {
        if (r->want_run)
            runner_emit(r, RUNNER_EV_COMMAND, LOG_LVL_WARN, NULL,
                        "group %s on %s: the start asked during the stop is dropped: the stop "
                        "failed",
                        r->name, r->node);
        runner_set_want(r, false);
        r->end_cause[0] = '\0';
        snprintf(r->cause, sizeof(r->cause),
                 "the stop of %s failed, so it may still run here; nothing is stopped again "
                 "until asked, and only a stop that succeeds (or fencing) clears this",
                 r->stop_failed_names);
        runner_set_state(r, RUNNER_STOP_FAILED);
        return;
    }
    if (r->want_run && r->after_stop == RUNNER_STOPPED && !at_threshold(r)) {
        r->end_cause[0] = '\0';
        begin_start(r);
        return;
    }
    snprintf(r->cause, sizeof(r->cause), "%s", r->end_cause);
    r->end_cause[0] = '\0';
    runner_set_state(r, r->after_stop);
}

/* Move on as far as possible without waiting; returns when an action of
 * the sequence is in flight, or nothing is left to do. */
static void step(struct runner *r)
{
    while (!r->freed) {
        switch (r->phase) {
        case PHASE_PROBING:
            if (r->probe_abort) {
                runner_probe_abort(r);
                continue;
            }
            note_command(r);
            if (r->probes_pending)
                return;
            runner_probe_end(r);
            continue;
        case PHASE_STARTING:
            note_command(r);
            if (r->seq_busy)
                return;
            if (r->start_failed) {
                runner_begin_stop(r, r->after_stop);
                continue;
            }
            if (!r->want_run) {
                runner_begin_stop(r, RUNNER_STOPPED);
                continue;
            }
            if (r->next < r->n) {
                launch(r, r->next, AGENT_ACTION_START);
                return;
            }
            r->phase = PHASE_IDLE;
            runner_set_state(r, RUNNER_RUNNING);
            runner_monitors_start(r);
            continue;
        case PHASE_STOPPING:
            note_command(r);
            if (r->seq_busy)
                return;
            while (r->next > 0 && !r->res[r->next - 1].active)
                r->next--;
            if (r->next > 0) {
                launch(r, r->next - 1, AGENT_ACTION_STOP);
                return;
            }
            stop_end(r);
            continue;
        case PHASE_IDLE:
            if (r->stop_all) {
                r->stop_all = false;
                runner_mark_all_active(r);
                if (r->state == RUNNER_STOP_FAILED)
                    snprintf(r->cause, sizeof(r->cause), "stopping every resource again, as asked");
                runner_begin_stop(r, r->state == RUNNER_FAILED ? RUNNER_FAILED : RUNNER_STOPPED);
                continue;
            }
            if (r->probe_asked) {
                r->probe_asked = false;
                runner_probe_begin(r);
                continue;
            }
            if (r->want_run && (r->state == RUNNER_STOPPED || r->state == RUNNER_FAILED)) {
                if (at_threshold(r)) {
                    runner_set_want(r, false);
                    runner_emit(r, RUNNER_EV_COMMAND, LOG_LVL_WARN, NULL,
                                "group %s on %s: not started: its failures here reach the "
                                "migration threshold (%u)",
                                r->name, r->node, r->threshold);
                    continue;
                }
                begin_start(r);
                continue;
            }
            if (!r->want_run && r->state == RUNNER_RUNNING) {
                monitors_stop(r);
                runner_begin_stop(r, RUNNER_STOPPED);
                continue;
            }
            return;
        }
    }
}

/* ---- what actions come back with ---- */

static void start_done(struct runner *r, struct runner_res *x, enum agent_outcome o,
                       const char *reason)
{
    char count[96];

    x->active = true; /* a failed or timed-out start may have left part of it running */
    if (o == AGENT_OK && runner_ip_called_off(x)) {
        /* a stop came during its probe: not started, no failure; step()
         * stops what was started, or starts x again if a start came too */
        runner_emit(r, RUNNER_EV_ACTION, LOG_LVL_INFO, x, "group %s on %s: %s", r->name, r->node,
                    reason);
        return;
    }
    if (o == AGENT_OK) {
        runner_emit(r, RUNNER_EV_ACTION, LOG_LVL_INFO, x, "group %s on %s: %s", r->name, r->node,
                    reason);
        r->next++;
        return;
    }
    count_failure(r);
    r->start_failed = true;
    runner_set_want(r, false);
    r->after_stop = at_threshold(r) ? RUNNER_FAILED : RUNNER_STOPPED;
    runner_emit(r, RUNNER_EV_START_FAILED, LOG_LVL_ERR, x,
                "group %s on %s: resource %s did not start (%s), stopping what was started: %s",
                r->name, r->node, x->d.name, failure_text(r, count, sizeof(count)), reason);
    snprintf(r->cause, sizeof(r->cause), "resource %s did not start", x->d.name);
    snprintf(r->end_cause, sizeof(r->end_cause), "resource %s did not start%s", x->d.name,
             r->after_stop == RUNNER_FAILED ? ", and failures here reach the migration threshold"
                                            : "");
}

static void stop_done(struct runner *r, struct runner_res *x, enum agent_outcome o,
                      const char *reason)
{
    size_t len = strlen(r->stop_failed_names);

    r->next = x->index;
    if (o == AGENT_OK) {
        x->active = false;
        runner_emit(r, RUNNER_EV_ACTION, LOG_LVL_INFO, x, "group %s on %s: %s", r->name, r->node,
                    reason);
        return;
    }
    r->stop_failures++;
    snprintf(r->stop_failed_names + len, sizeof(r->stop_failed_names) - len, "%s%s",
             len ? ", " : "", x->d.name);
    runner_emit(r, RUNNER_EV_STOP_FAILED, LOG_LVL_ERR, x,
                "group %s on %s: resource %s did not stop, so it may still run here (the other "
                "resources are stopped all the same): %s",
                r->name, r->node, x->d.name, reason);
}

/* x failed its monitors: restart the group here, or give up at the threshold. */
static void resource_failed(struct runner *r, struct runner_res *x, const char *reason)
{
    char count[96];

    count_failure(r);
    monitors_stop(r);
    if (at_threshold(r)) {
        runner_set_want(r, false);
        runner_emit(r, RUNNER_EV_FAILED, LOG_LVL_ERR, x,
                    "group %s on %s: resource %s failed (%s, the migration threshold): stopping "
                    "the group here so that it can move: %s",
                    r->name, r->node, x->d.name, failure_text(r, count, sizeof(count)), reason);
        snprintf(r->cause, sizeof(r->cause),
                 "resource %s failed, and failures here reach the migration threshold", x->d.name);
        snprintf(r->end_cause, sizeof(r->end_cause), "%s", r->cause);
        runner_begin_stop(r, RUNNER_FAILED);
        return;
    }
    runner_emit(r, RUNNER_EV_RESTART, LOG_LVL_WARN, x,
                "group %s on %s: resource %s failed (%s): restarting the group here: %s", r->name,
                r->node, x->d.name, failure_text(r, count, sizeof(count)), reason);
    snprintf(r->cause, sizeof(r->cause), "restarting it after resource %s failed", x->d.name);
    runner_begin_stop(r, RUNNER_STOPPED);
}

static void monitor_done(struct runner *r, struct runner_res *x, enum agent_outcome o,
                         const char *reason)
{
    unsigned retries = x->d.monitor_retries ? x->d.monitor_retries : 1;

    if (r->phase != PHASE_IDLE || r->state != RUNNER_RUNNING)
        return;
    if (o == AGENT_OK) {
        if (x->monitor_fails)
            runner_emit(r, RUNNER_EV_ACTION, LOG_LVL_NOTICE, x,
                        "group %s on %s: the monitor of resource %s passes again after %u "
                        "failure%s: %s",
                        r->name, r->node, x->d.name, x->monitor_fails,
                        x->monitor_fails == 1 ? "" : "s", reason);
        x->monitor_fails = 0;
        monitor_next(r, x);
        return;
    }
    x->monitor_fails++;
    runner_emit(r, RUNNER_EV_MONITOR_FAILED, LOG_LVL_WARN, x,
                "group %s on %s: the monitor of resource %s failed (%u of %u in a row): %s",
                r->name, r->node, x->d.name, x->monitor_fails, retries, reason);
    if (x->monitor_fails < retries) {
        monitor_next(r, x);
        return;
    }
    x->monitor_fails = 0;
    resource_failed(r, x, reason);
}

void runner_action_done(struct runner_res *x, enum agent_action a, enum agent_outcome o,
                        const char *reason)
{
    struct runner *r = x->r;

    if (r->freed)
        return;
    runner_res_note(x, a, o, reason);
    if (a == AGENT_ACTION_MONITOR) {
        if (r->phase == PHASE_PROBING)
            runner_probe_done(r, x, o, reason);
        else
            monitor_done(r, x, o, reason);
    } else {
        if (!r->seq_busy || r->busy != x->index)
            return;
        r->seq_busy = false;
        if (a == AGENT_ACTION_START)
            start_done(r, x, o, reason);
        else
            stop_done(r, x, o, reason);
    }
    step(r);
}

void runner_monitor_due(struct runner_res *x)
{
    struct runner *r = x->r;

    if (r->freed || r->phase != PHASE_IDLE || r->state != RUNNER_RUNNING || x->in_flight)
        return;
    runner_action_run(x, AGENT_ACTION_MONITOR, x->d.monitor_interval);
}

/* ---- commands ---- */

void runner_kick(struct runner *r)
{
    if (!r->freed)
        sd_event_source_set_enabled(r->kick, SD_EVENT_ONESHOT);
}

int runner_start(struct runner *r, char *err, size_t errlen)
{
    vg_usec_t now = runner_loop_now(r);

    if (r->state == RUNNER_STOP_FAILED && !r->stop_all)
        return errbuf_fail(err, errlen, -EPERM,
                           "group %s is stop-failed on %s: it may still run here; stop it (a "
                           "stop that succeeds clears this) or fence the node",
                           r->name, r->node);
    if (r->threshold && runner_failures(r, now) >= r->threshold)
        return errbuf_fail(err, errlen, -EPERM,
                           "group %s on %s: its failures here reach the migration threshold "
                           "(%u): it is not started here until they expire or are reset",
                           r->name, r->node, r->threshold);
    r->want_run = true;
    runner_kick(r);
    return 0;
}

void runner_stop(struct runner *r)
{
    r->want_run = false;
    if (r->phase == PHASE_STARTING && r->seq_busy && r->busy < r->n)
        runner_ip_call_off(&r->res[r->busy]); /* an ip start still probing ends now */
    if (r->phase == PHASE_PROBING)
        r->probe_abort = true;
    if (r->probe_asked) {
        /* asked to probe, then to stop, before the probe began: stop everything */
        r->probe_asked = false;
        r->stop_all = true;
    }
    if (r->phase == PHASE_IDLE && r->state == RUNNER_STOP_FAILED)
        r->stop_all = true;
    runner_kick(r);
}

static int on_kick(sd_event_source *s, void *userdata)
{
    struct runner *r = userdata;

    runner_enter(r);
    step(r);
    runner_leave(r);
    return 0;
}

/* ---- queries ---- */

void runner_status(const struct runner *r, vg_usec_t now, struct runner_status *out)
{
    static const enum runner_op ops[] = {
        [PHASE_IDLE] = RUNNER_OP_NONE,
        [PHASE_STARTING] = RUNNER_OP_START,
        [PHASE_STOPPING] = RUNNER_OP_STOP,
        [PHASE_PROBING] = RUNNER_OP_PROBE,
    };

    *out = (struct runner_status){
        .state = r->state,
        .op = ops[r->phase],
        .want_running = r->want_run,
        .failures = runner_failures(r, now),
        .last_failure = r->last_failure,
        .expires = VG_USEC_INFINITY,
    };
    if (out->failures && r->failure_timeout)
        out->expires = r->last_failure + r->failure_timeout;
}

enum runner_state runner_state(const struct runner *r)
{
    return r->state;
}

const char *runner_name(const struct runner *r)
{
    return r->name;
}

/* ---- life ---- */

void runner_enter(struct runner *r)
{
    r->depth++;
}

static void destroy(struct runner *r)
{
    for (size_t i = 0; i < r->n; i++)
        runner_desc_free(&r->res[i].d);
    free(r->name);
    sd_event_unref(r->ev);
    free(r);
}

void runner_leave(struct runner *r)
{
    if (--r->depth == 0 && r->freed)
        destroy(r);
}

int runner_new(sd_event *ev, const char *node, const struct runner_group *g,
               const struct runner_callbacks *cb, int64_t priority, struct runner **ret, char *err,
               size_t errlen)
{
    struct runner *r;
    int rc;

    if (!ev || !ret)
        return errbuf_fail(err, errlen, -EINVAL, "a runner needs an event loop");
    if ((rc = runner_desc_check(g, node, cb, err, errlen)) < 0)
        return rc;
    if (!(r = calloc(1, sizeof(*r))))
        return errbuf_fail(err, errlen, -ENOMEM, "group %s: out of memory", g->name);
    r->ev = sd_event_ref(ev);
    r->priority = priority;
    snprintf(r->node, sizeof(r->node), "%s", node);
    r->cb = *cb;
    r->threshold = g->migration_threshold;
    r->failure_timeout = g->failure_timeout;
    r->state = RUNNER_STOPPED;
    r->phase = PHASE_IDLE;
    if (!(r->name = strdup(g->name))) {
        rc = -ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < g->n; i++) {
        struct runner_res *x = &r->res[i];

        x->r = r;
        x->index = i;
        r->n = i + 1;
        if ((rc = runner_desc_copy(&x->d, &g->resources[i])) < 0)
            goto fail;
        x->has_monitor = x->d.kind != RUNNER_EXEC || (x->d.exec.monitor && x->d.exec.monitor[0]);
        if ((rc = runner_action_init(x)) < 0)
            goto fail;
    }
    if ((rc = sd_event_add_defer(ev, &r->kick, on_kick, r)) < 0)
        goto fail;
    sd_event_source_set_priority(r->kick, priority);
    sd_event_source_set_enabled(r->kick, SD_EVENT_OFF);
    *ret = r;
    return 0;
fail:
    errbuf_set(err, errlen, "group %s: cannot set up its runner: %s", g->name, strerror(-rc));
    runner_free(r);
    return rc;
}

void runner_free(struct runner *r)
{
    if (!r || r->freed)
        return;
    r->freed = true;
    for (size_t i = 0; i < r->n; i++)
        runner_res_release(&r->res[i]);
    r->kick = sd_event_source_disable_unref(r->kick);
    if (!r->depth)
        destroy(r);
}
