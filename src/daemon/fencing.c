/* Fencing in vigild (fencing.h). */
#include "fencing.h"

#include "daemon.h"
#include "groups.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../common/log.h"

const char *fencing_state_name(enum fencing_node_state s)
{
    switch (s) {
    case FENCING_IDLE:
        return "idle";
    case FENCING_RUNNING:
        return "fencing";
    case FENCING_DONE:
        return "fenced";
    case FENCING_FAILED:
        return "failed";
    case FENCING_WATCHDOG:
        return "watchdog";
    }
    return "unknown";
}

int fencing_setup(struct daemon *d)
{
    char err[8192];
    int rc;

    if (d->conf.n_fences == 0)
        return 0;
    if ((rc = fence_check_conf(&d->conf, d->fencing.dev, err, sizeof(err))) < 0) {
        char *save = NULL;
        for (char *line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            log_err("%s", line);
        log_err("%s: a fence device cannot work on this node; fix it (check with: vigilctl "
                "config check %s)",
                d->conf.path, d->conf.path);
        return -EINVAL;
    }
    for (int i = 0; i < d->conf.n_fences; i++)
        log_info("fence device %s: %s, level %d, %s%s", d->conf.fences[i].name,
                 d->fencing.dev[i].path, d->conf.fences[i].level,
                 conf_fence_action_name(d->conf.fence_action),
                 d->conf.fence_action == FENCE_ACT_OFF && d->fencing.dev[i].has_status
                     ? " confirmed by status"
                     : "");
    return 0;
}

/* The levels of node i's devices: conf.fences that cover it, grouped by
 * their level in order. */
static size_t levels_of(const struct daemon *d, int i, struct fence_plan_level *levels)
{
    size_t n = 0;

    for (int lv = 1; lv <= CONF_FENCE_LEVELS; lv++) {
        struct fence_plan_level *l = &levels[n];
        l->n = 0;
        for (int k = 0; k < d->conf.n_fences; k++) {
            const struct conf_fence *f = &d->conf.fences[k];
            if (f->level != lv || !(f->nodes & (UINT64_C(1) << i)) ||
                l->n >= FENCE_LEVEL_DEVICES_MAX)
                continue;
            l->devices[l->n++] = (struct fence_plan_device){
                .device = k,
                .retries = (unsigned)f->retries,
                .confirm_by_status = d->fencing.dev[k].has_status,
            };
        }
        if (l->n)
            n++;
    }
    return n;
}

static void run_step(struct daemon *d, int i);

static void plan_ended(struct daemon *d, int i)
{
    struct fencing_node *fn = &d->fencing.node[i];
    const char *name = d->conf.nodes[i].name;
    vg_usec_t now = clock_now();

    if (fence_plan_state(&fn->plan) == FENCE_PLAN_FENCED) {
        fn->state = FENCING_DONE;
        snprintf(fn->last, sizeof(fn->last), "%s, confirmed after %.1f s",
                 conf_fence_action_name(d->conf.fence_action),
                 (double)(now - fn->since) / VG_USEC_PER_SEC);
        log_notice("fencing: %s is fenced (%s, confirmed after %.1f s): its groups may start "
                   "elsewhere",
                   name, conf_fence_action_name(d->conf.fence_action),
                   (double)(now - fn->since) / VG_USEC_PER_SEC);
        groups_node_fenced(d, i);
        return;
    }
    fn->state = FENCING_FAILED;
    fn->next_try = now + FENCING_RETRY_INTERVAL;
    memcpy(fn->last, fn->plan.why, sizeof(fn->last)); /* the same size */
    log_err("fencing: %s could not be fenced: %s; its groups stay down; trying again in %d s "
            "(or, once it is certainly off, the admin can declare it: not in this version yet)",
            name, fn->plan.why, (int)(FENCING_RETRY_INTERVAL / VG_USEC_PER_SEC));
}

/* How a step ended: into the plan, then the next step or the end. */
static void on_step_done(struct fence_op *op, const struct fence_result *r, void *userdata)
{
    struct fencing_node *fn = userdata;
    struct daemon *d = fn->d;

    (void)op;
    fn->op = NULL;
    if (r->outcome == FENCE_OK || r->outcome == FENCE_POWERED_OFF)
        log_info("fencing: %s", r->reason);
    else
        log_warn("fencing: %s", r->reason);
    fence_plan_report(&fn->plan, r->outcome, r->reason);
    if (fence_plan_state(&fn->plan) == FENCE_PLAN_RUNNING)
        run_step(d, fn->index);
    else
        plan_ended(d, fn->index);
}

/* Run the plan's next step for node i. */
static void run_step(struct daemon *d, int i)
{
    struct fencing_node *fn = &d->fencing.node[i];
    char label[FENCE_REASON_MAX / 2], err[FENCE_ERR_MAX];
    struct fence_param params[CONF_FENCE_PARAMS_MAX];

    while (fence_plan_step(&fn->plan, &fn->step)) {
        const struct conf_fence *f = &d->conf.fences[fn->step.device];
        struct fence_agent a = {
            .path = d->fencing.dev[fn->step.device].path,
            .params = params,
            .n_params = (size_t)f->n_params,
        };
        for (int k = 0; k < f->n_params; k++)
            params[k] = (struct fence_param){f->params[k].name, f->params[k].value};
        snprintf(label, sizeof(label), "%s of %s by %s (level %d, attempt %u%s%s)",
                 fence_action_name(fn->step.action), d->conf.nodes[i].name, f->name, f->level,
                 fn->step.attempt, d->fencing.dev[fn->step.device].takes_plug ? ", plug " : "",
                 d->fencing.dev[fn->step.device].takes_plug ? f->plug[i] : "");
        fn->d = d;
        fn->index = i;
        const char *plug = d->fencing.dev[fn->step.device].takes_plug ? f->plug[i] : NULL;
        if (fence_agent_run(d->ev, &a, fn->step.action, plug, label, f->timeout, 0, PRIO_CONTROL,
                            on_step_done, fn, &fn->op, err, sizeof(err)) == 0)
            return;
        /* nothing ran: as an agent that cannot run */
        log_warn("fencing: %s: %s", label, err);
        fence_plan_report(&fn->plan, FENCE_CANNOT_RUN, err);
    }
    plan_ended(d, i);
}

static void start_plan(struct daemon *d, int i, vg_usec_t now, const char *why)
{
    struct fencing_node *fn = &d->fencing.node[i];
    struct fence_plan_level levels[CONF_FENCE_LEVELS];
    size_t n = levels_of(d, i, levels);

    fence_plan_init(&fn->plan, levels, n,
                    d->conf.fence_action == FENCE_ACT_OFF ? FENCE_ACTION_OFF : FENCE_ACTION_REBOOT);
    fn->state = FENCING_RUNNING;
    fn->since = now;
    fn->last[0] = '\0';
    fn->plans++;
    log_warn("fencing: %s %s: fencing it (%s, %zu level%s)", d->conf.nodes[i].name, why,
             conf_fence_action_name(d->conf.fence_action), n, n == 1 ? "" : "s");
    if (fence_plan_state(&fn->plan) != FENCE_PLAN_RUNNING) {
        plan_ended(d, i);
        return;
    }
    run_step(d, i);
}

/* Stop what runs for node i: no longer ours to do. */
static void call_off(struct daemon *d, int i, const char *why)
{
    struct fencing_node *fn = &d->fencing.node[i];

    if (fn->state == FENCING_RUNNING) {
        fence_op_cancel(fn->op);
        fn->op = NULL;
        log_notice("fencing: fencing of %s called off: %s", d->conf.nodes[i].name, why);
    }
    fn->state = FENCING_IDLE;
}

/* Watchdog-only fencing (docs/fencing.md): with [watchdog] and a quorum
 * rule, a node that left the view counts as reset twice its watchdog
 * timeout after it left: by then it lost quorum and stopped kicking (or
 * stopped everything), and its watchdog fired. */
static bool watchdog_reset_by(const struct daemon *d, const struct fencing_node *fn, vg_usec_t now)
{
    return d->conf.watchdog && d->conf.quorum != QUORUM_NONE && fn->left_at &&
           now - fn->left_at >= 2 * d->conf.watchdog_timeout;
}

/* Whether node i reports a group stop-failed (it may still run there). */
static bool stop_failed_on(const struct daemon *d, int i)
{
    for (int g = 0; g < d->conf.n_groups; g++) {
        enum wire_group_state s;
        unsigned f;
        if (groups_report_of(d, i, g, &s, &f) && s == WIRE_GROUP_STOP_FAILED)
            return true;
    }
    return false;
}

/* Whether node i's reports of its groups are known (it reports). */
static bool reports_on(const struct daemon *d, int i)
{
    enum wire_group_state s;
    unsigned f;

    return d->conf.n_groups > 0 && groups_report_of(d, i, 0, &s, &f);
}

static bool has_device(const struct daemon *d, int i)
{
    for (int k = 0; k < d->conf.n_fences; k++)
        if (d->conf.fences[k].nodes & (UINT64_C(1) << i))
            return true;
    return false;
}

void fencing_tick(struct daemon *d)
{
    vg_usec_t now = clock_now();
    const char *how;
    bool coordinator = (d->view.members & NODE_BIT(d->self)) && view_current(&d->view) &&
                       view_lowest(d->view.members) == d->self && membership_quorate(d, &how);

    if (d->conf.fencing == FENCING_NONE)
        return; /* a node that left counts as stopped at once (groups_place.c) */
    for (int i = 0; i < d->conf.n_nodes; i++) {
        struct fencing_node *fn = &d->fencing.node[i];
        bool member = (d->view.members & NODE_BIT(i)) != 0;

        if (i == d->self)
            continue;
        if (member) {
            bool stop_failed = stop_failed_on(d, i);
            fn->was_member = true;
            fn->left_at = 0;
            /* fenced while a member: fenced until it reports a state that is
             * not stop-failed (it may be dying, its reports dropped) */
            if (fn->state == FENCING_DONE && (stop_failed || !reports_on(d, i)))
                continue;
            if (stop_failed) {
                /* a stop that failed there: only fencing ends it */
                if (!coordinator && fn->state == FENCING_RUNNING)
                    call_off(d, i, "this node is no longer the coordinator of a quorate view");
                else if (coordinator && (fn->state == FENCING_IDLE ||
                                         (fn->state == FENCING_FAILED && now >= fn->next_try)))
                    start_plan(d, i, now, "reports that a group's stop failed there");
                continue;
            }
            /* back in the view: what it reports counts again */
            if (fn->state != FENCING_IDLE)
                call_off(d, i, "it is a member of the view again");
            continue;
        }
        if (fn->was_member) {
            fn->was_member = false;
            fn->left_at = now;
        }
        if (!coordinator) {
            if (fn->state == FENCING_RUNNING || fn->state == FENCING_WATCHDOG)
                call_off(d, i, "this node is no longer the coordinator of a quorate view");
            continue;
        }
        if (!groups_stop_unconfirmed_on(d, i)) {
            if (fn->state == FENCING_RUNNING || fn->state == FENCING_WATCHDOG)
                call_off(d, i, "its groups are known to be stopped");
            continue;
        }
        if (fn->state == FENCING_DONE) {
            /* fenced while a member (its stop had failed), gone since */
            log_notice("fencing: %s left the view after it was fenced: its groups may start "
                       "elsewhere",
                       d->conf.nodes[i].name);
            groups_node_fenced(d, i);
            continue;
        }
        if (watchdog_reset_by(d, fn, now)) {
            call_off(d, i, "its watchdog has reset it");
            fn->state = FENCING_DONE;
            snprintf(fn->last, sizeof(fn->last),
                     "reset by its watchdog (left %.1f s ago, 2 x watchdog timeout %us)",
                     (double)(now - fn->left_at) / VG_USEC_PER_SEC,
                     (unsigned)(d->conf.watchdog_timeout / VG_USEC_PER_SEC));
            log_notice("fencing: %s counts as %s: its groups may start elsewhere",
                       d->conf.nodes[i].name, fn->last);
            groups_node_fenced(d, i);
            continue;
        }
        if (!has_device(d, i) && d->conf.watchdog && d->conf.quorum != QUORUM_NONE) {
            if (fn->state != FENCING_WATCHDOG) {
                fn->state = FENCING_WATCHDOG;
                fn->since = now;
                fn->last[0] = '\0';
                log_warn("fencing: %s left the view while a group may still run there and has "
                         "no fence device: it counts as reset by its watchdog %.1f s from now "
                         "(2 x %us after it left)",
                         d->conf.nodes[i].name,
                         (double)(fn->left_at + 2 * d->conf.watchdog_timeout - now) /
                             VG_USEC_PER_SEC,
                         (unsigned)(d->conf.watchdog_timeout / VG_USEC_PER_SEC));
            }
            continue;
        }
        if (fn->state == FENCING_IDLE || (fn->state == FENCING_FAILED && now >= fn->next_try))
            start_plan(d, i, now, "left the view while a group may still run there");
    }
}

uint64_t fencing_fenced_mask(const struct daemon *d)
{
    uint64_t m = 0;

    for (int i = 0; i < d->conf.n_nodes; i++)
        if (i != d->self && d->fencing.node[i].state == FENCING_DONE &&
            !(d->view.members & NODE_BIT(i)))
            m |= NODE_BIT(i);
    return m;
}

void fencing_teardown(struct daemon *d)
{
    for (int i = 0; i < d->conf.n_nodes; i++) {
        fence_op_cancel(d->fencing.node[i].op);
        d->fencing.node[i].op = NULL;
    }
}
