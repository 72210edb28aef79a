/* Membership in the daemon (docs/membership.md): build this node's facts
 * from the peers' link states and their heartbeats, compute the candidate,
 * drive the view machine, carry its messages on the best udp link to each
 * peer, and say whether the installed view is quorate. */
#include "daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"

static node_mask udp_links(const struct daemon *d)
{
    node_mask m = 0;

    for (int l = 0; l < d->conf.n_links; l++)
        if (d->conf.links[l].type == LINK_UDP)
            m |= NODE_BIT(l);
    return m;
}

/* The peers this node reaches on a udp link. */
static node_mask reach_of(const struct daemon *d)
{
    node_mask udp = udp_links(d), reach = 0;

    for (int i = 0; i < d->conf.n_nodes; i++) {
        if (i == d->self)
            continue;
        for (int l = 0; l < d->conf.n_links; l++)
            if ((udp & NODE_BIT(l)) && d->peers[i].links[l].up)
                reach |= NODE_BIT(i);
    }
    return reach;
}

/* Whom this node reaches, and whom each reachable peer says it sees. */
static void build_facts(const struct daemon *d, struct view_facts *f)
{
    node_mask udp = udp_links(d);

    memset(f, 0, sizeof(*f));
    f->n = d->conf.n_nodes;
    f->self = d->self;
    for (int i = 0; i < d->conf.n_nodes; i++)
        f->votes[i] = d->conf.nodes[i].votes;
    f->reach = reach_of(d);
    for (int i = 0; i < d->conf.n_nodes; i++) {
        if (!(f->reach & NODE_BIT(i)))
            continue;
        for (int k = 0; k < d->conf.n_nodes; k++) {
            uint8_t mask = d->peers[i].sees[d->conf.nodes[k].id];
            if (mask & udp)
                f->sees[i] |= NODE_BIT(k);
        }
    }
}

/* "alpha, beta" */
static void names_of(const struct daemon *d, node_mask m, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (int i = 0; i < d->conf.n_nodes && off < len; i++)
        if (m & NODE_BIT(i))
            off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
                                    d->conf.nodes[i].name);
}

/* Send one cluster message (view, ASSIGN) to node `to` on the
 * highest-priority udp link that is up to it (udp links come first in the
 * configuration, by priority); the header's routing fields are filled here.
 * -EHOSTUNREACH when no udp link sees it (the sender repeats on its own). */
int cluster_send(struct daemon *d, int to, struct wire_msg *m)
{
    const struct conf_node *n = &d->conf.nodes[to];
    int link = -1;

    for (int l = 0; l < d->conf.n_links && link < 0; l++)
        if (d->conf.links[l].type == LINK_UDP && d->udp[l].fd >= 0 && d->peers[to].links[l].up)
            link = l;
    if (link < 0)
        return -EHOSTUNREACH;
    m->h.link = (uint8_t)link;
    m->h.cluster_id = d->cluster_id;
    m->h.sender = (uint16_t)d->conf.nodes[d->self].id;
    m->h.dest = (uint16_t)n->id;
    m->h.incarnation = d->incarnation;
    m->h.seq = ++d->seq[link];
    m->h.send_time = clock_now();
    int len = wire_encode(d->txbuf, sizeof(d->txbuf), m, d->key);
    if (len < 0)
        return len;
    int r = udp_link_send(&d->udp[link], d->txbuf, (size_t)len, &n->addr[link], n->addr_len[link]);
    if (r == 0)
        d->sent++;
    return r;
}

/* A view message: unreachable, the attempt times out and the candidate changes. */
static void send_view(struct daemon *d, const struct view_msg *m)
{
    struct wire_msg w = {.h.type = WIRE_VIEW};

    w.view = (struct wire_view){(uint8_t)m->type, m->epoch, m->members, m->aux};
    cluster_send(d, m->to, &w);
}

static void arbitrate(struct daemon *d, vg_usec_t now);
static int arbiter_link(const struct daemon *d);
static void votes_of(const struct daemon *d, int *votes);

enum tiebreak { TB_LOST, TB_WAIT, TB_WON };

static vg_usec_t np_grace(const struct daemon *d);

