/* Failover groups in vigild, this node's side (docs/groups.md): a runner per
 * configured group, built from the [group] and [resource] sections and
 * probed at start; its events logged; the reports this node puts in its
 * heartbeats and those its peers send; the `groups` of the status. */
#include "daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "../common/log.h"
#include "../groups/runner.h"

/* One [resource] as the runner describes it; strings point into d->conf
 * (runner_new copies them), OCF parameters into params; an ocf agent's
 * advised timeouts (adv, read at start) where the section sets none. */
static void runner_resource_of(const struct conf *c, const struct conf_resource *cr,
                               const struct ocf_advice *adv, struct runner_resource *out,
                               struct agent_param *params)
{
    *out = (struct runner_resource){
        .name = cr->name,
        .start_timeout = cr->start_timeout,
        .stop_timeout = cr->stop_timeout,
        .monitor_timeout = cr->monitor_timeout,
        .monitor_interval = cr->monitor_interval,
        .monitor_retries =
            (unsigned)cr->monitor_retries + 1, /* conf: tolerated; runner: in a row */
    };
    switch (cr->type) {
    case CONF_RES_IP:
        out->kind = RUNNER_IP;
        out->ip = cr->ip;
        break;
    case CONF_RES_EXEC:
        out->kind = RUNNER_EXEC;
        out->exec.start = conf_text(c, cr->start);
        out->exec.stop = conf_text(c, cr->stop);
        out->exec.monitor = cr->monitor ? conf_text(c, cr->monitor) : NULL;
        break;
    case CONF_RES_OCF:
        out->kind = RUNNER_OCF;
        snprintf(out->ocf.provider, sizeof(out->ocf.provider), "%s", cr->ocf_provider);
        snprintf(out->ocf.type, sizeof(out->ocf.type), "%s", cr->ocf_type);
        for (int k = 0; k < cr->n_params; k++)
            params[k] = (struct agent_param){conf_text(c, cr->params[k].name),
                                             conf_text(c, cr->params[k].value)};
        out->ocf.params = params;
        out->ocf.n_params = (size_t)cr->n_params;
        if (adv->start_timeout)
            out->start_timeout = adv->start_timeout;
        if (adv->stop_timeout)
            out->stop_timeout = adv->stop_timeout;
        if (adv->monitor_timeout)
            out->monitor_timeout = adv->monitor_timeout;
        break;
    case CONF_RES_SYSTEMD:
        out->kind = RUNNER_SYSTEMD;
        snprintf(out->systemd.unit, sizeof(out->systemd.unit), "%s", conf_text(c, cr->unit));
        break;
    }
}

static int group_index(const struct daemon *d, const struct runner *r)
{
    for (int g = 0; g < d->conf.n_groups; g++)
        if (d->groups.run[g] == r)
            return g;
    return -1;
}

static bool runner_active(const struct runner *r)
{
    struct runner_status st;

    runner_status(r, clock_now(), &st);
    return st.op != RUNNER_OP_NONE || st.want_running || st.state == RUNNER_RUNNING ||
           st.state == RUNNER_STARTING || st.state == RUNNER_STOPPING;
}

static int on_exit_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct daemon *d = userdata;

    log_notice("groups: stopped, and the peers were told: leaving");
    return sd_event_exit(d->ev, 0);
}

/* While shutting down: once nothing runs here, leave two intervals later,
 * so that a heartbeat carries the last state (stopped, or stop-failed) to
 * the peers, who then need not take this node's groups as unconfirmed. */
static void shutdown_check(struct daemon *d)
{
    for (int g = 0; g < d->conf.n_groups; g++)
        if (d->groups.run[g] && runner_active(d->groups.run[g]))
            return;
    if (d->groups.exit_timer)
        return;
    log_notice("groups: every group is stopped here; leaving once a heartbeat said so");
    if (sd_event_add_time(d->ev, &d->groups.exit_timer, CLOCK_MONOTONIC,
                          clock_now() + 2 * d->conf.interval, 1, on_exit_timer, d) < 0)
        sd_event_exit(d->ev, 0);
}

bool groups_shutdown(struct daemon *d)
{
    bool any = false;

    for (int g = 0; g < d->conf.n_groups; g++) {
        if (!d->groups.run[g] || !runner_active(d->groups.run[g]))
            continue;
        log_notice("group %s: vigild is stopping: stopping the group here first",
                   d->conf.groups[g].name);
        runner_stop(d->groups.run[g]);
        any = true;
    }
    if (!any)
        return false;
    d->groups.shutting_down = true;
    return true;
}

