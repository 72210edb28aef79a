/* Disk heartbeat links in the daemon: start each link's I/O thread, turn
 * its rounds into peer evidence, watch for I/O that hangs, and pass on
 * mailbox requests. A peer is up on the disk while its counter advances. */
#include "daemon.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"

static int link_of_source(const struct daemon *d, sd_event_source *s)
{
    for (int l = 0; l < d->conf.n_links; l++)
        if (d->disk_ev[l] == s)
            return l;
    return -1;
}

/* A mailbox request addressed to this node: log it once, keep it for
 * status, and clear the block so the next request can be seen. Requests of
 * different writers are told apart by (from, sequence); the same block read
 * again before the clear is not a new request. Acting on stand-down and
 * reset belongs to the membership and fencing issues. */
static void take_mailbox(struct daemon *d, int l, const struct disk_mailbox *m)
{
    const struct disk_mailbox *last = &d->disk_mailbox[l];

    if (m->request == DISK_REQ_NONE)
        return;
    if (d->disk_mailbox_valid[l] && last->from == m->from && last->sequence == m->sequence)
        return;
    const struct conf_node *from = conf_node_by_id(&d->conf, m->from);
    d->disk_mailbox[l] = *m;
    d->disk_mailbox_valid[l] = true;
    log_warn("disk link %s: mailbox request '%s' from %s (sequence %" PRIu64 ", epoch %" PRIu64
             "); cleared",
             d->conf.links[l].name, disk_request_name(m->request),
             from ? from->name : (m->from == 0 ? "an administrator" : "an unknown node"),
             m->sequence, m->epoch);
    disk_link_clear_mailbox(&d->disk[l]);
}

/* Whether peer i's slot on link l was written after the peer left the view:
 * its content changed twice since a round that began after the departure
 * (the write of the first change may have taken its reports before it).
 * This is what lets a slot of another incarnation, or one from a node
 * whose reports were unknown, confirm a stop (docs/groups.md). */
static bool fresh_slot(struct daemon *d, int l, int i, const struct disk_result *r,
                       const struct disk_slot *s)
{
    const struct sc_node *sc = &d->groups.sc[i];
    bool changed =
        s->incarnation != d->disk_fresh_inc[l][i] || s->counter != d->disk_fresh_counter[l][i];

    d->disk_fresh_inc[l][i] = s->incarnation;
    d->disk_fresh_counter[l][i] = s->counter;
    if (!sc->left)
        return false;
    if (d->disk_fresh_left[l][i] != sc->left_at) {
        d->disk_fresh_left[l][i] = sc->left_at;
        d->disk_fresh_seen[l][i] = 0;
    }
    if (d->disk_fresh_seen[l][i] == 0) {
        if (r->started > sc->left_at)
            d->disk_fresh_seen[l][i] = 1; /* the baseline: read after the departure */
        return false;
    }
    if (changed && d->disk_fresh_seen[l][i] < 3)
        d->disk_fresh_seen[l][i]++;
    return d->disk_fresh_seen[l][i] >= 3;
}

static void take_round(struct daemon *d, int l, const struct disk_result *r, vg_usec_t now)
{
    const struct conf_link *cl = &d->conf.links[l];
    struct peer_change chg;
    char why[600];

    if (!r->ready || r->error) {
        snprintf(why, sizeof(why), "%s: %s", cl->device, r->error_text);
        link_set_local(d, l, false, why);
        return;
    }
    link_set_local(d, l, true, r->error_text);
    for (int i = 0; i < d->conf.n_nodes; i++) {
        int id = d->conf.nodes[i].id;
        if (i == d->self || !r->slot_valid[id])
            continue;
        const struct disk_slot *s = &r->slots[id];
        bool fresh = fresh_slot(d, l, i, r, s);
        if (s->groups.n) {
            char via[VIGIL_NAME_MAX + 32];
            snprintf(via, sizeof(via), "the disk (link %s)", cl->name);
            groups_on_report(d, i, s->incarnation, &s->groups, fresh, via);
        }
        bool first = !d->disk_counter_known[l][i];
        if (!first && s->counter == d->disk_counter[l][i])
            continue; /* not advancing: the timeout will tell */
        d->disk_counter[l][i] = s->counter;
        d->disk_counter_known[l][i] = true;
        d->disk_state[l][i] = s->state;
        if (first)
            continue; /* a slot left from long ago proves nothing until it moves */
        if (s->state == DISK_SLOT_STOPPED) {
            peer_link_lost(&d->peers[i], l, d->conf.n_links, now, &chg);
            if (chg.links_down)
                log_notice("disk link %s: %s wrote that it stopped", cl->name,
                           d->conf.nodes[i].name);
        } else {
            peer_on_evidence(&d->peers[i], l, now, now, &d->timing, &chg);
        }
        peer_report(d, i, &chg);
    }
    if (r->mailbox_valid)
        take_mailbox(d, l, &r->mailbox);
    heartbeat_rearm(d);
}