/* Ties without a witness (docs/membership.md). First the [np] sections, as
 * filters: a side that cannot reach what one of them probes loses at once.
 * Then the disk: the side that passed and holds the lowest id of the last
 * quorate view wins; the other half stands down and writes so in its disk
 * slot, and the winner is quorate once every node of the other half that
 * the disk still shows alive has written it. A side without the lowest id
 * that passed the filters first gives the other half one timeout to fail
 * them and stand down, and wins if it does. Without a disk nothing can
 * confirm the other half: no side is quorate. */
static enum tiebreak local_tiebreak(const struct daemon *d, vg_usec_t now, char *why, size_t len)
{
    node_mask side = d->view.members & d->view.candidate;
    node_mask last = d->last_quorate_members;
    node_mask all = d->conf.n_nodes >= 64 ? ~(node_mask)0 : NODE_BIT(d->conf.n_nodes) - 1;

    for (int k = 0; k < d->conf.n_nps; k++)
        if (!np_reachable(d, k, now, why, len)) {
            size_t off = strlen(why);
            snprintf(why + off, len - off, ": lost the tie-break; stood down");
            return TB_LOST;
        }
    if (!disklink_configured(d)) {
        snprintf(why, len,
                 "exactly half of the votes; the np checks pass, but without a disk or "
                 "a witness nothing can confirm the other half stood down");
        return TB_WAIT;
    }
    if (!last)
        last = all; /* never quorate yet: every configured node */
    int first = view_lowest(last);
    int waiting = -1; /* a node of the other half not confirmed down */
    size_t off = (size_t)snprintf(why, len, "tie settled by the disk:");
    for (node_mask m = all & ~side; m; m &= m - 1) {
        int i = view_lowest(m);
        bool alive = disklink_alive(d, i);
        if ((last & NODE_BIT(i)) && alive && !disklink_stood_down(d, i)) {
            waiting = i;
            break;
        }
        if (off < len)
            off += (size_t)snprintf(why + off, len - off, " %s %s", d->conf.nodes[i].name,
                                    alive ? "stood down (confirmed on the disk)"
                                          : "is gone from the disk");
    }
    if (waiting < 0)
        return TB_WON;
    if (d->tie_won) { /* no flip-flop once the other half stood down for this tie */
        snprintf(why, len,
                 "won this tie earlier; %s no longer says it stood down, and the np "
                 "checks still pass",
                 d->conf.nodes[waiting].name);
        return TB_WON;
    }
    if (side & NODE_BIT(first)) {
        snprintf(why, len, "won the disk tie-break; waiting for %s to write that it stood down",
                 d->conf.nodes[waiting].name);
        return TB_WAIT;
    }
    if (d->conf.n_nps > 0 && now - d->tie_since < np_grace(d)) {
        snprintf(why, len,
                 "the np checks pass; giving the other half time to fail them and stand "
                 "down");
        return TB_WAIT;
    }
    snprintf(why, len, "lost the disk tie-break (%s holds the lowest id); stood down",
             d->conf.nodes[first].name);
    return TB_LOST;
}

/* How long a side that passed the np checks but lacks the lowest id waits
 * for the other half to fail them: the slowest np check plus a timeout. */
static vg_usec_t np_grace(const struct daemon *d)
{
    vg_usec_t g = 0;

    for (int k = 0; k < d->conf.n_nps; k++)
        if (d->conf.nps[k].timeout + d->conf.nps[k].interval > g)
            g = d->conf.nps[k].timeout + d->conf.nps[k].interval;
    return g + d->conf.timeout;
}

/* Whether a tie of this view is settled here, without a witness. */
static bool local_decides(const struct daemon *d)
{
    int votes[VIGIL_MAX_NODES];

    if (d->conf.quorum != QUORUM_MAJORITY || !d->view.members || arbiter_link(d) >= 0 ||
        (!disklink_configured(d) && d->conf.n_nps == 0))
        return false;
    votes_of(d, votes);
    return view_quorum_of(d->view.members & d->view.candidate, votes, d->conf.n_nodes) ==
           QUORUM_TIE;
}

