/* The witness registry on a fake clock: first contact, ages, loss and return
 * of contact, clusters kept apart, arbitration (the rules of
 * docs/witness-api.md and the trails of docs/membership.md "The model"), bounds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../src/witness/witness.h"

#define MS VG_USEC_PER_MSEC
#define T0 (5000 * MS)

struct seen_event {
    enum witness_event ev;
    char cluster[WITNESS_CLUSTER_MAX];
    char node[WITNESS_NAME_MAX];
    vg_usec_t silent;
    char detail[64];
};

struct rig {
    struct registry reg;
    int n_events;
    struct seen_event events[16];
};

static void record(void *ctx, enum witness_event ev, const struct witness_cluster *c,
                   const struct witness_node *n, vg_usec_t silent, const char *detail)
{
    struct rig *r = ctx;
    struct seen_event *e;

    if (r->n_events >= (int)(sizeof(r->events) / sizeof(r->events[0])))
        return;
    e = &r->events[r->n_events++];
    e->ev = ev;
    snprintf(e->cluster, sizeof(e->cluster), "%s", c->name);
    snprintf(e->node, sizeof(e->node), "%s", n ? n->name : "");
    e->silent = silent;
    snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
}

static struct rig *rig_new(void)
{
    struct rig *r = calloc(1, sizeof(*r));
    registry_init(&r->reg, record, r);
    return r;
}

static void rig_free(struct rig *r)
{
    registry_free(&r->reg);
    free(r);
}

static struct witness_cluster *cluster(struct rig *r, const char *name)
{
    struct witness_cluster *c = NULL;
    assert_int_equal(registry_cluster(&r->reg, name, 0, "192.0.2.9", &c), 0);
    return c;
}

static int report(struct rig *r, const char *cl, const char *node, const char *inc,
                  uint32_t timeout_ms, vg_usec_t now)
{
    struct witness_alive a = {.timeout_ms = timeout_ms};
    int ret;

    snprintf(a.cluster, sizeof(a.cluster), "%s", cl);
    snprintf(a.node, sizeof(a.node), "%s", node);
    snprintf(a.incarnation, sizeof(a.incarnation), "%s", inc);
    snprintf(a.state, sizeof(a.state), "running");
    a.sees = strdup("{\"x\":[\"lan1\"]}");
    ret = registry_alive(&r->reg, cluster(r, cl), &a, "192.0.2.1", now);
    request_alive_free(&a);
    return ret;
}

/* age_ms of node in the alive reply of cluster cl at now. */
static long long age_ms(struct rig *r, const char *cl, const char *node, vg_usec_t now)
{
    char *text = response_alive(cluster(r, cl), now);
    json_t *j = json_loads(text, 0, NULL), *n;
    long long age = -1;

    assert_non_null(j);
    n = json_object_get(json_object_get(j, "nodes"), node);
    if (n)
        age = json_integer_value(json_object_get(n, "age_ms"));
    json_decref(j);
    free(text);
    return age;
}

static void test_first_contact_and_ages(void **state)
{
    struct rig *r = rig_new();

    assert_int_equal(report(r, "web", "alpha", "a1", 1000, T0), 0);
    assert_int_equal(r->n_events, 2);
    assert_int_equal(r->events[0].ev, WITNESS_EV_CLUSTER_NEW);
    assert_string_equal(r->events[0].detail, "192.0.2.9");
    assert_int_equal(r->events[1].ev, WITNESS_EV_FIRST_CONTACT);
    assert_string_equal(r->events[1].node, "alpha");

    assert_int_equal(report(r, "web", "beta", "b1", 1000, T0 + 180 * MS), 0);
    assert_int_equal(r->n_events, 3);
    assert_int_equal(r->events[2].ev, WITNESS_EV_FIRST_CONTACT);
    assert_int_equal(age_ms(r, "web", "alpha", T0 + 180 * MS), 180);
    assert_int_equal(age_ms(r, "web", "beta", T0 + 180 * MS), 0);
    assert_int_equal(age_ms(r, "web", "alpha", T0 + 1234 * MS), 1234);

    /* a new report resets the age, and is no event */
    assert_int_equal(report(r, "web", "alpha", "a1", 1000, T0 + 200 * MS), 0);
    assert_int_equal(age_ms(r, "web", "alpha", T0 + 250 * MS), 50);
    assert_int_equal(r->n_events, 3);
    rig_free(r);
}