/* Every runner event is logged once, at its level; a probe's end may let
 * this node report. */
static void on_runner_event(struct runner *r, const struct runner_event *e, void *userdata)
{
    struct daemon *d = userdata;
    int g = group_index(d, r);

    log_msg(e->level, "%s", e->message);
    groups_publish(d);
    if (e->kind == RUNNER_EV_STATE)
        heartbeat_soon(d); /* a stop the coordinator waits for: say it now */
    if (d->groups.shutting_down && e->kind == RUNNER_EV_STATE)
        shutdown_check(d);
    if (g < 0 || e->kind != RUNNER_EV_PROBED || d->groups.probed[g])
        return;
    d->groups.probed[g] = true;
    for (int k = 0; k < d->conf.n_groups; k++)
        if (!d->groups.probed[k])
            return;
    d->groups.reporting = true;
    groups_publish(d);
    log_notice("groups: every group is probed (%d): this node reports them from now on",
               d->conf.n_groups);
}

static int group_new(struct daemon *d, int g)
{
    static struct agent_param params[VIGIL_MAX_GROUP_RESOURCES][CONF_OCF_PARAMS_MAX];
    const struct conf_group *cg = &d->conf.groups[g];
    struct runner_group rg = {
        .name = cg->name,
        .n = (size_t)cg->n_resources,
        .migration_threshold = (unsigned)cg->migration_threshold,
        .failure_timeout = cg->failure_timeout,
    };
    struct runner_callbacks cb = {
        .event = on_runner_event, .userdata = d, .ip = &runner_ip_netlink};
    char err[RUNNER_ERR_MAX];

    for (int k = 0; k < cg->n_resources; k++)
        runner_resource_of(&d->conf, &d->conf.resources[cg->first_resource + k],
                           &d->groups.ocf_advice[cg->first_resource + k], &rg.resources[k],
                           params[k]);
    int r = runner_new(d->ev, d->conf.nodes[d->self].name, &rg, &cb, PRIO_CONTROL,
                       &d->groups.run[g], err, sizeof(err));
    if (r < 0) {
        log_err("%s:%d: [group \"%s\"]: cannot run it: %s", d->conf.path, cg->line, cg->name, err);
        return r;
    }
    if (runner_probe(d->groups.run[g], err, sizeof(err)) < 0) {
        log_err("group %s: cannot probe it at start: %s", cg->name, err);
        return -EIO;
    }
    return 0;
}

static int on_groups_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct daemon *d = userdata;

    if (d->groups.shutting_down)
        shutdown_check(d); /* a stop that changed no state ends here */
    groups_tick(d);
    groups_publish(d);
    sd_event_source_set_time(s, clock_now() + d->conf.interval);
    sd_event_source_set_enabled(s, SD_EVENT_ON);
    return 0;
}

int groups_start(struct daemon *d)
{
    struct daemon_groups *G = &d->groups;
    int r;

    for (int g = 0; g < VIGIL_MAX_GROUPS; g++)
        G->last_holder[g] = PLACE_NONE;
    admin_init(d);
    G->reporting = d->conf.n_groups == 0;
    if (d->conf.n_groups == 0)
        return 0;
    if (d->conf.fencing == FENCING_NONE)
        log_warn("fencing = none: a node that leaves the view counts as having stopped its "
                 "groups at once, so a node cut off but alive keeps running them while another "
                 "starts them (UNSAFE; use fencing = required outside tests)");
    log_notice("groups: probing %d group(s) before reporting any", d->conf.n_groups);
    for (int g = 0; g < d->conf.n_groups; g++)
        if ((r = group_new(d, g)) < 0)
            return r;
    r = sd_event_add_time(d->ev, &G->timer, CLOCK_MONOTONIC, clock_now() + d->conf.interval, 1,
                          on_groups_timer, d);
    if (r < 0)
        return r;
    sd_event_source_set_priority(G->timer, PRIO_CONTROL);
    return 0;
}

void groups_stop(struct daemon *d)
{
    d->groups.timer = sd_event_source_disable_unref(d->groups.timer);
    d->groups.exit_timer = sd_event_source_disable_unref(d->groups.exit_timer);
    for (int g = 0; g < d->conf.n_groups; g++) {
        runner_free(d->groups.run[g]);
        d->groups.run[g] = NULL;
    }
}

