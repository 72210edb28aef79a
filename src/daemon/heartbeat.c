/* The heartbeat path: send a heartbeat to every peer on every udp link each
 * interval, take the ones that arrive, and expire links and peers on time.
 * It allocates nothing and never blocks; its event sources run at the
 * highest priority of the loop. */
#include "daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "../common/log.h"

#define RX_BURST 64
#define SEND_ERROR_LOG_EVERY (10 * VG_USEC_PER_SEC)

static const struct conf_node *node_at(const struct daemon *d, int i)
{
    return &d->conf.nodes[i];
}

static int node_index_by_id(const struct daemon *d, int id)
{
    for (int i = 0; i < d->conf.n_nodes; i++)
        if (d->conf.nodes[i].id == id)
            return i;
    return -1;
}

/* Which links this node currently sees each peer on, for the heartbeat. */
static void fill_seen(const struct daemon *d, struct wire_heartbeat *hb)
{
    hb->n_seen = 0;
    for (int i = 0; i < d->conf.n_nodes; i++) {
        if (i == d->self)
            continue;
        uint8_t mask = 0;
        for (int l = 0; l < d->conf.n_links; l++)
            if (d->peers[i].links[l].up)
                mask |= (uint8_t)(1u << l);
        if (!mask)
            continue;
        hb->seen[hb->n_seen].node = (uint16_t)node_at(d, i)->id;
        hb->seen[hb->n_seen].links = mask;
        hb->n_seen++;
    }
}

static void note_send_error(struct daemon *d, struct udp_link *l, const char *peer, int err,
                            vg_usec_t now)
{
    d->send_errors++;
    if (err == l->last_errno && now - l->last_error_log < SEND_ERROR_LOG_EVERY)
        return;
    l->last_errno = err;
    l->last_error_log = now;
    log_warn("link %s: cannot send heartbeat to %s: %s", l->name, peer, strerror(err));
}

static void send_heartbeats(struct daemon *d, vg_usec_t now)
{
    struct wire_heartbeat hb = {.epoch = d->view.epoch, .members = d->view.members};
    struct wire_header h = {
        .type = WIRE_HEARTBEAT,
        .cluster_id = d->cluster_id,
        .sender = (uint16_t)node_at(d, d->self)->id,
        .incarnation = d->incarnation,
    };

    fill_seen(d, &hb);
    groups_fill_report(d, &hb);
    for (int l = 0; l < d->conf.n_links; l++) {
        struct udp_link *ul = &d->udp[l];
        if (d->conf.links[l].type != LINK_UDP || ul->fd < 0)
            continue;
        h.link = (uint8_t)l;
        for (int i = 0; i < d->conf.n_nodes; i++) {
            const struct conf_node *n = node_at(d, i);
            if (i == d->self || n->addr_len[l] == 0)
                continue;
            h.dest = (uint16_t)n->id;
            h.seq = ++d->seq[l];
            h.send_time = now;
            peer_echo(&d->peers[i], l, now, &hb.echo_time, &hb.echo_delay);
            int len = wire_encode_heartbeat(d->txbuf, sizeof(d->txbuf), &h, &hb, d->key);
            if (len < 0)
                continue;
            int r = udp_link_send(ul, d->txbuf, (size_t)len, &n->addr[l], n->addr_len[l]);
            if (r < 0) {
                note_send_error(d, ul, n->name, -r, now);
            } else {
                d->sent++;
                if (ul->last_errno) {
                    log_notice("link %s: sending works again", ul->name);
                    ul->last_errno = 0;
                }
            }
        }
    }
}

/* Why a peer's link went down, as far as this node can tell. */
static const char *down_reason(const struct daemon *d, int l, char *buf, size_t len)
{
    if (!d->local_up[l]) {
        snprintf(buf, len, "this node's side of the link is down");
        return buf;
    }
    snprintf(buf, len, "nothing valid for %" PRIu64 "ms", d->timing.timeout[l] / VG_USEC_PER_MSEC);
    return buf;
}

void peer_report(struct daemon *d, int i, const struct peer_change *chg)
{
    const struct conf_node *n = node_at(d, i);
    const struct peer *p = &d->peers[i];

    if (chg->new_incarnation) {
        if (chg->had_incarnation)
            log_notice("node %s restarted: new incarnation %016" PRIx64 " (was %016" PRIx64 ")",
                       n->name, p->incarnation, chg->old_incarnation);
        else
            log_info("node %s: first heartbeat, incarnation %016" PRIx64, n->name, p->incarnation);
    }
    for (int l = 0; l < d->conf.n_links; l++) {
        uint8_t bit = (uint8_t)(1u << l);
        if (chg->links_up & bit)
            log_notice("link %s to %s: up", d->conf.links[l].name, n->name);
        char why[96];
        if (chg->links_down & bit)
            log_notice("link %s to %s: down (%s)", d->conf.links[l].name, n->name,
                       down_reason(d, l, why, sizeof(why)));
    }
    if (!chg->state_changed)
        return;
    if (p->state == PEER_ALIVE)
        log_notice("node %s: alive (was %s)", n->name, peer_state_name(chg->old_state));
    else if (p->state == PEER_DEAD && chg->old_state == PEER_UNKNOWN)
        log_warn("node %s: dead (not heard on any link within initial-timeout %" PRIu64 "ms)",
                 n->name, d->conf.initial_timeout / VG_USEC_PER_MSEC);
    else if (p->state == PEER_DEAD)
        log_warn("node %s: dead (lost on all links)", n->name);
}

