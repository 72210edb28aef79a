/* Placement decisions (see placement.h and docs/placement.md). The order of
 * the checks in placement_decide() is the order of precedence of the rules:
 * safety first (quorum, stops not confirmed, stops that failed), then the
 * administrator (stop, move), then the holder, then the policy. */
#include "placement.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool mask_within(node_mask m, int n)
{
    return n >= VIGIL_MAX_NODES || (m >> n) == 0;
}

static bool node_within(int node, int n)
{
    return node >= 0 && node < n;
}

static int check(const struct placement_cluster *c, const struct placement_group *g)
{
    if (c->n < 1 || c->n > VIGIL_MAX_NODES)
        return -EINVAL;
    if (!mask_within(c->members | c->standby | g->stop_unconfirmed, c->n))
        return -EINVAL;
    if (g->policy_len < 0 || g->policy_len > VIGIL_MAX_NODES)
        return -EINVAL;
    for (int i = 0; i < g->policy_len; i++)
        if (!node_within(g->policy[i], c->n))
            return -EINVAL;
    if (g->holder != PLACE_NONE && !node_within(g->holder, c->n))
        return -EINVAL;
    if (g->move_target != PLACE_NONE && !node_within(g->move_target, c->n))
        return -EINVAL;
    if ((unsigned)g->state > PLACE_STOP_FAILED)
        return -EINVAL;
    return 0;
}

void placement_group_init(struct placement_group *g)
{
    memset(g, 0, sizeof(*g));
    g->holder = PLACE_NONE;
    g->move_target = PLACE_NONE;
    g->state = PLACE_STOPPED;
}

/* A count expires once failure_timeout has passed since its last failure;
 * a last failure "in the future" (a caller's clock mix-up) still counts. */
unsigned placement_failures(const struct placement_group *g, int node, vg_usec_t now)
{
    if (node < 0 || node >= VIGIL_MAX_NODES)
        return 0;
    const struct placement_failures *f = &g->failures[node];
    if (g->failure_timeout && now >= f->last && now - f->last >= g->failure_timeout)
        return 0;
    return f->count;
}

/* The position of node in the policy (its first one), -1 when absent. */
static int policy_rank(const struct placement_group *g, int node)
{
    for (int i = 0; i < g->policy_len && i < VIGIL_MAX_NODES; i++)
        if (g->policy[i] == node)
            return i;
    return -1;
}

enum placement_unfit placement_fit(const struct placement_cluster *c,
                                   const struct placement_group *g, int node, vg_usec_t now)
{
    if (!node_within(node, c->n) || node >= VIGIL_MAX_NODES || policy_rank(g, node) < 0)
        return PLACE_NOT_IN_POLICY;
    if (!(c->members & NODE_BIT(node)))
        return PLACE_NOT_MEMBER;
    if (c->standby & NODE_BIT(node))
        return PLACE_IN_STANDBY;
    if (g->threshold && placement_failures(g, node, now) >= g->threshold)
        return PLACE_FAILED;
    return PLACE_FIT;
}

node_mask placement_allowed(const struct placement_cluster *c, const struct placement_group *g,
                            vg_usec_t now)
{
    node_mask allowed = 0;

    for (int i = 0; i < g->policy_len && i < VIGIL_MAX_NODES; i++)
        if (placement_fit(c, g, g->policy[i], now) == PLACE_FIT)
            allowed |= NODE_BIT(g->policy[i]);
    return allowed;
}

static int first_allowed(const struct placement_group *g, node_mask allowed)
{
    for (int i = 0; i < g->policy_len; i++)
        if (allowed & NODE_BIT(g->policy[i]))
            return g->policy[i];
    return PLACE_NONE;
}

static struct placement_cause cause(enum placement_reason reason, int node)
{
    return (struct placement_cause){.reason = reason, .node = node, .unfit = PLACE_FIT};
}

static struct placement_cause unfit_cause(const struct placement_cluster *c,
                                          const struct placement_group *g, int node, vg_usec_t now)
{
    struct placement_cause why = cause(PLACE_R_UNFIT, node);

    why.unfit = placement_fit(c, g, node, now);
    if (why.unfit == PLACE_FAILED) {
        why.failures = placement_failures(g, node, now);
        why.threshold = g->threshold;
    }
    return why;
}

