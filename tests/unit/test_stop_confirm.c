/* The freshness rule that lets a report of `stopped` confirm a stop
 * (src/groups/stop_confirm.c, docs/groups.md "Confirming a stop"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/groups/stop_confirm.h"

#define INC 0x1111
#define INC2 0x2222

/* Reports of two groups: web (0) and db (1), made at `at`. */
static struct group_reports reports(uint64_t at, uint8_t web, uint8_t db)
{
    struct group_reports r = {.at = at, .n = 2};

    r.g[0].state = web;
    r.g[1].state = db;
    return r;
}

/* n2 knew n1's reports: web running at 1000 (its last heartbeat), db
 * stopped; then n1 left the view at this node's time 5000. */
static void left_while_running(struct sc_node *n)
{
    struct group_reports r = reports(1000, WIRE_GROUP_RUNNING, WIRE_GROUP_STOPPED);

    memset(n, 0, sizeof(*n));
    sc_incarnation(n, INC);
    sc_note(n, INC, &r);
    sc_left(n, true, 5000);
}

static void test_newer_stopped_confirms(void **state)
{
    struct sc_node n;
    struct group_reports r = reports(1001, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);

    left_while_running(&n);
    assert_true(sc_confirms(&n, 0, INC, &r, false));
    r.g[0].state = WIRE_GROUP_FAILED; /* failed past the threshold: stopped again there */
    assert_true(sc_confirms(&n, 0, INC, &r, false));
}

static void test_stale_stopped_ignored(void **state)
{
    struct sc_node n;
    struct group_reports old = reports(999, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);
    struct group_reports same = reports(1000, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);

    left_while_running(&n);
    /* written before the report that said running, read after it left */
    assert_false(sc_confirms(&n, 0, INC, &old, false));
    /* not strictly newer */
    assert_false(sc_confirms(&n, 0, INC, &same, false));
    /* not even when the path claims it fresh: an active report of the same
     * incarnation is newer than it */
    assert_false(sc_confirms(&n, 0, INC, &old, true));
}

static void test_late_active_report_raises_the_bar(void **state)
{
    struct sc_node n;
    struct group_reports active = reports(3000, WIRE_GROUP_STOPPING, WIRE_GROUP_STOPPED);
    struct group_reports mid = reports(2000, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);
    struct group_reports later = reports(3001, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);

    left_while_running(&n);
    /* the disk says stopping at 3000, read after the departure: a stopped
     * at 2000 (say, from the witness) is stale now */
    sc_note(&n, INC, &active);
    assert_false(sc_confirms(&n, 0, INC, &mid, false));
    assert_true(sc_confirms(&n, 0, INC, &later, false));
}

static void test_stop_failed_not_accepted(void **state)
{
    struct sc_node n;
    struct group_reports r = reports(9000, WIRE_GROUP_STOP_FAILED, WIRE_GROUP_STOPPED);

    left_while_running(&n);
    assert_false(sc_confirms(&n, 0, INC, &r, false));
    assert_false(sc_confirms(&n, 0, INC, &r, true));
    for (uint8_t s = WIRE_GROUP_STARTING; s <= WIRE_GROUP_STOPPING; s++) {
        r.g[0].state = s;
        assert_false(sc_confirms(&n, 0, INC, &r, true));
    }
}

static void test_new_incarnation(void **state)
{
    struct sc_node n;
    /* a restarted vigild's clock may be anywhere: at says nothing */
    struct group_reports r = reports(1, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);
    struct group_reports big = reports(UINT64_MAX, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);

    left_while_running(&n);
    assert_false(sc_confirms(&n, 0, INC2, &r, false));
    assert_false(sc_confirms(&n, 0, INC2, &big, false));
    /* made after the departure (proved by the path), after its probe */
    assert_true(sc_confirms(&n, 0, INC2, &r, true));
    /* its reports do not move the departed incarnation's bar */
    struct group_reports active2 = reports(50, WIRE_GROUP_RUNNING, WIRE_GROUP_STOPPED);
    sc_note(&n, INC2, &active2);
    struct group_reports r1 = reports(1001, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);
    assert_true(sc_confirms(&n, 0, INC, &r1, false));
}