/* The timeouts the state machine applies, per link, from the configuration. */
static void timing_refresh(struct daemon *d)
{
    for (int l = 0; l < d->conf.n_links; l++)
        d->timing.timeout[l] = d->conf.links[l].timeout;
    d->timing.initial_timeout = d->conf.initial_timeout;
    d->timing.started_at = d->started_at;
}

void heartbeat_rearm(struct daemon *d)
{
    vg_usec_t next = VG_USEC_INFINITY;

    for (int i = 0; i < d->conf.n_nodes; i++) {
        if (i == d->self)
            continue;
        vg_usec_t dl = peer_next_deadline(&d->peers[i], d->conf.n_links, &d->timing);
        if (dl < next)
            next = dl;
    }
    if (next == VG_USEC_INFINITY) {
        sd_event_source_set_enabled(d->expiry_timer, SD_EVENT_OFF);
        return;
    }
    sd_event_source_set_time(d->expiry_timer, next);
    sd_event_source_set_enabled(d->expiry_timer, SD_EVENT_ONESHOT);
}

static void expire_peers(struct daemon *d, vg_usec_t now)
{
    struct peer_change chg;

    for (int i = 0; i < d->conf.n_nodes; i++) {
        if (i == d->self)
            continue;
        peer_tick(&d->peers[i], d->conf.n_links, &d->timing, now, &chg);
        peer_report(d, i, &chg);
    }
}

static int on_expiry(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct daemon *d = userdata;

    expire_peers(d, clock_now());
    heartbeat_rearm(d);
    return 0;
}

void heartbeat_soon(struct daemon *d)
{
    vg_usec_t now = clock_now();
    /* never closer than an eighth of an interval to the last one sent */
    vg_usec_t at = d->hb_sent + d->conf.interval / 8;

    if (at < now)
        at = now;
    if (!d->hb_timer || d->hb_next <= at)
        return;
    d->hb_next = at;
    sd_event_source_set_time(d->hb_timer, at);
}

static int on_hb_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct daemon *d = userdata;
    vg_usec_t now = clock_now();
    vg_usec_t late = now > d->hb_next ? now - d->hb_next : 0;

    if (late > d->conf.interval / 2) {
        d->late_timers++;
        log_warn("heartbeat timer ran %" PRIu64 ".%03" PRIu64 "ms late (interval %" PRIu64 "ms)",
                 late / 1000, late % 1000, d->conf.interval / VG_USEC_PER_MSEC);
    }
    send_heartbeats(d, now);
    d->hb_sent = now;
    d->wd.hb_at = now; /* the heartbeat path runs: watchdog_run.c */
    disklink_watch(d, now);
    expire_peers(d, now);
    membership_tick(d, now);
    heartbeat_rearm(d);

    d->hb_next += d->conf.interval;
    if (d->hb_next <= now)
        d->hb_next = now + d->conf.interval;
    sd_event_source_set_time(d->hb_timer, d->hb_next);
    sd_event_source_set_enabled(d->hb_timer, SD_EVENT_ON);
    return 0;
}

/* Run one datagram through every check; 0 and the sender's index when it is
 * to be taken, -1 when dropped (and counted). */
static int check_datagram(struct daemon *d, int link, size_t len, struct wire_msg *m)
{
    const struct wire_header *h = &m->h;
    enum drop_reason why;
    int i;

    if (len > WIRE_MAX_DATAGRAM) {
        why = DROP_MALFORMED;
        goto drop;
    }
    if (wire_decode(d->rxbuf, len, d->cluster_id, d->key, m, &why) < 0)
        goto drop;
    i = node_index_by_id(d, h->sender);
    if (i < 0 || i == d->self) {
        why = DROP_UNKNOWN_NODE;
        goto drop;
    }
    if (h->dest != node_at(d, d->self)->id) {
        why = DROP_WRONG_DESTINATION;
        goto drop;
    }
    if (h->link != link) {
        why = DROP_WRONG_LINK;
        goto drop;
    }
    if (peer_check(&d->peers[i], h, link, &why) < 0)
        goto drop;
    if (h->type != WIRE_HEARTBEAT && peer_take_message(&d->peers[i], h, link, &why) < 0)
        goto drop;
    return i;
drop:
    d->drops[why]++;
    return -1;
}

