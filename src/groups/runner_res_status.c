/* What status shows of each resource of a group here (runner.h, "each
 * resource"): its state as its last action left it, its last monitor or
 * probe, and the group's failures it caused. Noted as each action ends,
 * before the state machine acts on it; read-only for everyone else. */
#include "runner_internal.h"

#include <errno.h>
#include <stdio.h>

/* x's failures that count at now: 0 once failure_timeout has passed since
 * its last one, as for the group's count (runner_failures). */
static unsigned res_failures(const struct runner_res *x, vg_usec_t now)
{
    vg_usec_t timeout = x->r->failure_timeout;

    if (!x->failures)
        return 0;
    if (timeout && now >= x->last_failure && now - x->last_failure >= timeout)
        return 0;
    return x->failures;
}

static void count_failure(struct runner_res *x, vg_usec_t now)
{
    x->failures = res_failures(x, now) + 1;
    x->last_failure = now;
}

static void note_check(struct runner_res *x, bool probe, enum agent_outcome o, const char *reason,
                       vg_usec_t now)
{
    x->check = (struct runner_check){
        .known = true,
        .probe = probe,
        .outcome = o,
        .exit_code = x->exit_code,
        .at = now,
    };
    snprintf(x->check_reason, sizeof(x->check_reason), "%s", reason ? reason : "");
}

/* The same tests runner.c makes before it acts on a result: a start or
 * stop that is not the one the sequence waits for, and a monitor that ends
 * while the group is not running (nor probing), change nothing. */
void runner_res_note(struct runner_res *x, enum agent_action a, enum agent_outcome o,
                     const char *reason)
{
    struct runner *r = x->r;
    unsigned retries = x->d.monitor_retries ? x->d.monitor_retries : 1;
    vg_usec_t now = runner_loop_now(r);
    bool probe = r->phase == PHASE_PROBING;

    switch (a) {
    case AGENT_ACTION_START:
    case AGENT_ACTION_STOP:
        if (!r->seq_busy || r->busy != x->index)
            return;
        if (a == AGENT_ACTION_STOP)
            x->shown = o == AGENT_OK ? RUNNER_RES_STOPPED : RUNNER_RES_STOP_FAILED;
        else if (o == AGENT_OK) {
            x->shown = RUNNER_RES_RUNNING;
            /* a start supersedes what a probe found before it: no "not
             * running" beside "running" until the first monitor */
            if (x->check.known && x->check.probe)
                x->check.known = false;
        } else {
            x->shown = RUNNER_RES_FAILED;
            count_failure(x, now);
        }
        return;
    case AGENT_ACTION_MONITOR:
        if (!probe && (r->phase != PHASE_IDLE || r->state != RUNNER_RUNNING))
            return;
        note_check(x, probe, o, reason, now);
        if (o == AGENT_OK)
            x->shown = RUNNER_RES_RUNNING;
        else if (probe)
            x->shown = o == AGENT_NOT_RUNNING ? RUNNER_RES_STOPPED : RUNNER_RES_FAILED;
        else if (x->monitor_fails + 1 >= retries) {
            x->shown = RUNNER_RES_FAILED;
            count_failure(x, now);
        }
        return;
    default:
        return;
    }
}

void runner_res_reset_failures(struct runner *r)
{
    for (size_t i = 0; i < r->n; i++) {
        r->res[i].failures = 0;
        r->res[i].last_failure = 0;
    }
}

size_t runner_resource_count(const struct runner *r)
{
    return r->n;
}

int runner_resource_status(const struct runner *r, size_t i, vg_usec_t now,
                           struct runner_res_status *out)
{
    const struct runner_res *x;

    if (i >= r->n)
        return -ERANGE;
    x = &r->res[i];
    *out = (struct runner_res_status){
        .name = x->d.name,
        .kind = x->d.kind,
        .state = x->shown,
        .monitor_interval = x->has_monitor ? x->d.monitor_interval : 0,
        .monitor_fails = x->monitor_fails,
        .failures = res_failures(x, now),
        .last_failure = x->last_failure,
        .last_monitor = x->check,
    };
    out->last_monitor.reason = x->check.known ? x->check_reason : NULL;
    if (x->in_flight && x->action == AGENT_ACTION_START)
        out->state = RUNNER_RES_STARTING;
    else if (x->in_flight && x->action == AGENT_ACTION_STOP)
        out->state = RUNNER_RES_STOPPING;
    return 0;
}

const char *runner_res_state_name(enum runner_res_state s)
{
    static const char *const names[] = {"unknown",  "stopped", "starting",   "running",
                                        "stopping", "failed",  "stop-failed"};

    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}
