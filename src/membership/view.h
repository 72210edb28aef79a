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

#endif