static int on_disk_round(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct daemon *d = userdata;
    struct disk_result r;
    uint64_t n;
    int l = link_of_source(d, s);

    if (read(fd, &n, sizeof(n)) < 0 || l < 0)
        return 0;
    disk_link_result(&d->disk[l], &r);
    take_round(d, l, &r, clock_now());
    return 0;
}

int disklink_start(struct daemon *d)
{
    const struct conf_node *self = &d->conf.nodes[d->self];
    int r;

    for (int l = 0; l < d->conf.n_links; l++) {
        const struct conf_link *cl = &d->conf.links[l];
        if (cl->type != LINK_DISK)
            continue;
        snprintf(d->local_why[l], sizeof(d->local_why[l]), "%s: not read yet", cl->device);
        d->disk_own_state = DISK_SLOT_RUNNING;
        r = disk_link_start(&d->disk[l], cl->name, cl->device, d->cluster_id, self->id,
                            d->incarnation, cl->interval);
        if (r < 0) {
            log_err("disk link %s: cannot start its I/O thread: %s", cl->name, strerror(-r));
            return r;
        }
        r = sd_event_add_io(d->ev, &d->disk_ev[l], d->disk[l].event_fd, EPOLLIN, on_disk_round, d);
        if (r < 0)
            return r;
        sd_event_source_set_priority(d->disk_ev[l], PRIO_HEARTBEAT);
    }
    return 0;
}

void disklink_set_state(struct daemon *d, uint8_t state, uint64_t epoch)
{
    if (d->disk_own_state == state && d->disk_own_epoch == epoch)
        return;
    d->disk_own_state = state;
    d->disk_own_epoch = epoch;
    for (int l = 0; l < d->conf.n_links; l++)
        if (d->conf.links[l].type == LINK_DISK)
            disk_link_set_slot(&d->disk[l], state, epoch);
}

void disklink_set_groups(struct daemon *d, const struct group_reports *r)
{
    for (int l = 0; l < d->conf.n_links; l++)
        if (d->conf.links[l].type == LINK_DISK && d->disk[l].thread_started)
            disk_link_set_groups(&d->disk[l], r);
}

bool disklink_stood_down(const struct daemon *d, int i)
{
    for (int l = 0; l < d->conf.n_links; l++)
        if (d->conf.links[l].type == LINK_DISK && d->peers[i].links[l].up &&
            d->disk_state[l][i] == DISK_SLOT_STOOD_DOWN)
            return true;
    return false;
}

bool disklink_alive(const struct daemon *d, int i)
{
    for (int l = 0; l < d->conf.n_links; l++)
        if (d->conf.links[l].type == LINK_DISK && d->peers[i].links[l].up)
            return true;
    return false;
}

bool disklink_configured(const struct daemon *d)
{
    for (int l = 0; l < d->conf.n_links; l++)
        if (d->conf.links[l].type == LINK_DISK)
            return true;
    return false;
}

void disklink_watch(struct daemon *d, vg_usec_t now)
{
    char why[600];

    for (int l = 0; l < d->conf.n_links; l++) {
        const struct conf_link *cl = &d->conf.links[l];
        if (cl->type != LINK_DISK || !d->local_up[l])
            continue;
        vg_usec_t age = disk_link_io_age(&d->disk[l], now);
        if (age < d->timing.timeout[l])
            continue;
        snprintf(why, sizeof(why),
                 "%s: an I/O has not completed for %" PRIu64 "ms (device hangs); heartbeats "
                 "on the other links go on",
                 cl->device, age / VG_USEC_PER_MSEC);
        link_set_local(d, l, false, why);
    }
}

bool disklink_stop(struct daemon *d, bool clean)
{
    bool stuck = false;

    for (int l = 0; l < d->conf.n_links; l++) {
        if (d->conf.links[l].type != LINK_DISK)
            continue;
        d->disk_ev[l] = sd_event_source_disable_unref(d->disk_ev[l]);
        disk_link_stop(&d->disk[l], clean);
        if (d->disk[l].thread_started) {
            log_warn("disk link %s: I/O on %s hangs; not waiting for it", d->conf.links[l].name,
                     d->conf.links[l].device);
            stuck = true;
        }
    }
    return stuck;
}
