/* Unit tests of the local group runner (src/groups/runner*.c): real exec
 * resources (/bin/sh commands that write what they did to an order file
 * and keep a state file per resource in a temporary directory, with a
 * monitor that checks it) under a real sd-event loop. Start order, reverse
 * stop order, a failed start, a stop that times out, monitor failures,
 * restarts, the threshold, failure expiry, probes, commands that meet an
 * operation under way, the events' text; ocf and systemd resources through
 * fake agents; the ip adapter against fake kernel primitives, and, as root,
 * against the real ones in a private network namespace. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sched.h>
#include <sys/socket.h>

#include "test_agent_util.h"

#include "../../src/common/errbuf.h"
#include "../../src/groups/runner.h"

/* The real ip primitives need libmnl on the link line; the Makefile's
 * unit-test rule does not have it, so the netns test names them weakly and
 * skips without them. Build with -DRUNNER_TEST_NETLINK (and libmnl) to
 * name them for good. */
#ifndef RUNNER_TEST_NETLINK
#pragma weak runner_ip_netlink
#endif

#define LIMIT_MS 10000

struct erec {
    enum runner_event_kind kind;
    enum runner_state state, old;
    char resource[VIGIL_NAME_MAX];
    unsigned failures;
    char *message;
};

struct fx {
    sd_event *ev;
    char *dir;
    char order[512];
    struct runner_group g;
    char *strs[128];
    size_t n_strs;
    struct runner *r;
    const struct runner_ip_ops *ip;
    struct erec evs[512];
    size_t n_evs;
    size_t mark; /* wait_state looks at events from here */
    bool free_on_running;
    bool free_on_warning;
};

static void on_event(struct runner *r, const struct runner_event *e, void *userdata)
{
    struct fx *f = userdata;
    struct erec *x;

    assert_non_null(e->message);
    assert_string_equal(e->group, "web");
    assert_string_equal(e->node, "alpha");
    assert_ptr_equal(r, f->r);
    if (getenv("VIGIL_TEST_VERBOSE"))
        fprintf(stderr, "  [%s] %s\n", runner_event_name(e->kind), e->message);
    assert_true(f->n_evs < sizeof(f->evs) / sizeof(f->evs[0]));
    x = &f->evs[f->n_evs++];
    x->kind = e->kind;
    x->state = e->state;
    x->old = e->old_state;
    snprintf(x->resource, sizeof(x->resource), "%s", e->resource ? e->resource : "");
    x->failures = e->failures;
    x->message = strdup(e->message);
    assert_non_null(x->message);
    if (e->kind == RUNNER_EV_STATE)
        assert_int_not_equal(e->state, e->old_state);
    else
        assert_int_equal(e->state, e->old_state);
    if ((f->free_on_running && e->kind == RUNNER_EV_STATE && e->state == RUNNER_RUNNING) ||
        (f->free_on_warning && e->kind == RUNNER_EV_WARNING)) {
        runner_free(r);
        f->r = NULL;
    }
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    assert_int_equal(sd_event_new(&f->ev), 0);
    f->dir = tmpdir_make("runner");
    snprintf(f->order, sizeof(f->order), "%s/order", f->dir);
    f->g.name = "web";
    f->g.migration_threshold = 3;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    runner_free(f->r);
    for (size_t i = 0; i < f->n_strs; i++)
        free(f->strs[i]);
    for (size_t i = 0; i < f->n_evs; i++)
        free(f->evs[i].message);
    sd_event_unref(f->ev);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* A string that lives as long as the fixture. */
static const char *keep(struct fx *f, char *s)
{
    assert_non_null(s);
    assert_true(f->n_strs < sizeof(f->strs) / sizeof(f->strs[0]));
    f->strs[f->n_strs++] = s;
    return s;
}

static const char *fmt(struct fx *f, const char *format, ...) __attribute__((format(printf, 2, 3)));
static const char *fmt(struct fx *f, const char *format, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, format);
    assert_true(vasprintf(&s, format, ap) > 0);
    va_end(ap);
    return keep(f, s);
}

/* An exec resource NAME: start appends "start NAME" to the order file, then
 * runs `mid` (may be ""), then creates DIR/NAME; stop appends "stop NAME",
 * runs `stop_mid`, removes DIR/NAME; the monitor (when interval >= 0; 0
 * makes it a probe-only monitor) checks DIR/NAME. */
static struct runner_resource *add_exec(struct fx *f, const char *name, const char *mid,
                                        const char *stop_mid, long interval_ms)
{
    struct runner_resource *d = &f->g.resources[f->g.n++];

    *d = (struct runner_resource){
        .name = name,
        .kind = RUNNER_EXEC,
        .start_timeout = 5000 * MS,
        .stop_timeout = 5000 * MS,
        .monitor_timeout = 5000 * MS,
        .monitor_interval = interval_ms > 0 ? (vg_usec_t)interval_ms * MS : 0,
        .monitor_retries = 1,
    };
    d->exec.start = fmt(f, "echo start %s >> %s; %stouch %s/%s", name, f->order, mid, f->dir, name);
    d->exec.stop =
        fmt(f, "echo stop %s >> %s; %srm -f %s/%s", name, f->order, stop_mid, f->dir, name);
    if (interval_ms >= 0)
        d->exec.monitor = fmt(f, "test -e %s/%s || { echo gone; exit 7; }", f->dir, name);
    return d;
}

static void make_runner(struct fx *f)
{
    struct runner_callbacks cb = {.event = on_event, .userdata = f, .ip = f->ip};
    char err[RUNNER_ERR_MAX] = "";
    int rc = runner_new(f->ev, "alpha", &f->g, &cb, 0, &f->r, err, sizeof(err));

    if (rc < 0)
        fail_msg("runner_new: %d %s", rc, err);
}

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf = calloc(1, 65536);
    size_t n;

    assert_non_null(buf);
    if (!fp)
        return buf;
    n = fread(buf, 1, 65535, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void assert_order(struct fx *f, const char *want)
{
    char *got = read_text(f->order);

    if (strcmp(got, want))
        fail_msg("order file:\n%s\nwanted:\n%s", got, want);
    free(got);
}

static bool exists(struct fx *f, const char *name)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    return access(path, F_OK) == 0;
}

static void touch(struct fx *f, const char *name)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    write_file(path, "", 0644);
}

static void rm(struct fx *f, const char *name)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    assert_int_equal(unlink(path), 0);
}

/* Turn the loop until an event of `kind` (and, for states, `state`; -1:
 * any) comes at or after f->mark; the mark moves past it. */
static struct erec *wait_event(struct fx *f, enum runner_event_kind kind, int state)
{
    vg_usec_t deadline = clock_now() + LIMIT_MS * MS;

    for (;;) {
        for (size_t i = f->mark; i < f->n_evs; i++)
            if (f->evs[i].kind == kind && (state < 0 || (int)f->evs[i].state == state)) {
                f->mark = i + 1;
                return &f->evs[i];
            }
        if (clock_now() >= deadline)
            fail_msg("no %s event%s%s within %d ms", runner_event_name(kind),
                     state >= 0 ? " to " : "", state >= 0 ? runner_state_name(state) : "",
                     LIMIT_MS);
        assert_true(sd_event_run(f->ev, 10 * MS) >= 0);
    }
}

static struct erec *wait_state(struct fx *f, enum runner_state s)
{
    struct erec *e = wait_event(f, RUNNER_EV_STATE, (int)s);

    assert_int_equal(runner_state(f->r), s);
    return e;
}

/* The states the events went through from index `from`, as "a b c". */
static char *state_trail(struct fx *f, size_t from)
{
    char *buf = calloc(1, 1024);
    size_t len = 0;

    assert_non_null(buf);
    for (size_t i = from; i < f->n_evs; i++)
        if (f->evs[i].kind == RUNNER_EV_STATE)
            len += (size_t)snprintf(buf + len, 1024 - len, "%s%s", len ? " " : "",
                                    runner_state_name(f->evs[i].state));
    return buf;
}

static void assert_trail(struct fx *f, size_t from, const char *want)
{
    char *got = state_trail(f, from);

    if (strcmp(got, want))
        fail_msg("states: '%s', wanted '%s'", got, want);
    free(got);
}

static size_t count_events(struct fx *f, enum runner_event_kind kind, size_t from)
{
    size_t n = 0;

    for (size_t i = from; i < f->n_evs; i++)
        n += f->evs[i].kind == kind;
    return n;
}

static struct erec *find_event(struct fx *f, enum runner_event_kind kind, size_t from)
{
    for (size_t i = from; i < f->n_evs; i++)
        if (f->evs[i].kind == kind)
            return &f->evs[i];
    fail_msg("no %s event", runner_event_name(kind));
    return NULL;
}

static void assert_contains(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("'%s'\ndoes not contain\n'%s'", text, want);
}

static void start_ok(struct fx *f)
{
    char err[RUNNER_ERR_MAX] = "";

    if (runner_start(f->r, err, sizeof(err)) < 0)
        fail_msg("runner_start: %s", err);
}

static void probe_ok(struct fx *f)
{
    char err[RUNNER_ERR_MAX] = "";

    if (runner_probe(f->r, err, sizeof(err)) < 0)
        fail_msg("runner_probe: %s", err);
}

