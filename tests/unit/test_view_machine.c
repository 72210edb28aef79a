/* The view-agreement machine: scripted cases, then many machines over a
 * lossy, reordering network whose connectivity changes at random, checking
 * after every step that an epoch means the same members on every node that
 * installed it, and at the end that a healed network converges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/membership/view.h"

#define MS VG_USEC_PER_MSEC
#define BIT NODE_BIT

static const struct view_timing timing = {
    .settle = 100 * MS, .retransmit = 100 * MS, .attempt = 500 * MS};

/* ---- scripted ---- */

static void test_lone_node_commits_itself(void **state)
{
    struct view_machine vm;
    struct view_out out;

    view_init(&vm, 3, 0, 0, 0);
    view_tick(&vm, BIT(0), &timing, 50 * MS, &out);
    assert_false(out.installed); /* settle time first */
    view_tick(&vm, BIT(0), &timing, 100 * MS, &out);
    assert_true(out.installed);
    assert_true(vm.members == BIT(0) && vm.epoch == (1 << VIEW_EPOCH_NODE_BITS));
    assert_true(view_current(&vm));
}

static void test_two_nodes_agree(void **state)
{
    struct view_machine a, b;
    struct view_out out, out2;
    node_mask ab = BIT(0) | BIT(1);

    view_init(&a, 2, 0, 0, 0);
    view_init(&b, 2, 1, 0, 0);
    view_tick(&b, ab, &timing, 200 * MS, &out);
    view_tick(&b, ab, &timing, 300 * MS, &out);
    assert_int_equal(out.n, 0); /* not the coordinator */
    view_tick(&a, ab, &timing, 200 * MS, &out);
    assert_int_equal(out.n, 0); /* the candidate changed: settle first */
    view_tick(&a, ab, &timing, 300 * MS, &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.msgs[0].type, VIEW_PROPOSE);
    assert_int_equal(out.msgs[0].to, 1);
    uint64_t e = out.msgs[0].epoch;
    assert_true(e == (1 << VIEW_EPOCH_NODE_BITS) + 0); /* counter 1, coordinator index 0 */
    view_on_propose(&b, 0, e, ab, 210 * MS, &out2);
    assert_int_equal(out2.msgs[0].type, VIEW_ACK);
    view_on_ack(&a, 1, e, out2.msgs[0].aux, 220 * MS, &out);
    assert_true(out.installed);
    assert_int_equal(out.msgs[0].type, VIEW_COMMIT);
    view_on_commit(&b, 0, e, ab, out.msgs[0].aux, &out2);
    assert_true(out2.installed);
    assert_true(a.members == ab && b.members == ab && a.epoch == b.epoch);

    /* a proposal that does not match the member's candidate is refused */
    view_tick(&b, BIT(1), &timing, 300 * MS, &out2);
    view_on_propose(&b, 0, e + 1, ab, 310 * MS, &out2);
    assert_int_equal(out2.msgs[0].type, VIEW_NACK);
    /* an old epoch too, whatever the members */
    view_on_propose(&b, 0, e, ab, 320 * MS, &out2);
    assert_int_equal(out2.msgs[0].type, VIEW_NACK);
}

/* A member restarts within the timeout: the coordinator's candidate never
 * changes, but the member's heartbeat shows no view; the view is agreed
 * again with it. */
static void test_restarted_member_is_taken_in_again(void **state)
{
    struct view_machine a, b;
    struct view_out out, out2;
    node_mask ab = BIT(0) | BIT(1);

    view_init(&a, 2, 0, 0, 0);
    a.epoch = a.max_seen = a.promised = 256;
    a.members = a.candidate = ab;
    view_init(&b, 2, 1, 0, 1000 * MS); /* restarted: knows nothing */
    view_tick(&b, ab, &timing, 1000 * MS, &out);
    view_on_heartbeat(&a, 1, b.epoch, b.members, &out);
    assert_true(a.lagging == BIT(1));
    view_tick(&a, ab, &timing, 1100 * MS, &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.msgs[0].type, VIEW_PROPOSE);
    assert_true(out.msgs[0].epoch > 256);
    view_tick(&b, ab, &timing, 1100 * MS, &out2);
    view_on_propose(&b, 0, out.msgs[0].epoch, ab, 1110 * MS, &out2);
    assert_int_equal(out2.msgs[0].type, VIEW_ACK);
    view_on_ack(&a, 1, out.msgs[0].epoch, out2.msgs[0].aux, 1120 * MS, &out);
    view_on_commit(&b, 0, out.msgs[0].epoch, ab, out.msgs[0].aux, &out2);
    assert_true(out2.installed && b.members == ab && b.epoch == a.epoch);
    assert_true(a.lagging == 0);
}

