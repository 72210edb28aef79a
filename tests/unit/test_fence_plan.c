/* Unit tests of the fencing order (src/fencing/fence_plan.c): levels in
 * order, every device of a level, retries, an `off` confirmed by `status`,
 * an agent that cannot run, no device at all, and what `why` says. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "../../src/fencing/fence_plan.h"

static struct fence_plan_level level(int a, unsigned ra, bool sa, int b, unsigned rb, bool sb)
{
    struct fence_plan_level l = {.n = 0};

    if (a >= 0)
        l.devices[l.n++] = (struct fence_plan_device){a, ra, sa};
    if (b >= 0)
        l.devices[l.n++] = (struct fence_plan_device){b, rb, sb};
    return l;
}

/* The next step must be (device, action, level, attempt). */
static void expect(const struct fence_plan *p, int device, enum fence_action action, size_t lvl,
                   unsigned attempt)
{
    struct fence_step s;

    assert_true(fence_plan_step(p, &s));
    assert_int_equal(s.device, device);
    assert_int_equal(s.action, action);
    assert_int_equal(s.level, lvl);
    assert_int_equal(s.attempt, attempt);
}

static void test_one_device_off_confirmed(void **state)
{
    struct fence_plan_level l = level(7, 0, true, -1, 0, false);
    struct fence_plan p;

    fence_plan_init(&p, &l, 1, FENCE_ACTION_OFF);
    expect(&p, 7, FENCE_ACTION_OFF, 0, 1);
    fence_plan_report(&p, FENCE_OK, NULL);
    expect(&p, 7, FENCE_ACTION_STATUS, 0, 1);
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_RUNNING);
    fence_plan_report(&p, FENCE_POWERED_OFF, NULL);
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_FENCED);
    struct fence_step s;
    assert_false(fence_plan_step(&p, &s));
    assert_string_equal(p.why, "");
}

/* A device without status: its off's success is taken; reboot is never
 * confirmed by status. */
static void test_no_status_and_reboot(void **state)
{
    struct fence_plan_level l = level(1, 0, false, -1, 0, false);
    struct fence_plan_level ls = level(1, 0, true, -1, 0, false);
    struct fence_plan p;

    fence_plan_init(&p, &l, 1, FENCE_ACTION_OFF);
    fence_plan_report(&p, FENCE_OK, NULL);
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_FENCED);

    fence_plan_init(&p, &ls, 1, FENCE_ACTION_REBOOT);
    expect(&p, 1, FENCE_ACTION_REBOOT, 0, 1);
    fence_plan_report(&p, FENCE_OK, NULL);
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_FENCED);

    /* any other action asked is taken as reboot */
    fence_plan_init(&p, &ls, 1, FENCE_ACTION_STATUS);
    expect(&p, 1, FENCE_ACTION_REBOOT, 0, 1);
}

/* Retries on the same device, then the next level; the reasons collect. */
static void test_retries_then_next_level(void **state)
{
    struct fence_plan_level ls[2] = {level(1, 2, false, -1, 0, false),
                                     level(2, 0, false, -1, 0, false)};
    struct fence_plan p;

    fence_plan_init(&p, ls, 2, FENCE_ACTION_REBOOT);
    expect(&p, 1, FENCE_ACTION_REBOOT, 0, 1);
    fence_plan_report(&p, FENCE_TIMED_OUT, "ipmi timed out");
    expect(&p, 1, FENCE_ACTION_REBOOT, 0, 2);
    fence_plan_report(&p, FENCE_FAILED, "ipmi failed");
    expect(&p, 1, FENCE_ACTION_REBOOT, 0, 3);
    fence_plan_report(&p, FENCE_FAILED, "ipmi failed (exit 1)");
    expect(&p, 2, FENCE_ACTION_REBOOT, 1, 1);
    assert_string_equal(p.why, "level 1: ipmi failed (exit 1) (attempt 3 of 3)");
    fence_plan_report(&p, FENCE_OK, NULL);
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_FENCED);
}

/* Every device of a level must fence; one failing fails the level at once,
 * the next level starts from its first device. */
static void test_level_needs_every_device(void **state)
{
    struct fence_plan_level ls[2] = {level(1, 0, false, 2, 0, false),
                                     level(3, 0, false, 4, 0, false)};
    struct fence_plan p;

    fence_plan_init(&p, ls, 2, FENCE_ACTION_OFF);
    expect(&p, 1, FENCE_ACTION_OFF, 0, 1);
    fence_plan_report(&p, FENCE_OK, NULL);
    expect(&p, 2, FENCE_ACTION_OFF, 0, 1);
    fence_plan_report(&p, FENCE_FAILED, "pdu-b failed");
    expect(&p, 3, FENCE_ACTION_OFF, 1, 1);
    fence_plan_report(&p, FENCE_OK, NULL);
    expect(&p, 4, FENCE_ACTION_OFF, 1, 1);
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_RUNNING);
    fence_plan_report(&p, FENCE_OK, NULL);
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_FENCED);
}

