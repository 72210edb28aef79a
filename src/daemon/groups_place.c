/* Where groups run (docs/groups.md, "Who decides, who acts"): every
 * interval the coordinator of a current, quorate view decides with
 * placement.c from the members' reports and sends an ASSIGN to every
 * member (itself included); a member acts on an ASSIGN only under its own
 * installed view, and starts a group only once every other member reports
 * it stopped. A node that loses quorum stops every group at once. */
#include "daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../groups/runner.h"

static bool stopped_state(enum wire_group_state s)
{
    return s == WIRE_GROUP_STOPPED || s == WIRE_GROUP_FAILED;
}

static enum placement_state place_state_of(enum wire_group_state s)
{
    switch (s) {
    case WIRE_GROUP_STARTING:
        return PLACE_STARTING;
    case WIRE_GROUP_RUNNING:
        return PLACE_RUNNING;
    case WIRE_GROUP_STOPPING:
        return PLACE_STOPPING;
    case WIRE_GROUP_STOP_FAILED:
        return PLACE_STOP_FAILED;
    default:
        return PLACE_STOPPED; /* stopped, failed (with its failure count) */
    }
}

static const char *const *node_names(const struct daemon *d)
{
    static const char *names[VIGIL_MAX_NODES];

    for (int i = 0; i < d->conf.n_nodes; i++)
        names[i] = d->conf.nodes[i].name;
    return names;
}

static bool managing(const struct daemon *d)
{
    const char *how;

    return (d->view.members & NODE_BIT(d->self)) && membership_quorate(d, &how);
}

/* The placement inputs of group g from what the members report; *active
 * gets the members on which it is active (not stopped). The holder is left
 * to the caller. */
static void inputs_of(const struct daemon *d, int g, vg_usec_t now, struct placement_cluster *c,
                      struct placement_group *pg, node_mask *active)
{
    const struct conf_group *cg = &d->conf.groups[g];

    *c = (struct placement_cluster){.n = d->conf.n_nodes,
                                    .quorate = managing(d),
                                    .members = d->view.members,
                                    .standby = d->groups.admin.standby};
    placement_group_init(pg);
    for (int k = 0; k < cg->n_nodes; k++)
        pg->policy[k] = cg->nodes[k];
    pg->policy_len = cg->n_nodes;
    pg->failback = cg->failback;
    pg->threshold = (unsigned)cg->migration_threshold;
    pg->failure_timeout = cg->failure_timeout;
    pg->stop_unconfirmed = d->groups.stop_unconfirmed[g];
    pg->move_target =
        d->groups.admin.move_target[g] == WIRE_NONE ? PLACE_NONE : d->groups.admin.move_target[g];
    pg->admin_stopped = d->groups.admin.stopped[g];
    *active = 0;
    for (int i = 0; i < d->conf.n_nodes; i++) {
        enum wire_group_state s;
        unsigned failures;
        if (!(d->view.members & NODE_BIT(i)) || !groups_report_of(d, i, g, &s, &failures))
            continue;
        /* the reporting node expires its own counts: stamped now here */
        pg->failures[i] = (struct placement_failures){.count = failures, .last = now};
        if (!stopped_state(s))
            *active |= NODE_BIT(i);
    }
}

/* Members that left the view while their last report of a group was not
 * stopped may still run it (safety rule 2), unless `fencing = none`. */
static void note_departures(struct daemon *d)
{
    struct daemon_groups *G = &d->groups;
    node_mask left = G->prev_members & ~d->view.members & ~NODE_BIT(d->self);

    if (d->view.epoch == G->prev_epoch)
        return;
    G->prev_epoch = d->view.epoch;
    G->prev_members = d->view.members;
    if (!d->view.members)
        return;
    for (; left; left &= left - 1) {
        int i = view_lowest(left);
        /* from now on only a report newer than its last active one, or made
         * after this moment, confirms a stop (docs/groups.md) */
        sc_left(&G->sc[i], G->peer_valid[i], clock_now());
        for (int g = 0; g < d->conf.n_groups; g++) {
            bool known = G->peer_valid[i];
            if (known && stopped_state(G->peer[i][g].state))
                continue;
            if (d->conf.fencing == FENCING_NONE) {
                log_warn("group %s: %s left the view while it was %s there; fencing = none: it "
                         "counts as stopped",
                         d->conf.groups[g].name, d->conf.nodes[i].name,
                         known ? "active" : "unreported");
                continue;
            }
            G->stop_unconfirmed[g] |= NODE_BIT(i);
            log_warn("group %s: %s left the view while it was %s there: it may still run there, "
                     "so it starts nowhere until %s says it stopped, in a heartbeat, its disk "
                     "slot or to the witness (or is fenced)",
                     d->conf.groups[g].name, d->conf.nodes[i].name, known ? "active" : "unreported",
                     d->conf.nodes[i].name);
        }
        G->peer_valid[i] = false; /* what it said is from its time in the view */
    }
}

