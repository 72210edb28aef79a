/* What the witness knows: clusters (created on first contact), their nodes
 * with when each last reported, and the views granted. Pure: the
 * time is an argument, events go to a callback, memory is bounded by the
 * limits in witness.h. */
#include "witness.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void registry_init(struct registry *r, witness_event_fn on_event, void *ctx)
{
    memset(r, 0, sizeof(*r));
    r->on_event = on_event;
    r->event_ctx = ctx;
}

void registry_free(struct registry *r)
{
    for (int i = 0; i < r->n_clusters; i++) {
        struct witness_cluster *c = r->clusters[i];
        for (int j = 0; j < c->n_nodes; j++)
            free(c->nodes[j].sees);
        free(c);
    }
    r->n_clusters = 0;
    r->n_nodes_total = 0;
}

static void emit(struct registry *r, enum witness_event ev, const struct witness_cluster *c,
                 const struct witness_node *n, vg_usec_t silent, const char *detail)
{
    if (r->on_event)
        r->on_event(r->event_ctx, ev, c, n, silent, detail);
}

int registry_cluster(struct registry *r, const char *name, int token, const char *addr,
                     struct witness_cluster **out)
{
    struct witness_cluster *c;

    for (int i = 0; i < r->n_clusters; i++) {
        c = r->clusters[i];
        if (strcmp(c->name, name) != 0)
            continue;
        if (c->token != token)
            return -EACCES;
        *out = c;
        return 0;
    }
    if (r->n_clusters >= WITNESS_MAX_CLUSTERS)
        return -ENOSPC;
    if (strlen(name) >= sizeof(c->name))
        return -EINVAL;
    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->token = token;
    r->clusters[r->n_clusters++] = c;
    emit(r, WITNESS_EV_CLUSTER_NEW, c, NULL, 0, addr);
    *out = c;
    return 0;
}

static struct witness_node *find_node(struct witness_cluster *c, const char *name)
{
    for (int i = 0; i < c->n_nodes; i++) {
        if (strcmp(c->nodes[i].name, name) == 0)
            return &c->nodes[i];
    }
    return NULL;
}

int registry_alive(struct registry *r, struct witness_cluster *c, struct witness_alive *a,
                   const char *addr, vg_usec_t now)
{
    struct witness_node *n = find_node(c, a->node);
    char old_incarnation[WITNESS_INCARNATION_MAX] = "";
    bool first = false, back = false, restarted = false;
    vg_usec_t silent = 0;

    if (!n) {
        if (c->n_nodes >= WITNESS_MAX_NODES || r->n_nodes_total >= WITNESS_MAX_NODES_TOTAL)
            return -ENOSPC;
        n = &c->nodes[c->n_nodes++];
        r->n_nodes_total++;
        memset(n, 0, sizeof(*n));
        snprintf(n->name, sizeof(n->name), "%s", a->node);
        first = true;
    } else {
        silent = now > n->last_seen ? now - n->last_seen : 0;
        back = n->lost;
        restarted = strcmp(n->incarnation, a->incarnation) != 0;
        snprintf(old_incarnation, sizeof(old_incarnation), "%s", n->incarnation);
    }
    snprintf(n->incarnation, sizeof(n->incarnation), "%s", a->incarnation);
    snprintf(n->state, sizeof(n->state), "%s", a->state);
    snprintf(n->addr, sizeof(n->addr), "%s", addr ? addr : "");
    free(n->sees);
    n->sees = a->sees;
    a->sees = NULL;
    n->timeout_ms = a->timeout_ms;
    n->groups = a->groups;
    n->last_seen = now;
    n->lost = false;

    if (first)
        emit(r, WITNESS_EV_FIRST_CONTACT, c, n, 0, NULL);
    if (back)
        emit(r, WITNESS_EV_BACK, c, n, silent, NULL);
    if (restarted)
        emit(r, WITNESS_EV_RESTARTED, c, n, silent, old_incarnation);
    return 0;
}

static const struct witness_grant *find_grant(const struct witness_cluster *c, uint64_t epoch)
{
    for (int i = 0; i < c->n_grants; i++) {
        if (c->grants[i].epoch == epoch)
            return &c->grants[i];
    }
    return NULL;
}

static bool grant_has(const struct witness_grant *g, const char *node)
{
    for (int i = 0; i < g->n_members; i++) {
        if (strcmp(g->members[i], node) == 0)
            return true;
    }
    return false;
}