static unsigned failures_now(struct fx *f)
{
    return runner_failures(f->r, clock_now());
}

/* Resource `name` dies; its monitor sees it and the group restarts here. */
static struct erec *crash_and_restart(struct fx *f, const char *name)
{
    struct erec *e;

    rm(f, name);
    e = wait_event(f, RUNNER_EV_RESTART, -1);
    assert_string_equal(e->resource, name);
    wait_state(f, RUNNER_RUNNING);
    return e;
}

/* ---- start and stop ---- */

/* Resources start in order and stop in reverse order; a second start of a
 * running group does nothing; states and their messages. */
static void test_order(void **state)
{
    struct fx *f = *state;
    struct runner_status st;
    struct erec *e;

    add_exec(f, "a", "", "", -1);
    add_exec(f, "b", "", "", -1);
    add_exec(f, "c", "", "", -1);
    make_runner(f);
    assert_int_equal(runner_state(f->r), RUNNER_STOPPED);
    assert_string_equal(runner_name(f->r), "web");

    start_ok(f);
    assert_int_equal(f->n_evs, 0); /* nothing from inside the call */
    e = wait_state(f, RUNNER_STARTING);
    assert_string_equal(e->message, "group web is now starting on alpha (was stopped)");
    e = wait_state(f, RUNNER_RUNNING);
    assert_string_equal(e->message, "group web is now running on alpha (was starting)");
    assert_int_equal(e->old, RUNNER_STARTING);
    assert_order(f, "start a\nstart b\nstart c\n");
    assert_true(exists(f, "a") && exists(f, "b") && exists(f, "c"));
    assert_int_equal(count_events(f, RUNNER_EV_ACTION, 0), 3);
    e = find_event(f, RUNNER_EV_ACTION, 0);
    assert_string_equal(e->resource, "a");
    assert_string_equal(e->message,
                        "group web on alpha: start of web/a (exec): succeeded (exit 0)");
    runner_status(f->r, clock_now(), &st);
    assert_int_equal(st.state, RUNNER_RUNNING);
    assert_int_equal(st.op, RUNNER_OP_NONE);
    assert_true(st.want_running);
    assert_int_equal(st.failures, 0);
    assert_true(st.expires == VG_USEC_INFINITY);

    /* already running: nothing happens */
    size_t n = f->n_evs;
    start_ok(f);
    agent_run_for(f->ev, 100);
    assert_int_equal(f->n_evs, n);

    runner_stop(f->r);
    e = wait_state(f, RUNNER_STOPPING);
    assert_string_equal(e->message, "group web is now stopping on alpha (was running)");
    wait_state(f, RUNNER_STOPPED);
    assert_order(f, "start a\nstart b\nstart c\nstop c\nstop b\nstop a\n");
    assert_false(exists(f, "a") || exists(f, "b") || exists(f, "c"));
    assert_trail(f, 0, "starting running stopping stopped");

    /* already stopped: nothing happens */
    n = f->n_evs;
    runner_stop(f->r);
    agent_run_for(f->ev, 100);
    assert_int_equal(f->n_evs, n);
}

/* A failed start stops what was started (the failed one too), in reverse,
 * and counts a failure; below the threshold the group ends stopped. */
static void test_start_fails(void **state)
{
    struct fx *f = *state;
    struct erec *e;

    add_exec(f, "a", "", "", -1);
    add_exec(f, "b", "echo boom >&2; exit 1; ", "", -1);
    add_exec(f, "c", "", "", -1);
    make_runner(f);
    start_ok(f);
    wait_state(f, RUNNER_STARTING);
    e = wait_state(f, RUNNER_STOPPED);
    assert_string_equal(
        e->message, "group web is now stopped on alpha (was stopping): resource b did not start");
    assert_order(f, "start a\nstart b\nstop b\nstop a\n");
    assert_trail(f, 0, "starting stopping stopped");
    assert_int_equal(failures_now(f), 1);
    e = find_event(f, RUNNER_EV_START_FAILED, 0);
    assert_string_equal(e->resource, "b");
    assert_int_equal(e->failures, 1);
    assert_string_equal(e->message,
                        "group web on alpha: resource b did not start (failure 1 of 3 here), "
                        "stopping what was started: start of web/b (exec) failed: exit 1: "
                        "\"boom\"");
}

/* At the threshold a failed start leaves the group failed, and it is not
 * started here again until the count is reset. */
static void test_start_fails_threshold(void **state)
{
    struct fx *f = *state;
    char err[RUNNER_ERR_MAX] = "";
    struct erec *e;

    f->g.migration_threshold = 1;
    add_exec(f, "a", "", "", -1);
    add_exec(f, "b", "exit 1; ", "", -1);
    make_runner(f);
    start_ok(f);
    e = wait_state(f, RUNNER_FAILED);
    assert_string_equal(e->message,
                        "group web is now failed on alpha (was stopping): resource b did not "
                        "start, and failures here reach the migration threshold");
    assert_order(f, "start a\nstart b\nstop b\nstop a\n");
    assert_int_equal(runner_start(f->r, err, sizeof(err)), -EPERM);
    assert_string_equal(err, "group web on alpha: its failures here reach the migration threshold "
                             "(1): it is not started here until they expire or are reset");
    runner_reset_failures(f->r);
    assert_int_equal(failures_now(f), 0);
    start_ok(f);
    wait_state(f, RUNNER_STARTING);
    wait_state(f, RUNNER_FAILED);
    assert_int_equal(failures_now(f), 1);
}

/* A stop that times out: the others are still stopped, the group is
 * stop-failed, nothing retries it by itself, a start is refused; a stop
 * asked again stops every resource and clears it. */
static void test_stop_timeout(void **state)
{
    struct fx *f = *state;
    char err[RUNNER_ERR_MAX] = "", *before, *after;
    const char *hang = fmt(f, "[ -e %s/hang ] && sleep 10; ", f->dir);
    struct erec *e;

    add_exec(f, "a", "", "", -1);
    add_exec(f, "b", "", hang, -1)->stop_timeout = 300 * MS;
    add_exec(f, "c", "", "", -1);
    make_runner(f);
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    touch(f, "hang");
    runner_stop(f->r);
    e = wait_state(f, RUNNER_STOP_FAILED);
    assert_string_equal(e->message,
                        "group web is now stop-failed on alpha (was stopping): the stop of b "
                        "failed, so it may still run here; nothing is stopped again until asked, "
                        "and only a stop that succeeds (or fencing) clears this");
    assert_order(f, "start a\nstart b\nstart c\nstop c\nstop b\nstop a\n");
    assert_true(exists(f, "b"));
    assert_false(exists(f, "a") || exists(f, "c"));
    e = find_event(f, RUNNER_EV_STOP_FAILED, 0);
    assert_string_equal(e->resource, "b");
    assert_contains(e->message, "group web on alpha: resource b did not stop, so it may still "
                                "run here (the other resources are stopped all the same): stop of "
                                "web/b (exec): timed out after 300ms");

    assert_int_equal(runner_start(f->r, err, sizeof(err)), -EPERM);
    assert_contains(err, "stop-failed");
    assert_int_equal(runner_probe(f->r, err, sizeof(err)), -EBUSY);
    before = read_text(f->order);
    agent_run_for(f->ev, 500);
    after = read_text(f->order);
    assert_string_equal(before, after); /* never retried silently */
    free(before);
    free(after);
    assert_int_equal(runner_state(f->r), RUNNER_STOP_FAILED);

    rm(f, "hang");
    runner_stop(f->r);
    e = wait_state(f, RUNNER_STOPPING);
    assert_contains(e->message, "stopping every resource again, as asked");
    wait_state(f, RUNNER_STOPPED);
    assert_order(f, "start a\nstart b\nstart c\nstop c\nstop b\nstop a\nstop c\nstop b\nstop a\n");
    assert_false(exists(f, "b"));
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
}

/* ---- monitors ---- */

/* monitor_retries failures in a row: the resource failed, the count goes
 * up, the group restarts in place (stop in reverse, start in order)
 * without passing through stopped. */
static void test_monitor_restart(void **state)
{
    struct fx *f = *state;
    struct erec *e;
    size_t from;

    add_exec(f, "a", "", "", 100);
    add_exec(f, "b", "", "", 100)->monitor_retries = 2;
    make_runner(f);
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    agent_run_for(f->ev, 300); /* monitors pass */
    assert_int_equal(count_events(f, RUNNER_EV_MONITOR_FAILED, 0), 0);
    from = f->n_evs;
    rm(f, "b");
    e = wait_event(f, RUNNER_EV_RESTART, -1);
    assert_string_equal(e->resource, "b");
    assert_int_equal(e->failures, 1);
    assert_string_equal(e->message,
                        "group web on alpha: resource b failed (failure 1 of 3 here): restarting "
                        "the group here: monitor of web/b (exec): not running (exit 7): \"gone\"");
    wait_state(f, RUNNER_RUNNING);
    assert_trail(f, from, "stopping starting running");
    assert_int_equal(count_events(f, RUNNER_EV_MONITOR_FAILED, from), 2);
    e = find_event(f, RUNNER_EV_MONITOR_FAILED, from);
    assert_string_equal(e->message, "group web on alpha: the monitor of resource b failed (1 of 2 "
                                    "in a row): monitor of web/b (exec): not running (exit 7): "
                                    "\"gone\"");
    e = find_event(f, RUNNER_EV_MONITOR_FAILED, (size_t)(e - f->evs) + 1);
    assert_contains(e->message, "(2 of 2 in a row)");
    e = find_event(f, RUNNER_EV_STATE, from);
    assert_string_equal(e->message, "group web is now stopping on alpha (was running): restarting "
                                    "it after resource b failed");
    assert_order(f, "start a\nstart b\nstop b\nstop a\nstart a\nstart b\n");
    assert_int_equal(failures_now(f), 1);
    assert_true(exists(f, "b"));
}