static enum wire_group_state wire_state_of(enum runner_state s)
{
    switch (s) {
    case RUNNER_STOPPED:
        return WIRE_GROUP_STOPPED;
    case RUNNER_STARTING:
        return WIRE_GROUP_STARTING;
    case RUNNER_RUNNING:
        return WIRE_GROUP_RUNNING;
    case RUNNER_STOPPING:
        return WIRE_GROUP_STOPPING;
    case RUNNER_FAILED:
        return WIRE_GROUP_FAILED;
    case RUNNER_STOP_FAILED:
        return WIRE_GROUP_STOP_FAILED;
    }
    return WIRE_GROUP_STOP_FAILED; /* unknown: the safe side */
}

/* What this node reports: a start asked but not begun yet (the runner acts
 * from the loop) is already `starting`, never `stopped`, so that no other
 * node takes the group as stopped here. */
static enum wire_group_state local_state(const struct runner_status *st)
{
    if (st->want_running && (st->state == RUNNER_STOPPED || st->state == RUNNER_FAILED))
        return WIRE_GROUP_STARTING;
    return wire_state_of(st->state);
}

void groups_fill_report(const struct daemon *d, struct wire_heartbeat *hb)
{
    struct group_reports r;

    groups_collect(d, &r);
    /* only an ASSIGN of the view it reports (hb->epoch) counts */
    hb->assign_seq = r.n && d->groups.acted_epoch == d->view.epoch ? d->groups.acted_seq : 0;
    hb->admin_seq = d->groups.admin.seq;
    hb->n_groups = r.n;
    memcpy(hb->groups, r.g, sizeof(hb->groups[0]) * r.n);
}

void groups_collect(const struct daemon *d, struct group_reports *out)
{
    vg_usec_t now = clock_now();

    memset(out, 0, sizeof(*out));
    out->at = now;
    if (!d->groups.reporting || d->conf.n_groups == 0)
        return;
    for (int g = 0; g < d->conf.n_groups; g++) {
        struct runner_status st;
        runner_status(d->groups.run[g], now, &st);
        out->g[g].state = (uint8_t)local_state(&st);
        out->g[g].failures = (uint8_t)(st.failures > 255 ? 255 : st.failures);
    }
    out->n = (uint8_t)d->conf.n_groups;
}

void groups_publish(struct daemon *d)
{
    struct group_reports r;

    groups_collect(d, &r);
    disklink_set_groups(d, &r);
}

/* One report of peer i says group g is stopped there, and the freshness
 * rule lets it confirm the stop: the group is no longer stop-unconfirmed
 * there. */
static void confirm(struct daemon *d, int i, uint64_t incarnation, const struct group_reports *r,
                    bool fresh, const char *via)
{
    struct daemon_groups *G = &d->groups;

    for (int g = 0; g < d->conf.n_groups; g++) {
        if (!(G->stop_unconfirmed[g] & NODE_BIT(i)) ||
            !sc_confirms(&G->sc[i], g, incarnation, r, fresh))
            continue;
        G->stop_unconfirmed[g] &= ~NODE_BIT(i);
        if (via)
            log_notice(
                "group %s: %s confirmed the stop through %s (%s there%s)", d->conf.groups[g].name,
                d->conf.nodes[i].name, via, wire_group_state_name(r->g[g].state),
                incarnation != G->sc[i].left_incarnation ? ", after a restart of its vigild" : "");
        else
            log_notice("group %s: %s says it is stopped there: its stop is confirmed",
                       d->conf.groups[g].name, d->conf.nodes[i].name);
    }
}

void groups_on_report(struct daemon *d, int i, uint64_t incarnation, const struct group_reports *r,
                      bool fresh, const char *via)
{
    if (d->conf.n_groups == 0 || r->n != d->conf.n_groups)
        return; /* still probing, or another configuration */
    sc_note(&d->groups.sc[i], incarnation, r);
    confirm(d, i, incarnation, r, fresh, via);
}

/* Keep a peer's reports. A node that left the view while it held a group
 * and now says stopped has confirmed the stop: it is no longer
 * stop-unconfirmed (a heartbeat of another incarnation than the one that
 * left is new by itself; one of the same must be newer than its last
 * report of the group active). */