/* In a tie settled here, this node's side lost: it stands down. */
static bool tiebreak_lost(struct daemon *d)
{
    return local_decides(d) &&
           local_tiebreak(d, clock_now(), d->tiebreak_why, sizeof(d->tiebreak_why)) == TB_LOST;
}

/* Log quorum changes once, with the reason. */
static void report_quorum(struct daemon *d)
{
    const char *how;
    bool q = membership_quorate(d, &how);

    if (q) {
        d->last_quorate_epoch = d->view.epoch;
        d->last_quorate_members = d->view.members;
        view_set_quorate(&d->view); /* the parent of the next view (docs/membership.md) */
        if (local_decides(d))
            d->tie_won = true;
    }
    /* On the disk: "stood down" while this node lost a tie-break, "running"
     * otherwise (docs/membership.md). */
    if (!q)
        groups_on_quorum_lost(d, how); /* at once (safety rule 3); nothing when none run */
    d->stood_down = tiebreak_lost(d);
    disklink_set_state(d, d->stood_down ? DISK_SLOT_STOOD_DOWN : DISK_SLOT_RUNNING, d->view.epoch);
    if (q == d->was_quorate && d->quorum_reported && strcmp(how, d->quorum_how) == 0)
        return;
    /* a new reason alone (still quorate, or still not) is logged too, so
     * that the log says on what the quorum rests at each moment */
    bool changed = q != d->was_quorate || !d->quorum_reported;
    d->was_quorate = q;
    d->quorum_reported = true;
    snprintf(d->quorum_how, sizeof(d->quorum_how), "%s", how);
    if (q)
        log_notice("quorum: this node is %squorate (%s)", changed ? "" : "still ", how);
    else if (changed)
        log_warn("quorum: this node is NOT quorate (%s); it manages no resources", how);
    else
        log_info("quorum: this node is still NOT quorate (%s)", how);
}

static void handle_out(struct daemon *d, const struct view_out *out, const char *cause)
{
    char names[512];

    for (int k = 0; k < out->n; k++)
        send_view(d, &out->msgs[k]);
    if (out->installed) {
        names_of(d, d->view.members, names, sizeof(names));
        log_notice("view %" PRIu64 " installed (coordinator %s): members %s; %s", d->view.epoch,
                   d->conf.nodes[view_lowest(d->view.members)].name, names, cause);
    }
    if (out->left_out)
        log_warn("view: a newer view left this node out; it is a member of no view until one "
                 "takes it in");
    report_quorum(d);
    if (out->installed || out->left_out)
        groups_soon(d); /* place (or stop) under the new view now, not an interval later */
}

void membership_start(struct daemon *d)
{
    struct timespec wall;

    /* The epoch counter starts above the wall clock in microseconds: a
     * restarted vigild never proposes an epoch it proposed before. */
    clock_gettime(CLOCK_REALTIME, &wall);
    view_init(&d->view, d->conf.n_nodes, d->self,
              (uint64_t)wall.tv_sec * VG_USEC_PER_SEC + (uint64_t)wall.tv_nsec / 1000, clock_now());
}

void membership_tick(struct daemon *d, vg_usec_t now)
{
    struct view_facts f;
    struct view_out out;
    struct view_timing t = {
        /* until the next tick: 3/4 of an interval, so that a tick a few
         * microseconds early does not make it two intervals */
        .settle = d->conf.interval - d->conf.interval / 4,
        .retransmit = d->conf.interval,
        .attempt = d->conf.timeout,
    };
    char before[512], after[512];
    node_mask old = d->view.candidate;

    build_facts(d, &f);
    node_mask cand = view_candidate(&f);
    view_tick(&d->view, cand, &t, now, &out);
    if (cand != old && d->view.epoch) {
        names_of(d, old, before, sizeof(before));
        names_of(d, cand, after, sizeof(after));
        log_info("view: candidate changed from {%s} to {%s}", before, after);
    }
    handle_out(d, &out, "the nodes that see each other changed");
    node_mask side = d->view.members & d->view.candidate;
    if (d->tie_epoch != d->view.epoch || d->tie_side != side) {
        d->tie_epoch = d->view.epoch;
        d->tie_side = side;
        d->tie_since = now;
        d->tie_won = false;
    }
    arbitrate(d, now);
    report_quorum(d);
}

