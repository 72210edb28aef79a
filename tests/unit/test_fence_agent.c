/* Unit tests of fence agents (src/fencing/fence_agent.c): the stdin
 * protocol, finding an agent, what each exit means for each action, a
 * timeout, an agent that cannot run, cancel, and checking a device's
 * parameters against metadata. Fake agents are shell scripts in a
 * temporary directory, run under a real sd-event loop. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_agent_util.h"

#include "../../src/fencing/fence_agent.h"

/* What one callback saw. */
struct frec {
    int calls;
    enum fence_outcome outcome;
    enum fence_action action;
    int exit_code;
    char reason[FENCE_REASON_MAX];
    char *out; /* malloc'd: the whole output */
};

static void frec_done(struct fence_op *op, const struct fence_result *r, void *userdata)
{
    struct frec *f = userdata;

    f->calls++;
    f->outcome = r->outcome;
    f->action = r->action;
    f->exit_code = r->exit_code;
    snprintf(f->reason, sizeof(f->reason), "%s", r->reason);
    free(f->out);
    f->out = strndup(r->out.data ? r->out.data : "", r->out.len);
    assert_non_null(f->out);
    fence_op_cancel(op); /* a no-op from inside the callback */
}

static const struct fence_param ipmi_params[] = {
    {"ip", "192.0.2.10"},
    {"username", "admin"},
    {"password", "se cret\tx"},
};

static void test_stdin(void **state)
{
    struct fence_agent a = {.path = "/x", .params = ipmi_params, .n_params = 3};
    char buf[256], err[FENCE_ERR_MAX];
    size_t len = 0;

    assert_int_equal(
        fence_agent_stdin(&a, FENCE_ACTION_OFF, "n2", buf, sizeof(buf), &len, err, sizeof(err)), 0);
    assert_string_equal(buf, "action=off\nplug=n2\nip=192.0.2.10\nusername=admin\n"
                             "password=se cret\tx\n");
    assert_int_equal(len, strlen(buf));
    assert_int_equal(fence_agent_stdin(&a, FENCE_ACTION_METADATA, NULL, buf, sizeof(buf), &len, err,
                                       sizeof(err)),
                     0);
    assert_string_equal(buf, "action=metadata\nip=192.0.2.10\nusername=admin\npassword=se "
                             "cret\tx\n");

    /* too small a buffer */
    assert_int_equal(fence_agent_stdin(&a, FENCE_ACTION_OFF, "n2", buf, 20, &len, err, sizeof(err)),
                     -ENOSPC);
}

static void test_stdin_refused(void **state)
{
    static const struct {
        struct fence_param p;
        const char *plug, *want;
    } cases[] = {
        {{"ip", "1.2.3.4\naction=on"}, "n2", "'ip' holds a line break"},
        {{"plug", "3"}, "n2", "'plug' is set by Vigil"},
        {{"port", "3"}, "n2", "'port' is set by Vigil"},
        {{"action", "on"}, "n2", "'action' is set by Vigil"},
        {{"bad name", "x"}, "n2", "'bad name' is not usable"},
        {{"", "x"}, "n2", "'' is not usable"},
        {{"ip", "x"}, "n2\n", "plug 'n2\n' is empty or holds"},
        {{"ip", "x"}, "", "plug '' is empty"},
    };
    char buf[256], err[FENCE_ERR_MAX];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fence_agent a = {.path = "/x", .params = &cases[i].p, .n_params = 1};
        err[0] = '\0';
        assert_int_equal(fence_agent_stdin(&a, FENCE_ACTION_REBOOT, cases[i].plug, buf, sizeof(buf),
                                           NULL, err, sizeof(err)),
                         -EINVAL);
        if (!strstr(err, cases[i].want))
            fail_msg("case %zu: '%s' not in '%s'", i, cases[i].want, err);
    }
    assert_true(fence_param_name_valid("ipport"));
    assert_true(fence_param_name_valid("pcmk-delay_1"));
    assert_false(fence_param_name_valid("a=b"));
    assert_true(fence_param_reserved("nodename"));
    assert_false(fence_param_reserved("ip"));
}