static void test_alive_reply_shape(void **state)
{
    struct rig *r = rig_new();
    char *text;
    json_t *j, *a;

    report(r, "web", "alpha", "a1", 700, T0);
    text = response_alive(cluster(r, "web"), T0 + 5 * MS);
    j = json_loads(text, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "cluster")), "web");
    a = json_object_get(json_object_get(j, "nodes"), "alpha");
    assert_int_equal(json_integer_value(json_object_get(a, "age_ms")), 5);
    assert_string_equal(json_string_value(json_object_get(a, "incarnation")), "a1");
    assert_int_equal(json_integer_value(json_object_get(a, "timeout_ms")), 700);
    assert_string_equal(json_string_value(json_object_get(a, "state")), "running");
    assert_true(json_is_array(json_object_get(json_object_get(a, "sees"), "x")));
    json_decref(j);
    free(text);
    rig_free(r);
}

static void test_lost_and_back(void **state)
{
    struct rig *r = rig_new();

    report(r, "web", "alpha", "a1", 500, T0);
    r->n_events = 0;
    registry_sweep(&r->reg, T0 + 1000 * MS); /* exactly 2 x timeout: not yet */
    assert_int_equal(r->n_events, 0);
    registry_sweep(&r->reg, T0 + 1001 * MS);
    assert_int_equal(r->n_events, 1);
    assert_int_equal(r->events[0].ev, WITNESS_EV_LOST);
    assert_int_equal(r->events[0].silent, 1001 * MS);
    registry_sweep(&r->reg, T0 + 5000 * MS); /* told once */
    assert_int_equal(r->n_events, 1);

    report(r, "web", "alpha", "a1", 500, T0 + 6000 * MS);
    assert_int_equal(r->n_events, 2);
    assert_int_equal(r->events[1].ev, WITNESS_EV_BACK);
    assert_int_equal(r->events[1].silent, 6000 * MS);
    registry_sweep(&r->reg, T0 + 6500 * MS);
    assert_int_equal(r->n_events, 2);
    rig_free(r);
}

static void test_restarted(void **state)
{
    struct rig *r = rig_new();

    report(r, "web", "alpha", "a1", 500, T0);
    r->n_events = 0;
    report(r, "web", "alpha", "a2", 500, T0 + 100 * MS);
    assert_int_equal(r->n_events, 1);
    assert_int_equal(r->events[0].ev, WITNESS_EV_RESTARTED);
    assert_string_equal(r->events[0].detail, "a1");
    rig_free(r);
}

static void test_clusters_kept_apart(void **state)
{
    struct rig *r = rig_new();
    struct witness_cluster *c = NULL;

    report(r, "web", "alpha", "a1", 500, T0);
    report(r, "db", "alpha", "d1", 500, T0 + 10 * MS);
    assert_int_equal(r->reg.n_clusters, 2);
    assert_int_equal(cluster(r, "web")->n_nodes, 1);
    assert_string_equal(cluster(r, "web")->nodes[0].incarnation, "a1");
    assert_string_equal(cluster(r, "db")->nodes[0].incarnation, "d1");
    assert_int_equal(age_ms(r, "web", "alpha", T0 + 10 * MS), 10);
    assert_int_equal(age_ms(r, "db", "alpha", T0 + 10 * MS), 0);
    /* another token cannot use a cluster made with the first */
    assert_int_equal(registry_cluster(&r->reg, "web", 1, "x", &c), -EACCES);
    rig_free(r);
}

static void ask(struct witness_arbitrate *a, const char *cl, const char *node, uint64_t epoch,
                uint64_t parent, const char *m1, const char *m2)
{
    memset(a, 0, sizeof(*a));
    snprintf(a->cluster, sizeof(a->cluster), "%s", cl);
    snprintf(a->node, sizeof(a->node), "%s", node);
    a->epoch = epoch;
    a->parent = parent;
    snprintf(a->members[a->n_members++], sizeof(a->members[0]), "%s", m1);
    if (m2)
        snprintf(a->members[a->n_members++], sizeof(a->members[0]), "%s", m2);
}

