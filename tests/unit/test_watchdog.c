/* Unit tests of the watchdog (src/fencing/watchdog.c, watchdog_policy.c):
 * the device calls against a plain file standing in for the device (no
 * ioctl answers, as with a fake or an old driver: the configured timeout is
 * kept), and when to kick on a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/fencing/watchdog.h"

#define MS VG_USEC_PER_MSEC

/* The bytes written to the file so far. */
static void read_back(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void test_device_on_a_file(void **state)
{
    char path[] = "/tmp/vigil-wd-XXXXXX", got[16], err[WATCHDOG_ERR_MAX];
    int fd = mkstemp(path);
    struct watchdog w;

    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(watchdog_open(&w, path, 7, err, sizeof(err)), 0);
    assert_true(w.fd >= 0);
    assert_false(w.timeout_set); /* a file takes no ioctl */
    assert_false(w.support_known);
    assert_int_equal(w.timeout_s, 7); /* so the configured value is trusted */
    assert_int_equal(watchdog_kick(&w, err, sizeof(err)), 0);
    assert_int_equal(watchdog_kick(&w, err, sizeof(err)), 0);
    assert_int_equal(watchdog_close(&w, true, err, sizeof(err)), 0);
    assert_int_equal(w.fd, -1);
    read_back(path, got, sizeof(got));
    assert_string_equal(got, "kkV");

    /* closed armed: no magic 'V' */
    assert_int_equal(truncate(path, 0), 0);
    assert_int_equal(watchdog_open(&w, path, 7, err, sizeof(err)), 0);
    assert_int_equal(watchdog_kick(&w, err, sizeof(err)), 0);
    assert_int_equal(watchdog_close(&w, false, err, sizeof(err)), 0);
    read_back(path, got, sizeof(got));
    assert_string_equal(got, "k");
    /* kicking a closed one is an error, closing again is not */
    assert_int_equal(watchdog_kick(&w, err, sizeof(err)), -EBADF);
    assert_int_equal(watchdog_close(&w, true, err, sizeof(err)), 0);

    bool nowayout = false;
    assert_int_equal(watchdog_nowayout(path, &nowayout), -ENOENT); /* not a device */
    unlink(path);
}

static void test_device_missing(void **state)
{
    struct watchdog w;
    char err[WATCHDOG_ERR_MAX];

    assert_int_equal(watchdog_open(&w, "/nonexistent/watchdog", 5, err, sizeof(err)), -ENOENT);
    assert_int_equal(w.fd, -1);
    assert_string_equal(err, "cannot open watchdog /nonexistent/watchdog: No such file or "
                             "directory (load a driver, e.g. modprobe softdog, or fix [watchdog] "
                             "device)");
    assert_int_equal(watchdog_open(&w, NULL, 5, err, sizeof(err)), -EINVAL);
}

static struct watchdog_health healthy(vg_usec_t now)
{
    return (struct watchdog_health){
        .now = now,
        .loop_turned = now - 50 * MS,
        .hb_alive = now - 100 * MS,
        .quorum_required = true,
        .quorate = true,
        .nothing_active = false,
    };
}

static void test_policy(void **state)
{
    const struct watchdog_limits l = {.loop_max = 1000 * MS, .hb_max = 500 * MS};
    vg_usec_t now = 1000000 * MS;
    struct watchdog_health h = healthy(now);

    assert_int_equal(watchdog_decide(&h, &l), WATCHDOG_KICK);

    /* the limits are inclusive; one microsecond past is a stall */
    h.loop_turned = now - l.loop_max;
    assert_int_equal(watchdog_decide(&h, &l), WATCHDOG_KICK);
    h.loop_turned = now - l.loop_max - 1;
    assert_int_equal(watchdog_decide(&h, &l), WATCHDOG_HOLD_LOOP);
    assert_string_equal(watchdog_verdict_text(WATCHDOG_HOLD_LOOP), "event loop stalled");

    h = healthy(now);
    h.hb_alive = now - l.hb_max - 1;
    assert_int_equal(watchdog_decide(&h, &l), WATCHDOG_HOLD_HEARTBEAT);

    /* no quorum: hold while something may be active here */
    h = healthy(now);
    h.quorate = false;
    assert_int_equal(watchdog_decide(&h, &l), WATCHDOG_HOLD_QUORUM);
    h.nothing_active = true;
    assert_int_equal(watchdog_decide(&h, &l), WATCHDOG_KICK);
    h.nothing_active = false;
    h.quorum_required = false; /* quorum = none */
    assert_int_equal(watchdog_decide(&h, &l), WATCHDOG_KICK);

    /* a stop that failed here: only a reset ends it, quorate or not */
    h = healthy(now);
    h.stop_failed = true;
    assert_int_equal(watchdog_decide(&h, &l), WATCHDOG_HOLD_STOP_FAILED);
    h.quorum_required = false;
    assert_int_equal(watchdog_decide(&h, &l), WATCHDOG_HOLD_STOP_FAILED);
    assert_string_equal(watchdog_verdict_text(WATCHDOG_HOLD_STOP_FAILED),
                        "a group's stop failed here: only a reset ends it");

    /* a stalled loop wins over everything else */
    h = healthy(now);
    h.loop_turned = now - 5000 * MS;
    h.hb_alive = now - 5000 * MS;
    h.quorate = false;
    assert_int_equal(watchdog_decide(&h, &l), WATCHDOG_HOLD_LOOP);

    /* times from the future count as now */
    h = healthy(now);
    h.loop_turned = now + 10 * MS;
    h.hb_alive = now + 10 * MS;
    assert_int_equal(watchdog_decide(&h, &l), WATCHDOG_KICK);
}

/* A fake clock walking through a stall: kicks stop at the first tick past
 * the limit and come back when the loop turns again. */
static void test_policy_over_time(void **state)
{
    const struct watchdog_limits l = {.loop_max = 300 * MS, .hb_max = 300 * MS};
    vg_usec_t t0 = 5000 * MS, last_turn = t0;
    int kicks = 0, held = 0;

    for (vg_usec_t t = t0; t < t0 + 2000 * MS; t += 100 * MS) {
        bool stalled = t >= t0 + 500 * MS && t < t0 + 1200 * MS;
        if (!stalled)
            last_turn = t;
        struct watchdog_health h = healthy(t);
        h.loop_turned = last_turn;
        h.hb_alive = t;
        if (watchdog_decide(&h, &l) == WATCHDOG_KICK)
            kicks++;
        else
            held++;
    }
    /* the loop last turned at 400 ms; more than 300 ms later at 800, 900,
     * 1000 and 1100 ms (700 is exactly the limit); it turns again at 1200 */
    assert_int_equal(held, 4);
    assert_int_equal(kicks, 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_on_a_file),
        cmocka_unit_test(test_device_missing),
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_policy_over_time),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