/* status after off saying on, or failing, is a failed attempt: off again. */
static void test_status_disagrees(void **state)
{
    struct fence_plan_level l = level(5, 1, true, -1, 0, false);
    struct fence_plan p;

    fence_plan_init(&p, &l, 1, FENCE_ACTION_OFF);
    fence_plan_report(&p, FENCE_OK, NULL);
    expect(&p, 5, FENCE_ACTION_STATUS, 0, 1);
    fence_plan_report(&p, FENCE_OK, NULL); /* status: on */
    expect(&p, 5, FENCE_ACTION_OFF, 0, 2);
    fence_plan_report(&p, FENCE_OK, NULL);
    expect(&p, 5, FENCE_ACTION_STATUS, 0, 2);
    fence_plan_report(&p, FENCE_TIMED_OUT, "status of n2 timed out");
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_FAILED);
    assert_string_equal(p.why, "level 1: status of n2 timed out (attempt 2 of 2)");

    fence_plan_init(&p, &l, 1, FENCE_ACTION_OFF);
    fence_plan_report(&p, FENCE_OK, NULL);
    fence_plan_report(&p, FENCE_OK, NULL);
    fence_plan_report(&p, FENCE_OK, NULL);
    fence_plan_report(&p, FENCE_OK, NULL);
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_FAILED);
    assert_non_null(strstr(p.why, "status says the plug is still on"));
}

/* An agent that cannot run is not retried; a POWERED_OFF answer to off is
 * no success. */
static void test_cannot_run_not_retried(void **state)
{
    struct fence_plan_level ls[2] = {level(1, 5, false, -1, 0, false),
                                     level(2, 5, false, -1, 0, false)};
    struct fence_plan p;

    fence_plan_init(&p, ls, 2, FENCE_ACTION_OFF);
    fence_plan_report(&p, FENCE_CANNOT_RUN, "cannot run /usr/sbin/fence_x");
    expect(&p, 2, FENCE_ACTION_OFF, 1, 1);
    fence_plan_report(&p, FENCE_POWERED_OFF, "odd");
    expect(&p, 2, FENCE_ACTION_OFF, 1, 2);
}

/* Every level failing ends the plan failed, with every level's reason;
 * reports after the end change nothing. */
static void test_all_fail(void **state)
{
    struct fence_plan_level ls[3] = {level(1, 0, false, -1, 0, false),
                                     level(-1, 0, false, -1, 0, false), /* empty: skipped */
                                     level(2, 0, false, -1, 0, false)};
    struct fence_plan p;
    struct fence_step s;

    fence_plan_init(&p, ls, 3, FENCE_ACTION_OFF);
    fence_plan_report(&p, FENCE_FAILED, "a failed");
    expect(&p, 2, FENCE_ACTION_OFF, 2, 1);
    fence_plan_report(&p, FENCE_FAILED, "b failed");
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_FAILED);
    assert_false(fence_plan_step(&p, &s));
    assert_string_equal(p.why, "level 1: a failed (attempt 1 of 1); level 3: b failed (attempt 1 "
                               "of 1)");
    fence_plan_report(&p, FENCE_OK, NULL);
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_FAILED);
}

static void test_no_device(void **state)
{
    struct fence_plan_level empty = {.n = 0};
    struct fence_plan p;
    struct fence_step s;

    fence_plan_init(&p, NULL, 0, FENCE_ACTION_OFF);
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_FAILED);
    assert_false(fence_plan_step(&p, &s));
    assert_string_equal(p.why, "no fence device is configured for this node");
    fence_plan_init(&p, &empty, 1, FENCE_ACTION_OFF);
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_FAILED);
}

/* More levels or devices than the limits are cut, never overrun. */
static void test_limits(void **state)
{
    struct fence_plan_level ls[FENCE_LEVELS_MAX + 2];
    struct fence_plan p;

    for (size_t i = 0; i < FENCE_LEVELS_MAX + 2; i++) {
        ls[i] = level((int)i, 0, false, -1, 0, false);
    }
    ls[0].n = FENCE_LEVEL_DEVICES_MAX + 3; /* claims more than it holds */
    fence_plan_init(&p, ls, FENCE_LEVELS_MAX + 2, FENCE_ACTION_OFF);
    assert_int_equal(p.n_levels, FENCE_LEVELS_MAX);
    assert_int_equal(p.levels[0].n, FENCE_LEVEL_DEVICES_MAX);
    for (size_t i = 0; i < FENCE_LEVELS_MAX; i++)
        fence_plan_report(&p, FENCE_FAILED, "x");
    assert_int_equal(fence_plan_state(&p), FENCE_PLAN_FAILED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_device_off_confirmed),
        cmocka_unit_test(test_no_status_and_reboot),
        cmocka_unit_test(test_retries_then_next_level),
        cmocka_unit_test(test_level_needs_every_device),
        cmocka_unit_test(test_status_disagrees),
        cmocka_unit_test(test_cannot_run_not_retried),
        cmocka_unit_test(test_all_fail),
        cmocka_unit_test(test_no_device),
        cmocka_unit_test(test_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