/* Agree on the view `members` (coordinator a, one member b) by hand. */
static uint64_t agree(struct view_machine *a, struct view_machine *b, node_mask members,
                      vg_usec_t now)
{
    struct view_out out, out2;

    view_tick(b, members, &timing, now, &out2);
    view_tick(a, members, &timing, now, &out);
    view_tick(a, members, &timing, now + timing.settle, &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.msgs[0].type, VIEW_PROPOSE);
    uint64_t e = out.msgs[0].epoch;
    view_on_propose(b, a->self, e, members, now, &out2);
    assert_int_equal(out2.msgs[0].type, VIEW_ACK);
    view_on_ack(a, b->self, e, out2.msgs[0].aux, now, &out);
    assert_true(out.installed);
    view_on_commit(b, a->self, e, members, out.msgs[0].aux, &out2);
    assert_true(out2.installed);
    assert_true(a->epoch == e && b->epoch == e && a->parent == b->parent);
    return e;
}

/* A view's parent is the newest epoch its members installed as quorate,
 * not the last one they installed: a view without quorum never moves it. */
static void test_parent_is_the_last_quorate_view(void **state)
{
    struct view_machine a, b, c;
    struct view_out out;
    node_mask ab = BIT(0) | BIT(1);

    view_init(&a, 3, 0, 0, 0);
    view_init(&b, 3, 1, 0, 0);
    view_init(&c, 3, 2, 0, 0);
    uint64_t e1 = agree(&a, &b, ab, 0);
    assert_true(a.parent == 0);
    view_set_quorate(&a); /* say 2 of 3 */
    view_set_quorate(&b);
    /* b alone (not quorate), then b with c: the parent stays e1 */
    view_tick(&b, BIT(1), &timing, 1000 * MS, &out);
    view_tick(&b, BIT(1), &timing, 1100 * MS, &out);
    assert_true(out.installed && b.members == BIT(1) && b.parent == e1);
    uint64_t e2 = agree(&b, &c, BIT(1) | BIT(2), 2000 * MS);
    assert_true(e2 > e1 && b.parent == e1 && c.parent == e1);
    /* a member's newer quorate epoch wins: c's ACK carries it */
    c.last_quorate = e2 + 5;
    view_tick(&b, BIT(1), &timing, 2500 * MS, &out);
    view_tick(&b, BIT(1), &timing, 2600 * MS, &out);
    assert_true(out.installed && b.parent == e1);
    uint64_t e3 = agree(&b, &c, BIT(1) | BIT(2), 3000 * MS);
    assert_true(b.parent == e2 + 5);
    view_set_quorate(&b); /* b's last quorate view is now e3 */
    /* a lost commit repaired from a heartbeat: the repairing node's own */
    view_tick(&a, BIT(0), &timing, 3500 * MS, &out);
    view_tick(&a, BIT(0), &timing, 3600 * MS, &out);
    assert_true(out.installed && a.parent == e1);
    view_on_heartbeat(&a, 1, b.epoch, b.members, &out); /* a learns how far epochs went */
    view_tick(&a, ab, &timing, 4000 * MS, &out);
    view_tick(&b, ab, &timing, 4000 * MS, &out);
    view_tick(&a, ab, &timing, 4100 * MS, &out);
    assert_int_equal(out.msgs[0].type, VIEW_PROPOSE);
    uint64_t e4 = out.msgs[0].epoch;
    struct view_out out2;
    view_on_propose(&b, 0, e4, ab, 4100 * MS, &out2);
    assert_int_equal(out2.msgs[0].type, VIEW_ACK);
    view_on_ack(&a, 1, e4, out2.msgs[0].aux, 4100 * MS, &out);
    assert_true(out.installed && a.parent == e3);        /* b's, newer than a's own e1 */
    view_on_heartbeat(&b, 0, a.epoch, a.members, &out2); /* the COMMIT was lost */
    assert_true(out2.installed && b.epoch == e4 && b.parent == b.last_quorate);
}

/* A restarted node does not remember what it promised: it refuses every
 * proposal below its counter floor (the wall clock in vigild), says how
 * high it is, and accepts the coordinator's next, higher proposal. */