static void wait_for(struct placement_decision *out, enum placement_reason reason, int node)
{
    out->action = PLACE_WAIT;
    out->target = PLACE_NONE;
    out->from = PLACE_NONE;
    out->why = cause(reason, node);
}

/* Where it should be, by the rules below safety: the administrator's stop,
 * then an allowed move target, then the holder while it is allowed (unless
 * failback takes it to a more preferred node), then the policy order. */
static int choose(const struct placement_cluster *c, const struct placement_group *g, vg_usec_t now,
                  struct placement_cause *why)
{
    node_mask allowed = placement_allowed(c, g, now);
    int first = first_allowed(g, allowed);

    if (g->admin_stopped) {
        *why = cause(PLACE_R_ADMIN_STOP, PLACE_NONE);
        return PLACE_NONE;
    }
    if (g->move_target != PLACE_NONE && (allowed & NODE_BIT(g->move_target))) {
        *why = cause(PLACE_R_MOVED, g->move_target);
        return g->move_target;
    }
    if (g->holder != PLACE_NONE && (allowed & NODE_BIT(g->holder))) {
        /* first is allowed and not after the holder in the policy */
        if (first == g->holder) {
            *why = cause(PLACE_R_HOLDER, g->holder);
            return g->holder;
        }
        if (g->failback) {
            *why = cause(PLACE_R_FAILBACK, first);
            return first;
        }
        *why = cause(PLACE_R_NO_FAILBACK, first);
        return g->holder;
    }
    if (first == PLACE_NONE)
        *why = cause(PLACE_R_NO_ALLOWED, PLACE_NONE);
    else if (g->holder != PLACE_NONE)
        *why = unfit_cause(c, g, g->holder, now);
    else
        *why = cause(PLACE_R_FIRST_ALLOWED, first);
    return first;
}

int placement_decide(const struct placement_cluster *c, const struct placement_group *g,
                     vg_usec_t now, struct placement_decision *out)
{
    memset(out, 0, sizeof(*out));
    out->move_why = cause(PLACE_R_UNFIT, PLACE_NONE);

    int rc = check(c, g);
    if (rc < 0) {
        wait_for(out, PLACE_R_INVALID, PLACE_NONE);
        return rc;
    }
    if (g->move_target != PLACE_NONE && placement_fit(c, g, g->move_target, now) != PLACE_FIT) {
        out->move_lapsed = true;
        out->move_why = unfit_cause(c, g, g->move_target, now);
    }

    /* Safety rules 3 and 2: nothing is placed without quorum, nor while a
     * node may still run the group. */
    if (!c->quorate) {
        wait_for(out, PLACE_R_NO_QUORUM, PLACE_NONE);
        return 0;
    }
    if (g->stop_unconfirmed) {
        wait_for(out, PLACE_R_STOP_UNCONFIRMED, view_lowest(g->stop_unconfirmed));
        return 0;
    }
    /* A holder that left the view and is not in stop_unconfirmed is known
     * to have stopped (it said so, or was fenced): it holds nothing. */
    bool holder_member = g->holder != PLACE_NONE && (c->members & NODE_BIT(g->holder));
    if (holder_member && g->state == PLACE_STOP_FAILED) {
        wait_for(out, PLACE_R_STOP_FAILED, g->holder);
        return 0;
    }

    int target = choose(c, g, now, &out->why);
    bool active = holder_member && g->state != PLACE_STOPPED;

    out->target = target;
    out->from = PLACE_NONE;
    if (!active) {
        out->action = target == PLACE_NONE ? PLACE_KEEP : PLACE_START;
    } else if (target == g->holder) {
        if (g->state == PLACE_STOPPING)
            wait_for(out, PLACE_R_STILL_STOPPING, g->holder);
        else
            out->action = PLACE_KEEP;
    } else {
        out->action = target == PLACE_NONE ? PLACE_STOP : PLACE_MOVE;
        out->from = g->holder;
    }
    return 0;
}

