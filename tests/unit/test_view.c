/* Candidate views from connectivity matrices, and quorum arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/membership/view.h"

#define A 0
#define B 1
#define C 2
#define D 3
#define E 4
#define BIT NODE_BIT

/* Facts as node `self` holds them, from a full matrix of who sees whom
 * (see[i] bit j: i's heartbeats say it sees j). Rows of nodes `self` does
 * not reach are unknown to it. */
static struct view_facts facts(int n, int self, const node_mask *see)
{
    struct view_facts f;

    memset(&f, 0, sizeof(f));
    f.n = n;
    f.self = self;
    for (int i = 0; i < n; i++)
        f.votes[i] = 1;
    f.reach = see[self] & ~BIT(self);
    for (int i = 0; i < n; i++)
        if (f.reach & BIT(i))
            f.sees[i] = see[i];
    return f;
}

static node_mask full_row(int n, int i)
{
    return (BIT(n) - 1) & ~BIT(i);
}

static void test_full_connectivity(void **state)
{
    node_mask see[3] = {full_row(3, A), full_row(3, B), full_row(3, C)};

    for (int self = 0; self < 3; self++) {
        struct view_facts f = facts(3, self, see);
        assert_true(view_candidate(&f) == (BIT(A) | BIT(B) | BIT(C)));
    }
}

/* A-B and A-C up, B-C cut: {A, B} on A and B; C is left out. */
static void test_partial_connectivity(void **state)
{
    node_mask see[3] = {BIT(B) | BIT(C), BIT(A), BIT(A)};
    struct view_facts fa = facts(3, A, see), fb = facts(3, B, see), fc = facts(3, C, see);

    assert_true(view_candidate(&fa) == (BIT(A) | BIT(B)));
    assert_true(view_candidate(&fb) == (BIT(A) | BIT(B)));
    assert_true(view_candidate(&fc) == (BIT(A) | BIT(C)));
}

/* One-way: B hears C, C does not hear B. No B-C edge; like a cut. */
static void test_one_way_cut(void **state)
{
    node_mask see[3] = {BIT(B) | BIT(C), BIT(A) | BIT(C), BIT(A)};

    for (int self = 0; self < 2; self++) {
        struct view_facts f = facts(3, self, see);
        assert_true(view_candidate(&f) == (BIT(A) | BIT(B)));
    }
    struct view_facts fc = facts(3, C, see);
    assert_true(view_candidate(&fc) == (BIT(A) | BIT(C)));
}

/* A node that hears a peer whose heartbeats do not list it: no edge. */
static void test_unacknowledged_peer(void **state)
{
    node_mask see[2] = {BIT(B), 0};
    struct view_facts f = facts(2, A, see);

    assert_true(view_candidate(&f) == BIT(A));
}

static void test_isolated(void **state)
{
    node_mask see[3] = {0, BIT(C), BIT(B)};
    struct view_facts fa = facts(3, A, see), fb = facts(3, B, see);

    assert_true(view_candidate(&fa) == BIT(A));
    assert_true(view_candidate(&fb) == (BIT(B) | BIT(C)));
}

/* Two cliques of three in five nodes sharing C: the one with more votes,
 * then the lower ids. */
static void test_tie_order(void **state)
{
    node_mask see[5] = {
        BIT(B) | BIT(C), BIT(A) | BIT(C), BIT(A) | BIT(B) | BIT(D) | BIT(E),
        BIT(C) | BIT(E), BIT(C) | BIT(D),
    };
    struct view_facts f = facts(5, C, see);

    assert_true(view_candidate(&f) == (BIT(A) | BIT(B) | BIT(C)));
    f.votes[D] = 2;
    assert_true(view_candidate(&f) == (BIT(C) | BIT(D) | BIT(E)));
    assert_true(view_mask_before(BIT(A) | BIT(D), BIT(B) | BIT(C)));
    assert_false(view_mask_before(BIT(B) | BIT(C), BIT(A) | BIT(D)));
    assert_false(view_mask_before(BIT(A), BIT(A)));
}

static void test_sixty_four_nodes(void **state)
{
    static node_mask see[64];

    for (int i = 0; i < 64; i++)
        see[i] = ~BIT(i);
    struct view_facts f = facts(64, 63, see);
    assert_true(view_candidate(&f) == ~(node_mask)0);
    /* cut node 5 off from everybody but 63: the other 63 form the view */
    see[5] = BIT(63);
    for (int i = 0; i < 63; i++)
        if (i != 5)
            see[i] &= ~BIT(5);
    f = facts(64, 63, see);
    assert_true(view_candidate(&f) == (~(node_mask)0 & ~BIT(5)));
}

/* A graph with very many maximal cliques (the complement of disjoint
 * triangles: 3^20 of them): the search gives up and takes the greedy
 * clique, the same on every node, still holding this node. */
static void test_search_budget(void **state)
{
    static node_mask see[60];
    int n = 60;

    for (int i = 0; i < n; i++) {
        see[i] = (BIT(n) - 1) & ~BIT(i);
        for (int j = i - i % 3; j < i - i % 3 + 3; j++)
            see[i] &= ~BIT(j);
    }
    struct view_facts f = facts(n, 7, see);
    node_mask r1 = view_candidate(&f), r2 = view_candidate(&f);
    assert_true(r1 == r2);
    assert_true(r1 & BIT(7));
    assert_int_equal(view_count(r1), 20); /* one of each triangle */
}

static void test_quorum(void **state)
{
    int v[5] = {1, 1, 1, 1, 1};

    assert_int_equal(view_quorum_of(BIT(A) | BIT(B), v, 3), QUORUM_YES);
    assert_int_equal(view_quorum_of(BIT(A), v, 3), QUORUM_NO);
    assert_int_equal(view_quorum_of(BIT(A), v, 2), QUORUM_TIE);
    assert_int_equal(view_quorum_of(BIT(A) | BIT(B), v, 2), QUORUM_YES);
    assert_int_equal(view_quorum_of(BIT(C) | BIT(D), v, 4), QUORUM_TIE);
    assert_int_equal(view_quorum_of(BIT(A) | BIT(B) | BIT(C), v, 4), QUORUM_YES);
    assert_int_equal(view_quorum_of(BIT(A) | BIT(B), v, 5), QUORUM_NO);
    v[A] = 3; /* weighted: A alone holds 3 of 7 */
    assert_int_equal(view_quorum_of(BIT(A), v, 5), QUORUM_NO);
    assert_int_equal(view_quorum_of(BIT(A) | BIT(B), v, 5), QUORUM_YES);
    int zero[2] = {0, 0};
    assert_int_equal(view_quorum_of(BIT(A), zero, 2), QUORUM_NO);
    assert_int_equal(view_quorum_of(0, v, 0), QUORUM_NO);
    assert_int_equal(view_lowest(BIT(C) | BIT(E)), C);
    assert_int_equal(view_lowest(0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_connectivity),
        cmocka_unit_test(test_partial_connectivity),
        cmocka_unit_test(test_one_way_cut),
        cmocka_unit_test(test_unacknowledged_peer),
        cmocka_unit_test(test_isolated),
        cmocka_unit_test(test_tie_order),
        cmocka_unit_test(test_sixty_four_nodes),
        cmocka_unit_test(test_search_budget),
        cmocka_unit_test(test_quorum),
    };
    return cmocka_run_group_tests_name("view", tests, NULL, NULL);
}