/* At the migration threshold: stopped here for good, state failed. */
static void test_monitor_threshold(void **state)
{
    struct fx *f = *state;
    char err[RUNNER_ERR_MAX];
    struct erec *e;

    f->g.migration_threshold = 2;
    add_exec(f, "a", "", "", 100);
    add_exec(f, "b", "", "", 100);
    make_runner(f);
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    crash_and_restart(f, "b");
    rm(f, "a");
    e = wait_event(f, RUNNER_EV_FAILED, -1);
    assert_string_equal(e->resource, "a");
    assert_string_equal(e->message,
                        "group web on alpha: resource a failed (failure 2 of 2 here, the "
                        "migration threshold): stopping the group here so that it can move: "
                        "monitor of web/a (exec): not running (exit 7): \"gone\"");
    e = wait_state(f, RUNNER_FAILED);
    assert_string_equal(e->message, "group web is now failed on alpha (was stopping): resource a "
                                    "failed, and failures here reach the migration threshold");
    assert_order(f, "start a\nstart b\nstop b\nstop a\nstart a\nstart b\nstop b\nstop a\n");
    assert_int_equal(failures_now(f), 2);
    assert_int_equal(runner_start(f->r, err, sizeof(err)), -EPERM);
    agent_run_for(f->ev, 300); /* no monitor runs any more */
    assert_int_equal(runner_state(f->r), RUNNER_FAILED);
    /* stopping a failed group leaves it failed */
    runner_stop(f->r);
    agent_run_for(f->ev, 50);
    assert_int_equal(runner_state(f->r), RUNNER_FAILED);
}

/* Failures older than failure_timeout do not count. */
static void test_failure_expiry(void **state)
{
    struct fx *f = *state;
    struct runner_status st;
    struct erec *e;
    vg_usec_t now;

    f->g.migration_threshold = 2;
    f->g.failure_timeout = 600 * MS;
    add_exec(f, "a", "", "", 100);
    make_runner(f);
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    crash_and_restart(f, "a");
    now = clock_now();
    runner_status(f->r, now, &st);
    assert_int_equal(st.failures, 1);
    assert_true(st.last_failure > 0 && st.last_failure <= now);
    assert_true(st.expires == st.last_failure + 600 * MS);
    assert_int_equal(runner_failures(f->r, st.last_failure + 599 * MS), 1);
    assert_int_equal(runner_failures(f->r, st.last_failure + 600 * MS), 0);

    agent_run_for(f->ev, 700);
    assert_int_equal(failures_now(f), 0);
    e = crash_and_restart(f, "a"); /* not failed: the first one expired */
    assert_contains(e->message, "(failure 1 of 2 here)");
    assert_int_equal(failures_now(f), 1);
}

/* Each resource's status (runner_resource_status): unknown before
 * anything ran, what a probe found, running once started, the last monitor
 * with its result, exit code, reason and time, the failures it caused
 * (expiring and reset like the group's), stopped after a stop. */
static void test_resource_status(void **state)
{
    struct fx *f = *state;
    struct runner_res_status a, b;
    vg_usec_t before;

    f->g.failure_timeout = 60 * 1000 * MS;
    add_exec(f, "a", "", "", 100);
    add_exec(f, "b", "", "", -1); /* no monitor */
    make_runner(f);
    assert_int_equal(runner_resource_count(f->r), 2);
    assert_int_equal(runner_resource_status(f->r, 2, clock_now(), &a), -ERANGE);
    assert_int_equal(runner_resource_status(f->r, 0, clock_now(), &a), 0);
    assert_string_equal(a.name, "a");
    assert_int_equal(a.kind, RUNNER_EXEC);
    assert_int_equal(a.state, RUNNER_RES_UNKNOWN);
    assert_int_equal(a.monitor_interval, 100 * MS);
    assert_false(a.last_monitor.known);
    assert_null(a.last_monitor.reason);

    before = clock_now();
    probe_ok(f);
    wait_event(f, RUNNER_EV_PROBED, -1);
    runner_resource_status(f->r, 0, clock_now(), &a);
    runner_resource_status(f->r, 1, clock_now(), &b);
    assert_int_equal(a.state, RUNNER_RES_STOPPED);
    assert_true(a.last_monitor.known && a.last_monitor.probe);
    assert_int_equal(a.last_monitor.outcome, AGENT_NOT_RUNNING);
    assert_int_equal(a.last_monitor.exit_code, 7);
    assert_true(a.last_monitor.at >= before && a.last_monitor.at <= clock_now());
    assert_contains(a.last_monitor.reason, "not running (exit 7): \"gone\"");
    assert_int_equal(b.monitor_interval, 0);
    assert_false(b.last_monitor.known);
    /* b has no monitor, so the probe finds the group partly running: stopped */
    wait_state(f, RUNNER_STOPPED);
    runner_resource_status(f->r, 1, clock_now(), &b);
    assert_int_equal(b.state, RUNNER_RES_STOPPED);

    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    runner_resource_status(f->r, 0, clock_now(), &a);
    assert_false(a.last_monitor.known); /* the start dropped the probe's "not running" */
    assert_null(a.last_monitor.reason);
    agent_run_for(f->ev, 250); /* a monitor passes */
    runner_resource_status(f->r, 0, clock_now(), &a);
    runner_resource_status(f->r, 1, clock_now(), &b);
    assert_int_equal(a.state, RUNNER_RES_RUNNING);
    assert_int_equal(b.state, RUNNER_RES_RUNNING);
    assert_false(a.last_monitor.probe);
    assert_int_equal(a.last_monitor.outcome, AGENT_OK);
    assert_int_equal(a.last_monitor.exit_code, 0);
    assert_int_equal(a.failures, 0);

    crash_and_restart(f, "a");
    runner_resource_status(f->r, 0, clock_now(), &a);
    runner_resource_status(f->r, 1, clock_now(), &b);
    assert_int_equal(a.state, RUNNER_RES_RUNNING);
    assert_int_equal(a.failures, 1);
    assert_true(a.last_failure > 0);
    assert_int_equal(b.failures, 0);
    /* the failed monitor stays the last one until the next one ends */
    if (a.last_monitor.outcome != AGENT_OK) {
        assert_int_equal(a.last_monitor.outcome, AGENT_NOT_RUNNING);
        assert_int_equal(a.last_monitor.exit_code, 7);
    }
    runner_resource_status(f->r, 0, a.last_failure + 60 * 1000 * MS, &a);
    assert_int_equal(a.failures, 0); /* expired */
    runner_reset_failures(f->r);
    runner_resource_status(f->r, 0, clock_now(), &a);
    assert_int_equal(a.failures, 0);

    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPED);
    runner_resource_status(f->r, 0, clock_now(), &a);
    runner_resource_status(f->r, 1, clock_now(), &b);
    assert_int_equal(a.state, RUNNER_RES_STOPPED);
    assert_int_equal(b.state, RUNNER_RES_STOPPED);
    assert_string_equal(runner_res_state_name(RUNNER_RES_STOP_FAILED), "stop-failed");
    assert_string_equal(runner_res_state_name((enum runner_res_state)99), "unknown");
}

/* A start under way shows as starting; a start that fails counts a
 * failure against its resource; stops under way show as stopping. */
static void test_resource_status_start_failed(void **state)
{
    struct fx *f = *state;
    struct runner_res_status a, b;

    add_exec(f, "a", "sleep 0.3; ", "sleep 0.3; ", -1);
    add_exec(f, "b", "", "", -1)->exec.start = "exit 1";
    make_runner(f);
    start_ok(f);
    agent_run_for(f->ev, 100);
    runner_resource_status(f->r, 0, clock_now(), &a);
    assert_int_equal(a.state, RUNNER_RES_STARTING);
    wait_event(f, RUNNER_EV_START_FAILED, -1);
    runner_resource_status(f->r, 0, clock_now(), &a);
    runner_resource_status(f->r, 1, clock_now(), &b);
    assert_int_equal(b.failures, 1);
    assert_int_equal(a.failures, 0);
    /* b first (a failed start may leave part of it running), then a */
    assert_int_equal(b.state, RUNNER_RES_STOPPING);
    assert_int_equal(a.state, RUNNER_RES_RUNNING);
    agent_run_for(f->ev, 100);
    runner_resource_status(f->r, 0, clock_now(), &a);
    assert_int_equal(a.state, RUNNER_RES_STOPPING);
    wait_state(f, RUNNER_STOPPED);
    runner_resource_status(f->r, 0, clock_now(), &a);
    assert_int_equal(a.state, RUNNER_RES_STOPPED);
}