static void test_restarted_node_refuses_older_proposals(void **state)
{
    struct view_machine a, b;
    struct view_out out, out2;
    node_mask ab = BIT(0) | BIT(1);
    const uint64_t floor = 5000;

    view_init(&a, 2, 0, 0, 0);
    view_init(&b, 2, 1, floor, 0);
    view_tick(&b, ab, &timing, 0, &out2);
    view_tick(&a, ab, &timing, 0, &out);
    view_tick(&a, ab, &timing, 100 * MS, &out);
    uint64_t e = out.msgs[0].epoch;
    assert_true(e >> VIEW_EPOCH_NODE_BITS < floor);
    view_on_propose(&b, 0, e, ab, 100 * MS, &out2);
    assert_int_equal(out2.msgs[0].type, VIEW_NACK);
    assert_true(out2.msgs[0].aux >> VIEW_EPOCH_NODE_BITS == floor);
    view_on_nack(&a, 1, e, out2.msgs[0].aux, &out);
    view_tick(&a, ab, &timing, 200 * MS, &out);
    assert_int_equal(out.msgs[0].type, VIEW_PROPOSE);
    uint64_t e2 = out.msgs[0].epoch;
    assert_true(e2 >> VIEW_EPOCH_NODE_BITS == floor + 1);
    view_on_propose(&b, 0, e2, ab, 200 * MS, &out2);
    assert_int_equal(out2.msgs[0].type, VIEW_ACK);
    /* its own first proposal is above the floor too */
    struct view_machine c;
    view_init(&c, 2, 1, floor, 0);
    view_tick(&c, BIT(1), &timing, 100 * MS, &out);
    assert_true(out.installed && c.epoch == (((floor + 1) << VIEW_EPOCH_NODE_BITS) | 1));
}

static void test_left_out_by_heartbeat(void **state)
{
    struct view_machine c;
    struct view_out out;

    view_init(&c, 3, 2, 0, 0);
    c.epoch = 4;
    c.members = BIT(0) | BIT(1) | BIT(2);
    c.candidate = c.members;
    /* a member alone in a newer view of its own only left: our view goes on */
    view_on_heartbeat(&c, 1, 5, BIT(1), &out);
    assert_false(out.left_out);
    assert_true(c.members == (BIT(0) | BIT(1) | BIT(2)));
    /* members moving on together to a view without us: left out */
    view_on_heartbeat(&c, 0, 5, BIT(0) | BIT(1), &out);
    assert_true(out.left_out);
    assert_true(c.members == 0 && c.epoch == 4);
    assert_false(view_current(&c));
}

/* ---- randomized ---- */

#define NMAX 5
#define BAG 4096
#define EPOCHS (1 << 16) /* open-addressing table of installed epochs */

struct packet {
    int from;
    struct view_msg m;
};

struct sim {
    int n;
    struct view_machine vm[NMAX];
    bool conn[NMAX][NMAX]; /* conn[i][j]: what i sends reaches j */
    struct packet bag[BAG];
    int n_bag;
    int loss_pct;
    bool restarts;
    vg_usec_t now;
    uint64_t last_epoch[NMAX];        /* for: a node's installed epoch never goes back */
    uint64_t promised_ever[NMAX];     /* highest promise of each node, across restarts */
    bool quorate[NMAX];               /* counts its installed view as quorate */
    uint64_t w_epoch;                 /* the witness: the last view it granted, */
    node_mask w_members;              /* its members (0: nothing granted yet) */
    uint64_t installed_epoch[EPOCHS]; /* 0: free slot */
    node_mask installed_members[EPOCHS];
    unsigned seed;
};

static unsigned rnd(struct sim *s)
{
    s->seed = s->seed * 1103515245u + 12345u;
    return (s->seed >> 16) & 0x7fff;
}

/* What node i knows: whom it hears, and whom they hear. */
static node_mask candidate_of(const struct sim *s, int i)
{
    struct view_facts f;

    memset(&f, 0, sizeof(f));
    f.n = s->n;
    f.self = i;
    for (int j = 0; j < s->n; j++) {
        f.votes[j] = 1;
        if (j != i && s->conn[j][i])
            f.reach |= BIT(j);
    }
    for (int j = 0; j < s->n; j++) {
        if (!(f.reach & BIT(j)))
            continue;
        for (int k = 0; k < s->n; k++)
            if (k != j && s->conn[k][j])
                f.sees[j] |= BIT(k);
    }
    return view_candidate(&f);
}