bool groups_stop_unconfirmed_on(const struct daemon *d, int i)
{
    for (int g = 0; g < d->conf.n_groups; g++)
        if (d->groups.stop_unconfirmed[g] & NODE_BIT(i))
            return true;
    return false;
}

void groups_node_fenced(struct daemon *d, int i)
{
    for (int g = 0; g < d->conf.n_groups; g++) {
        if (!(d->groups.stop_unconfirmed[g] & NODE_BIT(i)))
            continue;
        d->groups.stop_unconfirmed[g] &= ~NODE_BIT(i);
        log_notice("group %s: %s was fenced: the group is stopped there", d->conf.groups[g].name,
                   d->conf.nodes[i].name);
    }
}

/* The coordinator's decision for group g: the node it should be on, or
 * WIRE_NONE. */
static uint8_t decide_group(struct daemon *d, int g, vg_usec_t now)
{
    struct daemon_groups *G = &d->groups;
    struct placement_cluster c;
    struct placement_group pg;
    struct placement_decision dec;
    node_mask active;
    char line[PLACEMENT_TEXT_MAX];

    inputs_of(d, g, now, &c, &pg, &active);
    if (view_count(active) > 1) {
        int keep = placement_keep_one(&c, &pg, active, now);
        if (G->multi_active[g] != active)
            log_warn("group %s: active on %d nodes at once: %s keeps it, the others are told to "
                     "stop",
                     d->conf.groups[g].name, view_count(active),
                     keep >= 0 ? d->conf.nodes[keep].name : "none of them");
        G->multi_active[g] = active;
        pg.holder = keep;
    } else if (active) {
        G->multi_active[g] = 0;
        pg.holder = view_lowest(active);
    } else {
        G->multi_active[g] = 0;
        pg.holder = G->last_holder[g];
    }
    if (pg.holder != PLACE_NONE) {
        enum wire_group_state s = WIRE_GROUP_STOPPED;
        unsigned failures;
        if ((c.members & NODE_BIT(pg.holder)) && groups_report_of(d, pg.holder, g, &s, &failures))
            pg.state = place_state_of(s);
        if (active & NODE_BIT(pg.holder))
            G->last_holder[g] = pg.holder;
    }
    placement_decide(&c, &pg, now, &dec);
    placement_describe(&dec, node_names(d), d->conf.n_nodes, line, sizeof(line));
    if (!G->have_decision[g] || strcmp(line, G->decision_text[g]) != 0 ||
        dec.action != G->decision[g].action)
        log_notice("group %s: %s: %s", d->conf.groups[g].name, placement_action_name(dec.action),
                   line);
    G->have_decision[g] = true;
    G->decision[g] = dec;
    snprintf(G->decision_text[g], sizeof(G->decision_text[g]), "%s", line);
    if (dec.action == PLACE_START || dec.action == PLACE_MOVE)
        G->last_holder[g] = dec.target;
    admin_settle(d, g, &dec,
                 pg.holder != PLACE_NONE && pg.state == PLACE_RUNNING &&
                     (active & NODE_BIT(pg.holder)));
    /* The holder stops it and will be told to start it there again (a
     * restart in place goes stopping → starting): naming no node would
     * call the restart off. Every other node is told no, as for any wait. */
    if (dec.action == PLACE_WAIT && dec.why.reason == PLACE_R_STILL_STOPPING &&
        dec.why.node != PLACE_NONE)
        return (uint8_t)dec.why.node;
    return dec.target == PLACE_NONE ? WIRE_NONE : (uint8_t)dec.target;
}

