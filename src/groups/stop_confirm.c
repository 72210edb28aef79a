/* The freshness rule for confirming a stop (stop_confirm.h). */
#include "stop_confirm.h"

#include <string.h>

static bool stopped(uint8_t state)
{
    return state == WIRE_GROUP_STOPPED || state == WIRE_GROUP_FAILED;
}

void sc_incarnation(struct sc_node *n, uint64_t incarnation)
{
    if (incarnation == n->incarnation)
        return;
    n->incarnation = incarnation;
    memset(n->active_at, 0, sizeof(n->active_at));
}

void sc_note(struct sc_node *n, uint64_t incarnation, const struct group_reports *r)
{
    bool current = incarnation != 0 && incarnation == n->incarnation;
    bool departed = n->left && incarnation == n->left_incarnation;

    for (int g = 0; g < r->n && g < VIGIL_MAX_GROUPS; g++) {
        if (stopped(r->g[g].state))
            continue;
        if (current && r->at > n->active_at[g])
            n->active_at[g] = r->at;
        /* an active report of the departed incarnation, read late, makes
         * every stopped one older than it stale too */
        if (departed && r->at > n->left_active_at[g])
            n->left_active_at[g] = r->at;
    }
}

void sc_left(struct sc_node *n, bool reported, vg_usec_t now)
{
    n->left = true;
    n->left_reported = reported && n->incarnation != 0;
    n->left_incarnation = n->incarnation;
    memcpy(n->left_active_at, n->active_at, sizeof(n->left_active_at));
    n->left_at = now;
}

bool sc_confirms(const struct sc_node *n, int g, uint64_t incarnation,
                 const struct group_reports *r, bool fresh)
{
    if (!n->left || g < 0 || g >= r->n || !stopped(r->g[g].state))
        return false;
    bool same = incarnation == n->left_incarnation;
    if (same && r->at <= n->left_active_at[g])
        return false; /* stale: written before a report that said active */
    if (fresh)
        return true;
    return same && n->left_reported && n->left_active_at[g] != 0;
}
