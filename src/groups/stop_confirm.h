/* Confirming a stop (safety rule 2, docs/groups.md "Confirming a stop"):
 * when may a report of `stopped` from a node that left the view, read from
 * its disk slot or from the witness (or a late heartbeat), end the group's
 * stop-unconfirmed state there?
 *
 * Every report carries its node's incarnation and `at`, the node's own
 * CLOCK_MONOTONIC when the reports were current: within one incarnation,
 * reports that came by different paths are ordered by it. A report of
 * `stopped` confirms only when it is strictly newer than every report of
 * `active` seen from that incarnation, or when it was observably made after
 * the departure (`fresh`: the caller proves it per path), which is also the
 * only way for another incarnation (a restarted vigild, whose reports
 * exist only once its start-up probe ended). Pure: no clock, no I/O. */
#ifndef VIGIL_STOP_CONFIRM_H
#define VIGIL_STOP_CONFIRM_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/clock.h"
#include "../common/limits.h"
#include "../proto/proto.h"

/* What this node knows of one peer's reports. */
struct sc_node {
    uint64_t incarnation;                 /* of the reports below; 0: none seen yet */
    uint64_t active_at[VIGIL_MAX_GROUPS]; /* newest `at` of a report saying active (0: none) */
    /* set when the peer left the view (sc_left) */
    bool left;
    bool left_reported; /* its reports of that incarnation were known when it left */
    uint64_t left_incarnation;
    uint64_t left_active_at[VIGIL_MAX_GROUPS]; /* active_at then, raised by later reports */
    vg_usec_t left_at;                         /* this node's clock when it saw it leave */
};

/* The peer's incarnation as its heartbeats (authenticated, checked by the
 * membership layer) say: a new one starts afresh. Only heartbeats set it: a
 * disk slot or a witness report may be left from an older incarnation. */
void sc_incarnation(struct sc_node *n, uint64_t incarnation);

/* A report from the peer, through any path: notes the groups it says are
 * active (not stopped or failed), when it is of the incarnation above (and
 * raises the departed incarnation's bar when it is of that one). */
void sc_note(struct sc_node *n, uint64_t incarnation, const struct group_reports *r);

/* The peer left the view at `now`; `reported`: its reports were known. */
void sc_left(struct sc_node *n, bool reported, vg_usec_t now);

/* Whether report r (from `incarnation`) confirms that group g is stopped
 * on the peer: r says stopped or failed (never stop-failed), is not older
 * than an active report of the same incarnation, and either is strictly
 * newer than the active report known at (or after) the departure, or is
 * `fresh` (made after the departure, which the caller proved). */
bool sc_confirms(const struct sc_node *n, int g, uint64_t incarnation,
                 const struct group_reports *r, bool fresh);

#endif
