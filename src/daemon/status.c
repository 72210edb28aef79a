/* The status object (docs/status-json.md) from the daemon's state. */
#include "daemon.h"

#include "../groups/runner.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static double mono_seconds(vg_usec_t t)
{
    return (double)t / (double)VG_USEC_PER_SEC;
}

static double msec(vg_usec_t t)
{
    return (double)t / (double)VG_USEC_PER_MSEC;
}

static json_t *hex64(uint64_t v)
{
    char buf[17];

    snprintf(buf, sizeof(buf), "%016" PRIx64, v);
    return json_string(buf);
}

/* What a link's own section says, by type. */
static json_t *link_json(const struct daemon *d, int l)
{
    const struct conf_link *cl = &d->conf.links[l];
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "name", cl->name, "type",
                  conf_link_type_name(cl->type), "state", d->local_up[l] ? "up" : "down", "detail",
                  d->local_why[l], "interval_ms", (json_int_t)(cl->interval / VG_USEC_PER_MSEC),
                  "timeout_ms", (json_int_t)(cl->timeout / VG_USEC_PER_MSEC));

    switch (cl->type) {
    case LINK_UDP:
        json_object_set_new(o, "priority", json_integer(cl->priority));
        json_object_set_new(o, "port", json_integer(cl->port));
        json_object_set_new(o, "family", json_string(cl->family == AF_INET6 ? "ipv6" : "ipv4"));
        json_object_set_new(o, "socket", json_string(d->udp[l].fd >= 0 ? "up" : "down"));
        break;
    case LINK_DISK:
        json_object_set_new(o, "device", json_string(cl->device));
        if (d->disk_mailbox_valid[l]) {
            const struct disk_mailbox *m = &d->disk_mailbox[l];
            const struct conf_node *from = conf_node_by_id(&d->conf, m->from);
            json_object_set_new(o, "last_mailbox_request",
                                json_pack("{s:s, s:s, s:I, s:I}", "request",
                                          disk_request_name(m->request), "from",
                                          from ? from->name : (m->from ? "?" : "admin"), "sequence",
                                          (json_int_t)m->sequence, "epoch", (json_int_t)m->epoch));
        }
        break;
    case LINK_WITNESS:
        json_object_set_new(o, "url", json_string(cl->url));
        if (cl->proxy[0])
            json_object_set_new(o, "proxy", json_string(cl->proxy));
        break;
    }
    return o;
}

static json_t *links_json(const struct daemon *d)
{
    json_t *a = json_array();

    for (int l = 0; l < d->conf.n_links; l++)
        json_array_append_new(a, link_json(d, l));
    return a;
}

/* A node in standby (vigilctl standby) that is alive shows as `standby`. */
static const char *node_state(const struct daemon *d, int i, const char *state)
{
    if (strcmp(state, "alive") == 0 && (d->groups.admin.standby & NODE_BIT(i)))
        return "standby";
    return state;
}

/* What this node did to fence node i (fencing.c): only the coordinator
 * fences, so the other nodes say idle. */
static json_t *fencing_json(const struct fencing_node *fn)
{
    return json_pack("{s:s, s:o, s:i, s:o}", "state", fencing_state_name(fn->state), "since_mono",
                     fn->since ? json_real(mono_seconds(fn->since)) : json_null(), "plans",
                     (int)fn->plans, "last", fn->last[0] ? json_string(fn->last) : json_null());
}

static json_t *peer_json(const struct daemon *d, int i, vg_usec_t now)
{
    const struct conf_node *n = &d->conf.nodes[i];
    const struct peer *p = &d->peers[i];
    json_t *links = json_object(), *detail = json_object(), *sees = json_object();

    for (int l = 0; l < d->conf.n_links; l++) {
        const struct peer_link *pl = &p->links[l];
        const char *name = d->conf.links[l].name;
        json_object_set_new(links, name, json_string(pl->up ? "up" : "down"));
        json_object_set_new(
            detail, name,
            json_pack("{s:f, s:o, s:o, s:o}", "since_mono", mono_seconds(pl->since),
                      "last_rx_ago_ms",
                      pl->last_rx ? json_real(msec(now - pl->last_rx)) : json_null(), "rtt_ms",
                      pl->rtt_valid ? json_real(msec(pl->rtt_last)) : json_null(), "srtt_ms",
                      pl->rtt_valid ? json_real(msec(pl->rtt_smooth)) : json_null()));
    }
    for (int j = 0; j < d->conf.n_nodes; j++) {
        uint8_t mask = p->sees[d->conf.nodes[j].id];
        if (!mask)
            continue;
        json_t *on = json_array();
        for (int l = 0; l < d->conf.n_links; l++)
            if (mask & (1u << l))
                json_array_append_new(on, json_string(d->conf.links[l].name));
        json_object_set_new(sees, d->conf.nodes[j].name, on);
    }
    json_t *o =
        json_pack("{s:s, s:i, s:b, s:b, s:b, s:s, s:f, s:o, s:o, s:o, s:o, s:I}", "name", n->name,
                  "id", n->id, "self", 0, "member", (d->view.members & NODE_BIT(i)) != 0,
                  "stood_down", disklink_stood_down(d, i) || d->witness_stood_down[i], "state",
                  node_state(d, i, peer_state_name(p->state)), "since_mono", mono_seconds(p->since),
                  "incarnation", p->inc_known ? hex64(p->incarnation) : json_null(), "links", links,
                  "link_detail", detail, "sees", sees, "epoch", (json_int_t)p->epoch);
    if (o)
        json_object_set_new(o, "fencing", fencing_json(&d->fencing.node[i]));
    return o;
}

