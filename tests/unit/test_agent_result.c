/* Unit tests of agent_classify (src/resources/agent_result.c), pure: the
 * outcome of every exit code for every kind and action, the reason for
 * each way a child can end, where the agent's own words come from, and
 * that a small reason buffer is cut, not overrun. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../../src/resources/agent.h"

static struct spawn_result exited(int code, const char *out)
{
    return (struct spawn_result){
        .outcome = SPAWN_EXITED,
        .exit_code = code,
        .path = "/x",
        .cwd = "/",
        .pid = 42,
        .out = {.data = out, .len = strlen(out)},
        .err = {.data = "", .len = 0},
    };
}

static enum agent_outcome outcome_of(enum agent_kind k, enum agent_action a, int code)
{
    struct spawn_result sr = exited(code, "");
    struct agent_result r;
    char reason[AGENT_REASON_MAX];

    agent_classify(k, a, "label", &sr, &r, reason, sizeof(reason));
    assert_int_equal(r.exit_code, code);
    assert_int_equal(r.kind, k);
    assert_int_equal(r.action, a);
    assert_ptr_equal(r.reason, reason);
    return r.outcome;
}

/* The whole table of docs/agents.md, code by code. */
static void test_table(void **state)
{
    for (int code = 0; code < 256; code++) {
        enum agent_outcome ok_or_failed = code == 0 ? AGENT_OK : AGENT_FAILED;

        /* exec: 0 and 7 only */
        assert_int_equal(outcome_of(AGENT_KIND_EXEC, AGENT_ACTION_START, code), ok_or_failed);
        assert_int_equal(outcome_of(AGENT_KIND_EXEC, AGENT_ACTION_STOP, code),
                         code == 0 || code == 7 ? AGENT_OK : AGENT_FAILED);
        assert_int_equal(outcome_of(AGENT_KIND_EXEC, AGENT_ACTION_MONITOR, code),
                         code == 0   ? AGENT_OK
                         : code == 7 ? AGENT_NOT_RUNNING
                                     : AGENT_FAILED);

        /* ocf: and 8, running promoted */
        assert_int_equal(outcome_of(AGENT_KIND_OCF, AGENT_ACTION_START, code),
                         code == 0 || code == 8 ? AGENT_OK : AGENT_FAILED);
        assert_int_equal(outcome_of(AGENT_KIND_OCF, AGENT_ACTION_STOP, code),
                         code == 0 || code == 7 ? AGENT_OK : AGENT_FAILED);
        assert_int_equal(outcome_of(AGENT_KIND_OCF, AGENT_ACTION_MONITOR, code),
                         code == 0 || code == 8 ? AGENT_OK
                         : code == 7            ? AGENT_NOT_RUNNING
                                                : AGENT_FAILED);
        assert_int_equal(outcome_of(AGENT_KIND_OCF, AGENT_ACTION_META_DATA, code), ok_or_failed);
        assert_int_equal(outcome_of(AGENT_KIND_OCF, AGENT_ACTION_VALIDATE_ALL, code), ok_or_failed);

        /* systemd: systemctl's 0, and 3 from is-active */
        assert_int_equal(outcome_of(AGENT_KIND_SYSTEMD, AGENT_ACTION_START, code), ok_or_failed);
        assert_int_equal(outcome_of(AGENT_KIND_SYSTEMD, AGENT_ACTION_STOP, code), ok_or_failed);
        assert_int_equal(outcome_of(AGENT_KIND_SYSTEMD, AGENT_ACTION_MONITOR, code),
                         code == 0   ? AGENT_OK
                         : code == 3 ? AGENT_NOT_RUNNING
                                     : AGENT_FAILED);
    }
}

static void test_not_exited(void **state)
{
    struct spawn_result sr = exited(0, "partial\n");
    struct agent_result r;
    char reason[AGENT_REASON_MAX];

    sr.outcome = SPAWN_SIGNALED;
    sr.signal = SIGSEGV;
    sr.core_dumped = true;
    agent_classify(AGENT_KIND_OCF, AGENT_ACTION_MONITOR, "monitor of g/r (ocf:a:b)", &sr, &r,
                   reason, sizeof(reason));
    assert_int_equal(r.outcome, AGENT_FAILED);
    assert_int_equal(r.exit_code, -1);
    assert_int_equal(r.signal, SIGSEGV);
    assert_string_equal(reason, "monitor of g/r (ocf:a:b) failed: killed by SIGSEGV (core dumped): "
                                "\"partial\"");

    sr.outcome = SPAWN_TIMED_OUT;
    sr.signal = SIGKILL;
    sr.still_running = true;
    sr.timeout = 20 * VG_USEC_PER_SEC;
    agent_classify(AGENT_KIND_EXEC, AGENT_ACTION_STOP, "stop of g/r (exec)", &sr, &r, reason,
                   sizeof(reason));
    assert_int_equal(r.outcome, AGENT_TIMED_OUT);
    assert_true(r.still_running);
    assert_int_equal(r.signal, SIGKILL);
    assert_string_equal(reason, "stop of g/r (exec): timed out after 20s, still running after "
                                "SIGKILL: the resource may still be running");

    sr = exited(0, "");
    sr.outcome = SPAWN_FAILED;
    sr.error = EACCES;
    sr.path = "/usr/lib/ocf/resource.d/a/b";
    agent_classify(AGENT_KIND_OCF, AGENT_ACTION_START, "start of g/r (ocf:a:b)", &sr, &r, reason,
                   sizeof(reason));
    assert_int_equal(r.outcome, AGENT_CANNOT_RUN);
    assert_int_equal(r.error, EACCES);
    assert_string_equal(reason, "start of g/r (ocf:a:b): cannot run /usr/lib/ocf/resource.d/a/b: "
                                "Permission denied (EACCES): the file must be an executable "
                                "program or script (chmod +x; #! line)");
    sr.error = ENOMEM;
    agent_classify(AGENT_KIND_EXEC, AGENT_ACTION_START, "s", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "s: cannot run /usr/lib/ocf/resource.d/a/b: Cannot allocate memory "
                                "(ENOMEM)");
}