int placement_may_start(const struct placement_cluster *c, const struct placement_group *g,
                        int node, vg_usec_t now, struct placement_cause *why)
{
    int rc = check(c, g);

    if (rc == 0 && !node_within(node, c->n))
        rc = -EINVAL;
    if (rc < 0) {
        *why = cause(PLACE_R_INVALID, PLACE_NONE);
        return rc;
    }
    if (!c->quorate) {
        *why = cause(PLACE_R_NO_QUORUM, PLACE_NONE);
        return -EPERM;
    }
    if (g->stop_unconfirmed) {
        *why = cause(PLACE_R_STOP_UNCONFIRMED, view_lowest(g->stop_unconfirmed));
        return -EPERM;
    }
    if (g->admin_stopped) {
        *why = cause(PLACE_R_ADMIN_STOP, PLACE_NONE);
        return -EPERM;
    }
    if (g->holder != PLACE_NONE && (c->members & NODE_BIT(g->holder))) {
        if (g->state == PLACE_STOP_FAILED) {
            *why = cause(PLACE_R_STOP_FAILED, g->holder);
            return -EPERM;
        }
        if (g->holder != node && g->state != PLACE_STOPPED) {
            *why = cause(PLACE_R_HELD_ELSEWHERE, g->holder);
            return -EPERM;
        }
        if (g->holder == node && g->state == PLACE_STOPPING) {
            *why = cause(PLACE_R_STILL_STOPPING, g->holder);
            return -EPERM;
        }
    }
    if (placement_fit(c, g, node, now) != PLACE_FIT) {
        *why = unfit_cause(c, g, node, now);
        return -EPERM;
    }
    *why = cause(PLACE_R_ALLOWED, node);
    return 0;
}

int placement_keep_one(const struct placement_cluster *c, const struct placement_group *g,
                       node_mask active, vg_usec_t now)
{
    if (check(c, g) < 0 || !c->quorate || g->admin_stopped)
        return PLACE_NONE;
    node_mask candidates = active & placement_allowed(c, g, now);
    if (g->move_target != PLACE_NONE && (candidates & NODE_BIT(g->move_target)))
        return g->move_target;
    return first_allowed(g, candidates);
}

vg_usec_t placement_recheck_at(const struct placement_group *g, vg_usec_t now)
{
    vg_usec_t at = VG_USEC_INFINITY;

    if (!g->threshold || !g->failure_timeout)
        return at;
    for (int i = 0; i < VIGIL_MAX_NODES; i++) {
        if (placement_failures(g, i, now) < g->threshold)
            continue;
        vg_usec_t last = g->failures[i].last;
        vg_usec_t expiry = last > VG_USEC_INFINITY - g->failure_timeout ? VG_USEC_INFINITY
                                                                        : last + g->failure_timeout;
        if (expiry < at)
            at = expiry;
    }
    return at;
}

/* ---- Text ---- */

struct text {
    char *buf;
    size_t size, len;
    bool truncated;
    const char *const *names;
    int n;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;

    if (t->size == 0) {
        t->truncated = true;
        return;
    }
    va_start(ap, fmt);
    int r = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
    va_end(ap);
    if (r < 0) {
        t->truncated = true;
    } else if ((size_t)r >= t->size - t->len) {
        t->len = t->size - 1;
        t->truncated = true;
    } else {
        t->len += (size_t)r;
    }
}

static void put_node(struct text *t, int node)
{
    if (t->names && node >= 0 && node < t->n && t->names[node])
        put(t, "%s", t->names[node]);
    else
        put(t, "node %d", node);
}

static void put_unfit(struct text *t, const struct placement_cause *why)
{
    put_node(t, why->node);
    switch (why->unfit) {
    case PLACE_FIT:
        put(t, " may hold it");
        break;
    case PLACE_NOT_IN_POLICY:
        put(t, " is not in its failover policy");
        break;
    case PLACE_NOT_MEMBER:
        put(t, " is not a member of the view");
        break;
    case PLACE_IN_STANDBY:
        put(t, " is in standby");
        break;
    case PLACE_FAILED:
        put(t, " failed %u time%s (threshold %u)", why->failures, why->failures == 1 ? "" : "s",
            why->threshold);
        break;
    }
}

