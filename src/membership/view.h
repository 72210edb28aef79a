/* Views: which nodes form the cluster together (docs/membership.md).
 *
 * This part is pure: from the facts one node holds (whom it reaches, whom
 * each reachable peer says it sees), compute the candidate member set the
 * same way on every node, and the quorum of a member set. Node sets are
 * bitmasks over the index of the node in the configuration (sorted by id),
 * so "lowest index" is "lowest id". */
#ifndef VIGIL_VIEW_H
#define VIGIL_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/limits.h"

typedef uint64_t node_mask; /* bit i: the node at index i */

#define NODE_BIT(i) ((node_mask)1 << (i))

struct view_facts {
    int n;                           /* configured nodes */
    int self;                        /* this node's index */
    node_mask reach;                 /* peers this node reaches on a udp link */
    node_mask sees[VIGIL_MAX_NODES]; /* row i: whom node i says it sees on a udp link;
                                        unknown rows are 0; sees[self] is ignored */
    int votes[VIGIL_MAX_NODES];      /* votes of each node (>= 0) */
};

/* The candidate view: the largest set of mutually connected nodes holding
 * this node (an edge needs both ends to see each other); among those of one
 * size, the most votes, then the smallest sorted id list. Deterministic: the
 * same facts give the same set on every node. Always holds self. */
node_mask view_candidate(const struct view_facts *f);

/* True when a is before b in the tie order of equal-sized sets: the set
 * holding the lowest node the other lacks. */
bool view_mask_before(node_mask a, node_mask b);

enum view_quorum { QUORUM_NO, QUORUM_TIE, QUORUM_YES };

/* More than half of all votes: YES; exactly half: TIE (a tie-breaker
 * decides); fewer: NO. */
enum view_quorum view_quorum_of(node_mask members, const int *votes, int n);

int view_votes(node_mask members, const int *votes, int n);
int view_count(node_mask m);
/* The lowest index in m (the coordinator of a view), -1 when empty. */
int view_lowest(node_mask m);

/* ---- Agreeing on a view (view_machine.c; model/view.pml models it) ----
 * The coordinator (lowest id) of a candidate proposes it with a new epoch;
 * every member accepts only a proposal that matches its own candidate and
 * is newer than any it promised; the coordinator commits once every member
 * accepted. Pure: messages to send are returned in a struct view_out, time
 * is passed in, so tests can run many machines over a lossy, reordering
 * network. Node arguments are indexes (bit positions of node_mask). */

#include "../common/clock.h"

/* An epoch is a counter shifted left by VIEW_EPOCH_NODE_BITS plus the index
 * of the coordinator that proposed it: two coordinators that cannot hear
 * each other never issue the same epoch, and epochs still order by counter
 * first. The counter is above a floor the node starts with (view_init), so
 * that a restarted coordinator does not reuse its old epochs. 0 means no
 * view. */
#define VIEW_EPOCH_NODE_BITS 8
/* the index no node has (VIGIL_MAX_NODES is far below): see view_init */
#define VIEW_EPOCH_INDEX_NONE 0xFF

enum view_msg_type { VIEW_PROPOSE = 1, VIEW_ACK = 2, VIEW_NACK = 3, VIEW_COMMIT = 4 };

struct view_msg {
    enum view_msg_type type;
    int to;
    uint64_t epoch;
    node_mask members; /* PROPOSE, COMMIT */
    uint64_t aux;      /* ACK: the sender's last quorate epoch; NACK: the highest epoch
                          it has seen or promised; COMMIT: the parent epoch */
};

#define VIEW_OUT_MAX (2 * VIGIL_MAX_NODES)

struct view_out {
    int n;
    struct view_msg msgs[VIEW_OUT_MAX];
    bool installed; /* this call installed a view */
    bool left_out;  /* this call learned that a newer view left this node out */
};

struct view_timing {
    vg_usec_t settle;     /* a changed candidate must hold this long before a proposal */
    vg_usec_t retransmit; /* PROPOSE and COMMIT are sent again this often */
    vg_usec_t attempt;    /* a proposal not accepted by all within this is abandoned */
};

struct view_machine {
    int n, self;
    /* the installed view; epoch 0 and members 0: none */
    uint64_t epoch;
    node_mask members;
    uint64_t parent;        /* the newest last-quorate epoch of its members (see below) */
    uint64_t last_quorate;  /* the last view this node installed as quorate (view_set_quorate) */
    uint64_t max_seen;      /* the highest epoch seen anywhere */
    uint64_t counter_floor; /* see view_init() */
    uint64_t promised;      /* the highest epoch this node accepted */
    node_mask candidate;
    vg_usec_t candidate_since;
    /* as coordinator: the proposal under way */
    bool proposing;
    uint64_t p_epoch;
    node_mask p_members, p_acked;
    uint64_t p_parent;
    vg_usec_t p_started, p_sent;
    /* members whose heartbeats show an older view than the installed one,
     * with no commit on its way to them: they restarted or lost it, so the
     * coordinator agrees on the view again */
    node_mask lagging;
    /* as coordinator: members not yet known to have installed the commit */
    node_mask c_pending;
    vg_usec_t c_started, c_sent;
};

/* counter_floor: the epoch counter this node proposes above, whatever it
 * has seen, and the counter it has promised already: it accepts only
 * proposals above it. A restarted node does not remember the epochs it
 * issued or promised, so the daemon passes the wall clock in microseconds:
 * a restart never issues an epoch it issued before, and never accepts a
 * proposal older than one it accepted before it restarted (every epoch
 * issued before is below the clock, unless a clock is ahead of this one by
 * more than the restart took; docs/membership.md). A node that refuses a
 * proposal below it says so in its NACK, and the coordinator proposes
 * above it. */
void view_init(struct view_machine *vm, int n, int self, uint64_t counter_floor, vg_usec_t now);

/* Every interval, and whenever the candidate may have changed. */
void view_tick(struct view_machine *vm, node_mask candidate, const struct view_timing *t,
               vg_usec_t now, struct view_out *out);

void view_on_propose(struct view_machine *vm, int from, uint64_t epoch, node_mask members,
                     vg_usec_t now, struct view_out *out);
void view_on_ack(struct view_machine *vm, int from, uint64_t epoch, uint64_t last_quorate,
                 vg_usec_t now, struct view_out *out);
void view_on_nack(struct view_machine *vm, int from, uint64_t epoch, uint64_t seen,
                  struct view_out *out);
void view_on_commit(struct view_machine *vm, int from, uint64_t epoch, node_mask members,
                    uint64_t parent, struct view_out *out);
/* The daemon counts the installed view as quorate. Its epoch becomes this
 * node's last quorate epoch: what this node's ACKs carry, and so the
 * parent of the next view it joins. A tie asks the witness with that
 * parent (docs/membership.md "Quorum", model/view.pml). */
void view_set_quorate(struct view_machine *vm);
/* A heartbeat says which view its sender has installed. */
void view_on_heartbeat(struct view_machine *vm, int from, uint64_t epoch, node_mask members,
                       struct view_out *out);

/* The installed view is current: installed, and every member still in
 * this node's candidate. Only a current view may count as quorate. */
bool view_current(const struct view_machine *vm);

#endif