static int on_rx(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct daemon *d = userdata;
    int link = -1;
    struct wire_msg m;
    struct peer_change chg;
    bool changed = false;

    for (int l = 0; l < d->conf.n_links; l++)
        if (d->rx[l] == s)
            link = l;
    if (link < 0)
        return 0;

    for (int n = 0; n < RX_BURST; n++) {
        ssize_t len = udp_link_recv(&d->udp[link], d->rxbuf, sizeof(d->rxbuf));
        if (len == -EAGAIN)
            break;
        if (len < 0) {
            log_debug("link %s: receive: %s", d->udp[link].name, strerror((int)-len));
            break;
        }
        int i = check_datagram(d, link, (size_t)len, &m);
        if (i < 0)
            continue;
        d->received++;
        if (m.h.type == WIRE_VIEW) {
            membership_on_message(d, i, &m.view);
            continue;
        }
        if (m.h.type == WIRE_ASSIGN) {
            groups_on_assign(d, i, &m.assign);
            continue;
        }
        if (m.h.type == WIRE_REQUEST) {
            admin_on_request(d, i, &m.request);
            continue;
        }
        if (m.h.type == WIRE_REQUEST_ACK) {
            admin_on_ack(d, i, &m.ack);
            continue;
        }
        peer_on_heartbeat(&d->peers[i], link, &m.h, &m.hb, clock_now(), &chg);
        peer_report(d, i, &chg);
        membership_on_heartbeat(d, i, &m.hb);
        groups_on_heartbeat(d, i, &m.h, &m.hb);
        changed = true;
    }
    if (changed)
        heartbeat_rearm(d);
    return 0;
}

int heartbeat_start(struct daemon *d)
{
    const struct conf_node *self = node_at(d, d->self);
    vg_usec_t now = clock_now();
    int r;

    timing_refresh(d);
    for (int i = 0; i < d->conf.n_nodes; i++)
        peer_init(&d->peers[i], d->conf.nodes[i].id, now);
    membership_start(d);
    for (int l = 0; l < d->conf.n_links; l++)
        d->udp[l].fd = -1;
    for (int l = 0; l < d->conf.n_links; l++) {
        if (d->conf.links[l].type != LINK_UDP)
            continue;
        r = udp_link_open(&d->udp[l], d->conf.links[l].name, &self->addr[l], self->addr_len[l]);
        if (r < 0)
            return r;
        d->local_up[l] = true;
        r = sd_event_add_io(d->ev, &d->rx[l], d->udp[l].fd, EPOLLIN, on_rx, d);
        if (r < 0)
            return r;
        sd_event_source_set_priority(d->rx[l], PRIO_RECEIVE);
    }

    d->hb_next = now;
    r = sd_event_add_time(d->ev, &d->hb_timer, CLOCK_MONOTONIC, d->hb_next, 1, on_hb_timer, d);
    if (r < 0)
        return r;
    sd_event_source_set_priority(d->hb_timer, PRIO_HEARTBEAT);
    r = sd_event_add_time(d->ev, &d->expiry_timer, CLOCK_MONOTONIC, VG_USEC_INFINITY, 1, on_expiry,
                          d);
    if (r < 0)
        return r;
    sd_event_source_set_priority(d->expiry_timer, PRIO_HEARTBEAT);
    heartbeat_rearm(d);
    return 0;
}

void link_set_local(struct daemon *d, int l, bool up, const char *why)
{
    const struct conf_link *cl = &d->conf.links[l];
    vg_usec_t now = clock_now();
    struct peer_change chg;

    snprintf(d->local_why[l], sizeof(d->local_why[l]), "%s", why ? why : "");
    if (d->local_up[l] == up)
        return;
    d->local_up[l] = up;
    if (up) {
        log_notice("link %s (%s): up on this node%s%s", cl->name, conf_link_type_name(cl->type),
                   why && *why ? ": " : "", why ? why : "");
        return;
    }
    log_warn("link %s (%s): down on this node: %s", cl->name, conf_link_type_name(cl->type),
             why ? why : "unknown reason");
    /* What this node cannot see through, it sees nobody through. */
    for (int i = 0; i < d->conf.n_nodes; i++) {
        if (i == d->self)
            continue;
        peer_link_lost(&d->peers[i], l, d->conf.n_links, now, &chg);
        peer_report(d, i, &chg);
    }
    heartbeat_rearm(d);
}

void heartbeat_retime(struct daemon *d)
{
    vg_usec_t now = clock_now();

    timing_refresh(d);
    d->hb_next = now + d->conf.interval;
    sd_event_source_set_time(d->hb_timer, d->hb_next);
    sd_event_source_set_enabled(d->hb_timer, SD_EVENT_ON);
    heartbeat_rearm(d);
}

void heartbeat_stop(struct daemon *d)
{
    d->hb_timer = sd_event_source_disable_unref(d->hb_timer);
    d->expiry_timer = sd_event_source_disable_unref(d->expiry_timer);
    for (int l = 0; l < d->conf.n_links; l++) {
        d->rx[l] = sd_event_source_disable_unref(d->rx[l]);
        udp_link_close(&d->udp[l]);
    }
}
