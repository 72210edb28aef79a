/* Unit tests of the `systemd` resource kind (src/resources/agent_systemd.c):
 * unit names, then start, stop and monitor through a fake systemctl (a
 * script that records its arguments and answers per unit) so that the
 * commands and the exit-code mapping are tested on any machine, and, when
 * systemd runs this machine, one real `systemctl is-active`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_agent_util.h"

/* Answers by the unit's name, which comes last. */
static const char fake_systemctl[] =
    "#!/bin/sh\n"
    "for unit; do :; done\n"
    "echo \"args: $*\"\n"
    "case $unit in\n"
    "ok.service) exit 0;;\n"
    "inactive.service) exit 3;;\n"
    "failed.service) echo \"Job for $unit failed because the control process exited with error "
    "code.\" >&2; exit 1;;\n"
    "hang.service) sleep 10;;\n"
    "*) exit 4;;\n"
    "esac\n";

struct fixture {
    sd_event *ev;
    char *dir;
    char systemctl[4096];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    assert_int_equal(sd_event_new(&f->ev), 0);
    f->dir = tmpdir_make("systemd");
    snprintf(f->systemctl, sizeof(f->systemctl), "%s/systemctl", f->dir);
    write_file(f->systemctl, fake_systemctl, 0755);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    agent_loop_teardown((void **)&f->ev);
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* Run one action on `unit` with the fake systemctl. */
static void run_unit(struct fixture *f, const char *unit, struct agent_request req, struct arec *a)
{
    struct agent_systemd u;
    char err[AGENT_ERR_MAX] = "";

    assert_int_equal(agent_systemd_parse_unit(unit, &u, err, sizeof(err)), 0);
    u.systemctl = f->systemctl;
    if (agent_systemd_run(f->ev, &u, &req, arec_done, a, NULL, err, sizeof(err)) < 0)
        fail_msg("agent_systemd_run: %s", err);
    agent_run_until(f->ev, &a->calls, 1, 5000);
    assert_int_equal(a->calls, 1);
    assert_int_equal(a->kind, AGENT_KIND_SYSTEMD);
}

static void test_unit_names(void **state)
{
    static const struct {
        const char *in, *out;
    } ok[] = {
        {"app.service", "app.service"},     {"app", "app.service"},
        {"app@1.service", "app@1.service"}, {"srv-data.mount", "srv-data.mount"},
        {"my.app", "my.app.service"},       {"a\\x2db.service", "a\\x2db.service"},
        {"backup.timer", "backup.timer"},   {"web:8080.socket", "web:8080.socket"},
    };
    static const char *const bad[] = {
        "",           "-x.service", ".service",      "a b.service",      "a/b.service",
        "@x.service", "a@.service", "a@b@c.service", "\xc3\xbc.service", "a;reboot",
    };
    struct agent_systemd u;
    char err[AGENT_ERR_MAX], longname[300];

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (agent_systemd_parse_unit(ok[i].in, &u, err, sizeof(err)) < 0)
            fail_msg("'%s' refused: %s", ok[i].in, err);
        assert_string_equal(u.unit, ok[i].out);
        assert_null(u.systemctl);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (agent_systemd_parse_unit(bad[i], &u, err, sizeof(err)) != -EINVAL)
            fail_msg("'%s' accepted", bad[i]);
    assert_int_equal(agent_systemd_parse_unit("-x.service", &u, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "unit '-x.service' may not start with '-', '.' or '@' (expected a "
                             "unit name such as app.service or app@1.service)");
    assert_int_equal(agent_systemd_parse_unit(NULL, &u, err, sizeof(err)), -EINVAL);

    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(agent_systemd_parse_unit(longname, &u, err, sizeof(err)), -EINVAL);
    longname[AGENT_UNIT_MAX - 1 - strlen(".service")] = '\0';
    assert_int_equal(agent_systemd_parse_unit(longname, &u, err, sizeof(err)), 0);
    assert_int_equal(strlen(u.unit), AGENT_UNIT_MAX - 1);
}

/* The exact systemctl command lines, and what their exits mean. */
static void test_fake_systemctl(void **state)
{
    struct fixture *f = *state;
    struct arec a = {0};

    run_unit(f, "ok", agent_req(AGENT_ACTION_START), &a);
    assert_int_equal(a.outcome, AGENT_OK);
    assert_string_equal(a.out, "args: --no-ask-password start ok.service\n");
    assert_string_equal(a.reason, "start of web/app (unit ok.service): succeeded (exit 0)");
    arec_free(&a);

    run_unit(f, "ok.service", agent_req(AGENT_ACTION_STOP), &a);
    assert_int_equal(a.outcome, AGENT_OK);
    assert_string_equal(a.out, "args: --no-ask-password stop ok.service\n");
    arec_free(&a);

    run_unit(f, "ok.service", agent_req(AGENT_ACTION_MONITOR), &a);
    assert_int_equal(a.outcome, AGENT_OK);
    assert_string_equal(a.out, "args: --no-ask-password is-active --quiet ok.service\n");
    assert_string_equal(a.reason, "monitor of web/app (unit ok.service): running (exit 0)");
    arec_free(&a);

    run_unit(f, "inactive.service", agent_req(AGENT_ACTION_MONITOR), &a);
    assert_int_equal(a.outcome, AGENT_NOT_RUNNING);
    assert_int_equal(a.exit_code, 3);
    assert_string_equal(a.reason, "monitor of web/app (unit inactive.service): not running (exit "
                                  "3): \"args: --no-ask-password "
                                  "is-active --quiet inactive.service\"");
    arec_free(&a);

    /* 3 from start or stop is a failure like any other */
    run_unit(f, "inactive.service", agent_req(AGENT_ACTION_STOP), &a);
    assert_int_equal(a.outcome, AGENT_FAILED);
    arec_free(&a);

    run_unit(f, "failed.service", agent_req(AGENT_ACTION_START), &a);
    assert_int_equal(a.outcome, AGENT_FAILED);
    assert_int_equal(a.exit_code, 1);
    assert_string_equal(a.reason, "start of web/app (unit failed.service) failed: exit 1: \"Job "
                                  "for failed.service failed because the control process exited "
                                  "with error code.\"");
    arec_free(&a);

    run_unit(f, "other.service", agent_req(AGENT_ACTION_MONITOR), &a);
    assert_int_equal(a.outcome, AGENT_FAILED);
    assert_int_equal(a.exit_code, 4);
    arec_free(&a);
}

static void test_timeout(void **state)
{
    struct fixture *f = *state;
    struct agent_request req = agent_req(AGENT_ACTION_START);
    struct arec a = {0};

    req.timeout = 200 * MS;
    run_unit(f, "hang.service", req, &a);
    assert_int_equal(a.outcome, AGENT_TIMED_OUT);
    assert_string_equal(a.reason, "start of web/app (unit hang.service): timed out after 200ms");
    arec_free(&a);
}

static void test_refused(void **state)
{
    struct fixture *f = *state;
    struct agent_request req = agent_req(AGENT_ACTION_META_DATA);
    struct agent_systemd u;
    struct arec a = {0};
    char err[AGENT_ERR_MAX];

    assert_int_equal(agent_systemd_parse_unit("ok.service", &u, err, sizeof(err)), 0);
    u.systemctl = f->systemctl;
    assert_int_equal(agent_systemd_run(f->ev, &u, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EOPNOTSUPP);
    assert_string_equal(err, "meta-data of web/app (unit ok.service): a systemd resource has only "
                             "start, stop and monitor");
    req.action = AGENT_ACTION_VALIDATE_ALL;
    assert_int_equal(agent_systemd_run(f->ev, &u, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EOPNOTSUPP);

    req.action = AGENT_ACTION_START;
    u.systemctl = "systemctl";
    assert_int_equal(agent_systemd_run(f->ev, &u, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "start of web/app (unit ok.service): systemctl 'systemctl' is not an "
                             "absolute path");
    memset(&u, 0, sizeof(u));
    assert_int_equal(agent_systemd_run(f->ev, &u, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(agent_systemd_run(f->ev, NULL, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    agent_run_for(f->ev, 50);
    assert_int_equal(a.calls, 0);
}

/* No systemctl at all: reported from the loop as AGENT_CANNOT_RUN. */
static void test_no_systemctl(void **state)
{
    struct fixture *f = *state;
    struct agent_request req = agent_req(AGENT_ACTION_MONITOR);
    struct agent_systemd u;
    struct arec a = {0};
    char err[AGENT_ERR_MAX], missing[4200], want[4600];

    assert_int_equal(agent_systemd_parse_unit("ok.service", &u, err, sizeof(err)), 0);
    snprintf(missing, sizeof(missing), "%s/no-systemctl", f->dir);
    u.systemctl = missing;
    assert_int_equal(agent_systemd_run(f->ev, &u, &req, arec_done, &a, NULL, err, sizeof(err)), 0);
    agent_run_until(f->ev, &a.calls, 1, 2000);
    assert_int_equal(a.outcome, AGENT_CANNOT_RUN);
    assert_int_equal(a.error, ENOENT);
    snprintf(want, sizeof(want),
             "monitor of web/app (unit ok.service): cannot run %s: No such file or directory "
             "(ENOENT): systemctl is missing on this node; is systemd installed?",
             missing);
    assert_string_equal(a.reason, want);
    arec_free(&a);
}

/* The real systemctl, when systemd runs this machine: a unit that does not
 * exist is not running. */
static void test_real_systemd(void **state)
{
    struct fixture *f = *state;
    struct agent_request req = agent_req(AGENT_ACTION_MONITOR);
    struct agent_systemd u;
    struct arec a = {0};
    char why[256] = "", err[AGENT_ERR_MAX];
    bool available = agent_systemd_available(why, sizeof(why));

    assert_int_equal(available, access("/run/systemd/system", F_OK) == 0);
    if (!available) {
        assert_string_equal(why, "systemd is not running on this machine (no /run/systemd/system): "
                                 "systemd resources cannot be managed here");
        print_message("[  SKIP    ] %s\n", why);
        skip();
    }
    assert_int_equal(
        agent_systemd_parse_unit("vigil-test-no-such-unit.service", &u, err, sizeof(err)), 0);
    assert_int_equal(agent_systemd_run(f->ev, &u, &req, arec_done, &a, NULL, err, sizeof(err)), 0);
    agent_run_until(f->ev, &a.calls, 1, 8000);
    assert_int_equal(a.outcome, AGENT_NOT_RUNNING);
    arec_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unit_names),
        cmocka_unit_test_setup_teardown(test_fake_systemctl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_systemctl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_systemd, setup, teardown),
    };

    agent_test_process_setup();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