static json_t *self_json(const struct daemon *d)
{
    const struct conf_node *n = &d->conf.nodes[d->self];
    json_t *links = json_object();

    for (int l = 0; l < d->conf.n_links; l++)
        json_object_set_new(links, d->conf.links[l].name,
                            json_string(d->local_up[l] ? "up" : "down"));
    return json_pack("{s:s, s:i, s:b, s:b, s:b, s:s, s:f, s:o, s:o}", "name", n->name, "id", n->id,
                     "self", 1, "member", (d->view.members & NODE_BIT(d->self)) != 0, "stood_down",
                     d->stood_down, "state", node_state(d, d->self, "alive"), "since_mono",
                     mono_seconds(d->started_at), "incarnation", hex64(d->incarnation), "links",
                     links);
}

/* The last monitor or probe of a resource here, or null when none ended. */
static json_t *check_json(const struct runner_check *c, vg_usec_t now)
{
    if (!c->known)
        return json_null();
    return json_pack("{s:s, s:b, s:o, s:s, s:f, s:f}", "result", agent_outcome_name(c->outcome),
                     "probe", c->probe, "exit_code",
                     c->exit_code >= 0 ? json_integer(c->exit_code) : json_null(), "reason",
                     c->reason ? c->reason : "", "at_mono", mono_seconds(c->at), "age_s",
                     now >= c->at ? mono_seconds(now - c->at) : 0.0);
}

json_t *status_resource(const struct daemon *d, int g, int k, vg_usec_t now)
{
    const struct conf_group *cg = &d->conf.groups[g];
    const struct conf_resource *cr = &d->conf.resources[cg->first_resource + k];
    const struct runner *run = d->groups.run[g];
    struct runner_res_status st;
    json_t *o = json_pack("{s:s, s:s}", "name", cr->name, "type", conf_res_type_name(cr->type));

    if (!o)
        return NULL;
    if (!run || runner_resource_status(run, (size_t)k, now, &st) < 0) {
        /* no runner here (it could not be set up): nothing known */
        json_object_set_new(o, "state", json_string("unknown"));
        json_object_set_new(o, "last_monitor", json_null());
        return o;
    }
    json_object_set_new(o, "state", json_string(runner_res_state_name(st.state)));
    json_object_set_new(o, "failures", json_integer(st.failures));
    json_object_set_new(o, "monitor_interval_ms",
                        json_integer((json_int_t)(st.monitor_interval / VG_USEC_PER_MSEC)));
    json_object_set_new(o, "monitor_failures", json_integer(st.monitor_fails));
    json_object_set_new(o, "last_monitor", check_json(&st.last_monitor, now));
    return o;
}

/* The installed view (docs/membership.md), and how quorum stands. */
static json_t *view_json(const struct daemon *d)
{
    json_t *members = json_array();
    const char *how;
    bool quorate = membership_quorate(d, &how);
    int coord = view_lowest(d->view.members);

    for (int i = 0; i < d->conf.n_nodes; i++)
        if (d->view.members & NODE_BIT(i))
            json_array_append_new(members, json_string(d->conf.nodes[i].name));
    return json_pack("{s:I, s:o, s:b, s:o, s:s, s:b, s:I}", "epoch", (json_int_t)d->view.epoch,
                     "members", members, "quorate", quorate, "coordinator",
                     coord >= 0 ? json_string(d->conf.nodes[coord].name) : json_null(), "quorum",
                     how, "current", view_current(&d->view), "parent", (json_int_t)d->view.parent);
}

json_t *status_build(const struct daemon *d)
{
    vg_usec_t now = clock_now();
    json_t *nodes = json_array(), *drops = json_object();

    for (int i = 0; i < d->conf.n_nodes; i++)
        json_array_append_new(nodes, i == d->self ? self_json(d) : peer_json(d, i, now));
    for (int r = 0; r < DROP__MAX; r++)
        json_object_set_new(drops, wire_drop_name(r), json_integer((json_int_t)d->drops[r]));

    json_t *o = json_pack(
        "{s:s, s:i, s:s, s:o, s:{s:s, s:I, s:I, s:I, s:b}, s:{s:b, s:s}, s:f, s:f, s:o, s:o,"
        " s:o, s:o, s:s, s:o, s:{s:I, s:I, s:I, s:I}}",
        "node", d->conf.nodes[d->self].name, "id", d->conf.nodes[d->self].id, "cluster",
        d->conf.cluster_name, "incarnation", hex64(d->incarnation), "config", "path", d->conf.path,
        "interval_ms", (json_int_t)(d->conf.interval / VG_USEC_PER_MSEC), "timeout_ms",
        (json_int_t)(d->conf.timeout / VG_USEC_PER_MSEC), "initial_timeout_ms",
        (json_int_t)(d->conf.initial_timeout / VG_USEC_PER_MSEC), "realtime", d->conf.realtime,
        "realtime", "memory_locked", d->memory_locked, "scheduler",
        d->realtime_sched ? "fifo" : "other", "uptime_s", mono_seconds(now - d->started_at),
        "now_mono", mono_seconds(now), "view", view_json(d), "links", links_json(d), "nodes", nodes,
        "groups", groups_status(d), "fencing", conf_fencing_name(d->conf.fencing), "drops", drops,
        "counters", "sent", (json_int_t)d->sent, "received", (json_int_t)d->received, "send_errors",
        (json_int_t)d->send_errors, "late_timers", (json_int_t)d->late_timers);
    if (o)
        json_object_set_new(o, "admin", admin_status(d));
    return o;
}
