/* Unit tests of the `exec` resource kind (src/resources/agent_exec.c and
 * the shared runner agent_run.c): real /bin/sh children under a real
 * sd-event loop — the exact environment, each action's command, the exit
 * codes of start, stop and monitor, timeouts (SIGTERM, then SIGKILL),
 * death by a signal, bounded output, cancel, bad requests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_agent_util.h"

static const struct agent_exec echo_all = {
    .start = "echo started",
    .stop = "echo stopped",
    .monitor = "echo monitored",
};

/* Run one action of x to its callback. */
static void run_exec(sd_event *ev, const struct agent_exec *x, const struct agent_request *req,
                     struct arec *a)
{
    char err[AGENT_ERR_MAX] = "";

    assert_int_equal(agent_exec_run(ev, x, req, arec_done, a, NULL, err, sizeof(err)), 0);
    assert_int_equal(a->calls, 0); /* never from inside the call */
    agent_run_until(ev, &a->calls, 1, 5000);
    assert_int_equal(a->calls, 1);
    assert_int_equal(a->kind, AGENT_KIND_EXEC);
    assert_int_equal(a->action, req->action);
}

/* Monitor with `command` as the monitor. */
static void run_monitor(sd_event *ev, const char *command, struct arec *a)
{
    struct agent_exec x = {.start = "true", .stop = "true", .monitor = command};
    struct agent_request req = agent_req(AGENT_ACTION_MONITOR);

    run_exec(ev, &x, &req, a);
}

/* The environment is exactly PATH and VIGIL_* (dash adds PWD itself). */
static void test_env_exact(void **state)
{
    struct agent_exec x = {.start = "/usr/bin/env | /usr/bin/sort", .stop = "true"};
    struct agent_request req = agent_req(AGENT_ACTION_START);
    struct arec a = {0};
    char want[512];

    run_exec(*state, &x, &req, &a);
    assert_int_equal(a.outcome, AGENT_OK);
    snprintf(want, sizeof(want),
             "PATH=%s\nPWD=/\nVIGIL_ACTION=start\nVIGIL_GROUP=web\nVIGIL_NODE=alpha\n"
             "VIGIL_RESOURCE=app\n",
             AGENT_PATH_ENV);
    assert_string_equal(a.out, want);
    arec_free(&a);

    /* without group and node: not set at all */
    req.group = req.node = NULL;
    req.action = AGENT_ACTION_STOP;
    x.stop = x.start;
    run_exec(*state, &x, &req, &a);
    snprintf(want, sizeof(want), "PATH=%s\nPWD=/\nVIGIL_ACTION=stop\nVIGIL_RESOURCE=app\n",
             AGENT_PATH_ENV);
    assert_string_equal(a.out, want);
    arec_free(&a);
}