/* ---- probes ---- */

/* Everything runs: running, monitored, nothing started or stopped. */
static void test_probe_all(void **state)
{
    struct fx *f = *state;
    struct runner_status st;
    struct erec *e;

    add_exec(f, "a", "", "", 100);
    add_exec(f, "b", "", "", 100);
    make_runner(f);
    touch(f, "a");
    touch(f, "b");
    probe_ok(f);
    runner_status(f->r, clock_now(), &st);
    assert_int_equal(st.op, RUNNER_OP_NONE); /* it begins on the next turn */
    e = wait_event(f, RUNNER_EV_PROBED, -1);
    assert_string_equal(e->message, "group web on alpha: the probe found it running (a running, b "
                                    "running): it stays running");
    e = wait_state(f, RUNNER_RUNNING);
    assert_int_equal(e->old, RUNNER_STOPPED);
    assert_order(f, "");
    runner_status(f->r, clock_now(), &st);
    assert_true(st.want_running);
    /* and monitored from now on */
    crash_and_restart(f, "b");
    assert_order(f, "stop b\nstop a\nstart a\nstart b\n");
}

/* Nothing runs: stopped, nothing is stopped; a probe may run again. */
static void test_probe_none(void **state)
{
    struct fx *f = *state;
    struct runner_status st;
    struct erec *e;
    char err[RUNNER_ERR_MAX];

    add_exec(f, "a", "", "", 100);
    add_exec(f, "b", "", "", 0); /* probed, not monitored */
    make_runner(f);
    probe_ok(f);
    assert_int_equal(runner_probe(f->r, err, sizeof(err)), -EBUSY); /* asked already */
    assert_int_equal(runner_state(f->r), RUNNER_STOPPED);
    e = wait_event(f, RUNNER_EV_PROBED, -1);
    assert_string_equal(e->message, "group web on alpha: the probe found nothing running (a not "
                                    "running, b not running)");
    assert_int_equal(count_events(f, RUNNER_EV_STATE, 0), 0);
    runner_status(f->r, clock_now(), &st);
    assert_int_equal(st.op, RUNNER_OP_NONE);
    assert_false(st.want_running);
    assert_order(f, "");
    probe_ok(f);
    wait_event(f, RUNNER_EV_PROBED, -1);

    /* a running group is not probed */
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    assert_int_equal(runner_probe(f->r, err, sizeof(err)), -EBUSY);
    assert_string_equal(err, "group web on alpha is running: a probe needs it stopped or failed");
}

/* Partly running: what may run is stopped (a resource without a monitor
 * too, to be sure), what was found stopped is left alone. */
static void test_probe_partly(void **state)
{
    struct fx *f = *state;
    struct erec *e;

    add_exec(f, "a", "", "", 100);
    add_exec(f, "b", "", "", 100);
    add_exec(f, "c", "", "", -1); /* no monitor */
    add_exec(f, "d", "", "", 100);
    f->g.resources[3].exec.monitor = "exit 1";
    make_runner(f);
    touch(f, "a");
    probe_ok(f);
    e = wait_event(f, RUNNER_EV_PROBED, -1);
    assert_string_equal(e->message,
                        "group web on alpha: the probe found it partly running (a running, b not "
                        "running, c unknown (no monitor), d failed): stopping what may run");
    e = find_event(f, RUNNER_EV_MONITOR_FAILED, 0);
    assert_string_equal(e->resource, "d");
    assert_string_equal(e->message, "group web on alpha: the probe of resource d failed, so it "
                                    "will be stopped to be sure: monitor of web/d (exec) failed: "
                                    "exit 1");
    e = wait_state(f, RUNNER_STOPPING);
    assert_string_equal(e->message, "group web is now stopping on alpha (was stopped): the probe "
                                    "found it partly running");
    wait_state(f, RUNNER_STOPPED);
    assert_order(f, "stop d\nstop c\nstop a\n");
    assert_false(exists(f, "a"));
    assert_int_equal(failures_now(f), 0);
}

/* A stop during the probe calls it off and stops everything; a start
 * during the probe starts once it ends. */
static void test_probe_commands(void **state)
{
    struct fx *f = *state;
    struct erec *e;
    size_t from;

    add_exec(f, "a", "", "", 100);
    add_exec(f, "b", "", "", 100);
    f->g.resources[1].exec.monitor = fmt(f, "sleep 0.3; test -e %s/b || exit 7", f->dir);
    make_runner(f);
    probe_ok(f);
    agent_run_for(f->ev, 100);
    assert_int_equal(count_events(f, RUNNER_EV_PROBED, 0), 0);
    runner_stop(f->r);
    e = wait_event(f, RUNNER_EV_COMMAND, -1);
    assert_string_equal(e->message, "group web on alpha: stop asked during the probe: the probe "
                                    "is called off and every resource stopped");
    wait_state(f, RUNNER_STOPPED);
    assert_order(f, "stop b\nstop a\n");
    assert_int_equal(count_events(f, RUNNER_EV_PROBED, 0), 0);

    from = f->n_evs;
    probe_ok(f);
    agent_run_for(f->ev, 100);
    start_ok(f);
    e = wait_event(f, RUNNER_EV_COMMAND, -1);
    assert_string_equal(e->message, "group web on alpha: start asked during the probe: starting "
                                    "once it ends, unless it finds the group running");
    wait_event(f, RUNNER_EV_PROBED, -1);
    wait_state(f, RUNNER_RUNNING);
    assert_trail(f, from, "starting running");
    assert_order(f, "stop b\nstop a\nstart a\nstart b\n");
}

/* ---- commands meeting an operation under way ---- */

/* A stop during a start: the start under way ends, the rest is not
 * started, what was started is stopped. */
static void test_stop_during_start(void **state)
{
    struct fx *f = *state;
    struct erec *e;

    add_exec(f, "a", "sleep 0.4; ", "", -1);
    add_exec(f, "b", "", "", -1);
    make_runner(f);
    start_ok(f);
    wait_state(f, RUNNER_STARTING);
    agent_run_for(f->ev, 100);
    runner_stop(f->r);
    e = wait_event(f, RUNNER_EV_COMMAND, -1);
    assert_string_equal(e->resource, "a");
    assert_string_equal(e->message, "group web on alpha: stop asked while it starts: stopping what "
                                    "was started once the start of the current resource ends");
    wait_state(f, RUNNER_STOPPED);
    assert_trail(f, 0, "starting stopping stopped");
    assert_order(f, "start a\nstop a\n");
    assert_false(exists(f, "a") || exists(f, "b"));
    assert_int_equal(failures_now(f), 0);
}

/* A start during a stop waits for the stop to end, then starts, without
 * passing through stopped. */
static void test_start_during_stop(void **state)
{
    struct fx *f = *state;
    struct erec *e;
    size_t from;

    add_exec(f, "a", "", "", -1);
    add_exec(f, "b", "", "sleep 0.3; ", -1);
    make_runner(f);
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    from = f->n_evs;
    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPING);
    agent_run_for(f->ev, 100);
    start_ok(f);
    e = wait_event(f, RUNNER_EV_COMMAND, -1);
    assert_string_equal(e->message, "group web on alpha: start asked while it stops: starting once "
                                    "the stop ends");
    wait_state(f, RUNNER_RUNNING);
    assert_trail(f, from, "stopping starting running");
    assert_order(f, "start a\nstart b\nstop b\nstop a\nstart a\nstart b\n");
}

/* Commands before the loop turns: the last one wins. */
static void test_last_command_wins(void **state)
{
    struct fx *f = *state;

    add_exec(f, "a", "", "", -1);
    make_runner(f);
    start_ok(f);
    runner_stop(f->r);
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    runner_stop(f->r);
    start_ok(f);
    agent_run_for(f->ev, 200);
    assert_order(f, "start a\n");
    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPED);
    assert_trail(f, 0, "starting running stopping stopped");
}

/* runner_free from inside the callback. */
static void test_free_in_callback(void **state)
{
    struct fx *f = *state;

    add_exec(f, "a", "", "", 50);
    make_runner(f);
    f->free_on_running = true;
    start_ok(f);
    for (int i = 0; i < 100 && f->r; i++)
        assert_true(sd_event_run(f->ev, 10 * MS) >= 0);
    assert_null(f->r);
    agent_run_for(f->ev, 200); /* no timer of the freed runner fires */
}

/* ---- descriptions ---- */

static void expect_refused(struct fx *f, int want, const char *msg)
{
    struct runner_callbacks cb = {.event = on_event, .userdata = f, .ip = f->ip};
    struct runner *r = NULL;
    char err[RUNNER_ERR_MAX] = "";

    assert_int_equal(runner_new(f->ev, "alpha", &f->g, &cb, 0, &r, err, sizeof(err)), want);
    assert_null(r);
    if (strcmp(err, msg))
        fail_msg("message '%s', wanted '%s'", err, msg);
}

