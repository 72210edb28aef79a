/* The candidate view: a maximum clique of the mutual-visibility graph that
 * holds this node, chosen deterministically (docs/membership.md). */
#include "view.h"

/* Bron-Kerbosch with pivoting needs at most 3^(n/3) calls in theory; the
 * graphs of a cluster are near-complete and take a handful. Past this
 * bound the search stops and a greedy clique (in id order) is used, which
 * every node with the same facts also reaches. */
#define SEARCH_BUDGET 200000

struct search {
    const struct view_facts *f;
    node_mask adj[VIGIL_MAX_NODES];
    node_mask best;
    int best_size, best_votes;
    long budget;
};

int view_count(node_mask m)
{
    return __builtin_popcountll(m);
}

int view_lowest(node_mask m)
{
    return m ? __builtin_ctzll(m) : -1;
}

int view_votes(node_mask members, const int *votes, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++)
        if (members & NODE_BIT(i))
            v += votes[i];
    return v;
}

bool view_mask_before(node_mask a, node_mask b)
{
    node_mask d = a ^ b;

    return d && (a & (d & -d));
}

enum view_quorum view_quorum_of(node_mask members, const int *votes, int n)
{
    int total = view_votes(~(node_mask)0 >> (64 - (n > 0 ? n : 1)), votes, n);
    int have = view_votes(members, votes, n);

    if (n <= 0 || total <= 0)
        return QUORUM_NO;
    if (2 * have > total)
        return QUORUM_YES;
    return 2 * have == total ? QUORUM_TIE : QUORUM_NO;
}

static void consider(struct search *s, node_mask r)
{
    int size = view_count(r), votes = view_votes(r, s->f->votes, s->f->n);

    if (size > s->best_size || (size == s->best_size && votes > s->best_votes) ||
        (size == s->best_size && votes == s->best_votes && view_mask_before(r, s->best))) {
        s->best = r;
        s->best_size = size;
        s->best_votes = votes;
    }
}

/* Every maximal clique R ∪ (subset of P), none using X. */
static void bron_kerbosch(struct search *s, node_mask r, node_mask p, node_mask x)
{
    if (--s->budget < 0)
        return;
    if (!p && !x) {
        consider(s, r);
        return;
    }
    if (view_count(r) + view_count(p) < s->best_size)
        return; /* cannot beat the best in size */
    /* pivot: the node of P ∪ X with the most neighbours in P */
    node_mask px = p | x;
    int pivot = view_lowest(px), most = -1;
    for (node_mask m = px; m; m &= m - 1) {
        int u = view_lowest(m), c = view_count(p & s->adj[u]);
        if (c > most) {
            most = c;
            pivot = u;
        }
    }
    for (node_mask m = p & ~s->adj[pivot]; m; m &= m - 1) {
        int v = view_lowest(m);
        bron_kerbosch(s, r | NODE_BIT(v), p & s->adj[v], x & s->adj[v]);
        p &= ~NODE_BIT(v);
        x |= NODE_BIT(v);
    }
}

/* In id order, take each node that sees, and is seen by, all taken so far. */
static node_mask greedy(const struct search *s, node_mask from)
{
    node_mask r = NODE_BIT(s->f->self);

    for (node_mask m = from; m; m &= m - 1) {
        int v = view_lowest(m);
        if ((s->adj[v] & r) == r)
            r |= NODE_BIT(v);
    }
    return r;
}

node_mask view_candidate(const struct view_facts *f)
{
    struct search s = {.f = f, .budget = SEARCH_BUDGET};
    int self = f->self;
    node_mask all = f->n >= 64 ? ~(node_mask)0 : (NODE_BIT(f->n) - 1);
    node_mask known = (f->reach | NODE_BIT(self)) & all;

    /* mutual edges among the nodes this node knows about */
    for (int i = 0; i < f->n; i++) {
        if (!(known & NODE_BIT(i)))
            continue;
        node_mask row = i == self ? f->reach : f->sees[i];
        for (node_mask m = row & known & ~NODE_BIT(i); m; m &= m - 1) {
            int j = view_lowest(m);
            node_mask back = j == self ? f->reach : f->sees[j];
            if (back & NODE_BIT(i))
                s.adj[i] |= NODE_BIT(j);
        }
    }
    s.best = NODE_BIT(self);
    s.best_size = 1;
    s.best_votes = f->votes[self];
    bron_kerbosch(&s, NODE_BIT(self), s.adj[self], 0);
    if (s.budget < 0)
        return greedy(&s, s.adj[self]);
    return s.best;
}
