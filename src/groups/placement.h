/* Placement: which node should hold each group now (docs/placement.md).
 *
 * The coordinator of a quorate view calls placement_decide() for every
 * group after every view change, standby change, failure, move or stop,
 * and tells the members what to start and stop. Pure: no I/O, no clock
 * (the time is passed in), no globals; the same inputs give the same
 * decision on every node. Groups are independent of each other.
 *
 * Nodes are indexes in the configuration (sorted by id), as in view.h;
 * node sets are node_masks. Reasons name nodes by index; the caller turns
 * them into text with its node names (placement_describe()). */
#ifndef VIGIL_PLACEMENT_H
#define VIGIL_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/clock.h"
#include "../common/limits.h"
#include "../membership/view.h"

#define PLACE_NONE (-1) /* no node */

/* Enough for any reason with node names of VIGIL_NAME_MAX */
#define PLACEMENT_TEXT_MAX 1024

/* The cluster as the coordinator sees it under the current view. */
struct placement_cluster {
    int n;             /* configured nodes, 1..VIGIL_MAX_NODES */
    bool quorate;      /* the view is committed and quorate; otherwise nothing is placed */
    node_mask members; /* members of the current view */
    node_mask standby; /* nodes in standby (vigilctl standby): they hold no group */
};

/* What the coordinator knows of the group on its holder. */
enum placement_state {
    PLACE_STOPPED = 0, /* stopped there (it said so) */
    PLACE_STARTING,
    PLACE_RUNNING,
    PLACE_STOPPING,
    PLACE_STOP_FAILED, /* a stop failed or timed out: it may still run there */
};

/* Failures of the group on one node (monitor failures, failed starts). */
struct placement_failures {
    unsigned count;
    vg_usec_t last; /* when the last one happened (monotonic, the caller's clock) */
};

struct placement_group {
    int policy[VIGIL_MAX_NODES]; /* failover policy: node indexes, preferred first */
    int policy_len;
    bool failback;             /* move back to a more preferred node when it is allowed */
    unsigned threshold;        /* failures before it must leave a node; 0: never */
    vg_usec_t failure_timeout; /* a count whose last failure is this old counts as 0;
                                  0: counts never expire */
    struct placement_failures failures[VIGIL_MAX_NODES]; /* by node index */
    int holder;                 /* the node that holds it or held it last, or PLACE_NONE */
    enum placement_state state; /* its state on the holder */
    /* nodes that may still run it: they held it, left the view without
     * confirming the stop, and were not fenced (safety rule 2). While this
     * is not empty the group is placed nowhere. */
    node_mask stop_unconfirmed;
    int move_target;    /* vigilctl move: preferred while allowed, or PLACE_NONE */
    bool admin_stopped; /* vigilctl stop: placed nowhere */
};

/* What to do, relative to the current holder. */
enum placement_action {
    PLACE_KEEP,  /* nothing to change: it stays on target (or stays stopped: target none) */
    PLACE_START, /* start it on target (it runs nowhere) */
    PLACE_MOVE,  /* stop it on from, then (once stopped) start it on target */
    PLACE_STOP,  /* stop it on from; no node is allowed, target none */
    PLACE_WAIT,  /* change nothing now (see the reason); target none */
};

/* Why a node may not hold the group (the first that applies, in this order). */
enum placement_unfit {
    PLACE_FIT = 0,
    PLACE_NOT_IN_POLICY,
    PLACE_NOT_MEMBER, /* not a member of the current view */
    PLACE_IN_STANDBY,
    PLACE_FAILED, /* unexpired failures reached the threshold */
};

enum placement_reason {
    PLACE_R_INVALID,          /* inputs out of range (a bug in the caller) */
    PLACE_R_NO_QUORUM,        /* the view is not quorate */
    PLACE_R_STOP_UNCONFIRMED, /* node may still run it (safety rule 2) */
    PLACE_R_STOP_FAILED,      /* its stop failed on node: it may still run there */
    PLACE_R_STILL_STOPPING,   /* node is stopping it; it will be started there again */
    PLACE_R_HELD_ELSEWHERE,   /* placement_may_start: node still holds it */
    PLACE_R_ADMIN_STOP,       /* vigilctl stop */
    PLACE_R_NO_ALLOWED,       /* no allowed node */
    PLACE_R_MOVED,            /* vigilctl move to node, which is allowed */
    PLACE_R_HOLDER,           /* node holds it (or held it last) and is allowed */
    PLACE_R_NO_FAILBACK,      /* node is preferred and allowed, failback is off */
    PLACE_R_FAILBACK,         /* node is preferred and allowed, failback is on */
    PLACE_R_UNFIT,            /* node may not hold it: see unfit */
    PLACE_R_FIRST_ALLOWED,    /* node is the first allowed in policy order */
    PLACE_R_ALLOWED,          /* placement_may_start: node may start it */
};