static void test_find(void **state)
{
    char *dir = tmpdir_make("fence-find");
    char dirs[1024], path[1024], agent[1024], err[FENCE_ERR_MAX];

    snprintf(agent, sizeof(agent), "%s/b/fence_fake", dir);
    write_file(agent, "#!/bin/sh\nexit 0\n", 0755);
    snprintf(path, sizeof(path), "%s/a/fence_fake", dir);
    write_file(path, "not executable\n", 0644);
    snprintf(dirs, sizeof(dirs), "%s/a:%s/b", dir, dir);

    assert_int_equal(fence_agent_find("fence_fake", dirs, path, sizeof(path), err, sizeof(err)), 0);
    assert_string_equal(path, agent);
    assert_int_equal(fence_agent_find(agent, NULL, path, sizeof(path), err, sizeof(err)), 0);
    assert_string_equal(path, agent);
    assert_int_equal(fence_agent_find("fence_none", dirs, path, sizeof(path), err, sizeof(err)),
                     -ENOENT);
    assert_non_null(strstr(err, "fence agent fence_none not found in"));
    assert_non_null(strstr(err, "install it"));
    assert_int_equal(fence_agent_find("sub/fence_fake", dirs, path, sizeof(path), err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(
        fence_agent_find("/nonexistent/fence_x", dirs, path, sizeof(path), err, sizeof(err)),
        -ENOENT);
    assert_non_null(strstr(err, "not an executable file"));
    assert_int_equal(fence_agent_find("", dirs, path, sizeof(path), err, sizeof(err)), -EINVAL);
    tmpdir_remove(dir);
}

/* A fake agent: saves its stdin, prints a line, exits with the code the
 * test wrote into a file next to it. */
static char *fake_agent(char **dir_out)
{
    char *dir = tmpdir_make("fence-run");
    char *path = NULL, script[2048];

    assert_true(asprintf(&path, "%s/fence_fake", dir) > 0);
    snprintf(script, sizeof(script),
             "#!/bin/sh\n"
             "cat > %s/stdin\n"
             "echo \"Status: fake says $(cat %s/code 2>/dev/null || echo 0)\"\n"
             "if [ -f %s/sleep ]; then sleep 10; fi\n"
             "exit $(cat %s/code 2>/dev/null || echo 0)\n",
             dir, dir, dir, dir);
    write_file(path, script, 0755);
    *dir_out = dir;
    return path;
}

static void set_code(const char *dir, const char *code)
{
    char p[1024];

    snprintf(p, sizeof(p), "%s/code", dir);
    write_file(p, code, 0644);
}

static void run_action(sd_event *ev, const struct fence_agent *a, enum fence_action action,
                       const char *plug, vg_usec_t timeout, struct frec *f)
{
    char err[FENCE_ERR_MAX] = "";

    free(f->out);
    memset(f, 0, sizeof(*f));
    assert_int_equal(fence_agent_run(ev, a, action, plug, "off of n2 by fake", timeout, 100 * MS, 0,
                                     frec_done, f, NULL, err, sizeof(err)),
                     0);
    assert_int_equal(f->calls, 0);
    agent_run_until(ev, &f->calls, 1, 5000);
    assert_int_equal(f->action, action);
}

static void test_run_outcomes(void **state)
{
    sd_event *ev = *state;
    char *dir, *path = fake_agent(&dir), stdin_path[1024];
    struct fence_agent a = {.path = path, .params = ipmi_params, .n_params = 1};
    struct frec f = {0};
    FILE *fp;
    char got[256] = "";

    set_code(dir, "0\n");
    run_action(ev, &a, FENCE_ACTION_OFF, "n2", 0, &f);
    assert_int_equal(f.outcome, FENCE_OK);
    assert_int_equal(f.exit_code, 0);
    assert_string_equal(f.reason, "off of n2 by fake: succeeded (exit 0)");
    snprintf(stdin_path, sizeof(stdin_path), "%s/stdin", dir);
    assert_non_null(fp = fopen(stdin_path, "r"));
    assert_int_equal(fread(got, 1, sizeof(got) - 1, fp) > 0, 1);
    fclose(fp);
    assert_string_equal(got, "action=off\nplug=n2\nip=192.0.2.10\n");

    /* status: 0 on, 2 off, 1 an error */
    run_action(ev, &a, FENCE_ACTION_STATUS, "n2", 0, &f);
    assert_int_equal(f.outcome, FENCE_OK);
    assert_non_null(strstr(f.reason, "the plug is on"));
    set_code(dir, "2\n");
    run_action(ev, &a, FENCE_ACTION_STATUS, "n2", 0, &f);
    assert_int_equal(f.outcome, FENCE_POWERED_OFF);
    assert_non_null(strstr(f.reason, "the plug is off (exit 2)"));
    /* 2 from off is a failure, with the agent's last word */
    run_action(ev, &a, FENCE_ACTION_OFF, "n2", 0, &f);
    assert_int_equal(f.outcome, FENCE_FAILED);
    assert_string_equal(f.reason, "off of n2 by fake: failed (exit 2): \"Status: fake says 2\"");
    set_code(dir, "1\n");
    run_action(ev, &a, FENCE_ACTION_STATUS, "n2", 0, &f);
    assert_int_equal(f.outcome, FENCE_FAILED);

    free(f.out);
    tmpdir_remove(dir);
    free(path);
}

static void test_run_timeout_and_missing(void **state)
{
    sd_event *ev = *state;
    char *dir, *path = fake_agent(&dir), p[1024];
    struct fence_agent a = {.path = path};
    struct fence_agent missing = {.path = "/nonexistent/fence_none"};
    struct frec f = {0};

    snprintf(p, sizeof(p), "%s/sleep", dir);
    write_file(p, "", 0644);
    vg_usec_t t0 = clock_now();
    run_action(ev, &a, FENCE_ACTION_REBOOT, "n2", 300 * MS, &f);
    assert_int_equal(f.outcome, FENCE_TIMED_OUT);
    assert_true(clock_now() - t0 < 3000 * MS);
    assert_non_null(strstr(f.reason, "timed out"));

    run_action(ev, &missing, FENCE_ACTION_REBOOT, "n2", 0, &f);
    assert_int_equal(f.outcome, FENCE_CANNOT_RUN);
    assert_non_null(strstr(f.reason, "cannot run"));

    /* bad requests run nothing */
    char err[FENCE_ERR_MAX];
    struct fence_agent relative = {.path = "fence_x"};
    assert_int_equal(fence_agent_run(ev, &relative, FENCE_ACTION_OFF, "n2", NULL, 0, 0, 0,
                                     frec_done, &f, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(fence_agent_run(ev, &a, FENCE_ACTION_OFF, "n\n2", NULL, 0, 0, 0, frec_done, &f,
                                     NULL, err, sizeof(err)),
                     -EINVAL);

    /* cancel: no callback */
    struct fence_op *op = NULL;
    free(f.out);
    memset(&f, 0, sizeof(f));
    assert_int_equal(fence_agent_run(ev, &a, FENCE_ACTION_OFF, "n2", NULL, 0, 0, 0, frec_done, &f,
                                     &op, err, sizeof(err)),
                     0);
    fence_op_cancel(op);
    agent_run_for(ev, 200);
    assert_int_equal(f.calls, 0);
    free(f.out);
    tmpdir_remove(dir);
    free(path);
}

static const char meta_xml[] =
    "<?xml version=\"1.0\" ?>\n"
    "<resource-agent name=\"fence_fake\" shortdesc=\"Fake\" >\n"
    "<parameters>\n"
    "  <parameter name=\"action\" unique=\"0\" required=\"1\">\n"
    "    <getopt mixed=\"-o, --action=[action]\" />\n"
    "    <content type=\"string\" default=\"reboot\" />\n"
    "  </parameter>\n"
    "  <parameter name=\"ip\" unique=\"0\" required=\"1\">\n"
    "    <content type=\"string\" />\n"
    "    <shortdesc lang=\"en\">IP address or hostname of fencing device</shortdesc>\n"
    "  </parameter>\n"
    "  <parameter name=\"plug\" unique=\"0\" required=\"1\">\n"
    "    <content type=\"string\" />\n"
    "  </parameter>\n"
    "  <parameter name=\"username\" unique=\"0\" required=\"0\">\n"
    "    <content type=\"string\" />\n"
    "  </parameter>\n"
    "</parameters>\n"
    "<actions>\n"
    "  <action name=\"on\" automatic=\"0\"/>\n"
    "  <action name=\"off\" />\n"
    "  <action name=\"status\" />\n"
    "  <action name=\"metadata\" />\n"
    "</actions>\n"
    "</resource-agent>\n";

static void test_check_params(void **state)
{
    struct agent_ocf_meta m;
    char err[FENCE_ERR_MAX];
    const struct fence_param ok[] = {{"ip", "192.0.2.1"}, {"username", "x"}};
    const struct fence_param no_ip[] = {{"username", "x"}};
    const struct fence_param unknown[] = {{"ip", "192.0.2.1"}, {"usernme", "x"}};
    struct fence_agent a = {.path = "/usr/sbin/fence_fake", .params = ok, .n_params = 2};

    assert_int_equal(
        agent_meta_parse(meta_xml, strlen(meta_xml), AGENT_META_FENCE, &m, err, sizeof(err)), 0);
    assert_true(m.has_status);
    assert_int_equal(fence_agent_check_params(&a, &m, "fence_fake", "vigil.conf:9 [fence \"ipmi\"]",
                                              err, sizeof(err)),
                     0);
    a.params = no_ip;
    a.n_params = 1;
    assert_int_equal(fence_agent_check_params(&a, &m, "fence_fake", "vigil.conf:9 [fence \"ipmi\"]",
                                              err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "vigil.conf:9 [fence \"ipmi\"]: fence agent fence_fake requires "
                             "parameter 'ip' (IP address or hostname of fencing device): add "
                             "'ip = ...' to the section");
    a.params = unknown;
    a.n_params = 2;
    assert_int_equal(fence_agent_check_params(&a, &m, "fence_fake", "vigil.conf:9 [fence \"ipmi\"]",
                                              err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "has no parameter 'usernme'"));
    agent_ocf_meta_free(&m);
}

/* The real metadata of Debian's fence agents parse, when installed. */
static void test_installed_metadata(void **state)
{
    sd_event *ev = *state;
    const char *names[] = {"fence_dummy", "fence_ipmilan", "fence_virsh", "fence_redfish"};
    int tried = 0;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[1024], err[FENCE_ERR_MAX];
        struct frec f = {0};
        struct agent_ocf_meta m;
        if (fence_agent_find(names[i], NULL, path, sizeof(path), err, sizeof(err)) < 0)
            continue;
        struct fence_agent a = {.path = path};
        run_action(ev, &a, FENCE_ACTION_METADATA, NULL, 20000 * MS, &f);
        assert_int_equal(f.outcome, FENCE_OK);
        if (agent_meta_parse(f.out, strlen(f.out), AGENT_META_FENCE, &m, err, sizeof(err)) < 0)
            fail_msg("%s metadata: %s", names[i], err);
        assert_string_equal(m.name, names[i]);
        assert_non_null(agent_ocf_meta_param(&m, "action"));
        assert_true(m.has_status); /* each of these can report the plug's state */
        agent_ocf_meta_free(&m);
        free(f.out);
        tried++;
    }
    if (!tried)
        skip(); /* fence-agents not installed: scripts/install-deps installs it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_stdin_refused),
        cmocka_unit_test(test_find),
        cmocka_unit_test_setup_teardown(test_run_outcomes, agent_loop_setup, agent_loop_teardown),
        cmocka_unit_test_setup_teardown(test_run_timeout_and_missing, agent_loop_setup,
                                        agent_loop_teardown),
        cmocka_unit_test(test_check_params),
        cmocka_unit_test_setup_teardown(test_installed_metadata, agent_loop_setup,
                                        agent_loop_teardown),
    };

    agent_test_process_setup();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
