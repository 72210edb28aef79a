/* Placement decisions on a fake cluster: policy order, standby, failback,
 * failure thresholds and their expiry, manual moves, administrative stops,
 * stops not confirmed (safety rule 2), and a randomized check of the rules
 * and of determinism. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/groups/placement.h"

#define A 0
#define B 1
#define C 2
#define D 3
#define BIT NODE_BIT
#define NONE PLACE_NONE
#define SEC VG_USEC_PER_SEC
#define NOW (1000 * SEC)

static const char *const names[] = {"alpha", "beta", "gamma", "delta"};

/* n nodes, all members of a quorate view, none in standby */
static struct placement_cluster cluster(int n)
{
    node_mask all = n >= VIGIL_MAX_NODES ? ~(node_mask)0 : BIT(n) - 1;

    return (struct placement_cluster){.n = n, .quorate = true, .members = all, .standby = 0};
}

/* A group with policy (terminated by -1), failback off, no threshold. */
static struct placement_group group(const int *policy)
{
    struct placement_group g;

    placement_group_init(&g);
    while (policy[g.policy_len] >= 0) {
        g.policy[g.policy_len] = policy[g.policy_len];
        g.policy_len++;
    }
    return g;
}

static void run_on(struct placement_group *g, int node)
{
    g->holder = node;
    g->state = PLACE_RUNNING;
}

static struct placement_decision decide(const struct placement_cluster *c,
                                        const struct placement_group *g, vg_usec_t now)
{
    struct placement_decision d;

    assert_int_equal(placement_decide(c, g, now, &d), 0);
    return d;
}

static void expect(struct placement_decision d, enum placement_action action, int from, int target,
                   const char *text)
{
    char buf[PLACEMENT_TEXT_MAX];

    assert_int_equal(placement_describe(&d, names, 4, buf, sizeof(buf)), 0);
    assert_string_equal(placement_action_name(d.action), placement_action_name(action));
    assert_int_equal(d.from, from);
    assert_int_equal(d.target, target);
    if (text)
        assert_string_equal(buf, text);
}

static void test_policy_order(void **state)
{
    struct placement_cluster c = cluster(3);
    struct placement_group g = group((int[]){C, A, B, -1});

    struct placement_decision d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, C, "gamma is its first allowed node: starting it on gamma");
    assert_false(d.move_lapsed);

    c.members = BIT(A) | BIT(B); /* gamma is out of the view: the next in the policy */
    d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, A, "alpha is its first allowed node: starting it on alpha");

    /* a node outside the policy is never chosen */
    g = group((int[]){B, -1});
    c.members = BIT(A) | BIT(C);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_KEEP, NONE, NONE,
           "no node of its policy may hold it (each is out of the view, in standby or at its "
           "failure threshold): leaving it stopped");
    assert_true(placement_allowed(&c, &g, NOW) == 0);
    assert_int_equal(placement_fit(&c, &g, A, NOW), PLACE_NOT_IN_POLICY);
    assert_int_equal(placement_fit(&c, &g, B, NOW), PLACE_NOT_MEMBER);

    /* running on its preferred node: kept */
    g = group((int[]){A, B, -1});
    c = cluster(2);
    run_on(&g, A);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_KEEP, NONE, A, "alpha is its holder and allowed: keeping it on alpha");
}

static void test_standby(void **state)
{
    struct placement_cluster c = cluster(3);
    struct placement_group g = group((int[]){A, B, C, -1});

    c.standby = BIT(A);
    struct placement_decision d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, B, NULL);
    assert_int_equal(placement_fit(&c, &g, A, NOW), PLACE_IN_STANDBY);

    /* the holder goes to standby: its groups leave it */
    c.standby = 0;
    run_on(&g, A);
    expect(decide(&c, &g, NOW), PLACE_KEEP, NONE, A, NULL);
    c.standby = BIT(A);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_MOVE, A, B, "alpha is in standby: moving it from alpha to beta");

    /* once stopped there, it starts on beta */
    g.state = PLACE_STOPPED;
    d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, B, "alpha is in standby: starting it on beta");

    /* every policy node in standby: it stops, and is placed nowhere */
    run_on(&g, B);
    c.standby = BIT(A) | BIT(B) | BIT(C);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_STOP, B, NONE,
           "no node of its policy may hold it (each is out of the view, in standby or at its "
           "failure threshold): stopping it on beta");

    /* unstandby: back on the first allowed node */
    g.state = PLACE_STOPPED;
    c.standby = BIT(A);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, B, "beta is its holder and allowed: starting it on beta");
}