static void test_new_refused(void **state)
{
    struct fx *f = *state;
    struct runner_callbacks cb = {.event = on_event, .userdata = f};
    struct runner *r = NULL;
    char err[RUNNER_ERR_MAX] = "";

    add_exec(f, "a", "", "", -1);
    add_exec(f, "a", "", "", -1);
    expect_refused(f, -EINVAL, "group web: resource a is there twice");
    f->g.resources[1].name = "";
    expect_refused(f, -EINVAL,
                   "group web: resource 2 has no name, or one too long or with control "
                   "characters");
    f->g.resources[1].name = "b";
    f->g.resources[1].exec.stop = NULL;
    expect_refused(f, -EINVAL,
                   "group web, resource b: no stop command: add `stop = COMMAND` (run "
                   "with /bin/sh -c)");
    f->g.resources[1] = (struct runner_resource){.name = "vip", .kind = RUNNER_IP};
    res_ip_init(&f->g.resources[1].ip);
    expect_refused(f, -EOPNOTSUPP,
                   "group web, resource vip: an ip resource, but this runner has "
                   "no way to reach the kernel's addresses");
    f->g.resources[1] = (struct runner_resource){.name = "u", .kind = RUNNER_SYSTEMD};
    expect_refused(f, -EINVAL, "group web, resource u: no systemd unit");
    f->g.resources[1] = (struct runner_resource){.name = "o", .kind = RUNNER_OCF};
    expect_refused(f, -EINVAL, "group web, resource o: no OCF agent (ocf:PROVIDER:TYPE)");
    f->g.resources[1] = (struct runner_resource){.name = "k", .kind = (enum runner_kind)9};
    expect_refused(f, -EINVAL, "group web, resource k: unknown kind 9");
    f->g.n = VIGIL_MAX_GROUP_RESOURCES + 1;
    expect_refused(f, -EINVAL, "group web: 17 resources, at most 16");
    f->g.n = 1;
    f->g.name = "";
    expect_refused(f, -EINVAL, "a group needs a name (1 to 63 characters, no control characters)");
    f->g.name = "web";
    assert_int_equal(runner_new(f->ev, "", &f->g, &cb, 0, &r, err, sizeof(err)), -EINVAL);
    assert_contains(err, "this node's name");
    cb.event = NULL;
    assert_int_equal(runner_new(f->ev, "alpha", &f->g, &cb, 0, &r, err, sizeof(err)), -EINVAL);
    assert_null(r);

    /* an empty group runs at once */
    f->g.n = 0;
    make_runner(f);
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPED);
    probe_ok(f);
    assert_string_equal(wait_event(f, RUNNER_EV_PROBED, -1)->message,
                        "group web on alpha: the probe found nothing running");
}

/* ---- ocf and systemd, through fake agents ---- */

static const char fake_ocf[] = "#!/bin/sh\n"
                               "echo \"ocf $1 $OCF_RESOURCE_INSTANCE\" >> \"$OCF_RESKEY_order\"\n"
                               "case $1 in\n"
                               "start) touch \"$OCF_RESKEY_state\";;\n"
                               "stop) rm -f \"$OCF_RESKEY_state\";;\n"
                               "monitor) [ -e \"$OCF_RESKEY_state\" ] || exit 7;;\n"
                               "*) exit 3;;\n"
                               "esac\n";

static const char fake_systemctl_fmt[] = "#!/bin/sh\n"
                                         "echo \"systemctl $*\" >> %s\n"
                                         "case $2 in\n"
                                         "start) touch %s/unit;;\n"
                                         "stop) rm -f %s/unit;;\n"
                                         "is-active) [ -e %s/unit ] || exit 3;;\n"
                                         "esac\n";

/* The description is copied: the caller's strings and parameter array may
 * go right after runner_new. */
static void test_ocf_systemd(void **state)
{
    struct fx *f = *state;
    struct runner_resource *o = &f->g.resources[0], *u = &f->g.resources[1];
    struct agent_param *params = calloc(2, sizeof(*params));
    char *root = NULL, *state_file = NULL, *systemctl = NULL, *script = NULL, path[1024];
    char err[AGENT_ERR_MAX];

    assert_true(asprintf(&root, "%s/ocf", f->dir) > 0);
    snprintf(path, sizeof(path), "%s/resource.d/vigil/fake", root);
    write_file(path, fake_ocf, 0755);
    assert_true(asprintf(&systemctl, "%s/systemctl", f->dir) > 0);
    assert_true(asprintf(&script, fake_systemctl_fmt, f->order, f->dir, f->dir, f->dir) > 0);
    write_file(systemctl, script, 0755);
    assert_true(asprintf(&state_file, "%s/ocfstate", f->dir) > 0);
    assert_non_null(params);
    params[0] = (struct agent_param){strdup("state"), state_file};
    params[1] = (struct agent_param){strdup("order"), strdup(f->order)};

    *o = (struct runner_resource){.name = "db", .kind = RUNNER_OCF, .monitor_interval = 100 * MS};
    assert_int_equal(agent_ocf_parse("ocf:vigil:fake", &o->ocf, err, sizeof(err)), 0);
    o->ocf.root = root;
    o->ocf.params = params;
    o->ocf.n_params = 2;
    *u = (struct runner_resource){.name = "app", .kind = RUNNER_SYSTEMD};
    assert_int_equal(agent_systemd_parse_unit("app", &u->systemd, err, sizeof(err)), 0);
    u->systemd.systemctl = systemctl;
    f->g.n = 2;
    make_runner(f);
    for (int i = 0; i < 2; i++) {
        free((char *)params[i].name);
        free((char *)params[i].value);
    }
    free(params);
    free(root);
    free(systemctl);
    free(script);
    memset(f->g.resources, 0, sizeof(f->g.resources));

    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    agent_run_for(f->ev, 250); /* a few monitors of db */
    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPED);
    {
        char *got = read_text(f->order);

        assert_true(strncmp(got,
                            "ocf start web-db\n"
                            "systemctl --no-ask-password start app.service\n"
                            "ocf monitor web-db\n",
                            strlen("ocf start web-db\nsystemctl --no-ask-password start "
                                   "app.service\nocf monitor web-db\n")) == 0);
        assert_contains(got, "systemctl --no-ask-password stop app.service\nocf stop web-db\n");
        free(got);
    }
    assert_false(exists(f, "ocfstate") || exists(f, "unit"));
    probe_ok(f);
    assert_string_equal(wait_event(f, RUNNER_EV_PROBED, -1)->message,
                        "group web on alpha: the probe found nothing running (db not running, app "
                        "not running)");
}

/* ---- ip: the adapter against fake kernel primitives ---- */

static struct {
    char log[2048];
    int resolve_rc, add_rc, open_rc, round_fail_at;
    bool present, link_down;
    int rounds;
    vg_usec_t round_at[16];
    int open, closed;
    /* the probe: a pipe stands for the packet socket; an answer is a byte in it */
    bool probe_answer; /* every probe sent is answered by another machine */
    int probe_start_rc, probe_read_rc;
    int probe_open, probe_closed, probe_sent;
    int probe_wfd;
    vg_usec_t probe_at[8], add_at;
} fake;

static void fake_log(const char *what)
{
    size_t len = strlen(fake.log);

    snprintf(fake.log + len, sizeof(fake.log) - len, "%s%s", len ? " " : "", what);
}

static int fake_resolve(const struct res_ip *ip, struct res_ip_link *out, char *err, size_t errlen)
{
    fake_log("resolve");
    if (fake.resolve_rc)
        return errbuf_fail(err, errlen, fake.resolve_rc,
                           "192.0.2.100/24: two interfaces hold its network: set `interface`");
    *out = (struct res_ip_link){.ifindex = 7, .name = "eth7", .ethernet = true, .up = true};
    return 0;
}

static int fake_add(const struct res_ip *ip, const struct res_ip_link *link, char *err,
                    size_t errlen)
{
    fake_log("add");
    assert_int_equal(link->ifindex, 7);
    if (fake.add_rc)
        return errbuf_fail(err, errlen, fake.add_rc, "cannot add 192.0.2.100/24 to eth7: %s",
                           strerror(-fake.add_rc));
    fake.present = true;
    fake.add_at = clock_now();
    return 0;
}

static int fake_del(const struct res_ip *ip, const struct res_ip_link *link, char *err,
                    size_t errlen)
{
    fake_log("del");
    fake.present = false;
    return 0;
}

static int fake_check(const struct res_ip *ip, int ifindex, enum res_ip_status *status, char *err,
                      size_t errlen)
{
    fake_log("check");
    assert_int_equal(ifindex, 7);
    if (!fake.present) {
        *status = RES_IP_ABSENT;
        return errbuf_fail(err, errlen, 0, "192.0.2.100/24 is not on eth7");
    }
    if (fake.link_down) {
        *status = RES_IP_LINK_DOWN;
        return errbuf_fail(err, errlen, 0, "eth7 is down");
    }
    *status = RES_IP_PRESENT;
    return 0;
}

static int fake_open(struct res_ip_announce *a, const struct res_ip_addr *vip,
                     const struct res_ip_link *link, char *err, size_t errlen)
{
    fake_log("open");
    memset(a, 0, sizeof(*a));
    a->s.fd = -1;
    if (fake.open_rc)
        return errbuf_fail(err, errlen, fake.open_rc, "cannot announce on eth7: not Ethernet");
    fake.open++;
    return 0;
}