static void put_cause(struct text *t, const struct placement_cause *why)
{
    switch (why->reason) {
    case PLACE_R_INVALID:
        put(t, "the placement inputs are out of range");
        break;
    case PLACE_R_NO_QUORUM:
        put(t, "the view has no quorum");
        break;
    case PLACE_R_STOP_UNCONFIRMED:
        put_node(t, why->node);
        put(t, " may still run it (left the view without confirming the stop)");
        break;
    case PLACE_R_STOP_FAILED:
        put_node(t, why->node);
        put(t, " failed to stop it (it may still run there)");
        break;
    case PLACE_R_STILL_STOPPING:
        put_node(t, why->node);
        put(t, " is still stopping it");
        break;
    case PLACE_R_HELD_ELSEWHERE:
        put_node(t, why->node);
        put(t, " still holds it");
        break;
    case PLACE_R_ADMIN_STOP:
        put(t, "stopped by the administrator");
        break;
    case PLACE_R_NO_ALLOWED:
        put(t, "no node of its policy may hold it (each is out of the view, in standby or at its "
               "failure threshold)");
        break;
    case PLACE_R_MOVED:
        put(t, "moved to ");
        put_node(t, why->node);
        put(t, " by the administrator");
        break;
    case PLACE_R_HOLDER:
        put_node(t, why->node);
        put(t, " is its holder and allowed");
        break;
    case PLACE_R_NO_FAILBACK:
        put_node(t, why->node);
        put(t, " is preferred but failback is off");
        break;
    case PLACE_R_FAILBACK:
        put_node(t, why->node);
        put(t, " is preferred and failback is on");
        break;
    case PLACE_R_UNFIT:
        put_unfit(t, why);
        break;
    case PLACE_R_FIRST_ALLOWED:
        put_node(t, why->node);
        put(t, " is its first allowed node");
        break;
    case PLACE_R_ALLOWED:
        put_node(t, why->node);
        put(t, " may start it");
        break;
    }
}

static int text_end(struct text *t)
{
    if (t->size == 0)
        return -ENOSPC;
    t->buf[t->len] = '\0';
    return t->truncated ? -ENOSPC : 0;
}

int placement_cause_text(const struct placement_cause *why, const char *const *names, int n,
                         char *buf, size_t size)
{
    struct text t = {.buf = buf, .size = size, .names = names, .n = n};

    put_cause(&t, why);
    return text_end(&t);
}

int placement_describe(const struct placement_decision *d, const char *const *names, int n,
                       char *buf, size_t size)
{
    struct text t = {.buf = buf, .size = size, .names = names, .n = n};

    if (d->move_lapsed) {
        put(&t, "the move to ");
        put_node(&t, d->move_why.node);
        put(&t, " does not apply (");
        put_cause(&t, &d->move_why);
        put(&t, "); ");
    }
    put_cause(&t, &d->why);
    put(&t, ": ");
    switch (d->action) {
    case PLACE_KEEP:
        if (d->target == PLACE_NONE) {
            put(&t, "leaving it stopped");
        } else {
            put(&t, "keeping it on ");
            put_node(&t, d->target);
        }
        break;
    case PLACE_START:
        put(&t, "starting it on ");
        put_node(&t, d->target);
        break;
    case PLACE_MOVE:
        put(&t, "moving it from ");
        put_node(&t, d->from);
        put(&t, " to ");
        put_node(&t, d->target);
        break;
    case PLACE_STOP:
        put(&t, "stopping it on ");
        put_node(&t, d->from);
        break;
    case PLACE_WAIT:
        put(&t, "waiting");
        break;
    }
    return text_end(&t);
}

const char *placement_action_name(enum placement_action a)
{
    switch (a) {
    case PLACE_KEEP:
        return "keep";
    case PLACE_START:
        return "start";
    case PLACE_MOVE:
        return "move";
    case PLACE_STOP:
        return "stop";
    case PLACE_WAIT:
        return "wait";
    }
    return "?";
}