/* Record a grant for a new newest epoch, forgetting the oldest one when
 * WITNESS_MAX_EPOCHS are kept: only the newest decides anything, the older
 * ones are kept to explain refusals. */
static const struct witness_grant *add_grant(struct witness_cluster *c,
                                             const struct witness_arbitrate *req)
{
    struct witness_grant *g;

    if (c->n_grants == WITNESS_MAX_EPOCHS) {
        memmove(&c->grants[0], &c->grants[1], sizeof(c->grants[0]) * (WITNESS_MAX_EPOCHS - 1));
        c->n_grants--;
    }
    g = &c->grants[c->n_grants++];
    memset(g, 0, sizeof(*g));
    g->epoch = req->epoch;
    snprintf(g->node, sizeof(g->node), "%s", req->node);
    g->n_members = req->n_members;
    for (int i = 0; i < req->n_members; i++)
        snprintf(g->members[i], sizeof(g->members[i]), "%s", req->members[i]);
    return g;
}

/* "a, b, c" for a refusal, cut to "a, b and 62 more" when the names do
 * not fit in size (a grant holds up to WITNESS_MAX_NODES of them): each name
 * goes in only if the count of those after it still fits behind it. */
static void list_members(const struct witness_grant *g, char *buf, size_t size)
{
    char more[32];
    size_t len = 0;

    buf[0] = '\0';
    for (int i = 0; i < g->n_members; i++) {
        const char *sep = i == 0 ? "" : ", ";
        int after = g->n_members - i - 1;
        size_t need = len + strlen(sep) + strlen(g->members[i]);

        if (after > 0)
            need += (size_t)snprintf(more, sizeof(more), " and %d more", after);
        if (need >= size) {
            snprintf(buf + len, size - len, " and %d more", after + 1);
            return;
        }
        len += (size_t)snprintf(buf + len, size - len, "%s%s", sep, g->members[i]);
    }
}

void registry_arbitrate(struct registry *r, struct witness_cluster *c,
                        const struct witness_arbitrate *req, struct witness_verdict *v)
{
    const struct witness_grant *last = c->n_grants > 0 ? &c->grants[c->n_grants - 1] : NULL;
    char members[256];

    memset(v, 0, sizeof(*v));
    v->newest = last ? last->epoch : 0;
    if (last && req->epoch < last->epoch) {
        v->winner = find_grant(c, req->epoch);
        snprintf(v->reason, sizeof(v->reason),
                 "epoch %" PRIu64 " is older than epoch %" PRIu64
                 ", the newest granted for this cluster",
                 req->epoch, last->epoch);
        return;
    }
    if (last && req->epoch == last->epoch) {
        /* the rest of the granted view, or a retry */
        v->winner = last;
        v->granted = grant_has(last, req->node);
        if (!v->granted) {
            list_members(last, members, sizeof(members));
            snprintf(v->reason, sizeof(v->reason),
                     "epoch %" PRIu64 " was granted to the side of node '%s' (members %s), and "
                     "'%s' is not one of its members",
                     req->epoch, last->node, members, req->node);
        }
        return;
    }
    if (last && req->parent < last->epoch) {
        /* a view that does not descend from the last one granted: the other
         * half of a split, or a half that lost and formed views of its own */
        snprintf(v->reason, sizeof(v->reason),
                 "its parent epoch %" PRIu64 " is older than epoch %" PRIu64
                 ", the last view granted (to the side of node '%s'): only a view that "
                 "descends from it can be granted",
                 req->parent, last->epoch, last->node);
        return;
    }
    v->winner = add_grant(c, req);
    v->newest = req->epoch;
    v->granted = true;
}

void registry_sweep(struct registry *r, vg_usec_t now)
{
    for (int i = 0; i < r->n_clusters; i++) {
        struct witness_cluster *c = r->clusters[i];
        for (int j = 0; j < c->n_nodes; j++) {
            struct witness_node *n = &c->nodes[j];
            vg_usec_t limit = 2 * (vg_usec_t)n->timeout_ms * VG_USEC_PER_MSEC;
            if (n->lost || now <= n->last_seen || now - n->last_seen <= limit)
                continue;
            n->lost = true;
            emit(r, WITNESS_EV_LOST, c, n, now - n->last_seen, NULL);
        }
    }
}