/* Each action runs its own command, in /, and says so. */
static void test_actions(void **state)
{
    static const struct {
        enum agent_action action;
        const char *out, *reason;
    } cases[] = {
        {AGENT_ACTION_START, "started\n", "start of web/app (exec): succeeded (exit 0)"},
        {AGENT_ACTION_STOP, "stopped\n", "stop of web/app (exec): succeeded (exit 0)"},
        {AGENT_ACTION_MONITOR, "monitored\n", "monitor of web/app (exec): running (exit 0)"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct agent_request req = agent_req(cases[i].action);
        struct arec a = {0};

        run_exec(*state, &echo_all, &req, &a);
        assert_int_equal(a.outcome, AGENT_OK);
        assert_int_equal(a.exit_code, 0);
        assert_string_equal(a.out, cases[i].out);
        assert_string_equal(a.reason, cases[i].reason);
        arec_free(&a);
    }
}

/* monitor: 0 running, 7 not running, anything else failed (8 too: exec
 * knows nothing of promotion). */
static void test_monitor_codes(void **state)
{
    struct arec a = {0};

    run_monitor(*state, "exit 0", &a);
    assert_int_equal(a.outcome, AGENT_OK);
    arec_free(&a);

    run_monitor(*state, "echo 'no pid file'; exit 7", &a);
    assert_int_equal(a.outcome, AGENT_NOT_RUNNING);
    assert_int_equal(a.exit_code, 7);
    assert_string_equal(a.reason, "monitor of web/app (exec): not running (exit 7): \"no pid "
                                  "file\"");
    arec_free(&a);

    run_monitor(*state, "echo first; echo 'daemon hung' >&2; echo; exit 1", &a);
    assert_int_equal(a.outcome, AGENT_FAILED);
    assert_int_equal(a.exit_code, 1);
    assert_string_equal(a.reason, "monitor of web/app (exec) failed: exit 1: \"daemon hung\"");
    arec_free(&a);

    run_monitor(*state, "exit 8", &a);
    assert_int_equal(a.outcome, AGENT_FAILED);
    assert_int_equal(a.exit_code, 8);
    assert_string_equal(a.reason, "monitor of web/app (exec) failed: exit 8");
    arec_free(&a);

    run_monitor(*state, "exit 255", &a);
    assert_int_equal(a.outcome, AGENT_FAILED);
    assert_int_equal(a.exit_code, 255);
    arec_free(&a);
}

/* start: only 0 is success; stop: 0, and 7 (it was not running). */
static void test_start_stop_codes(void **state)
{
    static const struct {
        enum agent_action action;
        int code;
        enum agent_outcome outcome;
    } cases[] = {
        {AGENT_ACTION_START, 0, AGENT_OK},     {AGENT_ACTION_START, 1, AGENT_FAILED},
        {AGENT_ACTION_START, 7, AGENT_FAILED}, {AGENT_ACTION_STOP, 0, AGENT_OK},
        {AGENT_ACTION_STOP, 7, AGENT_OK},      {AGENT_ACTION_STOP, 1, AGENT_FAILED},
        {AGENT_ACTION_STOP, 6, AGENT_FAILED},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char cmd[32];
        struct agent_exec x = {.start = cmd, .stop = cmd};
        struct agent_request req = agent_req(cases[i].action);
        struct arec a = {0};

        snprintf(cmd, sizeof(cmd), "exit %d", cases[i].code);
        run_exec(*state, &x, &req, &a);
        assert_int_equal(a.outcome, cases[i].outcome);
        assert_int_equal(a.exit_code, cases[i].code);
        if (cases[i].action == AGENT_ACTION_STOP && cases[i].code == 7)
            assert_string_equal(a.reason, "stop of web/app (exec): succeeded, it was not running "
                                          "(exit 7)");
        arec_free(&a);
    }
}

/* A command that outlives its timeout: SIGTERM to its process group. */
static void test_timeout(void **state)
{
    struct agent_exec x = {.start = "echo going; sleep 10", .stop = "true"};
    struct agent_request req = agent_req(AGENT_ACTION_START);
    struct arec a = {0};

    req.timeout = 200 * MS;
    run_exec(*state, &x, &req, &a);
    assert_int_equal(a.outcome, AGENT_TIMED_OUT);
    assert_int_equal(a.exit_code, -1);
    assert_int_equal(a.sig, SIGTERM);
    assert_false(a.still_running);
    assert_true(a.duration >= 200 * MS && a.duration < 2000 * MS);
    assert_string_equal(a.out, "going\n");
    assert_string_equal(a.reason, "start of web/app (exec): timed out after 200ms");
    arec_free(&a);
}

/* A stop that ignores SIGTERM gets SIGKILL after the grace, and the reason
 * warns that the resource may still be running. */
static void test_timeout_kill(void **state)
{
    struct agent_exec x = {.start = "true", .stop = "trap '' TERM; while :; do sleep 0.05; done"};
    struct agent_request req = agent_req(AGENT_ACTION_STOP);
    struct arec a = {0};

    req.timeout = 200 * MS;
    req.kill_grace = 200 * MS;
    run_exec(*state, &x, &req, &a);
    assert_int_equal(a.outcome, AGENT_TIMED_OUT);
    assert_int_equal(a.sig, SIGKILL);
    assert_true(a.duration >= 400 * MS && a.duration < 3000 * MS);
    assert_string_equal(a.reason, "stop of web/app (exec): timed out after 200ms, killed by "
                                  "SIGKILL (SIGTERM was not enough): the resource may still be "
                                  "running");
    arec_free(&a);
}

static void test_killed_by_signal(void **state)
{
    struct arec a = {0};

    run_monitor(*state, "echo about to die; kill -KILL $$", &a);
    assert_int_equal(a.outcome, AGENT_FAILED);
    assert_int_equal(a.exit_code, -1);
    assert_int_equal(a.sig, SIGKILL);
    assert_string_equal(a.reason,
                        "monitor of web/app (exec) failed: killed by SIGKILL: \"about to die\"");
    arec_free(&a);
}

/* Output past the limit is counted, not kept; the agent's words in the
 * reason are escaped. */
static void test_output_bounded(void **state)
{
    struct arec a = {0};
    struct agent_exec x = {.start = "head -c 1000 /dev/zero | tr '\\0' x", .stop = "true"};
    struct agent_request req = agent_req(AGENT_ACTION_START);

    req.output_limit = 16;
    run_exec(*state, &x, &req, &a);
    assert_int_equal(a.outcome, AGENT_OK);
    assert_int_equal(a.out_len, 16);
    assert_int_equal(a.out_dropped, 984);
    arec_free(&a);

    run_monitor(*state, "printf 'bad \\033[31mred\\tx\\n'; exit 2", &a);
    assert_int_equal(a.outcome, AGENT_FAILED);
    assert_string_equal(a.reason,
                        "monitor of web/app (exec) failed: exit 2: \"bad \\x1b[31mred\tx\"");
    arec_free(&a);
}

/* Several actions at once on one loop, each reported once. */
static void test_many(void **state)
{
    struct arec a[8] = {{0}};
    int done = 0;
    char err[AGENT_ERR_MAX];

    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
        struct agent_request req = agent_req(AGENT_ACTION_MONITOR);
        char cmd[32];
        struct agent_exec x = {.start = "true", .stop = "true", .monitor = cmd};

        snprintf(cmd, sizeof(cmd), "sleep 0.0%zu; exit %d", i, i % 2 ? 7 : 0);
        assert_int_equal(agent_exec_run(*state, &x, &req, arec_done, &a[i], NULL, err, sizeof(err)),
                         0);
    }
    while (done < (int)(sizeof(a) / sizeof(a[0]))) {
        agent_run_for(*state, 20);
        done = 0;
        for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
            done += a[i].calls;
    }
    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
        assert_int_equal(a[i].calls, 1);
        assert_int_equal(a[i].outcome, i % 2 ? AGENT_NOT_RUNNING : AGENT_OK);
        arec_free(&a[i]);
    }
}