/* alpha (preferred) died, the group runs on beta, alpha comes back. */
static void test_failback_off(void **state)
{
    struct placement_cluster c = cluster(2);
    struct placement_group g = group((int[]){A, B, -1});

    run_on(&g, A);
    c.members = BIT(B); /* alpha died and was confirmed stopped (fenced) */
    struct placement_decision d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, B, "alpha is not a member of the view: starting it on beta");

    run_on(&g, B);
    c.members = BIT(A) | BIT(B);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_KEEP, NONE, B, "alpha is preferred but failback is off: keeping it on beta");
    /* still kept while starting; and a stopped group restarts where it was */
    g.state = PLACE_STARTING;
    expect(decide(&c, &g, NOW), PLACE_KEEP, NONE, B, NULL);
    g.state = PLACE_STOPPED;
    expect(decide(&c, &g, NOW), PLACE_START, NONE, B, NULL);
}

static void test_failback_on(void **state)
{
    struct placement_cluster c = cluster(3);
    struct placement_group g = group((int[]){A, B, C, -1});

    g.failback = true;
    run_on(&g, C);
    c.members = BIT(B) | BIT(C);
    struct placement_decision d = decide(&c, &g, NOW);
    expect(d, PLACE_MOVE, C, B,
           "beta is preferred and failback is on: moving it from gamma to beta");

    run_on(&g, B);
    c.members = BIT(A) | BIT(B) | BIT(C);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_MOVE, B, A,
           "alpha is preferred and failback is on: moving it from beta to alpha");
    /* the stop on beta under way: still the same move */
    g.state = PLACE_STOPPING;
    expect(decide(&c, &g, NOW), PLACE_MOVE, B, A, NULL);
    g.state = PLACE_STOPPED;
    d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, A, "alpha is preferred and failback is on: starting it on alpha");
    run_on(&g, A);
    expect(decide(&c, &g, NOW), PLACE_KEEP, NONE, A, NULL);

    /* a preferred node in standby does not count as back */
    run_on(&g, B);
    c.standby = BIT(A);
    expect(decide(&c, &g, NOW), PLACE_KEEP, NONE, B, NULL);
}

static void test_threshold(void **state)
{
    struct placement_cluster c = cluster(2);
    struct placement_group g = group((int[]){A, B, -1});

    g.threshold = 3;
    g.failure_timeout = 60 * SEC;
    run_on(&g, A);
    g.failures[A] = (struct placement_failures){2, NOW - 10 * SEC};
    struct placement_decision d = decide(&c, &g, NOW);
    expect(d, PLACE_KEEP, NONE, A, NULL); /* restarted in place, below the threshold */
    assert_int_equal(placement_recheck_at(&g, NOW), VG_USEC_INFINITY);

    g.failures[A] = (struct placement_failures){3, NOW};
    d = decide(&c, &g, NOW);
    expect(d, PLACE_MOVE, A, B, "alpha failed 3 times (threshold 3): moving it from alpha to beta");
    assert_int_equal(d.why.failures, 3);
    assert_int_equal(placement_fit(&c, &g, A, NOW), PLACE_FAILED);
    assert_int_equal(placement_recheck_at(&g, NOW), NOW + 60 * SEC);

    /* on beta; alpha's count expires after failure-timeout */
    run_on(&g, B);
    g.failback = true;
    vg_usec_t before = NOW + 60 * SEC - 1, after = NOW + 60 * SEC;
    assert_int_equal(placement_failures(&g, A, before), 3);
    assert_int_equal(placement_failures(&g, A, after), 0);
    expect(decide(&c, &g, before), PLACE_KEEP, NONE, B, NULL);
    d = decide(&c, &g, after);
    expect(d, PLACE_MOVE, B, A,
           "alpha is preferred and failback is on: moving it from beta to alpha");
    assert_int_equal(placement_recheck_at(&g, after), VG_USEC_INFINITY);
    /* without failback it stays on beta, alpha merely eligible again */
    g.failback = false;
    d = decide(&c, &g, after);
    expect(d, PLACE_KEEP, NONE, B, NULL);
    assert_true(placement_allowed(&c, &g, after) == (BIT(A) | BIT(B)));

    /* both failed: nowhere to go */
    g.failures[B] = (struct placement_failures){3, NOW};
    d = decide(&c, &g, NOW);
    expect(d, PLACE_STOP, B, NONE,
           "no node of its policy may hold it (each is out of the view, in standby or at its "
           "failure threshold): stopping it on beta");

    /* counts that never expire, and no threshold at all */
    g.failure_timeout = 0;
    assert_int_equal(placement_failures(&g, A, NOW + 1000000 * SEC), 3);
    assert_int_equal(placement_recheck_at(&g, NOW), VG_USEC_INFINITY);
    g.threshold = 0;
    expect(decide(&c, &g, NOW), PLACE_KEEP, NONE, B, NULL);

    /* one failure */
    g.threshold = 1;
    g.failures[B] = (struct placement_failures){1, NOW};
    g.failures[A] = (struct placement_failures){0, 0};
    d = decide(&c, &g, NOW);
    expect(d, PLACE_MOVE, B, A, "beta failed 1 time (threshold 1): moving it from beta to alpha");
}