void membership_on_message(struct daemon *d, int i, const struct wire_view *v)
{
    struct view_out out;
    vg_usec_t now = clock_now();

    switch (v->kind) {
    case VIEW_PROPOSE:
        view_on_propose(&d->view, i, v->epoch, v->members, now, &out);
        break;
    case VIEW_ACK:
        view_on_ack(&d->view, i, v->epoch, v->aux, now, &out);
        break;
    case VIEW_NACK:
        view_on_nack(&d->view, i, v->epoch, v->aux, &out);
        break;
    case VIEW_COMMIT:
        view_on_commit(&d->view, i, v->epoch, v->members, v->aux, &out);
        break;
    default:
        return;
    }
    handle_out(d, &out, "agreed by every member");
}

void membership_on_heartbeat(struct daemon *d, int i, const struct wire_heartbeat *hb)
{
    struct view_out out;

    view_on_heartbeat(&d->view, i, hb->epoch, hb->members, &out);
    handle_out(d, &out, "its commit was lost; learned from a member's heartbeat");
}

static void votes_of(const struct daemon *d, int *votes)
{
    for (int i = 0; i < d->conf.n_nodes; i++)
        votes[i] = d->conf.nodes[i].votes;
}

/* The first witness link, for arbitration; -1 when none. */
static int arbiter_link(const struct daemon *d)
{
    for (int l = 0; l < d->conf.n_links; l++)
        if (d->conf.links[l].type == LINK_WITNESS && d->witness_arb[l])
            return l;
    return -1;
}

/* Does the installed view need the witness's grant to be quorate? Only a
 * current view is asked about (every member still seen): the witness grants
 * whole views, and a view that lost a member waits for the next one. */
static bool needs_grant(const struct daemon *d)
{
    int votes[VIGIL_MAX_NODES];

    if (!view_current(&d->view) || d->conf.quorum == QUORUM_NONE)
        return false;
    if (d->conf.quorum == QUORUM_WITNESS)
        return true;
    votes_of(d, votes);
    return view_quorum_of(d->view.members & d->view.candidate, votes, d->conf.n_nodes) ==
           QUORUM_TIE;
}

/* Ask the witness to grant the installed view when it needs a grant: its
 * epoch, its parent (the newest epoch its members installed as quorate)
 * and its members. The witness grants a view newer than the last one it
 * granted only if it descends from it (docs/membership.md "Quorum",
 * docs/witness-api.md). With quorum = witness, smaller sides wait a little
 * longer, so that the larger side asks first. */
static void arbitrate(struct daemon *d, vg_usec_t now)
{
    int l = arbiter_link(d);
    const char *names[VIGIL_MAX_NODES];
    int n = 0;

    if (!needs_grant(d) || l < 0)
        return;
    if (d->arb.view_epoch != d->view.epoch) {
        int missing = d->conf.n_nodes - view_count(d->view.members);
        d->arb.view_epoch = d->view.epoch;
        d->arb.state = ARB_NONE;
        d->arb.next_try =
            now + (d->conf.quorum == QUORUM_WITNESS ? (vg_usec_t)missing * d->conf.interval : 0);
        snprintf(d->arb.why, sizeof(d->arb.why), "asking the witness");
    }
    if ((d->arb.state != ARB_NONE && d->arb.state != ARB_ERROR) || now < d->arb.next_try ||
        witness_http_busy(d->witness_arb[l]))
        return;
    for (int i = 0; i < d->conf.n_nodes; i++)
        if (d->view.members & NODE_BIT(i))
            names[n++] = d->conf.nodes[i].name;
    char *body = witness_arbitrate_body(d->conf.cluster_name, d->conf.nodes[d->self].name,
                                        d->view.epoch, d->view.parent, names, n);
    if (body && witness_http_post(d->witness_arb[l], "/v1/arbitrate", body) == 0) {
        d->arb.state = ARB_ASKING;
        log_notice("view %" PRIu64 ": asking the witness to grant it (parent: view %" PRIu64 ")",
                   d->view.epoch, d->view.parent);
    }
    free(body);
}