static void check_install(struct sim *s, int i)
{
    const struct view_machine *vm = &s->vm[i];

    unsigned k = (unsigned)(vm->epoch * 2654435761u) % EPOCHS;

    assert_true(vm->members & BIT(i));
    assert_int_equal(vm->epoch & ((1 << VIEW_EPOCH_NODE_BITS) - 1), view_lowest(vm->members));
    if (vm->epoch <= s->last_epoch[i])
        fail_msg("node %d installed epoch %llu after %llu (seed %u)", i,
                 (unsigned long long)vm->epoch, (unsigned long long)s->last_epoch[i], s->seed);
    s->last_epoch[i] = vm->epoch;
    /* every member accepted this epoch or a newer one (maybe before a restart) */
    for (int j = 0; j < s->n; j++)
        if (s->vm[j].promised > s->promised_ever[j])
            s->promised_ever[j] = s->vm[j].promised;
    for (int j = 0; j < s->n; j++)
        if ((vm->members & BIT(j)) && s->promised_ever[j] < vm->epoch)
            fail_msg("epoch %llu installed on node %d, but member %d never accepted it (seed %u)",
                     (unsigned long long)vm->epoch, i, j, s->seed);
    while (s->installed_epoch[k] && s->installed_epoch[k] != vm->epoch)
        k = (k + 1) % EPOCHS;
    if (!s->installed_epoch[k]) {
        s->installed_epoch[k] = vm->epoch;
        s->installed_members[k] = vm->members;
    }
    if (s->installed_members[k] != vm->members)
        fail_msg("epoch %llu installed as %llx on one node and %llx on node %d (seed %u)",
                 (unsigned long long)vm->epoch, (unsigned long long)s->installed_members[k],
                 (unsigned long long)vm->members, i, s->seed);
}

/* The witness of docs/witness-api.md: the same view again to its members;
 * a newer one only if its parent is no older than the last one granted. */
static bool witness_grants(struct sim *s, const struct view_machine *vm)
{
    if (s->w_members && vm->epoch == s->w_epoch)
        return (s->w_members & BIT(vm->self)) != 0;
    if (vm->epoch < s->w_epoch || (s->w_members && vm->parent < s->w_epoch))
        return false;
    s->w_epoch = vm->epoch;
    s->w_members = vm->members;
    return true;
}

/* The daemon's quorum of a view just installed (one vote each): a
 * majority, or a tie the witness grants. A quorate view is the node's last
 * quorate one. */
static void decide_quorum(struct sim *s, int i)
{
    struct view_machine *vm = &s->vm[i];
    int have = view_count(vm->members);

    s->quorate[i] = vm->members && (2 * have > s->n || (2 * have == s->n && witness_grants(s, vm)));
    if (s->quorate[i])
        view_set_quorate(vm);
}

/* Node i's view was left by member j: j promised a newer epoch (or
 * restarted, which promises above every older epoch). */
static bool left_by(const struct sim *s, int i, int j)
{
    return (s->vm[i].members & BIT(j)) && s->vm[j].promised != s->vm[i].epoch;
}

/* No two quorate views that share no member, unless one of them was left
 * already by one of its members (model/view.pml, property 2). */
static void check_quorum(const struct sim *s)
{
    for (int i = 0; i < s->n; i++)
        for (int j = i + 1; j < s->n; j++) {
            if (!s->quorate[i] || !s->quorate[j] || (s->vm[i].members & s->vm[j].members))
                continue;
            bool left = false;
            for (int k = 0; k < s->n; k++)
                left |= left_by(s, i, k) || left_by(s, j, k);
            if (!left)
                fail_msg("two disjoint quorate views: node %d in %llu {%llx} and node %d in %llu "
                         "{%llx}, both current (seed %u)",
                         i, (unsigned long long)s->vm[i].epoch,
                         (unsigned long long)s->vm[i].members, j,
                         (unsigned long long)s->vm[j].epoch, (unsigned long long)s->vm[j].members,
                         s->seed);
        }
}

static void post(struct sim *s, int from, const struct view_out *out)
{
    if (out->installed) {
        check_install(s, from);
        decide_quorum(s, from);
    }
    if (out->left_out)
        s->quorate[from] = false;
    for (int k = 0; k < out->n; k++) {
        const struct view_msg *m = &out->msgs[k];
        if (!s->conn[from][m->to] || (int)(rnd(s) % 100) < s->loss_pct || s->n_bag >= BAG)
            continue;
        s->bag[s->n_bag++] = (struct packet){from, *m};
    }
}