static void test_manual_move(void **state)
{
    struct placement_cluster c = cluster(3);
    struct placement_group g = group((int[]){A, B, C, -1});

    g.failback = true;
    g.threshold = 2;
    run_on(&g, A);
    g.move_target = B;
    struct placement_decision d = decide(&c, &g, NOW);
    expect(d, PLACE_MOVE, A, B, "moved to beta by the administrator: moving it from alpha to beta");
    assert_false(d.move_lapsed);

    /* there, it stays, failback on and alpha preferred notwithstanding */
    run_on(&g, B);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_KEEP, NONE, B, "moved to beta by the administrator: keeping it on beta");

    /* beta leaves the view (its stop confirmed): the policy decides again */
    c.members = BIT(A) | BIT(C);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, A,
           "the move to beta does not apply (beta is not a member of the view); "
           "beta is not a member of the view: starting it on alpha");
    assert_true(d.move_lapsed);
    assert_int_equal(d.move_why.node, B);
    assert_int_equal(d.move_why.unfit, PLACE_NOT_MEMBER);

    /* beta enters standby */
    c.members = BIT(A) | BIT(B) | BIT(C);
    c.standby = BIT(B);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_MOVE, B, A,
           "the move to beta does not apply (beta is in standby); "
           "beta is in standby: moving it from beta to alpha");
    assert_int_equal(d.move_why.unfit, PLACE_IN_STANDBY);

    /* beta fails past the threshold */
    c.standby = 0;
    g.failures[B] = (struct placement_failures){2, NOW};
    d = decide(&c, &g, NOW);
    expect(d, PLACE_MOVE, B, A,
           "the move to beta does not apply (beta failed 2 times (threshold 2)); "
           "beta failed 2 times (threshold 2): moving it from beta to alpha");
    assert_int_equal(d.move_why.unfit, PLACE_FAILED);

    /* the caller did not clear it: once beta is healthy again, it applies again */
    g.failures[B] = (struct placement_failures){0, 0};
    run_on(&g, A);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_MOVE, A, B, NULL);
    assert_false(d.move_lapsed);

    /* a move to a node outside the policy never applies */
    g.move_target = D;
    c = cluster(4);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_KEEP, NONE, A, NULL);
    assert_true(d.move_lapsed);
    assert_int_equal(d.move_why.unfit, PLACE_NOT_IN_POLICY);

    /* a move of a stopped group starts it there */
    g.move_target = C;
    g.holder = NONE;
    g.state = PLACE_STOPPED;
    d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, C, "moved to gamma by the administrator: starting it on gamma");
}

