/* Probing (runner.h, runner_probe): every monitor once, at the same time,
 * to learn what already runs here (after vigild restarted, say), and the
 * group taken as found: all running, nothing running, or partly running,
 * which is stopped. A stop asked meanwhile calls the probe off. */
#include "../common/errbuf.h"
#include "runner_internal.h"

#include <errno.h>
#include <stdio.h>

void runner_probe_begin(struct runner *r)
{
    r->phase = PHASE_PROBING;
    r->before_probe = r->state;
    r->probe_abort = false;
    r->probes_pending = 0;
    r->noted_want = r->want_run;
    for (size_t i = 0; i < r->n; i++) {
        struct runner_res *x = &r->res[i];

        x->found_known = false;
        if (!x->has_monitor)
            continue;
        r->probes_pending++;
        runner_action_run(x, AGENT_ACTION_MONITOR, 0);
    }
}

static const char *found_name(const struct runner_res *x)
{
    if (!x->found_known)
        return "unknown (no monitor)";
    switch (x->found) {
    case AGENT_OK:
        return "running";
    case AGENT_NOT_RUNNING:
        return "not running";
    default:
        return "failed";
    }
}

/* Every probe is back: take the group as found. */
void runner_probe_end(struct runner *r)
{
    size_t running = 0, stopped = 0, monitored = 0, len = 0;
    char list[RUNNER_MESSAGE_MAX / 2] = "";

    r->phase = PHASE_IDLE;
    for (size_t i = 0; i < r->n; i++) {
        struct runner_res *x = &r->res[i];
        int w;

        monitored += x->found_known;
        running += x->found_known && x->found == AGENT_OK;
        stopped += x->found_known && x->found == AGENT_NOT_RUNNING;
        x->active = !(x->found_known && x->found == AGENT_NOT_RUNNING);
        w = snprintf(list + len, sizeof(list) - len, "%s%s %s", i ? ", " : "", x->d.name,
                     found_name(x));
        if (w > 0 && (size_t)w < sizeof(list) - len)
            len += (size_t)w;
    }
    if (monitored && running == monitored) {
        runner_mark_all_active(r);
        runner_set_want(r, true);
        runner_emit(r, RUNNER_EV_PROBED, LOG_LVL_NOTICE, NULL,
                    "group %s on %s: the probe found it running (%s): it stays running", r->name,
                    r->node, list);
        runner_set_state(r, RUNNER_RUNNING);
        runner_monitors_start(r);
    } else if (stopped == r->n) {
        runner_emit(r, RUNNER_EV_PROBED, LOG_LVL_INFO, NULL,
                    "group %s on %s: the probe found nothing running%s%s%s", r->name, r->node,
                    r->n ? " (" : "", list, r->n ? ")" : "");
    } else {
        runner_emit(r, RUNNER_EV_PROBED, LOG_LVL_WARN, NULL,
                    "group %s on %s: the probe found it partly running (%s): stopping what may "
                    "run",
                    r->name, r->node, list);
        snprintf(r->cause, sizeof(r->cause), "the probe found it partly running");
        runner_begin_stop(r, r->before_probe);
    }
}

/* A stop came during the probe: the probe is called off, everything stopped. */
void runner_probe_abort(struct runner *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->res[i].in_flight)
            runner_action_cancel(&r->res[i]);
    r->probes_pending = 0;
    r->probe_abort = false;
    r->phase = PHASE_IDLE;
    runner_mark_all_active(r);
    runner_emit(r, RUNNER_EV_COMMAND, LOG_LVL_INFO, NULL,
                "group %s on %s: stop asked during the probe: the probe is called off and "
                "every resource stopped",
                r->name, r->node);
    runner_begin_stop(r, r->before_probe);
}

void runner_probe_done(struct runner *r, struct runner_res *x, enum agent_outcome o,
                       const char *reason)
{
    x->found = o;
    x->found_known = true;
    if (r->probes_pending)
        r->probes_pending--;
    if (o != AGENT_OK && o != AGENT_NOT_RUNNING)
        runner_emit(r, RUNNER_EV_MONITOR_FAILED, LOG_LVL_WARN, x,
                    "group %s on %s: the probe of resource %s failed, so it will be stopped to be "
                    "sure: %s",
                    r->name, r->node, x->d.name, reason);
}

int runner_probe(struct runner *r, char *err, size_t errlen)
{
    if (r->state != RUNNER_STOPPED && r->state != RUNNER_FAILED)
        return errbuf_fail(err, errlen, -EBUSY,
                           "group %s on %s is %s: a probe needs it stopped or failed", r->name,
                           r->node, runner_state_name(r->state));
    if (r->phase != PHASE_IDLE || r->probe_asked || r->stop_all || r->want_run)
        return errbuf_fail(err, errlen, -EBUSY,
                           "group %s on %s has a command under way or asked: a probe needs "
                           "nothing else to do",
                           r->name, r->node);
    r->probe_asked = true;
    runner_kick(r);
    return 0;
}