static int fake_round(struct res_ip_announce *a, char *err, size_t errlen)
{
    fake_log("round");
    if (fake.round_fail_at && fake.rounds + 1 == fake.round_fail_at)
        return errbuf_fail(err, errlen, -ENETDOWN, "cannot send the gratuitous ARP: down");
    if (fake.rounds < 16)
        fake.round_at[fake.rounds] = clock_now();
    fake.rounds++;
    a->rounds++;
    return 0;
}

static void fake_close(struct res_ip_announce *a)
{
    fake_log("close");
    fake.closed++;
}

static int fake_probe_send(struct res_ip_probe *p, char *err, size_t errlen)
{
    if (fake.probe_sent < 8)
        fake.probe_at[fake.probe_sent] = clock_now();
    fake.probe_sent++;
    p->sent++;
    if (fake.probe_answer)
        assert_int_equal(write(fake.probe_wfd, "a", 1), 1);
    return 0;
}

static int fake_probe_start(struct res_ip_probe *p, const struct res_ip_addr *vip,
                            const struct res_ip_link *link, char *err, size_t errlen)
{
    int fds[2];

    fake_log("probe");
    assert_int_equal(link->ifindex, 7);
    memset(p, 0, sizeof(*p));
    p->s.fd = -1;
    if (fake.probe_start_rc)
        return errbuf_fail(err, errlen, fake.probe_start_rc,
                           "cannot open a packet socket to probe for 192.0.2.100/24 on eth7: %s",
                           strerror(-fake.probe_start_rc));
    assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    p->s.fd = fds[0];
    fake.probe_wfd = fds[1];
    fake.probe_open++;
    return fake_probe_send(p, err, errlen);
}

static int fake_probe_read(struct res_ip_probe *p, char *err, size_t errlen)
{
    static const uint8_t other[RES_IP_ETH_ALEN] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    char buf[16];

    if (fake.probe_read_rc)
        return errbuf_fail(err, errlen, fake.probe_read_rc,
                           "cannot read the answers to the probe for 192.0.2.100/24 on eth7: %s",
                           strerror(-fake.probe_read_rc));
    while (read(p->s.fd, buf, sizeof(buf)) > 0) {
        p->result = RES_IP_PROBE_IN_USE;
        memcpy(p->peer, other, sizeof(other));
    }
    return 0;
}

static void fake_probe_close(struct res_ip_probe *p)
{
    fake_log("unprobe");
    close(p->s.fd);
    close(fake.probe_wfd);
    p->s.fd = fake.probe_wfd = -1;
    fake.probe_closed++;
}

static const struct runner_ip_ops fake_ops = {
    .resolve = fake_resolve,
    .add = fake_add,
    .del = fake_del,
    .check = fake_check,
    .announce_open = fake_open,
    .announce_round = fake_round,
    .announce_close = fake_close,
    .probe_start = fake_probe_start,
    .probe_send = fake_probe_send,
    .probe_read = fake_probe_read,
    .probe_close = fake_probe_close,
};

/* The VIP, not probed (probe-timeout 0): the probe's own tests set it. */
static struct runner_resource *add_ip(struct fx *f, int count)
{
    struct runner_resource *d = &f->g.resources[f->g.n++];
    char err[RES_IP_ERR_MAX];

    *d = (struct runner_resource){.name = "vip", .kind = RUNNER_IP, .monitor_retries = 1};
    res_ip_init(&d->ip);
    assert_int_equal(res_ip_set_key(&d->ip, "address", "192.0.2.100/24", err, sizeof(err)), 0);
    d->ip.announce_count = count;
    d->ip.probe_timeout = 0;
    return d;
}

static int fake_setup(void **state)
{
    memset(&fake, 0, sizeof(fake));
    setup(state);
    ((struct fx *)*state)->ip = &fake_ops;
    return 0;
}

/* start = resolve + add + the first announcement at once, the others from
 * a timer 200 ms apart while the next resource starts; monitor = check;
 * an address gone is a failure that restarts; stop = close + del. */
static void test_ip_adapter(void **state)
{
    struct fx *f = *state;
    struct erec *e;

    add_ip(f, 3)->monitor_interval = 100 * MS;
    add_exec(f, "app", "", "", -1);
    make_runner(f);
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    e = find_event(f, RUNNER_EV_ACTION, 0);
    assert_string_equal(e->message, "group web on alpha: start of web/vip (ip 192.0.2.100/24 on "
                                    "eth7): added, announcing it 3 times, 200 ms apart");
    assert_order(f, "start app\n");
    assert_true(fake.rounds >= 1);
    agent_run_for(f->ev, 700);
    assert_int_equal(fake.rounds, 3);
    assert_int_equal(fake.closed, 1);
    for (int i = 1; i < 3; i++)
        assert_true(fake.round_at[i] - fake.round_at[i - 1] >= RES_IP_ANNOUNCE_INTERVAL - MS);
    assert_true(strncmp(fake.log, "resolve add open round", 22) == 0);
    assert_contains(fake.log, "close");

    /* the address disappears: monitor says not running → restart */
    fake.present = false;
    e = wait_event(f, RUNNER_EV_RESTART, -1);
    assert_string_equal(e->resource, "vip");
    assert_string_equal(e->message,
                        "group web on alpha: resource vip failed (failure 1 of 3 here): "
                        "restarting the group here: monitor of web/vip (ip "
                        "192.0.2.100/24 on eth7): not running: 192.0.2.100/24 is not "
                        "on eth7");
    wait_state(f, RUNNER_RUNNING);
    assert_true(fake.present);

    /* a link down is a failure too */
    fake.link_down = true;
    e = wait_event(f, RUNNER_EV_MONITOR_FAILED, -1);
    assert_contains(e->message, "monitor of web/vip (ip 192.0.2.100/24 on eth7) failed: eth7 is "
                                "down");
    fake.link_down = false;
    wait_state(f, RUNNER_RUNNING);

    fake.log[0] = '\0';
    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPED);
    assert_false(fake.present);
    assert_contains(fake.log, "del");
    e = &f->evs[f->n_evs - 2];
    assert_string_equal(e->message, "group web on alpha: stop of web/vip (ip 192.0.2.100/24 on "
                                    "eth7): succeeded, removed");
    assert_int_equal(fake.open, fake.closed);
}

/* A stop during the announcements ends them; an add that fails fails the
 * start; an announcement that cannot be sent is a warning, not a failure;
 * a link that cannot announce is fine; probes resolve and check. */
static void test_ip_adapter_edges(void **state)
{
    struct fx *f = *state;
    struct erec *e;

    add_ip(f, 5);
    make_runner(f);
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPED);
    agent_run_for(f->ev, 500);
    assert_int_equal(fake.rounds, 1);
    assert_int_equal(fake.closed, 1);

    fake.add_rc = -EPERM;
    start_ok(f);
    e = wait_event(f, RUNNER_EV_START_FAILED, -1);
    assert_string_equal(e->message,
                        "group web on alpha: resource vip did not start (failure 1 of 3 "
                        "here), stopping what was started: start of web/vip (ip "
                        "192.0.2.100/24 on eth7) failed: cannot add 192.0.2.100/24 to "
                        "eth7: Operation not permitted");
    wait_state(f, RUNNER_STOPPED);
    fake.add_rc = 0;

    /* a start that failed before adding anything has nothing to stop */
    fake.resolve_rc = -ENOTUNIQ;
    fake.log[0] = '\0';
    start_ok(f);
    e = wait_event(f, RUNNER_EV_START_FAILED, -1);
    assert_contains(e->message, "start of web/vip (ip 192.0.2.100/24) failed: 192.0.2.100/24: two "
                                "interfaces hold its network: set `interface`");
    e = wait_event(f, RUNNER_EV_ACTION, -1);
    assert_string_equal(e->message, "group web on alpha: stop of web/vip (ip 192.0.2.100/24): "
                                    "succeeded, the failed start added nothing");
    wait_state(f, RUNNER_STOPPED);
    assert_string_equal(fake.log, "resolve");
    fake.resolve_rc = 0;
    runner_reset_failures(f->r);

    fake.round_fail_at = 2;
    fake.rounds = 0;
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    e = wait_event(f, RUNNER_EV_WARNING, -1);
    assert_string_equal(e->message, "group web on alpha: resource vip: the address is up, but its "
                                    "announcement stopped after 1 of 5 rounds, so neighbours may "
                                    "keep the old holder for a while: cannot send the gratuitous "
                                    "ARP: down");
    assert_int_equal(fake.open, fake.closed);
    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPED);
    fake.round_fail_at = 0;

    fake.open_rc = -EOPNOTSUPP;
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    e = &f->evs[f->n_evs - 2];
    assert_string_equal(e->message, "group web on alpha: start of web/vip (ip 192.0.2.100/24 on "
                                    "eth7): added, not announced: cannot announce on eth7: not "
                                    "Ethernet");
    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPED);

    fake.present = true; /* as after a restart of vigild */
    fake.log[0] = '\0';
    probe_ok(f);
    assert_string_equal(wait_event(f, RUNNER_EV_PROBED, -1)->message,
                        "group web on alpha: the probe found it running (vip running): it stays "
                        "running");
    assert_string_equal(fake.log, "resolve check");
}

