#include "peer.h"

#include <string.h>

static const char *const state_names[] = {
    [PEER_UNKNOWN] = "unknown",
    [PEER_ALIVE] = "alive",
    [PEER_DEAD] = "dead",
};

const char *peer_state_name(enum peer_state s)
{
    return (unsigned)s <= PEER_DEAD ? state_names[s] : "invalid";
}

void peer_init(struct peer *p, int id, vg_usec_t now)
{
    memset(p, 0, sizeof(*p));
    p->id = id;
    p->state = PEER_UNKNOWN;
    p->since = now;
    for (int i = 0; i < VIGIL_MAX_LINKS; i++)
        p->links[i].since = now;
}

static bool is_retired(const struct peer *p, uint64_t inc)
{
    for (int i = 0; i < p->n_retired; i++)
        if (p->retired[i] == inc)
            return true;
    return false;
}

int peer_check(const struct peer *p, const struct wire_header *h, int link, enum drop_reason *why)
{
    if (p->inc_known && h->incarnation == p->incarnation) {
        if (h->seq <= p->links[link].last_seq) {
            *why = DROP_REPLAY;
            return -1;
        }
        return 0;
    }
    if (is_retired(p, h->incarnation)) {
        *why = DROP_STALE_INCARNATION;
        return -1;
    }
    return 0;
}

int peer_take_message(struct peer *p, const struct wire_header *h, int link, enum drop_reason *why)
{
    if (!p->inc_known || h->incarnation != p->incarnation) {
        *why = DROP_UNKNOWN_INCARNATION;
        return -1;
    }
    p->links[link].last_seq = h->seq;
    return 0;
}

/* A new incarnation: the peer restarted. Forget the old one's sequence
 * numbers and echo data, remember it as replaced so its datagrams are refused. */
static void switch_incarnation(struct peer *p, uint64_t inc, struct peer_change *chg)
{
    chg->new_incarnation = true;
    chg->had_incarnation = p->inc_known;
    chg->old_incarnation = p->incarnation;
    if (p->inc_known) {
        memmove(p->retired + 1, p->retired,
                sizeof(p->retired[0]) * (PEER_RETIRED_INCARNATIONS - 1));
        p->retired[0] = p->incarnation;
        if (p->n_retired < PEER_RETIRED_INCARNATIONS)
            p->n_retired++;
    }
    p->incarnation = inc;
    p->inc_known = true;
    for (int i = 0; i < VIGIL_MAX_LINKS; i++) {
        p->links[i].last_seq = 0;
        p->links[i].echo_peer_time = 0;
        p->links[i].echo_rx_at = 0;
    }
}

static void set_state(struct peer *p, enum peer_state s, vg_usec_t now, struct peer_change *chg)
{
    if (p->state == s)
        return;
    if (!chg->state_changed) {
        chg->state_changed = true;
        chg->old_state = p->state;
    }
    p->state = s;
    p->since = now;
}

void peer_on_heartbeat(struct peer *p, int link, const struct wire_header *h,
                       const struct wire_heartbeat *hb, vg_usec_t now, struct peer_change *chg)
{
    memset(chg, 0, sizeof(*chg));
    if (!p->inc_known || h->incarnation != p->incarnation)
        switch_incarnation(p, h->incarnation, chg);

    struct peer_link *l = &p->links[link];
    l->last_seq = h->seq;
    l->last_rx = now;
    l->echo_peer_time = h->send_time;
    l->echo_rx_at = now;
    if (!l->up) {
        l->up = true;
        l->since = now;
        chg->links_up |= (uint8_t)(1u << link);
    }

    /* Round trip on our own clock: now - our send time - the peer's hold time. */
    if (hb->echo_time != 0 && hb->echo_time <= now && now - hb->echo_time >= hb->echo_delay) {
        vg_usec_t rtt = now - hb->echo_time - hb->echo_delay;
        l->rtt_last = rtt;
        l->rtt_smooth = l->rtt_valid ? (l->rtt_smooth * 7 + rtt) / 8 : rtt;
        l->rtt_valid = true;
    }

    p->epoch = hb->epoch;
    memset(p->sees, 0, sizeof(p->sees));
    for (unsigned i = 0; i < hb->n_seen; i++)
        p->sees[hb->seen[i].node] = hb->seen[i].links;

    set_state(p, PEER_ALIVE, now, chg);
}

void peer_on_evidence(struct peer *p, int link, vg_usec_t when, vg_usec_t now,
                      const struct peer_timing *t, struct peer_change *chg)
{
    struct peer_link *l = &p->links[link];

    memset(chg, 0, sizeof(*chg));
    if (when > now || when + t->timeout[link] <= now || when <= l->last_rx)
        return;
    l->last_rx = when;
    if (!l->up) {
        l->up = true;
        l->since = now;
        chg->links_up |= (uint8_t)(1u << link);
    }
    set_state(p, PEER_ALIVE, now, chg);
}

static bool any_link_up(const struct peer *p, int n_links)
{
    for (int i = 0; i < n_links; i++)
        if (p->links[i].up)
            return true;
    return false;
}

void peer_link_lost(struct peer *p, int link, int n_links, vg_usec_t now, struct peer_change *chg)
{
    struct peer_link *l = &p->links[link];

    memset(chg, 0, sizeof(*chg));
    if (!l->up)
        return;
    l->up = false;
    l->since = now;
    l->rtt_valid = false;
    chg->links_down |= (uint8_t)(1u << link);
    if (p->state == PEER_ALIVE && !any_link_up(p, n_links))
        set_state(p, PEER_DEAD, now, chg);
}

void peer_tick(struct peer *p, int n_links, const struct peer_timing *t, vg_usec_t now,
               struct peer_change *chg)
{
    memset(chg, 0, sizeof(*chg));
    for (int i = 0; i < n_links; i++) {
        struct peer_link *l = &p->links[i];
        if (l->up && now >= l->last_rx + t->timeout[i]) {
            l->up = false;
            l->since = now;
            l->rtt_valid = false;
            chg->links_down |= (uint8_t)(1u << i);
        }
    }
    if (p->state == PEER_ALIVE && !any_link_up(p, n_links))
        set_state(p, PEER_DEAD, now, chg);
    else if (p->state == PEER_UNKNOWN && now >= t->started_at + t->initial_timeout)
        set_state(p, PEER_DEAD, now, chg);
}

vg_usec_t peer_next_deadline(const struct peer *p, int n_links, const struct peer_timing *t)
{
    vg_usec_t next = VG_USEC_INFINITY;

    for (int i = 0; i < n_links; i++)
        if (p->links[i].up && p->links[i].last_rx + t->timeout[i] < next)
            next = p->links[i].last_rx + t->timeout[i];
    if (p->state == PEER_UNKNOWN && t->started_at + t->initial_timeout < next)
        next = t->started_at + t->initial_timeout;
    return next;
}

void peer_echo(const struct peer *p, int link, vg_usec_t now, uint64_t *echo_time,
               uint32_t *echo_delay)
{
    const struct peer_link *l = &p->links[link];

    if (l->echo_peer_time == 0 || now < l->echo_rx_at || now - l->echo_rx_at > UINT32_MAX) {
        *echo_time = 0;
        *echo_delay = 0;
        return;
    }
    *echo_time = l->echo_peer_time;
    *echo_delay = (uint32_t)(now - l->echo_rx_at);
}