static void test_admin_stop(void **state)
{
    struct placement_cluster c = cluster(2);
    struct placement_group g = group((int[]){A, B, -1});
    struct placement_cause why;

    run_on(&g, A);
    g.admin_stopped = true;
    g.move_target = B; /* a stop wins over a move */
    struct placement_decision d = decide(&c, &g, NOW);
    expect(d, PLACE_STOP, A, NONE, "stopped by the administrator: stopping it on alpha");
    g.state = PLACE_STOPPING;
    expect(decide(&c, &g, NOW), PLACE_STOP, A, NONE, NULL);
    g.state = PLACE_STOPPED;
    d = decide(&c, &g, NOW);
    expect(d, PLACE_KEEP, NONE, NONE, "stopped by the administrator: leaving it stopped");
    assert_int_equal(placement_may_start(&c, &g, A, NOW, &why), -EPERM);
    assert_int_equal(why.reason, PLACE_R_ADMIN_STOP);

    /* vigilctl start: it starts again where it was, or where it was moved */
    g.admin_stopped = false;
    expect(decide(&c, &g, NOW), PLACE_START, NONE, B, NULL);
    g.move_target = NONE;
    expect(decide(&c, &g, NOW), PLACE_START, NONE, A, NULL);
}

/* beta ran it, left the view, and never confirmed the stop (safety rule 2). */
static void test_stop_unconfirmed(void **state)
{
    struct placement_cluster c = cluster(3);
    struct placement_group g = group((int[]){A, B, C, -1});
    struct placement_cause why;
    char buf[PLACEMENT_TEXT_MAX];

    run_on(&g, B);
    c.members = BIT(A) | BIT(C);
    g.stop_unconfirmed = BIT(B);
    struct placement_decision d = decide(&c, &g, NOW);
    expect(d, PLACE_WAIT, NONE, NONE,
           "beta may still run it (left the view without confirming the stop): waiting");
    assert_int_equal(d.why.node, B);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(placement_may_start(&c, &g, i, NOW, &why), -EPERM);
        assert_int_equal(why.reason, PLACE_R_STOP_UNCONFIRMED);
    }
    assert_int_equal(placement_cause_text(&why, names, 4, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "beta may still run it (left the view without confirming the stop)");

    /* neither a move nor failback nor anything else starts it */
    g.move_target = A;
    g.failback = true;
    expect(decide(&c, &g, NOW), PLACE_WAIT, NONE, NONE, NULL);
    g.holder = NONE;
    expect(decide(&c, &g, NOW), PLACE_WAIT, NONE, NONE, NULL);

    /* two nodes unconfirmed: the lowest is named */
    g.stop_unconfirmed = BIT(B) | BIT(D);
    c = cluster(4);
    c.members = BIT(A) | BIT(C);
    d = decide(&c, &g, NOW);
    assert_int_equal(d.why.node, B);

    /* beta confirmed (or was fenced): alpha */
    g.stop_unconfirmed = 0;
    g.move_target = NONE;
    g.holder = B;
    d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, A, "beta is not a member of the view: starting it on alpha");
    assert_int_equal(placement_may_start(&c, &g, A, NOW, &why), 0);
    assert_int_equal(why.reason, PLACE_R_ALLOWED);
}

/* The holder left the view with its stop confirmed: the first allowed node
 * in policy order, not the next one after the holder. */
static void test_holder_gone(void **state)
{
    struct placement_cluster c = cluster(4);
    struct placement_group g = group((int[]){D, C, B, A, -1});

    run_on(&g, C);
    c.members = BIT(A) | BIT(B) | BIT(D);
    struct placement_decision d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, D, "gamma is not a member of the view: starting it on delta");

    c.standby = BIT(D);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, B, NULL);

    /* its last state does not matter once it is out of the view */
    g.state = PLACE_STOP_FAILED;
    expect(decide(&c, &g, NOW), PLACE_START, NONE, B, NULL);
    g.state = PLACE_STOPPING;
    expect(decide(&c, &g, NOW), PLACE_START, NONE, B, NULL);
}

static void test_no_allowed_node(void **state)
{
    struct placement_cluster c = cluster(3);
    struct placement_group g = group((int[]){B, C, -1});
    struct placement_cause why;

    c.members = BIT(A);
    struct placement_decision d = decide(&c, &g, NOW);
    expect(d, PLACE_KEEP, NONE, NONE,
           "no node of its policy may hold it (each is out of the view, in standby or at its "
           "failure threshold): leaving it stopped");
    assert_int_equal(placement_may_start(&c, &g, A, NOW, &why), -EPERM);
    assert_int_equal(why.reason, PLACE_R_UNFIT);
    assert_int_equal(why.unfit, PLACE_NOT_IN_POLICY);

    /* an empty policy */
    g = group((int[]){-1});
    c = cluster(3);
    expect(decide(&c, &g, NOW), PLACE_KEEP, NONE, NONE, NULL);
    run_on(&g, A);
    d = decide(&c, &g, NOW);
    expect(d, PLACE_STOP, A, NONE,
           "no node of its policy may hold it (each is out of the view, in standby or at its "
           "failure threshold): stopping it on alpha");
}