static void member_apply(struct daemon *d, int from, const struct wire_assign *a);

/* As coordinator: decide every group and send the ASSIGN, once every
 * member reports (a member not reporting yet may be probing a running
 * group). */
static void coordinate(struct daemon *d, vg_usec_t now)
{
    struct daemon_groups *G = &d->groups;
    struct wire_msg m = {.h.type = WIRE_ASSIGN};
    char missing[sizeof(G->waiting_for)] = "";
    size_t off = 0;

    for (int i = 0; i < d->conf.n_nodes; i++) {
        enum wire_group_state s;
        unsigned f;
        if ((d->view.members & NODE_BIT(i)) && !groups_report_of(d, i, 0, &s, &f) &&
            off < sizeof(missing))
            off += (size_t)snprintf(missing + off, sizeof(missing) - off, "%s%s", off ? ", " : "",
                                    d->conf.nodes[i].name);
    }
    if (missing[0]) {
        if (strcmp(missing, G->waiting_for) != 0)
            log_info("groups: coordinator: waiting for the reports of %s before placing "
                     "anything (still probing, or a configuration with other groups: check that "
                     "every node has the same file)",
                     missing);
        snprintf(G->waiting_for, sizeof(G->waiting_for), "%s", missing);
        return;
    }
    G->waiting_for[0] = '\0';
    if (!G->assign_seq) { /* above every sequence an earlier run of this node sent */
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        G->assign_seq = (uint64_t)wall.tv_sec * VG_USEC_PER_SEC + (uint64_t)wall.tv_nsec / 1000;
    }
    m.assign = (struct wire_assign){
        .epoch = d->view.epoch, .seq = ++G->assign_seq, .n_groups = (uint8_t)d->conf.n_groups};
    for (int g = 0; g < d->conf.n_groups; g++)
        m.assign.groups[g].node = decide_group(d, g, now);
    /* after the decisions: a move back that is done was cleared by them */
    m.assign.admin_seq = G->admin.seq;
    m.assign.standby = G->admin.standby;
    m.assign.fenced = fencing_fenced_mask(d);
    for (int g = 0; g < d->conf.n_groups; g++) {
        m.assign.groups[g].move_target = G->admin.move_target[g];
        m.assign.groups[g].flags = G->admin.stopped[g] ? WIRE_ASSIGN_ADMIN_STOPPED : 0;
    }
    for (int i = 0; i < d->conf.n_nodes; i++)
        if (i != d->self && (d->view.members & NODE_BIT(i)))
            cluster_send(d, i, &m);
    member_apply(d, d->self, &m.assign);
}

/* Whether a member may hold a newer admin state than this node: one whose
 * heartbeats said so, or whose heartbeats this node has no report from. */
static bool members_ahead(const struct daemon *d)
{
    const struct daemon_groups *G = &d->groups;

    for (int i = 0; i < d->conf.n_nodes; i++)
        if (i != d->self && (d->view.members & NODE_BIT(i)) &&
            (!G->peer_valid[i] || G->peer_admin_seq[i] > G->admin.seq))
            return true;
    return false;
}

void groups_tick(struct daemon *d)
{
    const char *how;

    if (d->conf.n_groups == 0 || d->groups.shutting_down)
        return; /* shutting down: only the stops asked run on */
    note_departures(d);
    fencing_tick(d); /* also without quorum: it calls off what runs */
    admin_tick(d);   /* also without quorum: its commands time out, or are refused */
    if (!membership_quorate(d, &how) || !(d->view.members & NODE_BIT(d->self))) {
        d->groups.coordinating = false;
        groups_on_quorum_lost(d, d->view.members ? how : "member of no view");
        return;
    }
    d->groups.joined = true;
    bool lowest = d->groups.reporting && view_lowest(d->view.members) == d->self;
    bool coord = lowest && view_current(&d->view);
    /* New to the role: one interval first, for the members to send back an
     * admin state newer than this node's (admin.c), so that a restarted
     * coordinator does not undo a stop or a standby for an interval. A
     * coordinator that stays the lowest member through a view change (its
     * view not current for a while) keeps the role: no wait. */
    vg_usec_t now = clock_now();
    bool first = coord && !d->groups.coordinating;
    if (first)
        d->groups.coordinating_since = now;
    d->groups.coordinating = lowest;
    /* an interval of time, not of ticks (groups_soon() adds ticks); no wait
     * when every other member's heartbeat says it holds no newer admin
     * state than this node */
    if (coord &&
        (!members_ahead(d) || (!first && now - d->groups.coordinating_since >= d->conf.interval)))
        coordinate(d, now);
}