/* node asks, for the side {m1, m2}, that view `epoch` with parent `parent` be granted. */
static bool arbitrate(struct rig *r, const char *cl, const char *node, uint64_t epoch,
                      uint64_t parent, const char *m1, const char *m2, struct witness_verdict *v)
{
    struct witness_arbitrate a;

    ask(&a, cl, node, epoch, parent, m1, m2);
    registry_arbitrate(&r->reg, cluster(r, cl), &a, v);
    return v->granted;
}

static void reason_has(const struct witness_verdict *v, const char *want)
{
    if (!strstr(v->reason, want))
        fail_msg("reason '%s' does not contain '%s'", v->reason, want);
}

static void test_arbitration(void **state)
{
    struct rig *r = rig_new();
    struct witness_verdict v;

    /* split {alpha, beta} | {gamma} after view 4: alpha asks first and wins view 8 */
    assert_true(arbitrate(r, "web", "alpha", 8, 4, "alpha", "beta", &v));
    assert_string_equal(v.winner->node, "alpha");
    assert_int_equal(v.newest, 8);
    /* the same side is granted too, and so is a repeat */
    assert_true(arbitrate(r, "web", "beta", 8, 4, "beta", "alpha", &v));
    assert_string_equal(v.winner->node, "alpha");
    assert_true(arbitrate(r, "web", "alpha", 8, 4, "alpha", "beta", &v));
    /* the other side is refused, and told who won */
    assert_false(arbitrate(r, "web", "gamma", 8, 4, "gamma", NULL, &v));
    assert_non_null(v.winner);
    assert_string_equal(v.winner->node, "alpha");
    assert_int_equal(v.winner->n_members, 2);
    assert_int_equal(v.newest, 8);
    reason_has(&v, "epoch 8 was granted to the side of node 'alpha' (members alpha, beta), and "
                   "'gamma' is not one of its members");
    /* even claiming the winners as members does not help a latecomer outside them */
    assert_false(arbitrate(r, "web", "delta", 8, 4, "delta", "alpha", &v));
    /* an older epoch is refused, whoever asks */
    assert_false(arbitrate(r, "web", "alpha", 7, 4, "alpha", "beta", &v));
    assert_int_equal(v.newest, 8);
    assert_null(v.winner);
    reason_has(&v, "epoch 7 is older than epoch 8, the newest granted for this cluster");
    /* a newer view that descends from view 8 is a new arbitration */
    assert_true(arbitrate(r, "web", "gamma", 9, 8, "gamma", NULL, &v));
    assert_false(arbitrate(r, "web", "alpha", 9, 8, "alpha", "beta", &v));
    /* the grant of an older epoch is still shown when it is remembered */
    assert_false(arbitrate(r, "web", "beta", 8, 4, "alpha", "beta", &v));
    assert_non_null(v.winner);
    assert_int_equal(v.winner->epoch, 8);
    assert_int_equal(v.newest, 9);
    /* another cluster's epochs are its own */
    assert_true(arbitrate(r, "db", "gamma", 8, 0, "gamma", NULL, &v));
    assert_false(arbitrate(r, "db", "x", 1, 0, "x", NULL, &v));
    rig_free(r);
}

/* The trail of docs/membership.md "The model": a COMMIT lost just before a
 * split leaves the two halves with different parents. Each is "newer than
 * anything arbitrated"; only the one that descends from the granted view
 * may be granted. */