/* A stop that failed on a member: it may still run there; nothing moves. */
static void test_stop_failed_and_stopping(void **state)
{
    struct placement_cluster c = cluster(2);
    struct placement_group g = group((int[]){A, B, -1});
    struct placement_cause why;

    g.holder = A;
    g.state = PLACE_STOP_FAILED;
    c.standby = BIT(A);
    struct placement_decision d = decide(&c, &g, NOW);
    expect(d, PLACE_WAIT, NONE, NONE, "alpha failed to stop it (it may still run there): waiting");
    assert_int_equal(placement_may_start(&c, &g, B, NOW, &why), -EPERM);
    assert_int_equal(why.reason, PLACE_R_STOP_FAILED);

    /* stopping on alpha, and alpha is where it should be: wait for the stop */
    c.standby = 0;
    g.state = PLACE_STOPPING;
    d = decide(&c, &g, NOW);
    expect(d, PLACE_WAIT, NONE, NONE, "alpha is still stopping it: waiting");
    assert_int_equal(placement_may_start(&c, &g, A, NOW, &why), -EPERM);
    assert_int_equal(why.reason, PLACE_R_STILL_STOPPING);
    assert_int_equal(placement_may_start(&c, &g, B, NOW, &why), -EPERM);
    assert_int_equal(why.reason, PLACE_R_HELD_ELSEWHERE);
}

static void test_no_quorum(void **state)
{
    struct placement_cluster c = cluster(3);
    struct placement_group g = group((int[]){A, B, -1});
    struct placement_cause why;

    c.quorate = false;
    struct placement_decision d = decide(&c, &g, NOW);
    expect(d, PLACE_WAIT, NONE, NONE, "the view has no quorum: waiting");
    assert_int_equal(placement_may_start(&c, &g, A, NOW, &why), -EPERM);
    assert_int_equal(why.reason, PLACE_R_NO_QUORUM);
}