/* Deliver one message, picked at random from the bag (any order). */
static void deliver(struct sim *s)
{
    struct view_out out;
    int k = (int)(rnd(s) % (unsigned)s->n_bag);
    struct packet p = s->bag[k];
    struct view_machine *vm = &s->vm[p.m.to];

    s->bag[k] = s->bag[--s->n_bag];
    switch (p.m.type) {
    case VIEW_PROPOSE:
        view_on_propose(vm, p.from, p.m.epoch, p.m.members, s->now, &out);
        break;
    case VIEW_ACK:
        view_on_ack(vm, p.from, p.m.epoch, p.m.aux, s->now, &out);
        break;
    case VIEW_NACK:
        view_on_nack(vm, p.from, p.m.epoch, p.m.aux, &out);
        break;
    case VIEW_COMMIT:
        view_on_commit(vm, p.from, p.m.epoch, p.m.members, p.m.aux, &out);
        break;
    }
    post(s, p.m.to, &out);
}

/* A tick of node i, and its heartbeat to whoever hears it. */
static void tick(struct sim *s, int i)
{
    struct view_out out;

    view_tick(&s->vm[i], candidate_of(s, i), &timing, s->now, &out);
    post(s, i, &out);
    for (int j = 0; j < s->n; j++) {
        if (j == i || !s->conn[i][j] || (int)(rnd(s) % 100) < s->loss_pct)
            continue;
        view_on_heartbeat(&s->vm[j], i, s->vm[i].epoch, s->vm[i].members, &out);
        post(s, j, &out);
    }
}

static void run(struct sim *s, int steps, int change_pct)
{
    for (int step = 0; step < steps; step++) {
        s->now += 5 * MS;
        unsigned r = rnd(s) % 100;
        if ((int)r < change_pct) {
            int a = (int)(rnd(s) % (unsigned)s->n), b = (int)(rnd(s) % (unsigned)s->n);
            if (a != b) {
                s->conn[a][b] = !s->conn[a][b]; /* one direction only: asymmetric cuts too */
                if (rnd(s) % 2)
                    s->conn[b][a] = s->conn[a][b];
            }
        } else if ((int)r < change_pct + 1 && s->restarts) {
            /* a restart: the node forgets everything (a new incarnation) */
            int i = (int)(rnd(s) % (unsigned)s->n);
            if (s->vm[i].promised > s->promised_ever[i])
                s->promised_ever[i] = s->vm[i].promised;
            view_init(&s->vm[i], s->n, i, s->now, s->now); /* floor: the clock, as vigild */
            s->last_epoch[i] = 0;
            s->quorate[i] = false;
        } else if (r < 60 && s->n_bag > 0) {
            deliver(s);
        } else {
            tick(s, (int)(rnd(s) % (unsigned)s->n));
        }
        check_quorum(s);
    }
}

static void sim_init(struct sim *s, int n, unsigned seed)
{
    memset(s, 0, sizeof(*s));
    s->n = n;
    s->seed = seed;
    for (int i = 0; i < n; i++) {
        view_init(&s->vm[i], n, i, 0, 0);
        for (int j = 0; j < n; j++)
            s->conn[i][j] = true;
    }
}

static void test_random_faults_then_heal(void **state)
{
    static struct sim s;

    for (unsigned seed = 1; seed <= 60; seed++) {
        int n = 2 + (int)(seed % 4); /* 2..5 nodes */
        sim_init(&s, n, seed);
        s.loss_pct = 20;
        s.restarts = seed % 2;
        run(&s, 20000, 2);
        s.restarts = false;

        /* heal: full connectivity, no loss; everybody converges on one view */
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                s.conn[i][j] = true;
        s.loss_pct = 0;
        node_mask all = BIT(n) - 1;
        bool converged = false;
        for (int round = 0; round < 400 && !converged; round++) {
            run(&s, 50, 0);
            converged = true;
            for (int i = 0; i < n; i++)
                converged &= s.vm[i].members == all && s.vm[i].epoch == s.vm[0].epoch;
        }
        if (!converged)
            fail_msg("seed %u, %d nodes: no common view of all after healing", seed, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lone_node_commits_itself),
        cmocka_unit_test(test_two_nodes_agree),
        cmocka_unit_test(test_left_out_by_heartbeat),
        cmocka_unit_test(test_parent_is_the_last_quorate_view),
        cmocka_unit_test(test_restarted_node_refuses_older_proposals),
        cmocka_unit_test(test_restarted_member_is_taken_in_again),
        cmocka_unit_test(test_random_faults_then_heal),
    };
    return cmocka_run_group_tests_name("view_machine", tests, NULL, NULL);
}