static void test_two_halves_different_parents(void **state)
{
    struct rig *r = rig_new();
    struct witness_verdict v;

    /* {a} installed view 10 on top of view 5 and asks first */
    assert_true(arbitrate(r, "web", "a", 10, 5, "a", NULL, &v));
    assert_int_equal(v.winner->epoch, 10);
    /* a retry is granted; someone outside {a} is not, whatever it claims */
    assert_true(arbitrate(r, "web", "a", 10, 5, "a", NULL, &v));
    assert_false(arbitrate(r, "web", "b", 10, 5, "b", NULL, &v));
    reason_has(&v, "epoch 10 was granted to the side of node 'a' (members a), and 'b' is not "
                   "one of its members");
    assert_false(arbitrate(r, "web", "b", 10, 5, "b", "a", &v));
    /* {b} installed view 12, also on top of view 5: newer, but not a descendant */
    assert_false(arbitrate(r, "web", "b", 12, 5, "b", NULL, &v));
    assert_null(v.winner);
    assert_int_equal(v.newest, 10);
    reason_has(&v, "its parent epoch 5 is older than epoch 10, the last view granted (to the side "
                   "of node 'a'): only a view that descends from it can be granted");
    assert_false(arbitrate(r, "web", "b", 12, 9, "b", NULL, &v)); /* 9 is older than 10 too */
    /* {a, c}, view 12 on top of view 10, descends from it */
    assert_true(arbitrate(r, "web", "a", 12, 10, "a", "c", &v));
    assert_int_equal(v.newest, 12);
    assert_string_equal(v.winner->node, "a");
    assert_true(arbitrate(r, "web", "c", 12, 10, "c", "a", &v)); /* the rest of that view */
    assert_false(arbitrate(r, "web", "b", 12, 10, "b", NULL, &v));
    /* view 10 is now older than the newest granted, even for its own members */
    assert_false(arbitrate(r, "web", "a", 10, 5, "a", NULL, &v));
    reason_has(&v, "epoch 10 is older than epoch 12");
    assert_int_equal(v.winner->epoch, 10); /* still remembered, to explain */
    /* a parent newer than the granted view (a majority the witness never saw) is fine */
    assert_true(arbitrate(r, "web", "b", 20, 15, "b", NULL, &v));
    rig_free(r);
}

/* The second trail of the model (N = 4): a half that lost forms views of
 * its own that are not quorate; their epochs grow, but its parent (the last
 * quorate view) does not, and it keeps losing. */
static void test_losing_half_keeps_losing(void **state)
{
    struct rig *r = rig_new();
    struct witness_verdict v;

    assert_true(arbitrate(r, "web", "n0", 4, 0, "n0", "n1", &v));
    assert_false(arbitrate(r, "web", "n2", 5, 0, "n2", "n3", &v));
    /* {n2} alone (view 6, no quorum, no question), then {n2, n3} again */
    assert_false(arbitrate(r, "web", "n2", 10, 0, "n2", "n3", &v));
    reason_has(&v, "its parent epoch 0 is older than epoch 4");
    /* the winning half goes on */
    assert_true(arbitrate(r, "web", "n1", 8, 4, "n1", "n0", &v));
    assert_false(arbitrate(r, "web", "n3", 14, 0, "n3", "n2", &v));
    reason_has(&v, "older than epoch 8, the last view granted (to the side of node 'n1')");
    rig_free(r);
}

static void test_first_grant_any_parent(void **state)
{
    struct rig *r = rig_new();
    struct witness_verdict v;

    /* nothing granted yet in the cluster: any parent will do */
    assert_true(arbitrate(r, "web", "alpha", 7, 3, "alpha", NULL, &v));
    assert_false(arbitrate(r, "web", "beta", 7, 3, "beta", NULL, &v));
    assert_true(arbitrate(r, "db", "alpha", 1, 0, "alpha", NULL, &v));
    assert_false(arbitrate(r, "db", "beta", 1, 0, "beta", NULL, &v));
    rig_free(r);
}

static void test_refusal_lists_many_members(void **state)
{
    struct rig *r = rig_new();
    struct witness_verdict v;
    struct witness_arbitrate a;

    /* 64 members of 62 bytes: the list is cut, and says how many are left out */
    ask(&a, "web", "", 3, 1, "x", NULL);
    a.n_members = WITNESS_MAX_NODES;
    for (int i = 0; i < WITNESS_MAX_NODES; i++) {
        memset(a.members[i], 'a' + i % 26, WITNESS_NAME_MAX - 1);
        a.members[i][WITNESS_NAME_MAX - 1] = '\0';
        snprintf(a.members[i], 4, "%02d", i);
        a.members[i][2] = '-';
    }
    snprintf(a.node, sizeof(a.node), "%s", a.members[5]);
    registry_arbitrate(&r->reg, cluster(r, "web"), &a, &v);
    assert_true(v.granted);
    assert_false(arbitrate(r, "web", "outsider", 3, 1, "outsider", NULL, &v));
    assert_true(strlen(v.reason) < sizeof(v.reason) - 1);
    reason_has(&v, "(members 00-");
    reason_has(&v, " more), and 'outsider' is not one of its members");
    rig_free(r);
}