/* What a member checks when told to start. */
static void test_may_start(void **state)
{
    struct placement_cluster c = cluster(3);
    struct placement_group g = group((int[]){A, B, -1});
    struct placement_cause why;
    char buf[PLACEMENT_TEXT_MAX];

    assert_int_equal(placement_may_start(&c, &g, B, NOW, &why), 0); /* not preferred, allowed */
    run_on(&g, A);
    assert_int_equal(placement_may_start(&c, &g, A, NOW, &why), 0); /* already there */
    assert_int_equal(placement_may_start(&c, &g, B, NOW, &why), -EPERM);
    assert_int_equal(placement_cause_text(&why, names, 4, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "alpha still holds it");
    g.state = PLACE_STOPPED;
    assert_int_equal(placement_may_start(&c, &g, B, NOW, &why), 0);
    c.standby = BIT(B);
    assert_int_equal(placement_may_start(&c, &g, B, NOW, &why), -EPERM);
    assert_int_equal(placement_cause_text(&why, names, 4, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "beta is in standby");
    assert_int_equal(placement_may_start(&c, &g, C, NOW, &why), -EPERM);
    assert_int_equal(why.unfit, PLACE_NOT_IN_POLICY);
    assert_int_equal(placement_may_start(&c, &g, 3, NOW, &why), -EINVAL);
    assert_int_equal(placement_may_start(&c, &g, -1, NOW, &why), -EINVAL);
}

/* Found running on several nodes at start-up: which one keeps it. */
static void test_keep_one(void **state)
{
    struct placement_cluster c = cluster(4);
    struct placement_group g = group((int[]){A, B, C, -1});

    /* not alpha, which does not run it: no restart for a preference */
    assert_int_equal(placement_keep_one(&c, &g, BIT(C) | BIT(B), NOW), B);
    c.standby = BIT(B);
    assert_int_equal(placement_keep_one(&c, &g, BIT(C) | BIT(B), NOW), C);
    g.move_target = C;
    c.standby = 0;
    assert_int_equal(placement_keep_one(&c, &g, BIT(C) | BIT(B), NOW), C);
    /* delta is outside the policy: it cannot keep it */
    g.move_target = NONE;
    assert_int_equal(placement_keep_one(&c, &g, BIT(D), NOW), NONE);
    g.admin_stopped = true;
    assert_int_equal(placement_keep_one(&c, &g, BIT(C) | BIT(B), NOW), NONE);
    g.admin_stopped = false;
    c.quorate = false;
    assert_int_equal(placement_keep_one(&c, &g, BIT(C) | BIT(B), NOW), NONE);
}

static void test_invalid(void **state)
{
    struct placement_cluster c = cluster(3);
    struct placement_group g = group((int[]){A, B, -1});
    struct placement_decision d;

    c.n = 0;
    assert_int_equal(placement_decide(&c, &g, NOW, &d), -EINVAL);
    assert_int_equal(d.action, PLACE_WAIT);
    assert_int_equal(d.target, NONE);
    c = cluster(3);
    c.members |= BIT(3);
    assert_int_equal(placement_decide(&c, &g, NOW, &d), -EINVAL);
    c = cluster(3);
    g.policy[1] = 3;
    assert_int_equal(placement_decide(&c, &g, NOW, &d), -EINVAL);
    g = group((int[]){A, B, -1});
    g.holder = 5;
    assert_int_equal(placement_decide(&c, &g, NOW, &d), -EINVAL);
    g.holder = NONE;
    g.move_target = -2;
    assert_int_equal(placement_decide(&c, &g, NOW, &d), -EINVAL);
    g.move_target = NONE;
    g.policy_len = VIGIL_MAX_NODES + 1;
    assert_int_equal(placement_decide(&c, &g, NOW, &d), -EINVAL);
    g.policy_len = 2;
    g.state = (enum placement_state)7;
    assert_int_equal(placement_decide(&c, &g, NOW, &d), -EINVAL);
    g.state = PLACE_STOPPED;
    assert_int_equal(placement_decide(&c, &g, NOW, &d), 0);

    /* 64 nodes: the masks use every bit */
    c = cluster(VIGIL_MAX_NODES);
    g = group((int[]){63, 0, -1});
    d = decide(&c, &g, NOW);
    expect(d, PLACE_START, NONE, 63, "node 63 is its first allowed node: starting it on node 63");
}

static void test_describe(void **state)
{
    struct placement_cluster c = cluster(2);
    struct placement_group g = group((int[]){A, B, -1});
    char buf[PLACEMENT_TEXT_MAX], small[12];

    g.threshold = 3;
    run_on(&g, A);
    g.failures[A] = (struct placement_failures){3, NOW};
    struct placement_decision d = decide(&c, &g, NOW);
    assert_int_equal(placement_describe(&d, NULL, 0, buf, sizeof(buf)), 0);
    assert_string_equal(buf,
                        "node 0 failed 3 times (threshold 3): moving it from node 0 to node 1");
    assert_int_equal(placement_describe(&d, names, 1, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "alpha failed 3 times (threshold 3): moving it from alpha to node 1");
    assert_int_equal(placement_describe(&d, names, 4, small, sizeof(small)), -ENOSPC);
    assert_string_equal(small, "alpha faile");
    assert_int_equal(placement_describe(&d, names, 4, small, 0), -ENOSPC);
    assert_string_equal(placement_action_name(PLACE_WAIT), "wait");
}

/* ---- randomized ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool chance(int percent)
{
    return (int)(rnd() % 100) < percent;
}

static node_mask rnd_mask(int n, int percent)
{
    node_mask m = 0;

    for (int i = 0; i < n; i++)
        if (chance(percent))
            m |= BIT(i);
    return m;
}

/* Inputs as a coordinator could hold them; fields past n and past the
 * policy are left as whatever `fill` holds. */
static void rnd_inputs(struct placement_cluster *c, struct placement_group *g, vg_usec_t now)
{
    int n = chance(90) ? 1 + (int)(rnd() % 6) : 1 + (int)(rnd() % VIGIL_MAX_NODES);
    int order[VIGIL_MAX_NODES];

    c->n = n;
    c->quorate = chance(90);
    c->members = rnd_mask(n, 75);
    c->standby = rnd_mask(n, 15);
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(rnd() % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    g->policy_len = (int)(rnd() % (uint64_t)(n + 1));
    for (int i = 0; i < g->policy_len; i++)
        g->policy[i] = chance(5) ? (int)(rnd() % (uint64_t)n) : order[i]; /* a duplicate */
    g->failback = chance(50);
    g->threshold = (unsigned)(rnd() % 4);
    g->failure_timeout = chance(50) ? 0 : 100 * SEC;
    for (int i = 0; i < n; i++)
        g->failures[i] =
            (struct placement_failures){(unsigned)(rnd() % 5), now - (rnd() % 200) * SEC};
    g->holder = chance(25) ? NONE : (int)(rnd() % (uint64_t)n);
    g->state = (enum placement_state)(rnd() % 5);
    g->stop_unconfirmed = chance(75) ? 0 : rnd_mask(n, 30) & ~c->members;
    g->move_target = chance(60) ? NONE : (int)(rnd() % (uint64_t)n);
    g->admin_stopped = chance(10);
}

/* The rules restated plainly, to check the module against. */
static bool ref_allowed(const struct placement_cluster *c, const struct placement_group *g,
                        int node, vg_usec_t now)
{
    bool in_policy = false;

    for (int i = 0; i < g->policy_len; i++)
        in_policy |= g->policy[i] == node;
    const struct placement_failures *f = &g->failures[node];
    bool expired = g->failure_timeout && now - f->last >= g->failure_timeout;
    unsigned count = expired ? 0 : f->count;
    return in_policy && (c->members & BIT(node)) && !(c->standby & BIT(node)) &&
           (g->threshold == 0 || count < g->threshold);
}

static int ref_first_allowed(const struct placement_cluster *c, const struct placement_group *g,
                             vg_usec_t now)
{
    for (int i = 0; i < g->policy_len; i++)
        if (ref_allowed(c, g, g->policy[i], now))
            return g->policy[i];
    return NONE;
}

static void assert_same(const struct placement_decision *x, const struct placement_decision *y)
{
    assert_int_equal(x->action, y->action);
    assert_int_equal(x->target, y->target);
    assert_int_equal(x->from, y->from);
    assert_int_equal(x->why.reason, y->why.reason);
    assert_int_equal(x->why.node, y->why.node);
    assert_int_equal(x->why.unfit, y->why.unfit);
    assert_int_equal(x->why.failures, y->why.failures);
    assert_int_equal(x->move_lapsed, y->move_lapsed);
    assert_int_equal(x->move_why.unfit, y->move_why.unfit);
}

static void check_one(const struct placement_cluster *c, const struct placement_group *g,
                      vg_usec_t now)
{
    struct placement_decision d, again;
    struct placement_cause why;
    char buf[PLACEMENT_TEXT_MAX];

    assert_int_equal(placement_decide(c, g, now, &d), 0);
    assert_int_equal(placement_decide(c, g, now, &again), 0);
    assert_same(&d, &again);
    assert_int_equal(placement_describe(&d, names, 4, buf, sizeof(buf)), 0);

    node_mask allowed = 0;
    for (int i = 0; i < c->n; i++)
        if (ref_allowed(c, g, i, now))
            allowed |= BIT(i);
    assert_true(placement_allowed(c, g, now) == allowed);

    bool waits = !c->quorate || g->stop_unconfirmed;
    bool holder_member = g->holder != NONE && (c->members & BIT(g->holder));
    bool active = holder_member && g->state != PLACE_STOPPED;
    bool move_applies = g->move_target != NONE && (allowed & BIT(g->move_target));

    /* the target is allowed or none */
    assert_true(d.target == NONE || (allowed & BIT(d.target)));
    assert_int_equal(d.move_lapsed, g->move_target != NONE && !move_applies);
    if (waits || (holder_member && g->state == PLACE_STOP_FAILED)) {
        assert_int_equal(d.action, PLACE_WAIT);
        assert_int_equal(d.target, NONE);
    }
    if (waits) /* nowhere may start it */
        for (int i = 0; i < c->n; i++)
            assert_int_equal(placement_may_start(c, g, i, now, &why), -EPERM);
    if (g->admin_stopped)
        assert_int_equal(d.target, NONE);

    switch (d.action) {
    case PLACE_KEEP:
        assert_int_equal(d.target, active ? g->holder : NONE);
        assert_int_equal(d.from, NONE);
        if (d.target != NONE)
            assert_int_equal(placement_may_start(c, g, d.target, now, &why), 0);
        break;
    case PLACE_START:
        assert_false(active);
        assert_int_not_equal(d.target, NONE);
        assert_int_equal(d.from, NONE);
        assert_int_equal(placement_may_start(c, g, d.target, now, &why), 0);
        break;
    case PLACE_MOVE: {
        assert_true(active);
        assert_int_equal(d.from, g->holder);
        assert_int_not_equal(d.target, NONE);
        assert_int_not_equal(d.target, d.from);
        struct placement_group stopped = *g;
        stopped.state = PLACE_STOPPED; /* once the holder confirmed the stop */
        assert_int_equal(placement_may_start(c, &stopped, d.target, now, &why), 0);
        break;
    }
    case PLACE_STOP:
        assert_true(active);
        assert_int_equal(d.from, g->holder);
        assert_int_equal(d.target, NONE);
        break;
    case PLACE_WAIT:
        assert_int_equal(d.target, NONE);
        assert_int_equal(d.from, NONE);
        break;
    }

    node_mask active_set = rnd_mask(c->n, 40);
    int keep = placement_keep_one(c, g, active_set, now);
    assert_true(keep == NONE || (active_set & allowed & BIT(keep)));
    if (!c->quorate || g->admin_stopped || !(active_set & allowed))
        assert_int_equal(keep, NONE);

    if (waits || g->admin_stopped || (holder_member && g->state == PLACE_STOP_FAILED))
        return;
    int want;
    if (move_applies)
        want = g->move_target;
    else if (g->holder != NONE && (allowed & BIT(g->holder)) && !g->failback)
        want = g->holder; /* never moved just because a better node came back */
    else /* the holder is not allowed, or failback: the first allowed (maybe the holder) */
        want = ref_first_allowed(c, g, now);
    if (active && g->state == PLACE_STOPPING && want == g->holder) {
        assert_int_equal(d.action, PLACE_WAIT);
        assert_int_equal(d.why.reason, PLACE_R_STILL_STOPPING);
    } else {
        assert_int_equal(d.target, want);
    }
}

static void test_randomized(void **state)
{
    static struct placement_group g, copy;
    struct placement_cluster c, cc;
    int counts[5] = {0};

    for (int iter = 0; iter < 50000; iter++) {
        vg_usec_t now = NOW + (rnd() % 1000) * SEC;

        /* whatever was left in the unused fields by the last round */
        rnd_inputs(&c, &g, now);
        check_one(&c, &g, now);

        /* the same inputs in another memory, with other garbage past n and
         * past the policy: the same decision (as on another node) */
        memset(&copy, 0xA5 ^ (iter & 0xFF), sizeof(copy));
        cc = c;
        copy.policy_len = g.policy_len;
        memcpy(copy.policy, g.policy, sizeof(g.policy[0]) * (size_t)g.policy_len);
        copy.failback = g.failback;
        copy.threshold = g.threshold;
        copy.failure_timeout = g.failure_timeout;
        memcpy(copy.failures, g.failures, sizeof(g.failures[0]) * (size_t)c.n);
        copy.holder = g.holder;
        copy.state = g.state;
        copy.stop_unconfirmed = g.stop_unconfirmed;
        copy.move_target = g.move_target;
        copy.admin_stopped = g.admin_stopped;
        struct placement_decision d1, d2;
        assert_int_equal(placement_decide(&c, &g, now, &d1), 0);
        assert_int_equal(placement_decide(&cc, &copy, now, &d2), 0);
        assert_same(&d1, &d2);
        counts[d1.action]++;
    }
    /* every kind of decision was exercised */
    for (int i = 0; i < 5; i++)
        assert_true(counts[i] > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_order),
        cmocka_unit_test(test_standby),
        cmocka_unit_test(test_failback_off),
        cmocka_unit_test(test_failback_on),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_manual_move),
        cmocka_unit_test(test_admin_stop),
        cmocka_unit_test(test_stop_unconfirmed),
        cmocka_unit_test(test_holder_gone),
        cmocka_unit_test(test_no_allowed_node),
        cmocka_unit_test(test_stop_failed_and_stopping),
        cmocka_unit_test(test_no_quorum),
        cmocka_unit_test(test_may_start),
        cmocka_unit_test(test_keep_one),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_randomized),
    };
    return cmocka_run_group_tests_name("placement", tests, NULL, NULL);
}