void groups_soon(struct daemon *d)
{
    if (d->groups.timer && !d->groups.shutting_down)
        sd_event_source_set_time(d->groups.timer, clock_now());
}

/* Stop every group here at once (safety rule 3) — but a group the
 * start-up probe found running is kept while this node joins its first
 * quorate view, for at most initial-timeout: restarting vigild must not
 * restart a healthy service (the coordinator then finds it running here
 * and keeps it here). */
void groups_on_quorum_lost(struct daemon *d, const char *how)
{
    struct runner_status st;
    bool grace = !d->groups.joined && clock_now() - d->started_at < d->conf.initial_timeout;
    bool noted = false;

    d->groups.managing = false;
    for (int g = 0; g < d->conf.n_groups; g++) {
        if (!d->groups.run[g] || !d->groups.probed[g])
            continue;
        runner_status(d->groups.run[g], clock_now(), &st);
        if (!st.want_running && st.state != RUNNER_RUNNING && st.state != RUNNER_STARTING)
            continue;
        if (grace) {
            if (!d->groups.grace_noted)
                log_notice("group %s: found running at start: kept while this node joins a "
                           "quorate view (at most initial-timeout, %" PRIu64 "ms)",
                           d->conf.groups[g].name, d->conf.initial_timeout / VG_USEC_PER_MSEC);
            noted = true;
            continue;
        }
        log_warn("group %s: this node is not a quorate member (%s): stopping it here at once",
                 d->conf.groups[g].name, how);
        runner_stop(d->groups.run[g]);
    }
    if (noted)
        d->groups.grace_noted = true;
}

/* Whether every other member reports g stopped after acting on an ASSIGN
 * of this view at least as new as `since` (the first of the unbroken run
 * that assigns it here): such a member saw that the group is not its own
 * and stopped it, and starts it again only on a newer ASSIGN, which then
 * waits for this node in the same way. A report of `stopped` from before
 * that ASSIGN proves nothing: the member may have started it since. Who
 * does not in *who, and what it lacks in *old. */
static bool others_stopped(const struct daemon *d, int g, uint64_t since, int *who, bool *old)
{
    for (int i = 0; i < d->conf.n_nodes; i++) {
        enum wire_group_state s;
        unsigned f;
        if (i == d->self || !(d->view.members & NODE_BIT(i)))
            continue;
        *who = i;
        *old = groups_acted_by(d, i) < since;
        if (*old || !groups_report_of(d, i, g, &s, &f) || !stopped_state(s))
            return false;
    }
    return true;
}

/* A start refused or deferred: logged when the reason changes. */
static void note_refusal(struct daemon *d, int g, const char *why)
{
    if (strcmp(d->groups.refusal[g], why) == 0)
        return;
    snprintf(d->groups.refusal[g], sizeof(d->groups.refusal[g]), "%s", why);
    log_info("group %s: assigned here, not started yet: %s", d->conf.groups[g].name, why);
}

static void start_here(struct daemon *d, int g, vg_usec_t now)
{
    struct placement_cluster c;
    struct placement_group pg;
    struct placement_cause why;
    node_mask active;
    char text[PLACEMENT_TEXT_MAX], err[RUNNER_ERR_MAX];
    int who;
    bool old;

    if (!others_stopped(d, g, d->groups.since[g], &who, &old)) {
        snprintf(text, sizeof(text), "waiting for %s to report it stopped%s",
                 d->conf.nodes[who].name, old ? " after this assignment" : "");
        note_refusal(d, g, text);
        return;
    }
    inputs_of(d, g, now, &c, &pg, &active);
    pg.holder = d->self;
    pg.state = PLACE_STOPPED;
    if (placement_may_start(&c, &pg, d->self, now, &why) < 0) {
        placement_cause_text(&why, node_names(d), d->conf.n_nodes, text, sizeof(text));
        note_refusal(d, g, text);
        return;
    }
    if (runner_start(d->groups.run[g], err, sizeof(err)) < 0) {
        note_refusal(d, g, err);
        return;
    }
    d->groups.refusal[g][0] = '\0';
    groups_publish(d); /* the slot says starting from now on, never stopped */
    log_notice("group %s: assigned to this node by the coordinator: starting it",
               d->conf.groups[g].name);
}