/* The agent's own words: OCF's exit reason wins (the last one, from stderr
 * or stdout), else the last non-blank line; CRLF and blanks trimmed. */
static void test_agent_words(void **state)
{
    struct spawn_result sr;
    struct agent_result r;
    char reason[AGENT_REASON_MAX];

    sr = exited(1, "ocf-exit-reason:first\nINFO: noise\nocf-exit-reason: second  \nlast\n\n  \n");
    agent_classify(AGENT_KIND_OCF, AGENT_ACTION_START, "s", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "s failed: exit 1, OCF_ERR_GENERIC: generic error: \"second\"");

    /* for exec, the prefix means nothing */
    agent_classify(AGENT_KIND_EXEC, AGENT_ACTION_START, "s", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "s failed: exit 1: \"last\"");

    /* an empty exit reason does not count */
    sr = exited(1, "ocf-exit-reason:\r\nthe end\r\n");
    agent_classify(AGENT_KIND_OCF, AGENT_ACTION_START, "s", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "s failed: exit 1, OCF_ERR_GENERIC: generic error: \"the end\"");

    /* meta-data keeps stderr apart: its words are looked for there first */
    sr = exited(1, "<resource-agent/>");
    sr.err = (struct spawn_output){.data = "oops\n", .len = 5};
    agent_classify(AGENT_KIND_OCF, AGENT_ACTION_META_DATA, "m", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "m failed: exit 1, OCF_ERR_GENERIC: generic error: \"oops\"");

    /* nothing said, nothing quoted; NULL data is tolerated */
    sr = exited(2, "");
    sr.out.data = NULL;
    agent_classify(AGENT_KIND_OCF, AGENT_ACTION_START, "s", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "s failed: exit 2, OCF_ERR_ARGS: bad or missing parameters");

    /* a success quotes nothing */
    sr = exited(0, "chatter\n");
    agent_classify(AGENT_KIND_OCF, AGENT_ACTION_START, "s", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "s: succeeded (exit 0, OCF_SUCCESS)");
    sr = exited(8, "");
    agent_classify(AGENT_KIND_OCF, AGENT_ACTION_MONITOR, "m", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "m: running (exit 8, OCF_RUNNING_PROMOTED)");

    /* a failure says what its code means */
    sr = exited(7, "");
    agent_classify(AGENT_KIND_OCF, AGENT_ACTION_START, "s", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "s failed: exit 7, OCF_NOT_RUNNING: not running");
    agent_classify(AGENT_KIND_EXEC, AGENT_ACTION_START, "s", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "s failed: exit 7: not running");
    sr = exited(9, "");
    agent_classify(AGENT_KIND_OCF, AGENT_ACTION_MONITOR, "m", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "m failed: exit 9, OCF_FAILED_PROMOTED: failed, promoted");
    sr = exited(3, "");
    agent_classify(AGENT_KIND_SYSTEMD, AGENT_ACTION_MONITOR, "m", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "m: not running (exit 3)");
    agent_classify(AGENT_KIND_SYSTEMD, AGENT_ACTION_START, "s", &sr, &r, reason, sizeof(reason));
    assert_string_equal(reason, "s failed: exit 3");
}

/* Long words are cut with "...", and a small buffer cuts the sentence. */
static void test_bounds(void **state)
{
    char out[2000], reason[AGENT_REASON_MAX], tiny[16];
    struct spawn_result sr;
    struct agent_result r;

    memset(out, 'w', sizeof(out) - 1);
    out[sizeof(out) - 1] = '\0';
    sr = exited(1, out);
    agent_classify(AGENT_KIND_EXEC, AGENT_ACTION_START, "s", &sr, &r, reason, sizeof(reason));
    assert_true(strlen(reason) < 400);
    assert_string_equal(reason + strlen(reason) - 4, "...\"");

    memset(tiny, 'X', sizeof(tiny));
    agent_classify(AGENT_KIND_EXEC, AGENT_ACTION_START, "a long label", &sr, &r, tiny,
                   sizeof(tiny));
    assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
    assert_string_equal(tiny, "a long label fa");
}

static void test_names(void **state)
{
    assert_string_equal(agent_action_name(AGENT_ACTION_META_DATA), "meta-data");
    assert_string_equal(agent_action_name(AGENT_ACTION_VALIDATE_ALL), "validate-all");
    assert_string_equal(agent_action_name(AGENT_ACTION_COUNT), "unknown-action");
    assert_string_equal(agent_outcome_name(AGENT_NOT_RUNNING), "not running");
    assert_string_equal(agent_outcome_name(AGENT_CANNOT_RUN), "cannot run");
    assert_string_equal(agent_kind_name(AGENT_KIND_SYSTEMD), "systemd");
    assert_string_equal(agent_ocf_code_name(OCF_ERR_CONFIGURED), "OCF_ERR_CONFIGURED");
    assert_string_equal(agent_ocf_code_name(OCF_FAILED_PROMOTED), "OCF_FAILED_PROMOTED");
    assert_null(agent_ocf_code_name(10));
    assert_null(agent_ocf_code_name(-1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),       cmocka_unit_test(test_not_exited),
        cmocka_unit_test(test_agent_words), cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