/* ---- ip: the probe for another holder before start ---- */

static struct runner_resource *add_probed_ip(struct fx *f, long window_ms)
{
    struct runner_resource *d = add_ip(f, 1);

    d->ip.probe_timeout = (vg_usec_t)window_ms * MS;
    return d;
}

/* Turn the loop until the fake has opened n probes (bounded by LIMIT_MS). */
static void wait_probes_opened(struct fx *f, int n)
{
    vg_usec_t deadline = clock_now() + LIMIT_MS * MS;

    while (fake.probe_open < n) {
        if (clock_now() >= deadline)
            fail_msg("%d probes opened, not %d, within %d ms", fake.probe_open, n, LIMIT_MS);
        assert_true(sd_event_run(f->ev, 10 * MS) >= 0);
    }
}

/* Silence for the window: RES_IP_PROBE_COUNT probes evenly spaced over it,
 * then add and announce; the loop ran meanwhile (the next resource waits,
 * the probe's socket is closed before the address is added). */
static void test_ip_probe_silence(void **state)
{
    struct fx *f = *state;
    vg_usec_t t0;
    struct erec *e;

    add_probed_ip(f, 150);
    add_exec(f, "app", "", "", -1);
    make_runner(f);
    t0 = clock_now();
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    e = find_event(f, RUNNER_EV_ACTION, 0);
    assert_string_equal(e->message, "group web on alpha: start of web/vip (ip 192.0.2.100/24 on "
                                    "eth7): no answer to 3 probes in 150 ms, added, announced");
    assert_string_equal(fake.log, "resolve check probe unprobe add open round close");
    assert_int_equal(fake.probe_sent, RES_IP_PROBE_COUNT);
    assert_int_equal(fake.probe_open, 1);
    assert_int_equal(fake.probe_closed, 1);
    for (int i = 1; i < RES_IP_PROBE_COUNT; i++)
        assert_true(fake.probe_at[i] - fake.probe_at[i - 1] >= 50 * MS - MS);
    assert_true(fake.add_at - t0 >= 150 * MS - MS);
    assert_true(fake.add_at - t0 < 150 * MS + 500 * MS);
    assert_order(f, "start app\n");
    assert_int_equal(failures_now(f), 0);
}

/* An answer from another machine: the start fails at once (a failure
 * counted) with the address, the MAC, the interface and what to do; nothing
 * was added, so the stop that follows has nothing to do, and the next
 * resource never starts. */
static void test_ip_probe_answer(void **state)
{
    struct fx *f = *state;
    vg_usec_t t0;
    struct erec *e;

    add_probed_ip(f, 2000);
    add_exec(f, "app", "", "", -1);
    make_runner(f);
    fake.probe_answer = true;
    t0 = clock_now();
    start_ok(f);
    e = wait_event(f, RUNNER_EV_WARNING, -1);
    assert_string_equal(e->message, "group web on alpha: resource vip: 192.0.2.100 answers from "
                                    "aa:bb:cc:dd:ee:ff on eth7: waiting up to 2000 ms for it to "
                                    "let go (a holder still stopping) before giving up");
    e = wait_event(f, RUNNER_EV_START_FAILED, -1);
    assert_string_equal(e->resource, "vip");
    assert_string_equal(e->message,
                        "group web on alpha: resource vip did not start (failure 1 of 3 here), "
                        "stopping what was started: start of web/vip (ip 192.0.2.100/24 on eth7) "
                        "failed: another machine holds 192.0.2.100 (it answered from "
                        "aa:bb:cc:dd:ee:ff on eth7, still after 2000 ms): not taking it; free the "
                        "address on that machine or change the resource's address");
    /* answers all along: RES_IP_PROBE_CONFLICT_WAIT, not the 2 s window of
     * each round, ends it */
    assert_true(clock_now() - t0 >= RES_IP_PROBE_CONFLICT_WAIT);
    assert_true(clock_now() - t0 < RES_IP_PROBE_CONFLICT_WAIT + 1000 * MS);
    assert_true(fake.probe_sent >= 5); /* a round every pause at least */
    e = wait_event(f, RUNNER_EV_ACTION, -1);
    assert_string_equal(e->message, "group web on alpha: stop of web/vip (ip 192.0.2.100/24 on "
                                    "eth7): succeeded, the failed start added nothing");
    wait_state(f, RUNNER_STOPPED);
    assert_false(fake.present);
    assert_string_equal(fake.log, "resolve check probe unprobe");
    assert_int_equal(fake.probe_open, fake.probe_closed);
    assert_int_equal(failures_now(f), 1);
    assert_order(f, "");

    /* the other machine lets it go: the next start takes it */
    fake.probe_answer = false;
    fake.log[0] = '\0';
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    assert_true(fake.present);
    assert_string_equal(fake.log, "resolve check probe unprobe add open round close");
}

/* A holder still letting go: answers for a moment, then silence for a
 * whole window: the start waits it out and takes the address, and counts
 * no failure. */
static void test_ip_probe_answer_goes_away(void **state)
{
    struct fx *f = *state;
    struct erec *e;

    add_probed_ip(f, 100);
    add_exec(f, "app", "", "", -1);
    make_runner(f);
    fake.probe_answer = true;
    start_ok(f);
    e = wait_event(f, RUNNER_EV_WARNING, -1);
    assert_non_null(strstr(e->message, "waiting up to 2000 ms for it to let go"));
    fake.probe_answer = false; /* the old holder's stop removed it */
    wait_state(f, RUNNER_RUNNING);
    assert_true(fake.present);
    assert_int_equal(failures_now(f), 0);
    assert_int_equal(fake.probe_open, fake.probe_closed);
    assert_true(fake.probe_sent >= 2);
}

/* A stop during the probe calls the start off at once (no failure, nothing
 * added, the socket closed); a start asked right after the stop probes
 * again; runner_free during the probe closes it too. */
static void test_ip_probe_stop(void **state)
{
    struct fx *f = *state;
    vg_usec_t t0;
    size_t mark;
    struct erec *e;
    int sent;

    add_probed_ip(f, 5000);
    add_exec(f, "app", "", "", -1);
    make_runner(f);
    start_ok(f);
    wait_state(f, RUNNER_STARTING);
    wait_probes_opened(f, 1);
    agent_run_for(f->ev, 50);
    t0 = clock_now();
    runner_stop(f->r);
    e = wait_event(f, RUNNER_EV_ACTION, -1);
    assert_string_equal(e->message, "group web on alpha: start of web/vip (ip 192.0.2.100/24 on "
                                    "eth7): called off during the probe (a stop came), nothing "
                                    "added");
    e = wait_event(f, RUNNER_EV_ACTION, -1);
    assert_string_equal(e->message, "group web on alpha: stop of web/vip (ip 192.0.2.100/24 on "
                                    "eth7): succeeded, the start called off added nothing");
    wait_state(f, RUNNER_STOPPED);
    assert_true(clock_now() - t0 < 1000 * MS);
    assert_int_equal(fake.probe_closed, 1);
    assert_false(fake.present);
    assert_int_equal(failures_now(f), 0);
    assert_int_equal(count_events(f, RUNNER_EV_START_FAILED, 0), 0);
    assert_order(f, "");

    /* stop, then start again before the call-off is reported: it probes
     * again (and is called off by the next stop) */
    mark = f->n_evs;
    start_ok(f);
    wait_probes_opened(f, 2);
    runner_stop(f->r);
    start_ok(f);
    wait_probes_opened(f, 3);
    assert_int_equal(fake.probe_closed, 2);
    assert_int_equal(runner_state(f->r), RUNNER_STARTING);
    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPED);
    assert_int_equal(fake.probe_closed, 3);
    assert_int_equal(count_events(f, RUNNER_EV_START_FAILED, mark), 0);
    assert_false(fake.present);

    /* a stop before the probe began (its start still deferred): no probe */
    start_ok(f);
    wait_state(f, RUNNER_STARTING);
    runner_stop(f->r);
    e = wait_event(f, RUNNER_EV_ACTION, -1);
    assert_string_equal(e->message, "group web on alpha: start of web/vip (ip 192.0.2.100/24 on "
                                    "eth7): called off before the probe (a stop came), nothing "
                                    "added");
    wait_state(f, RUNNER_STOPPED);
    assert_int_equal(fake.probe_open, 3);
    assert_false(fake.present);

    /* forgotten while probing: the probe is closed with the runner */
    start_ok(f);
    wait_probes_opened(f, 4);
    runner_free(f->r);
    f->r = NULL;
    assert_int_equal(fake.probe_closed, 4);
    sent = fake.probe_sent;
    agent_run_for(f->ev, 2000); /* no source of the runner fires any more */
    assert_int_equal(fake.probe_sent, sent);
}

/* The address on its link already (ours): no probe. A probe that cannot
 * open its socket, or whose read fails, is a warning: the address is taken
 * all the same. */