/* Act on an ASSIGN from `from` (the coordinator; this node itself when it
 * is the coordinator), if it holds under this node's installed view. */
static void member_apply(struct daemon *d, int from, const struct wire_assign *a)
{
    struct daemon_groups *G = &d->groups;
    vg_usec_t now = clock_now();

    if (!G->reporting || G->shutting_down || !managing(d) || !view_current(&d->view) ||
        a->epoch != d->view.epoch || from != view_lowest(d->view.members) ||
        a->n_groups != d->conf.n_groups)
        return;
    if (a->epoch == G->acted_epoch && a->seq <= G->acted_seq)
        return; /* an older one, overtaken */
    for (int g = 0; g < a->n_groups; g++)
        if (a->groups[g].node != WIRE_NONE && a->groups[g].node >= d->conf.n_nodes) {
            log_warn("ASSIGN %" PRIu64 " from %s: group %s assigned to node index %u, which is "
                     "not configured here: ignored (is the configuration the same on every node?)",
                     a->seq, d->conf.nodes[from].name, d->conf.groups[g].name, a->groups[g].node);
            return;
        }
    admin_adopt(d, from, a); /* before acting: placement_may_start reads it */
    /* what the coordinator fenced is stopped there, for this node too */
    for (int i = 0; i < d->conf.n_nodes; i++)
        if (from != d->self && (a->fenced & NODE_BIT(i)) && i != d->self &&
            !(d->view.members & NODE_BIT(i)) && groups_stop_unconfirmed_on(d, i))
            groups_node_fenced(d, i);
    bool unbroken = a->epoch == G->acted_epoch && a->seq == G->acted_seq + 1;
    bool changed = !unbroken || !G->have_assignment;
    G->acted_epoch = a->epoch;
    G->acted_seq = a->seq;
    G->managing = true;
    for (int g = 0; g < a->n_groups; g++) {
        struct runner_status st;
        int to = a->groups[g].node == WIRE_NONE ? -1 : a->groups[g].node;
        runner_status(G->run[g], now, &st);
        if (G->have_assignment && G->assigned[g] != a->groups[g].node)
            changed = true;
        if (!G->have_assignment || G->assigned[g] != a->groups[g].node)
            log_info("group %s: the coordinator assigns it to %s", d->conf.groups[g].name,
                     to >= 0 ? d->conf.nodes[to].name : "no node");
        if (to != d->self)
            G->since[g] = 0;
        else if (!unbroken || !G->since[g] || G->assigned[g] != a->groups[g].node)
            G->since[g] = a->seq;
        G->assigned[g] = a->groups[g].node;
        if (to == d->self) {
            if ((st.state == RUNNER_STOPPED || st.state == RUNNER_FAILED) &&
                st.op == RUNNER_OP_NONE && !st.want_running)
                start_here(d, g, now);
        } else if (st.want_running || st.state == RUNNER_RUNNING || st.state == RUNNER_STARTING) {
            log_notice("group %s: the coordinator assigns it to %s: stopping it here",
                       d->conf.groups[g].name, to >= 0 ? d->conf.nodes[to].name : "no node");
            runner_stop(G->run[g]);
        }
    }
    G->have_assignment = true;
    /* a new view's first ASSIGN, or a new assignment: the coordinator waits
     * for every member's report of having acted on it before a start, so
     * send it now rather than at the next heartbeat */
    if (changed && from != d->self)
        heartbeat_soon(d);
}

void groups_on_assign(struct daemon *d, int i, const struct wire_assign *a)
{
    if (d->conf.n_groups == 0)
        return;
    admin_on_assign(d, i, a);
    member_apply(d, i, a);
}