void membership_on_arbitration(struct daemon *d, long status, const char *body, size_t len, int err,
                               const char *errtext)
{
    bool granted = false;
    char reason[256], why[256];

    if (d->arb.state != ARB_ASKING || d->arb.view_epoch != d->view.epoch)
        return; /* the view changed meanwhile: the next tick asks again */
    if (err || status != 200 ||
        witness_arbitrate_answer_parse(body, len, d->arb.view_epoch, &granted, reason,
                                       sizeof(reason), why, sizeof(why)) < 0) {
        d->arb.state = ARB_ERROR;
        d->arb.next_try = clock_now() + d->conf.interval;
        snprintf(d->arb.why, sizeof(d->arb.why), "the witness cannot settle it: %s",
                 err             ? errtext
                 : status != 200 ? "it answered with an error"
                                 : why);
        log_warn("view %" PRIu64 ": %s", d->view.epoch, d->arb.why);
        report_quorum(d);
        return;
    }
    d->arb.state = granted ? ARB_GRANTED : ARB_DENIED;
    if (granted)
        snprintf(d->arb.why, sizeof(d->arb.why), "won the witness's arbitration");
    else
        snprintf(d->arb.why, sizeof(d->arb.why), "lost the witness's arbitration: %s", reason);
    log_notice("view %" PRIu64 ": partition: %s", d->view.epoch, d->arb.why);
    report_quorum(d);
}

bool membership_quorate(const struct daemon *d, const char **how)
{
    int votes[VIGIL_MAX_NODES];
    bool granted =
        d->arb.view_epoch == d->view.epoch && view_current(&d->view) && d->arb.state == ARB_GRANTED;

    votes_of(d, votes);
    if (!d->view.members) {
        *how = "member of no view";
        return false;
    }
    if (d->conf.quorum == QUORUM_NONE) {
        *how = "quorum = none: every view counts (allow-split-brain)";
        return true;
    }
    if (d->conf.quorum == QUORUM_WITNESS) {
        if (granted) {
            *how = "witness: granted this view";
            return true;
        }
        if (!view_current(&d->view))
            *how = "a member of the view is gone; the witness is asked about the next view";
        else
            *how = d->arb.view_epoch == d->view.epoch ? d->arb.why : "asking the witness";
        return false;
    }
    /* Only the members this node still reaches count: a view that lost a
     * member keeps quorum while the rest still hold a majority (so the
     * majority side does not blink while it agrees on the next view), and
     * loses it at once otherwise. Reached, not "in the candidate": while a
     * node rejoins, the candidate can hold it and leave out a member still
     * reached (two cliques of one size), and the majority must not blink
     * then either (its groups would stop). */
    node_mask reached = d->view.members & (reach_of(d) | NODE_BIT(d->self));
    if (view_quorum_of(reached, votes, d->conf.n_nodes) == QUORUM_YES) {
        *how = view_current(&d->view) ? "majority" : "majority of the view still reached";
        return true;
    }
    switch (view_quorum_of(d->view.members & d->view.candidate, votes, d->conf.n_nodes)) {
    case QUORUM_YES: /* the candidate is from the last tick: the peer links may be newer */
        *how = view_current(&d->view) ? "majority" : "majority of the view still reached";
        return true;
    case QUORUM_TIE:
        if (granted) {
            *how = "tie settled by the witness";
            return true;
        }
        if (local_decides(d)) {
            static char why[384];
            enum tiebreak tb = local_tiebreak(d, clock_now(), why, sizeof(why));
            *how = why;
            return tb == TB_WON;
        }
        if (arbiter_link(d) < 0)
            *how = "exactly half of the votes and no tie-breaker configured";
        else if (!view_current(&d->view))
            *how = "exactly half of the votes; the witness is asked once the nodes still seen "
                   "have agreed on their view";
        else if (d->arb.view_epoch == d->view.epoch)
            *how = d->arb.why;
        else
            *how = "exactly half of the votes; asking the witness";
        return false;
    case QUORUM_NO:
        break;
    }
    *how = "fewer than half of the votes";
    return false;
}