/* Cancel: no callback, and the child is killed and reaped by the loop. */
static void test_cancel(void **state)
{
    struct agent_exec x = {.start = "sleep 10", .stop = "true"};
    struct agent_request req = agent_req(AGENT_ACTION_START);
    struct agent_op *op = NULL;
    struct arec a = {0};
    char err[AGENT_ERR_MAX];
    pid_t pid;

    assert_int_equal(agent_exec_run(*state, &x, &req, arec_done, &a, &op, err, sizeof(err)), 0);
    assert_non_null(op);
    pid = agent_op_pid(op);
    assert_true(pid > 0);
    agent_op_cancel(op);
    agent_op_cancel(NULL);
    agent_run_for(*state, 300);
    assert_int_equal(a.calls, 0);
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);

    /* a cancel from inside the callback is a no-op */
    a.cancel_in_callback = true;
    run_monitor(*state, "exit 0", &a);
    assert_int_equal(a.outcome, AGENT_OK);
    arec_free(&a);
}

/* Requests that cannot run say why and never call back. */
static void test_bad_requests(void **state)
{
    struct agent_exec no_monitor = {.start = "true", .stop = "true"};
    struct agent_request req = agent_req(AGENT_ACTION_MONITOR);
    struct arec a = {0};
    char err[AGENT_ERR_MAX];

    assert_int_equal(
        agent_exec_run(*state, &no_monitor, &req, arec_done, &a, NULL, err, sizeof(err)),
        -EOPNOTSUPP);
    assert_string_equal(err, "monitor of web/app (exec): the resource has no monitor command");

    req.action = AGENT_ACTION_META_DATA;
    assert_int_equal(agent_exec_run(*state, &echo_all, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EOPNOTSUPP);
    assert_string_equal(err,
                        "meta-data of web/app (exec): an exec resource has only start, stop and "
                        "monitor");

    req.action = AGENT_ACTION_COUNT;
    assert_int_equal(agent_exec_run(*state, &echo_all, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);

    req = agent_req(AGENT_ACTION_START);
    req.resource = NULL;
    assert_int_equal(agent_exec_run(*state, &echo_all, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "start needs the resource's name");

    req = agent_req(AGENT_ACTION_START);
    req.node = "al\npha";
    assert_int_equal(agent_exec_run(*state, &echo_all, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);

    req = agent_req(AGENT_ACTION_START);
    assert_int_equal(agent_exec_run(NULL, &echo_all, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(agent_exec_run(*state, &echo_all, &req, NULL, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(agent_exec_run(*state, NULL, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(agent_exec_run(*state, &echo_all, NULL, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);

    agent_run_for(*state, 50);
    assert_int_equal(a.calls, 0);
}

/* With SIGCHLD unblocked nothing starts, and the message says why. */
static void test_sigchld_unblocked(void **state)
{
    struct agent_request req = agent_req(AGENT_ACTION_START);
    struct arec a = {0};
    char err[AGENT_ERR_MAX];
    sigset_t chld;

    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
    assert_int_equal(agent_exec_run(*state, &echo_all, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EBUSY);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    assert_string_equal(err, "start of web/app (exec): SIGCHLD is not blocked, so the agent cannot "
                             "be watched");
    agent_run_for(*state, 50);
    assert_int_equal(a.calls, 0);
}

static void test_validate(void **state)
{
    struct agent_exec x = {.stop = "true"};
    char err[AGENT_ERR_MAX];

    assert_int_equal(
        agent_exec_validate(&x, "vigil.conf:12 [resource \"web/app\"]", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "vigil.conf:12 [resource \"web/app\"]: no start command: add `start "
                             "= COMMAND` (run with /bin/sh -c)");
    x = (struct agent_exec){.start = "true", .stop = ""};
    assert_int_equal(agent_exec_validate(&x, NULL, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "exec resource: no stop command: add `stop = COMMAND` (run with "
                             "/bin/sh -c)");
    x.stop = "true";
    assert_int_equal(agent_exec_validate(&x, NULL, err, sizeof(err)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_env_exact, agent_loop_setup, agent_loop_teardown),
        cmocka_unit_test_setup_teardown(test_actions, agent_loop_setup, agent_loop_teardown),
        cmocka_unit_test_setup_teardown(test_monitor_codes, agent_loop_setup, agent_loop_teardown),
        cmocka_unit_test_setup_teardown(test_start_stop_codes, agent_loop_setup,
                                        agent_loop_teardown),
        cmocka_unit_test_setup_teardown(test_timeout, agent_loop_setup, agent_loop_teardown),
        cmocka_unit_test_setup_teardown(test_timeout_kill, agent_loop_setup, agent_loop_teardown),
        cmocka_unit_test_setup_teardown(test_killed_by_signal, agent_loop_setup,
                                        agent_loop_teardown),
        cmocka_unit_test_setup_teardown(test_output_bounded, agent_loop_setup, agent_loop_teardown),
        cmocka_unit_test_setup_teardown(test_many, agent_loop_setup, agent_loop_teardown),
        cmocka_unit_test_setup_teardown(test_cancel, agent_loop_setup, agent_loop_teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, agent_loop_setup, agent_loop_teardown),
        cmocka_unit_test_setup_teardown(test_sigchld_unblocked, agent_loop_setup,
                                        agent_loop_teardown),
        cmocka_unit_test(test_validate),
    };

    agent_test_process_setup();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