static void test_unreported_needs_fresh(void **state)
{
    struct sc_node n;
    struct group_reports r = reports(7000, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);

    /* it left while still probing: no report of it was known */
    memset(&n, 0, sizeof(n));
    sc_left(&n, false, 5000);
    assert_false(sc_confirms(&n, 0, INC, &r, false));
    assert_true(sc_confirms(&n, 0, INC, &r, true));
    /* heartbeats seen but without reports (G = 0): as unreported */
    memset(&n, 0, sizeof(n));
    struct group_reports none = {.at = 10, .n = 0};
    sc_incarnation(&n, INC);
    sc_note(&n, INC, &none);
    sc_left(&n, false, 5000);
    assert_false(sc_confirms(&n, 0, INC, &r, false));
}

static void test_only_after_a_departure(void **state)
{
    struct sc_node n;
    struct group_reports active = reports(1000, WIRE_GROUP_RUNNING, WIRE_GROUP_RUNNING);
    struct group_reports r = reports(2000, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);

    memset(&n, 0, sizeof(n));
    sc_incarnation(&n, INC);
    sc_note(&n, INC, &active);
    assert_false(sc_confirms(&n, 0, INC, &r, true)); /* never left: nothing to confirm */
    sc_left(&n, true, 5000);
    assert_true(sc_confirms(&n, 1, INC, &r, false));
    /* a group the report does not carry */
    assert_false(sc_confirms(&n, 2, INC, &r, true));
    assert_false(sc_confirms(&n, -1, INC, &r, true));
}

static void test_groups_are_independent(void **state)
{
    struct sc_node n;
    struct group_reports a = reports(1000, WIRE_GROUP_RUNNING, WIRE_GROUP_STOPPED);
    struct group_reports b = reports(2000, WIRE_GROUP_STOPPED, WIRE_GROUP_RUNNING);
    struct group_reports c = reports(1500, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);

    memset(&n, 0, sizeof(n));
    sc_incarnation(&n, INC);
    sc_note(&n, INC, &a);
    sc_note(&n, INC, &b);
    sc_left(&n, true, 5000);
    /* web was last active at 1000, db at 2000 */
    assert_true(sc_confirms(&n, 0, INC, &c, false));
    assert_false(sc_confirms(&n, 1, INC, &c, false));
}

/* A slot left by an older incarnation (its disk writes fail since it
 * restarted) is read between heartbeats of the running one: it must not
 * become the incarnation that left, or its stale "stopped" would confirm. */
static void test_stale_slot_of_an_older_incarnation(void **state)
{
    struct sc_node n;
    struct group_reports hb = reports(1000, WIRE_GROUP_RUNNING, WIRE_GROUP_STOPPED);
    struct group_reports slot = reports(800000, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);

    memset(&n, 0, sizeof(n));
    sc_incarnation(&n, INC2); /* heartbeats of INC2, running web */
    sc_note(&n, INC2, &hb);
    sc_note(&n, INC, &slot); /* the old slot, read last */
    sc_left(&n, true, 5000);
    assert_true(n.left_incarnation == INC2);
    assert_false(sc_confirms(&n, 0, INC, &slot, false));
    assert_true(n.left_active_at[0] == 1000);
    /* a new incarnation's heartbeats start afresh */
    sc_incarnation(&n, INC);
    assert_true(n.active_at[0] == 0 && n.left_active_at[0] == 1000);
}

static void test_second_departure(void **state)
{
    struct sc_node n;
    struct group_reports r = reports(4000, WIRE_GROUP_RUNNING, WIRE_GROUP_STOPPED);
    struct group_reports s = reports(3000, WIRE_GROUP_STOPPED, WIRE_GROUP_STOPPED);

    left_while_running(&n);
    /* it came back, ran web again (reported at 4000), and left again */
    sc_incarnation(&n, INC);
    sc_note(&n, INC, &r);
    sc_left(&n, true, 9000);
    assert_int_equal(n.left_at, 9000);
    assert_false(sc_confirms(&n, 0, INC, &s, false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newer_stopped_confirms),
        cmocka_unit_test(test_stale_stopped_ignored),
        cmocka_unit_test(test_late_active_report_raises_the_bar),
        cmocka_unit_test(test_stop_failed_not_accepted),
        cmocka_unit_test(test_new_incarnation),
        cmocka_unit_test(test_unreported_needs_fresh),
        cmocka_unit_test(test_only_after_a_departure),
        cmocka_unit_test(test_groups_are_independent),
        cmocka_unit_test(test_stale_slot_of_an_older_incarnation),
        cmocka_unit_test(test_second_departure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