static void test_ip_probe_edges(void **state)
{
    struct fx *f = *state;
    struct erec *e;

    add_probed_ip(f, 100);
    make_runner(f);
    fake.present = true;
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    e = find_event(f, RUNNER_EV_ACTION, 0);
    assert_string_equal(e->message, "group web on alpha: start of web/vip (ip 192.0.2.100/24 on "
                                    "eth7): on eth7 here already, not probed, added, announced");
    assert_string_equal(fake.log, "resolve check add open round close");
    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPED);

    fake.probe_start_rc = -EPERM;
    fake.log[0] = '\0';
    start_ok(f);
    wait_state(f, RUNNER_RUNNING);
    e = find_event(f, RUNNER_EV_WARNING, 0);
    assert_string_equal(e->message,
                        "group web on alpha: resource vip: cannot tell whether another machine "
                        "holds 192.0.2.100, so taking it without that check: cannot open a packet "
                        "socket to probe for 192.0.2.100/24 on eth7: Operation not permitted");
    assert_true(fake.present);
    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPED);
    fake.probe_start_rc = 0;

    fake.probe_read_rc = -ENETDOWN;
    f->mark = f->n_evs;
    start_ok(f);
    e = wait_event(f, RUNNER_EV_WARNING, -1);
    assert_contains(e->message, "taking it without that check: cannot read the answers to the "
                                "probe for 192.0.2.100/24 on eth7: Network is down");
    wait_state(f, RUNNER_RUNNING);
    assert_true(fake.present);
    assert_int_equal(fake.probe_open, fake.probe_closed);
    assert_int_equal(failures_now(f), 0);
    runner_stop(f->r);
    wait_state(f, RUNNER_STOPPED);

    /* the runner freed from the warning's callback: nothing is added */
    f->free_on_warning = true;
    fake.log[0] = '\0';
    start_ok(f);
    for (int i = 0; i < 100 && f->r; i++)
        assert_true(sd_event_run(f->ev, 10 * MS) >= 0);
    assert_null(f->r);
    assert_false(fake.present);
    assert_string_equal(fake.log, "resolve check probe unprobe");
    assert_int_equal(fake.probe_open, fake.probe_closed);
}

/* ---- ip: the real primitives, as root, in a network namespace ---- */

#define CHILD_CHECK(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: netns child: check failed: %s\n", __FILE__, __LINE__, #cond);  \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

struct child_rec {
    enum runner_state state;
    int restarts, warnings;
    char vip4_start[RUNNER_MESSAGE_MAX]; /* the last start of vip4 */
};

static void child_event(struct runner *r, const struct runner_event *e, void *userdata)
{
    struct child_rec *c = userdata;

    if (getenv("VIGIL_TEST_VERBOSE"))
        fprintf(stderr, "  netns [%s] %s\n", runner_event_name(e->kind), e->message);
    c->state = e->state;
    c->restarts += e->kind == RUNNER_EV_RESTART;
    c->warnings += e->kind == RUNNER_EV_WARNING;
    if (e->kind == RUNNER_EV_ACTION && strstr(e->message, "start of web/vip4"))
        snprintf(c->vip4_start, sizeof(c->vip4_start), "%s", e->message);
}

static bool child_wait(sd_event *ev, struct child_rec *c, enum runner_state s)
{
    vg_usec_t deadline = clock_now() + LIMIT_MS * MS;

    while (c->state != s && clock_now() < deadline)
        if (sd_event_run(ev, 10 * MS) < 0)
            return false;
    return c->state == s;
}

/* Is addr (without prefix) on dev? One `ip` command, the test's own. */
static bool addr_on(const char *dev, const char *addr)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "ip -o addr show dev %s | grep -q ' %s/'", dev, addr);
    return system(cmd) == 0;
}

static int netns_child(void)
{
    const char *setup_cmds = "ip link set lo up && "
                             "ip link add vgr0 type veth peer name vgr1 && "
                             "ip link set vgr0 up && ip link set vgr1 up && "
                             "ip addr add 192.0.2.1/24 dev vgr0 && "
                             "ip addr add 2001:db8:7::1/64 dev vgr0 nodad";
    struct runner_group g = {.name = "web", .n = 2, .migration_threshold = 3};
    struct child_rec c = {.state = RUNNER_STOPPED};
    struct runner_callbacks cb = {.event = child_event, .userdata = &c, .ip = &runner_ip_netlink};
    struct runner *r = NULL;
    sd_event *ev = NULL;
    char err[RUNNER_ERR_MAX] = "";

    if (unshare(CLONE_NEWNET) < 0) {
        fprintf(stderr, "netns child: unshare(CLONE_NEWNET): %s\n", strerror(errno));
        return 77;
    }
    if (system(setup_cmds) != 0) {
        fprintf(stderr, "netns child: cannot set up veth vgr0/vgr1 with ip(8)\n");
        return 77;
    }
    for (int i = 0; i < 2; i++) {
        struct runner_resource *d = &g.resources[i];

        *d = (struct runner_resource){.name = i ? "vip6" : "vip4",
                                      .kind = RUNNER_IP,
                                      .monitor_interval = 100 * MS,
                                      .monitor_retries = 1};
        res_ip_init(&d->ip);
        CHILD_CHECK(res_ip_set_key(&d->ip, "address", i ? "2001:db8:7::100/64" : "192.0.2.100/24",
                                   err, sizeof(err)) == 0);
        d->ip.announce_count = 2;
    }
    /* vip4 on vgr0 by name (vgr1 holds it too below); vip6 finds its link */
    CHILD_CHECK(res_ip_set_key(&g.resources[0].ip, "interface", "vgr0", err, sizeof(err)) == 0);
    CHILD_CHECK(sd_event_new(&ev) == 0);
    CHILD_CHECK(runner_new(ev, "alpha", &g, &cb, 0, &r, err, sizeof(err)) == 0);

    /* a probe finds nothing */
    CHILD_CHECK(runner_probe(r, err, sizeof(err)) == 0);
    for (int i = 0; i < 20; i++)
        sd_event_run(ev, 10 * MS);
    CHILD_CHECK(c.state == RUNNER_STOPPED);

    /* this node's other link answers the ARP probe for an address it holds
     * (Linux answers on any interface): that is no other machine */
    CHILD_CHECK(system("ip addr add 192.0.2.100/32 dev vgr1") == 0);
    CHILD_CHECK(runner_start(r, err, sizeof(err)) == 0);
    CHILD_CHECK(child_wait(ev, &c, RUNNER_RUNNING));
    CHILD_CHECK(addr_on("vgr0", "192.0.2.100"));
    CHILD_CHECK(addr_on("vgr0", "2001:db8:7::100"));
    if (!strstr(c.vip4_start, "no answer to 3 probes in 50 ms (") ||
        !strstr(c.vip4_start, "from this node's own interfaces, ignored), added")) {
        fprintf(stderr, "netns child: unexpected start: %s\n", c.vip4_start);
        _exit(1);
    }
    CHILD_CHECK(system("ip addr del 192.0.2.100/32 dev vgr1") == 0);
    for (int i = 0; i < 50; i++) /* announcements and monitors */
        sd_event_run(ev, 10 * MS);
    CHILD_CHECK(c.state == RUNNER_RUNNING && c.warnings == 0 && c.restarts == 0);

    /* someone removes the address: the monitor sees it, the group restarts */
    CHILD_CHECK(system("ip addr del 192.0.2.100/24 dev vgr0") == 0);
    {
        vg_usec_t deadline = clock_now() + LIMIT_MS * MS;

        while (!c.restarts && clock_now() < deadline)
            sd_event_run(ev, 10 * MS);
    }
    CHILD_CHECK(c.restarts == 1);
    CHILD_CHECK(child_wait(ev, &c, RUNNER_RUNNING));
    CHILD_CHECK(addr_on("vgr0", "192.0.2.100"));

    runner_stop(r);
    CHILD_CHECK(child_wait(ev, &c, RUNNER_STOPPED));
    CHILD_CHECK(!addr_on("vgr0", "192.0.2.100"));
    CHILD_CHECK(!addr_on("vgr0", "2001:db8:7::100"));
    runner_free(r);
    sd_event_unref(ev);
    return 0;
}

static void test_ip_netns(void **state)
{
    int status = 0;
    pid_t pid;

    if (geteuid() != 0) {
        print_message("skipped: the ip start/monitor/stop test needs root (a private network "
                      "namespace)\n");
        skip();
    }
#ifndef RUNNER_TEST_NETLINK
    if (!&runner_ip_netlink) {
        print_message("skipped: test_runner is linked without the netlink ip primitives (they "
                      "need libmnl); build it with -DRUNNER_TEST_NETLINK and $(MNL_LIBS)\n");
        skip();
    }
#endif
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(netns_child());
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        print_message("skipped: no private network namespace with veth links here\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_fails_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resource_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resource_status_start_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_partly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_during_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_during_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_command_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_in_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ocf_systemd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_adapter, fake_setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_adapter_edges, fake_setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_probe_silence, fake_setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_probe_answer, fake_setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_probe_answer_goes_away, fake_setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_probe_stop, fake_setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_probe_edges, fake_setup, teardown),
        cmocka_unit_test(test_ip_netns),
    };

    agent_test_process_setup();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
