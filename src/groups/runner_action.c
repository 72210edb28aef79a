/* One action of one resource, whatever its kind: exec, ocf and systemd run
 * as agents (agent.h); ip runs from a deferred source through the ip
 * adapter (runner_ip.c). Either way the end reaches runner_action_done from
 * the loop, never from inside runner_action_run, so that the state machine
 * has one path for every kind and for a failure to launch. Also here: each
 * resource's monitor timer. */
#include "runner_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TIMER_ACCURACY VG_USEC_PER_MSEC /* sd-event would take 0 as its default, 250 ms */

static void on_agent_done(struct agent_op *op, const struct agent_result *res, void *userdata)
{
    struct runner_res *x = userdata;
    struct runner *r = x->r;

    x->op = NULL; /* the handle ends with this call */
    x->in_flight = false;
    x->exit_code = res->exit_code;
    runner_enter(r);
    runner_action_done(x, x->action, res->outcome, res->reason);
    runner_leave(r);
}

/* The deferred half: an ip action (a start that probes ends later, from the
 * ip adapter), or the report of an agent that could not be launched, or of
 * an ip start called off. */
static int on_defer(sd_event_source *s, void *userdata)
{
    struct runner_res *x = userdata;
    struct runner *r = x->r;
    char reason[RUNNER_REASON_MAX];
    enum agent_outcome o;

    if (!x->in_flight || x->op)
        return 0;
    runner_enter(r);
    if (x->d.kind == RUNNER_IP && !x->early_reason[0]) {
        if (!runner_ip_run(x, x->action, &o, reason, sizeof(reason))) {
            runner_leave(r); /* still in flight: the ip adapter reports its end */
            return 0;
        }
    } else {
        o = x->early_outcome;
        snprintf(reason, sizeof(reason), "%s", x->early_reason);
    }
    x->in_flight = false;
    runner_action_done(x, x->action, o, reason);
    runner_leave(r);
    return 0;
}

int runner_action_init(struct runner_res *x)
{
    int rc = sd_event_add_defer(x->r->ev, &x->defer, on_defer, x);

    if (rc < 0)
        return rc;
    sd_event_source_set_priority(x->defer, x->r->priority);
    return sd_event_source_set_enabled(x->defer, SD_EVENT_OFF);
}

static vg_usec_t action_timeout(const struct runner_res *x, enum agent_action a)
{
    switch (a) {
    case AGENT_ACTION_START:
        return x->d.start_timeout;
    case AGENT_ACTION_STOP:
        return x->d.stop_timeout;
    default:
        return x->d.monitor_timeout;
    }
}

void runner_action_run(struct runner_res *x, enum agent_action a, vg_usec_t interval)
{
    struct runner *r = x->r;
    struct agent_request req = {
        .action = a,
        .group = r->name,
        .resource = x->d.name,
        .node = r->node,
        .timeout = action_timeout(x, a),
        .interval = interval,
        .priority = r->priority,
    };
    char err[AGENT_ERR_MAX] = "";
    int rc = 0;

    if (r->freed)
        return; /* runner_free came from a callback: start nothing more */
    x->action = a;
    x->in_flight = true;
    x->exit_code = -1;
    x->early_reason[0] = '\0';
    switch (x->d.kind) {
    case RUNNER_IP:
        break;
    case RUNNER_EXEC:
        rc = agent_exec_run(r->ev, &x->d.exec, &req, on_agent_done, x, &x->op, err, sizeof(err));
        break;
    case RUNNER_OCF:
        rc = agent_ocf_run(r->ev, &x->d.ocf, &req, on_agent_done, x, &x->op, err, sizeof(err));
        break;
    case RUNNER_SYSTEMD:
        rc = agent_systemd_run(r->ev, &x->d.systemd, &req, on_agent_done, x, &x->op, err,
                               sizeof(err));
        break;
    }
    if (x->op)
        return;
    if (rc < 0) {
        x->early_outcome = AGENT_CANNOT_RUN;
        if (!strncmp(err, agent_action_name(a), strlen(agent_action_name(a))))
            snprintf(x->early_reason, sizeof(x->early_reason), "%s", err);
        else
            snprintf(x->early_reason, sizeof(x->early_reason), "%s of %s/%s (%s): %s",
                     agent_action_name(a), r->name, x->d.name, runner_kind_name(x->d.kind),
                     err[0] ? err : strerror(-rc));
    }
    if (sd_event_source_set_enabled(x->defer, SD_EVENT_ONESHOT) < 0) {
        /* cannot happen for a live source; never leave the runner waiting */
        x->in_flight = false;
        runner_action_done(x, a, AGENT_CANNOT_RUN, "the event loop refused a deferred source");
    }
}

void runner_action_cancel(struct runner_res *x)
{
    if (x->op) {
        agent_op_cancel(x->op);
        x->op = NULL;
    }
    if (x->defer)
        sd_event_source_set_enabled(x->defer, SD_EVENT_OFF);
    runner_ip_cancel(x);
    x->in_flight = false;
}

static int on_monitor_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct runner_res *x = userdata;
    struct runner *r = x->r;

    runner_enter(r);
    runner_monitor_due(x);
    runner_leave(r);
    return 0;
}

int runner_monitor_arm(struct runner_res *x, vg_usec_t delay)
{
    struct runner *r = x->r;
    vg_usec_t at = runner_loop_now(r) + delay;
    int rc;

    if (r->freed)
        return -ESTALE;
    if (x->monitor_timer) {
        if ((rc = sd_event_source_set_time(x->monitor_timer, at)) < 0)
            return rc;
        return sd_event_source_set_enabled(x->monitor_timer, SD_EVENT_ONESHOT);
    }
    rc = sd_event_add_time(r->ev, &x->monitor_timer, CLOCK_MONOTONIC, at, TIMER_ACCURACY,
                           on_monitor_timer, x);
    if (rc < 0)
        return rc;
    return sd_event_source_set_priority(x->monitor_timer, r->priority);
}

void runner_monitor_disarm(struct runner_res *x)
{
    if (x->monitor_timer)
        sd_event_source_set_enabled(x->monitor_timer, SD_EVENT_OFF);
}

void runner_res_release(struct runner_res *x)
{
    runner_action_cancel(x);
    x->defer = sd_event_source_disable_unref(x->defer);
    x->monitor_timer = sd_event_source_disable_unref(x->monitor_timer);
    runner_ip_release(x);
}