void groups_on_heartbeat(struct daemon *d, int i, const struct wire_header *h,
                         const struct wire_heartbeat *hb)
{
    struct daemon_groups *G = &d->groups;
    struct group_reports r = {.at = h->send_time, .n = hb->n_groups};

    if (d->conf.n_groups == 0)
        return;
    sc_incarnation(&G->sc[i], h->incarnation);
    if (hb->n_groups != d->conf.n_groups) {
        G->peer_valid[i] = false; /* still probing, or another configuration */
        return;
    }
    bool news = !G->peer_valid[i] || G->peer_assign_seq[i] != hb->assign_seq ||
                memcmp(G->peer[i], hb->groups, sizeof(hb->groups[0]) * hb->n_groups) != 0;
    G->peer_valid[i] = true;
    G->peer_assign_seq[i] = hb->assign_seq;
    G->peer_admin_seq[i] = hb->admin_seq;
    G->peer_epoch[i] = hb->epoch;
    for (int g = 0; g < d->conf.n_groups; g++)
        G->peer[i][g] = r.g[g] = hb->groups[g];
    sc_note(&G->sc[i], h->incarnation, &r);
    confirm(d, i, h->incarnation, &r, h->incarnation != G->sc[i].left_incarnation, NULL);
    if (news)
        groups_soon(d); /* a report the coordinator or a start may wait for */
}

bool groups_report_of(const struct daemon *d, int i, int g, enum wire_group_state *state,
                      unsigned *failures)
{
    if (i == d->self) {
        struct runner_status st;
        if (!d->groups.reporting)
            return false;
        runner_status(d->groups.run[g], clock_now(), &st);
        *state = local_state(&st);
        *failures = st.failures;
        return true;
    }
    if (!d->groups.peer_valid[i])
        return false;
    *state = d->groups.peer[i][g].state;
    *failures = d->groups.peer[i][g].failures;
    return true;
}

uint64_t groups_acted_by(const struct daemon *d, int i)
{
    if (!d->groups.peer_valid[i] || d->groups.peer_epoch[i] != d->view.epoch)
        return 0;
    return d->groups.peer_assign_seq[i];
}

/* The group as the cluster sees it from here: online on the node that
 * runs it, starting/stopping while one does, failed when it stop-failed
 * somewhere or failed everywhere it was tried, offline otherwise. */
static json_t *group_json(const struct daemon *d, int g)
{
    const struct conf_group *cg = &d->conf.groups[g];
    const char *state = "offline";
    int node = -1;
    bool any_failed = false;
    json_t *nodes = json_object(), *resources = json_array();

    for (int i = 0; i < d->conf.n_nodes; i++) {
        enum wire_group_state ws;
        unsigned failures;
        bool member = (d->view.members & NODE_BIT(i)) || i == d->self;
        if (!member || !groups_report_of(d, i, g, &ws, &failures))
            continue;
        json_object_set_new(
            nodes, d->conf.nodes[i].name,
            json_pack("{s:s, s:i}", "state", wire_group_state_name(ws), "failures", (int)failures));
        const char *s = NULL;
        if (ws == WIRE_GROUP_RUNNING)
            s = "online";
        else if (ws == WIRE_GROUP_STARTING)
            s = "starting";
        else if (ws == WIRE_GROUP_STOPPING)
            s = "stopping";
        else if (ws == WIRE_GROUP_STOP_FAILED)
            s = "failed";
        any_failed |= ws == WIRE_GROUP_FAILED;
        /* one node: the first that runs it, else the first under way */
        if (s && (node < 0 || (strcmp(state, "online") != 0 && strcmp(s, "online") == 0))) {
            state = s;
            node = i;
        }
    }
    if (node < 0 && any_failed)
        state = "failed";
    for (int k = 0; k < cg->n_resources; k++)
        json_array_append_new(resources, status_resource(d, g, k, clock_now()));
    const struct placement_decision *dec = &d->groups.decision[g];
    json_t *o =
        json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "name", cg->name, "state", state, "node",
                  node >= 0 ? json_string(d->conf.nodes[node].name) : json_null(), "nodes", nodes,
                  "resources", resources, "placement",
                  d->groups.have_decision[g]
                      ? json_pack("{s:s, s:s}", "action", placement_action_name(dec->action),
                                  "reason", d->groups.decision_text[g])
                      : json_null());
    if (o)
        admin_group_status(d, g, o);
    return o;
}

json_t *groups_status(const struct daemon *d)
{
    json_t *a = json_array();

    for (int g = 0; g < d->conf.n_groups; g++)
        json_array_append_new(a, group_json(d, g));
    return a;
}