struct placement_cause {
    enum placement_reason reason;
    int node;                   /* the node it is about, or PLACE_NONE */
    enum placement_unfit unfit; /* PLACE_R_UNFIT: why node may not hold it */
    unsigned failures;          /* PLACE_FAILED: the counted failures on node */
    unsigned threshold;         /* PLACE_FAILED: the group's threshold */
};

struct placement_decision {
    enum placement_action action;
    int target; /* the node that should hold it, or PLACE_NONE */
    int from;   /* MOVE, STOP: the node that stops it first; otherwise PLACE_NONE */
    struct placement_cause why;
    /* A move target is set but that node may not hold it now (it left the
     * view, is in standby, failed, or is not in the policy): the policy
     * decided instead. The caller may clear the move and should say so;
     * left in place, the move applies again once the node is allowed. */
    bool move_lapsed;
    struct placement_cause move_why; /* when move_lapsed: PLACE_R_UNFIT about the target */
};

/* A group with no holder, no move, no failures, empty policy. */
void placement_group_init(struct placement_group *g);

/* The failures that count on node at now (0 once failure_timeout has passed
 * since the last one). */
unsigned placement_failures(const struct placement_group *g, int node, vg_usec_t now);

/* Whether node may hold the group: in the policy, a member, not in standby,
 * under the threshold. Says nothing of quorum or of other holders. */
enum placement_unfit placement_fit(const struct placement_cluster *c,
                                   const struct placement_group *g, int node, vg_usec_t now);

/* The allowed nodes: those placement_fit() accepts. */
node_mask placement_allowed(const struct placement_cluster *c, const struct placement_group *g,
                            vg_usec_t now);

/* Decide where the group should be and what to do about it (the rules are
 * in docs/placement.md). 0, or -EINVAL for inputs out of range (then out
 * is a WAIT). */
int placement_decide(const struct placement_cluster *c, const struct placement_group *g,
                     vg_usec_t now, struct placement_decision *out);

/* For a member told to start the group on node: 0 when that is safe and
 * allowed (quorate view, nobody may still run it elsewhere, not stopped by
 * the administrator, node allowed), -EPERM when not (why says why), -EINVAL
 * for bad inputs. It checks what must hold, not preference: any allowed
 * node passes. A start on a node that already holds it passes. */
int placement_may_start(const struct placement_cluster *c, const struct placement_group *g,
                        int node, vg_usec_t now, struct placement_cause *why);

/* Several members report it active at once (the start-up probe found it
 * running on two nodes): the one that keeps it, so that it is stopped on
 * the others without being restarted. The allowed move target if among
 * them, else the first of them in policy order that is allowed; PLACE_NONE
 * when none of them may keep it (no quorum, stopped by the administrator,
 * none allowed): it stops everywhere. The caller then makes that node the
 * holder and decides again (failback may still move it). */
int placement_keep_one(const struct placement_cluster *c, const struct placement_group *g,
                       node_mask active, vg_usec_t now);

/* When a counted failure that keeps a node out expires, so that the
 * decision may change without any event: the caller decides again then.
 * VG_USEC_INFINITY when nothing expires. */
vg_usec_t placement_recheck_at(const struct placement_group *g, vg_usec_t now);

/* One line for a human: "alpha failed 3 times (threshold 3): moving it from
 * alpha to beta". names[i] is node i's name (n of them); NULL, or an index
 * out of range, gives "node I". 0, or -ENOSPC when truncated (still
 * terminated). */
int placement_describe(const struct placement_decision *d, const char *const *names, int n,
                       char *buf, size_t size);

/* The cause alone: "beta is in standby". Same returns. */
int placement_cause_text(const struct placement_cause *why, const char *const *names, int n,
                         char *buf, size_t size);

/* "keep", "start", "move", "stop", "wait" */
const char *placement_action_name(enum placement_action a);

#endif