static void test_epoch_history_bounded(void **state)
{
    struct rig *r = rig_new();
    struct witness_verdict v;
    struct witness_cluster *c;

    for (uint64_t e = 1; e <= 3 * WITNESS_MAX_EPOCHS; e++)
        assert_true(arbitrate(r, "web", "alpha", e, e - 1, "alpha", NULL, &v));
    c = cluster(r, "web");
    assert_int_equal(c->n_grants, WITNESS_MAX_EPOCHS);
    assert_int_equal(c->grants[0].epoch, 2 * WITNESS_MAX_EPOCHS + 1);
    assert_int_equal(c->grants[WITNESS_MAX_EPOCHS - 1].epoch, 3 * WITNESS_MAX_EPOCHS);
    /* a forgotten epoch is still refused: it is older than the newest */
    assert_false(arbitrate(r, "web", "alpha", 1, 0, "alpha", NULL, &v));
    assert_null(v.winner);
    rig_free(r);
}

static void test_cluster_bound(void **state)
{
    struct rig *r = rig_new();
    struct witness_cluster *c;
    char name[32];

    r->reg.on_event = NULL;
    for (int i = 0; i < WITNESS_MAX_CLUSTERS; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        assert_int_equal(registry_cluster(&r->reg, name, 0, "x", &c), 0);
    }
    assert_int_equal(registry_cluster(&r->reg, "one too many", 0, "x", &c), -ENOSPC);
    /* existing clusters still work */
    assert_int_equal(registry_cluster(&r->reg, "c7", 0, "x", &c), 0);
    assert_string_equal(c->name, "c7");
    rig_free(r);
}

static void test_node_bounds(void **state)
{
    struct rig *r = rig_new();
    char name[32];
    int total = 0;

    r->reg.on_event = NULL;
    for (int i = 0; i < WITNESS_MAX_NODES; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        assert_int_equal(report(r, "web", name, "1", 100, T0), 0);
    }
    assert_int_equal(report(r, "web", "one too many", "1", 100, T0), -ENOSPC);
    assert_int_equal(report(r, "web", "n3", "1", 100, T0 + MS), 0); /* known nodes go on */
    total = WITNESS_MAX_NODES;

    /* the witness-wide bound */
    for (int c = 0; total < WITNESS_MAX_NODES_TOTAL; c++) {
        char cl[32];
        snprintf(cl, sizeof(cl), "cluster %d", c);
        for (int i = 0; i < WITNESS_MAX_NODES && total < WITNESS_MAX_NODES_TOTAL; i++, total++) {
            snprintf(name, sizeof(name), "n%d", i);
            assert_int_equal(report(r, cl, name, "1", 100, T0), 0);
        }
    }
    assert_int_equal(r->reg.n_nodes_total, WITNESS_MAX_NODES_TOTAL);
    assert_int_equal(report(r, "fresh", "a", "1", 100, T0), -ENOSPC);
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_contact_and_ages),
        cmocka_unit_test(test_alive_reply_shape),
        cmocka_unit_test(test_lost_and_back),
        cmocka_unit_test(test_restarted),
        cmocka_unit_test(test_clusters_kept_apart),
        cmocka_unit_test(test_arbitration),
        cmocka_unit_test(test_two_halves_different_parents),
        cmocka_unit_test(test_losing_half_keeps_losing),
        cmocka_unit_test(test_first_grant_any_parent),
        cmocka_unit_test(test_refusal_lists_many_members),
        cmocka_unit_test(test_epoch_history_bounded),
        cmocka_unit_test(test_cluster_bound),
        cmocka_unit_test(test_node_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
