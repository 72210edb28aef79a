/* Unit tests of the `ocf` resource kind (src/resources/agent_ocf.c): agent
 * names, fake agents written into a temporary OCF root (one that prints its
 * environment, one that exits with the code it is given, one that hangs,
 * one that prints meta-data), agents that cannot run, requests refused, and,
 * when Debian's resource-agents is installed, the real ocf:heartbeat:Dummy
 * through start, monitor, stop and its meta-data. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_agent_util.h"

#define DUMMY_PATH AGENT_OCF_ROOT_DEFAULT "/resource.d/heartbeat/Dummy"

static const char envdump_agent[] = "#!/bin/sh\n"
                                    "echo \"ARG=$1 ARGS=$#\"\n"
                                    "/usr/bin/env | LC_ALL=C /usr/bin/sort\n";

static const char rc_agent[] =
    "#!/bin/sh\n"
    "echo \"log: $1 rc=$OCF_RESKEY_rc\"\n"
    "[ -n \"$OCF_RESKEY_why\" ] && echo \"ocf-exit-reason:$OCF_RESKEY_why\" >&2\n"
    "echo \"log: after\" >&2\n"
    "exit ${OCF_RESKEY_rc:-0}\n";

static const char hang_agent[] = "#!/bin/sh\nsleep 10\n";

static const char meta_agent[] =
    "#!/bin/sh\n"
    "case $1 in\n"
    "meta-data)\n"
    "  echo 'warning: this goes to stderr' >&2\n"
    "  cat <<'END'\n"
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
    "<resource-agent name=\"meta\" version=\"0.1\">\n"
    "<version>1.0</version>\n"
    "<parameters>\n"
    "<parameter name=\"ip\" required=\"1\" unique=\"1\">\n"
    "<shortdesc lang=\"en\">IPv4 or IPv6 address</shortdesc>\n"
    "<content type=\"string\"/>\n"
    "</parameter>\n"
    "<parameter name=\"port\"><content type=\"integer\" default=\"80\"/></parameter>\n"
    "</parameters>\n"
    "<actions>\n"
    "<action name=\"start\" timeout=\"30s\"/>\n"
    "<action name=\"stop\" timeout=\"40\"/>\n"
    "<action name=\"monitor\" timeout=\"15s\" interval=\"5s\"/>\n"
    "<action name=\"meta-data\" timeout=\"5s\"/>\n"
    "</actions>\n"
    "</resource-agent>\n"
    "END\n"
    "  exit 0;;\n"
    "*) exit 3;;\n"
    "esac\n";

/* A temporary OCF root with the fake agents of provider "vigil". */
struct fixture {
    sd_event *ev;
    char *root;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char path[4096];

    assert_non_null(f);
    assert_int_equal(sd_event_new(&f->ev), 0);
    f->root = tmpdir_make("ocf");
    snprintf(path, sizeof(path), "%s/resource.d/vigil/envdump", f->root);
    write_file(path, envdump_agent, 0755);
    snprintf(path, sizeof(path), "%s/resource.d/vigil/rc", f->root);
    write_file(path, rc_agent, 0755);
    snprintf(path, sizeof(path), "%s/resource.d/vigil/hang", f->root);
    write_file(path, hang_agent, 0755);
    snprintf(path, sizeof(path), "%s/resource.d/vigil/meta", f->root);
    write_file(path, meta_agent, 0755);
    snprintf(path, sizeof(path), "%s/resource.d/vigil/noexec", f->root);
    write_file(path, envdump_agent, 0644);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    agent_loop_teardown((void **)&f->ev);
    tmpdir_remove(f->root);
    free(f);
    return 0;
}

static struct agent_ocf agent_in(const struct fixture *f, const char *spec)
{
    struct agent_ocf o;
    char err[AGENT_ERR_MAX];

    assert_int_equal(agent_ocf_parse(spec, &o, err, sizeof(err)), 0);
    o.root = f->root;
    return o;
}

static void run_ocf(sd_event *ev, const struct agent_ocf *o, const struct agent_request *req,
                    struct arec *a)
{
    char err[AGENT_ERR_MAX] = "";

    if (agent_ocf_run(ev, o, req, arec_done, a, NULL, err, sizeof(err)) < 0)
        fail_msg("agent_ocf_run: %s", err);
    assert_int_equal(a->calls, 0);
    agent_run_until(ev, &a->calls, 1, 8000);
    assert_int_equal(a->calls, 1);
    assert_int_equal(a->kind, AGENT_KIND_OCF);
    assert_int_equal(a->action, req->action);
}

/* ---- names ---- */

static void test_parse(void **state)
{
    static const char *const bad[] = {
        "heartbeat:Dummy",  "ocf:Dummy",          "ocf::Dummy", "ocf:heartbeat:",
        "ocf:heart/beat:x", "ocf:heartbeat:../x", "ocf:..:x",   "ocf:a:b:c",
        "lsb:foo",          "ocf:h b:x",          "",
    };
    struct agent_ocf o;
    char err[AGENT_ERR_MAX], path[256];

    assert_int_equal(agent_ocf_parse("ocf:heartbeat:IPaddr2", &o, err, sizeof(err)), 0);
    assert_string_equal(o.provider, "heartbeat");
    assert_string_equal(o.type, "IPaddr2");
    assert_null(o.root);
    assert_int_equal(o.n_params, 0);
    assert_int_equal(agent_ocf_path(&o, path, sizeof(path)), 0);
    assert_string_equal(path, "/usr/lib/ocf/resource.d/heartbeat/IPaddr2");
    o.root = "/tmp/x";
    assert_int_equal(agent_ocf_path(&o, path, sizeof(path)), 0);
    assert_string_equal(path, "/tmp/x/resource.d/heartbeat/IPaddr2");
    assert_int_equal(agent_ocf_path(&o, path, 10), -ENAMETOOLONG);
    o.root = "relative";
    assert_int_equal(agent_ocf_path(&o, path, sizeof(path)), -EINVAL);

    assert_int_equal(agent_ocf_parse("ocf:my-co.v2:app+1", &o, err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (agent_ocf_parse(bad[i], &o, err, sizeof(err)) != -EINVAL)
            fail_msg("'%s' accepted", bad[i]);
        assert_non_null(strstr(err, "ocf:PROVIDER:TYPE"));
    }
    assert_int_equal(agent_ocf_parse("ocf:Dummy", &o, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "agent 'ocf:Dummy' has no type: expected ocf:PROVIDER:TYPE, e.g. "
                             "ocf:heartbeat:IPaddr2");
    assert_int_equal(agent_ocf_parse(NULL, &o, err, sizeof(err)), -EINVAL);
}

/* ---- the environment ---- */

static void test_env_exact(void **state)
{
    struct fixture *f = *state;
    struct agent_param params[] = {{"ip", "192.0.2.10"}, {"state", "/x y/z"}};
    struct agent_ocf o = agent_in(f, "ocf:vigil:envdump");
    struct agent_request req = agent_req(AGENT_ACTION_START);
    struct arec a = {0};
    char want[2048];

    o.params = params;
    o.n_params = 2;
    run_ocf(f->ev, &o, &req, &a);
    assert_int_equal(a.outcome, AGENT_OK);
    snprintf(want, sizeof(want),
             "ARG=start ARGS=1\n"
             "OCF_FUNCTIONS_DIR=%s/lib/heartbeat\n"
             "OCF_RA_VERSION_MAJOR=1\n"
             "OCF_RA_VERSION_MINOR=0\n"
             "OCF_RESKEY_CRM_meta_timeout=4000\n"
             "OCF_RESKEY_ip=192.0.2.10\n"
             "OCF_RESKEY_state=/x y/z\n"
             "OCF_RESOURCE_INSTANCE=web-app\n"
             "OCF_RESOURCE_PROVIDER=vigil\n"
             "OCF_RESOURCE_TYPE=envdump\n"
             "OCF_ROOT=%s\n"
             "PATH=%s\n"
             "PWD=/\n"
             "VIGIL_ACTION=start\n"
             "VIGIL_GROUP=web\n"
             "VIGIL_NODE=alpha\n"
             "VIGIL_RESOURCE=app\n",
             f->root, f->root, AGENT_PATH_ENV);
    assert_string_equal(a.out, want);
    arec_free(&a);
}

/* A monitor carries its interval (0 for a probe), an instance name can be
 * given, and the default timeout is 20 s. */
static void test_env_monitor(void **state)
{
    struct fixture *f = *state;
    struct agent_ocf o = agent_in(f, "ocf:vigil:envdump");
    struct agent_request req = agent_req(AGENT_ACTION_MONITOR);
    struct arec a = {0};

    req.interval = 10 * VG_USEC_PER_SEC;
    req.timeout = 0;
    req.group = NULL;
    run_ocf(f->ev, &o, &req, &a);
    assert_non_null(strstr(a.out, "ARG=monitor ARGS=1\n"));
    assert_non_null(strstr(a.out, "\nOCF_RESKEY_CRM_meta_interval=10000\n"));
    assert_non_null(strstr(a.out, "\nOCF_RESKEY_CRM_meta_timeout=20000\n"));
    assert_non_null(strstr(a.out, "\nOCF_RESOURCE_INSTANCE=app\n"));
    assert_null(strstr(a.out, "VIGIL_GROUP"));
    arec_free(&a);

    req.interval = 0;
    o.instance = "vip:0";
    run_ocf(f->ev, &o, &req, &a);
    assert_non_null(strstr(a.out, "\nOCF_RESKEY_CRM_meta_interval=0\n"));
    assert_non_null(strstr(a.out, "\nOCF_RESOURCE_INSTANCE=vip:0\n"));
    arec_free(&a);
}

/* meta-data describes the agent: no instance, no parameters, no resource
 * needed. */
static void test_env_meta_data(void **state)
{
    struct fixture *f = *state;
    struct agent_param params[] = {{"ip", "192.0.2.10"}};
    struct agent_ocf o = agent_in(f, "ocf:vigil:envdump");
    struct agent_request req = {.action = AGENT_ACTION_META_DATA, .timeout = 5 * VG_USEC_PER_SEC};
    struct arec a = {0};
    char want[2048];

    o.params = params;
    o.n_params = 1;
    run_ocf(f->ev, &o, &req, &a);
    snprintf(want, sizeof(want),
             "ARG=meta-data ARGS=1\n"
             "OCF_FUNCTIONS_DIR=%s/lib/heartbeat\n"
             "OCF_RA_VERSION_MAJOR=1\n"
             "OCF_RA_VERSION_MINOR=0\n"
             "OCF_RESKEY_CRM_meta_timeout=5000\n"
             "OCF_RESOURCE_PROVIDER=vigil\n"
             "OCF_RESOURCE_TYPE=envdump\n"
             "OCF_ROOT=%s\n"
             "PATH=%s\n"
             "PWD=/\n"
             "VIGIL_ACTION=meta-data\n",
             f->root, f->root, AGENT_PATH_ENV);
    assert_string_equal(a.out, want);
    assert_string_equal(a.reason, "meta-data of ocf:vigil:envdump: succeeded (exit 0, "
                                  "OCF_SUCCESS)");
    arec_free(&a);
}

/* ---- exit codes ---- */

static void test_exit_codes(void **state)
{
    static const struct {
        enum agent_action action;
        const char *rc;
        enum agent_outcome outcome;
    } cases[] = {
        {AGENT_ACTION_MONITOR, "0", AGENT_OK},      {AGENT_ACTION_MONITOR, "7", AGENT_NOT_RUNNING},
        {AGENT_ACTION_MONITOR, "8", AGENT_OK},      {AGENT_ACTION_MONITOR, "9", AGENT_FAILED},
        {AGENT_ACTION_MONITOR, "1", AGENT_FAILED},  {AGENT_ACTION_MONITOR, "5", AGENT_FAILED},
        {AGENT_ACTION_START, "0", AGENT_OK},        {AGENT_ACTION_START, "8", AGENT_OK},
        {AGENT_ACTION_START, "7", AGENT_FAILED},    {AGENT_ACTION_START, "2", AGENT_FAILED},
        {AGENT_ACTION_STOP, "0", AGENT_OK},         {AGENT_ACTION_STOP, "7", AGENT_OK},
        {AGENT_ACTION_STOP, "1", AGENT_FAILED},     {AGENT_ACTION_STOP, "8", AGENT_FAILED},
        {AGENT_ACTION_VALIDATE_ALL, "0", AGENT_OK}, {AGENT_ACTION_VALIDATE_ALL, "6", AGENT_FAILED},
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct agent_param params[] = {{"rc", cases[i].rc}};
        struct agent_ocf o = agent_in(f, "ocf:vigil:rc");
        struct agent_request req = agent_req(cases[i].action);
        struct arec a = {0};

        o.params = params;
        o.n_params = 1;
        run_ocf(f->ev, &o, &req, &a);
        if (a.outcome != cases[i].outcome)
            fail_msg("%s rc %s: %s", agent_action_name(cases[i].action), cases[i].rc, a.reason);
        assert_int_equal(a.exit_code, atoi(cases[i].rc));
        arec_free(&a);
    }
}

/* The reason names the code and quotes the agent's exit reason. */
static void test_reasons(void **state)
{
    struct fixture *f = *state;
    struct agent_param params[] = {{"rc", "6"}, {"why", "ip is not set"}};
    struct agent_ocf o = agent_in(f, "ocf:vigil:rc");
    struct agent_request req = agent_req(AGENT_ACTION_START);
    struct arec a = {0};

    o.params = params;
    o.n_params = 2;
    run_ocf(f->ev, &o, &req, &a);
    assert_int_equal(a.outcome, AGENT_FAILED);
    assert_string_equal(a.reason, "start of web/app (ocf:vigil:rc) failed: exit 6, "
                                  "OCF_ERR_CONFIGURED: the resource's configuration is wrong: "
                                  "\"ip is not set\"");
    assert_non_null(strstr(a.out, "log: start rc=6\n"));
    arec_free(&a);

    /* without an exit reason: the last line of output */
    o.n_params = 1;
    params[0].value = "5";
    run_ocf(f->ev, &o, &req, &a);
    assert_string_equal(a.reason, "start of web/app (ocf:vigil:rc) failed: exit 5, "
                                  "OCF_ERR_INSTALLED: something the agent needs is not installed "
                                  "on this node: \"log: after\"");
    arec_free(&a);

    /* a code OCF does not define */
    params[0].value = "42";
    run_ocf(f->ev, &o, &req, &a);
    assert_int_equal(a.outcome, AGENT_FAILED);
    assert_string_equal(a.reason, "start of web/app (ocf:vigil:rc) failed: exit 42: \"log: "
                                  "after\"");
    arec_free(&a);

    req.action = AGENT_ACTION_STOP;
    params[0].value = "7";
    run_ocf(f->ev, &o, &req, &a);
    assert_string_equal(a.reason, "stop of web/app (ocf:vigil:rc): succeeded, it was not running "
                                  "(exit 7, OCF_NOT_RUNNING)");
    arec_free(&a);
}

static void test_timeout(void **state)
{
    struct fixture *f = *state;
    struct agent_ocf o = agent_in(f, "ocf:vigil:hang");
    struct agent_request req = agent_req(AGENT_ACTION_STOP);
    struct arec a = {0};

    req.timeout = 200 * MS;
    run_ocf(f->ev, &o, &req, &a);
    assert_int_equal(a.outcome, AGENT_TIMED_OUT);
    assert_int_equal(a.exit_code, -1);
    assert_string_equal(a.reason, "stop of web/app (ocf:vigil:hang): timed out after 200ms: the "
                                  "resource may still be running");
    arec_free(&a);
}

/* Missing or not executable: AGENT_CANNOT_RUN, from the loop, with what to do. */
static void test_cannot_run(void **state)
{
    struct fixture *f = *state;
    struct agent_ocf o = agent_in(f, "ocf:vigil:missing");
    struct agent_request req = agent_req(AGENT_ACTION_START);
    struct arec a = {0};
    char want[1024];

    run_ocf(f->ev, &o, &req, &a);
    assert_int_equal(a.outcome, AGENT_CANNOT_RUN);
    assert_int_equal(a.error, ENOENT);
    assert_int_equal(a.exit_code, -1);
    snprintf(want, sizeof(want),
             "start of web/app (ocf:vigil:missing): cannot run %s/resource.d/vigil/missing: No "
             "such file or directory (ENOENT): install the agent on this node (ocf:heartbeat "
             "agents come with the resource-agents package) or fix the agent name",
             f->root);
    assert_string_equal(a.reason, want);
    arec_free(&a);

    o = agent_in(f, "ocf:vigil:noexec");
    run_ocf(f->ev, &o, &req, &a);
    assert_int_equal(a.outcome, AGENT_CANNOT_RUN);
    assert_int_equal(a.error, EACCES);
    assert_non_null(strstr(a.reason, "(EACCES): the file must be an executable program"));
    arec_free(&a);
}

/* Requests refused before anything runs. */
static void test_bad_requests(void **state)
{
    struct fixture *f = *state;
    struct agent_param bad_name[] = {{"cidr-netmask", "24"}};
    struct agent_param reserved[] = {{"CRM_meta_timeout", "1"}};
    struct agent_param twice[] = {{"ip", "a"}, {"ip", "b"}};
    struct agent_ocf o = agent_in(f, "ocf:vigil:envdump");
    struct agent_request req = agent_req(AGENT_ACTION_START);
    struct arec a = {0};
    char err[AGENT_ERR_MAX];

    o.params = bad_name;
    o.n_params = 1;
    assert_int_equal(agent_ocf_run(f->ev, &o, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "start of web/app (ocf:vigil:envdump): parameter 'cidr-netmask' "
                             "cannot be passed: an OCF parameter name is 1 to 63 letters, digits "
                             "and '_', not starting with a digit");
    o.params = reserved;
    assert_int_equal(agent_ocf_run(f->ev, &o, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "are reserved for the cluster manager"));
    o.params = twice;
    o.n_params = 2;
    assert_int_equal(agent_ocf_run(f->ev, &o, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "start of web/app (ocf:vigil:envdump): parameter 'ip' is given "
                             "twice; keep one");

    o = agent_in(f, "ocf:vigil:envdump");
    o.instance = "a/b";
    assert_int_equal(agent_ocf_run(f->ev, &o, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "without '/'"));

    {
        char longname[AGENT_INSTANCE_MAX + 1];

        memset(longname, 'i', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        o.instance = longname;
        assert_int_equal(agent_ocf_run(f->ev, &o, &req, arec_done, &a, NULL, err, sizeof(err)),
                         -EINVAL);
        assert_string_equal(err, "start of web/app (ocf:vigil:envdump): the instance name is "
                                 "longer than 255 characters");
    }

    o = agent_in(f, "ocf:vigil:envdump");
    o.root = "relative/root";
    assert_int_equal(agent_ocf_run(f->ev, &o, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "start of web/app (ocf:vigil:envdump): bad agent name, or OCF root "
                             "'relative/root' is not an absolute path");

    o = agent_in(f, "ocf:vigil:envdump");
    req.resource = "";
    assert_int_equal(agent_ocf_run(f->ev, &o, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(agent_ocf_run(f->ev, NULL, &req, arec_done, &a, NULL, err, sizeof(err)),
                     -EINVAL);

    agent_run_for(f->ev, 50);
    assert_int_equal(a.calls, 0);
}

/* meta-data: stdout alone is the XML (stderr apart), and it parses. */
static void test_meta_data(void **state)
{
    struct fixture *f = *state;
    struct agent_param ok[] = {{"ip", "192.0.2.10"}, {"port", "8080"}};
    struct agent_ocf o = agent_in(f, "ocf:vigil:meta");
    struct agent_request req = {.action = AGENT_ACTION_META_DATA};
    struct agent_ocf_meta m;
    struct arec a = {0};
    char err[AGENT_ERR_MAX];

    run_ocf(f->ev, &o, &req, &a);
    assert_int_equal(a.outcome, AGENT_OK);
    assert_string_equal(a.err, "warning: this goes to stderr\n");
    assert_int_equal(strncmp(a.out, "<?xml", 5), 0);
    if (agent_ocf_meta_parse(a.out, a.out_len, &m, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_string_equal(m.name, "meta");
    assert_int_equal(m.n_params, 2);
    assert_string_equal(m.params[0].name, "ip");
    assert_true(m.params[0].required);
    assert_string_equal(m.params[0].shortdesc, "IPv4 or IPv6 address");
    assert_string_equal(m.params[1].default_value, "80");
    assert_int_equal(m.timeout[AGENT_ACTION_START], 30 * VG_USEC_PER_SEC);
    assert_int_equal(m.timeout[AGENT_ACTION_STOP], 40 * VG_USEC_PER_SEC);
    assert_int_equal(m.timeout[AGENT_ACTION_MONITOR], 15 * VG_USEC_PER_SEC);
    assert_int_equal(m.monitor_interval, 5 * VG_USEC_PER_SEC);
    assert_false(m.has_action[AGENT_ACTION_VALIDATE_ALL]);

    /* the daemon's way to pick timeouts and check a configuration */
    assert_int_equal(agent_ocf_meta_timeout(&m, AGENT_ACTION_START, 0), 30 * VG_USEC_PER_SEC);
    assert_int_equal(agent_ocf_meta_timeout(&m, AGENT_ACTION_VALIDATE_ALL, 0),
                     AGENT_TIMEOUT_DEFAULT);
    o.params = ok;
    o.n_params = 2;
    assert_int_equal(agent_ocf_check_params(&o, &m, "vigil.conf:20", 0, err, sizeof(err)), 0);
    o.params = ok + 1;
    o.n_params = 1;
    assert_int_equal(agent_ocf_check_params(&o, &m, "vigil.conf:20", 0, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "vigil.conf:20: ocf:vigil:meta requires parameter 'ip' (IPv4 or IPv6 "
                             "address), which is not set: add it");
    agent_ocf_meta_free(&m);
    arec_free(&a);

    /* an action the agent does not implement */
    req = agent_req(AGENT_ACTION_VALIDATE_ALL);
    run_ocf(f->ev, &o, &req, &a);
    assert_int_equal(a.outcome, AGENT_FAILED);
    assert_int_equal(a.exit_code, OCF_ERR_UNIMPLEMENTED);
    arec_free(&a);
}

/* ---- the real ocf:heartbeat:Dummy (Debian package resource-agents) ---- */

static bool have_dummy(void)
{
    if (access(DUMMY_PATH, X_OK) == 0)
        return true;
    print_message("[  SKIP    ] " DUMMY_PATH " is not installed (Debian package "
                  "resource-agents): the real-agent test is skipped\n");
    return false;
}

static void test_dummy_meta_data(void **state)
{
    struct fixture *f = *state;
    struct agent_ocf o;
    struct agent_request req = {.action = AGENT_ACTION_META_DATA};
    struct agent_param typo[] = {{"stat", "/x"}};
    struct agent_ocf_meta m;
    const struct agent_ocf_param_meta *p;
    struct arec a = {0};
    char err[AGENT_ERR_MAX];

    if (!have_dummy())
        skip();
    assert_int_equal(agent_ocf_parse("ocf:heartbeat:Dummy", &o, err, sizeof(err)), 0);
    run_ocf(f->ev, &o, &req, &a);
    assert_int_equal(a.outcome, AGENT_OK);
    if (agent_ocf_meta_parse(a.out, a.out_len, &m, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_string_equal(m.name, "Dummy");
    assert_non_null(p = agent_ocf_meta_param(&m, "state"));
    assert_false(p->required);
    assert_true(p->unique);
    assert_string_equal(p->type, "string");
    assert_string_equal(p->shortdesc, "State file");
    assert_non_null(agent_ocf_meta_param(&m, "fake"));
    for (int i = AGENT_ACTION_START; i <= AGENT_ACTION_VALIDATE_ALL; i++)
        assert_true(m.has_action[i]);
    assert_int_equal(m.timeout[AGENT_ACTION_START], 20 * VG_USEC_PER_SEC);
    assert_int_equal(m.timeout[AGENT_ACTION_STOP], 20 * VG_USEC_PER_SEC);
    assert_int_equal(m.timeout[AGENT_ACTION_MONITOR], 20 * VG_USEC_PER_SEC);
    assert_int_equal(m.timeout[AGENT_ACTION_META_DATA], 5 * VG_USEC_PER_SEC);
    assert_int_equal(m.monitor_interval, 10 * VG_USEC_PER_SEC);

    o.params = typo;
    o.n_params = 1;
    assert_int_equal(
        agent_ocf_check_params(&o, &m, "[resource \"web/dummy\"]", 0, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "[resource \"web/dummy\"]: ocf:heartbeat:Dummy has no parameter "
                             "'stat' (its parameters: state, fake): fix the name or remove it");
    agent_ocf_meta_free(&m);
    arec_free(&a);
}

/* Run one action of Dummy with its state file in dir; returns the outcome. */
static enum agent_outcome dummy(struct fixture *f, enum agent_action action, const char *state,
                                struct arec *a)
{
    struct agent_param params[] = {{"state", state}};
    struct agent_ocf o;
    struct agent_request req = agent_req(action);
    char err[AGENT_ERR_MAX];

    assert_int_equal(agent_ocf_parse("ocf:heartbeat:Dummy", &o, err, sizeof(err)), 0);
    o.params = params;
    o.n_params = 1;
    req.interval = action == AGENT_ACTION_MONITOR ? 10 * VG_USEC_PER_SEC : 0;
    arec_free(a);
    run_ocf(f->ev, &o, &req, a);
    return a->outcome;
}

static void test_dummy_lifecycle(void **state)
{
    struct fixture *f = *state;
    struct arec a = {0};
    char path[4096];
    struct stat st;

    if (!have_dummy())
        skip();
    snprintf(path, sizeof(path), "%s/Dummy-web-app.state", f->root);
    assert_int_equal(dummy(f, AGENT_ACTION_VALIDATE_ALL, path, &a), AGENT_OK);
    assert_int_equal(dummy(f, AGENT_ACTION_MONITOR, path, &a), AGENT_NOT_RUNNING);
    assert_string_equal(a.reason, "monitor of web/app (ocf:heartbeat:Dummy): not running (exit 7, "
                                  "OCF_NOT_RUNNING): \"No process state file found\"");
    assert_int_equal(dummy(f, AGENT_ACTION_START, path, &a), AGENT_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(dummy(f, AGENT_ACTION_MONITOR, path, &a), AGENT_OK);
    assert_int_equal(dummy(f, AGENT_ACTION_START, path, &a), AGENT_OK); /* again: still fine */
    assert_int_equal(dummy(f, AGENT_ACTION_STOP, path, &a), AGENT_OK);
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(dummy(f, AGENT_ACTION_MONITOR, path, &a), AGENT_NOT_RUNNING);
    assert_int_equal(dummy(f, AGENT_ACTION_STOP, path, &a), AGENT_OK); /* again: still fine */

    /* a state directory it cannot write: validate-all says OCF_ERR_ARGS */
    snprintf(path, sizeof(path), "%s/no/such/dir/state", f->root);
    assert_int_equal(dummy(f, AGENT_ACTION_VALIDATE_ALL, path, &a), AGENT_FAILED);
    assert_int_equal(a.exit_code, OCF_ERR_ARGS);
    assert_non_null(strstr(a.reason, "OCF_ERR_ARGS"));
    assert_non_null(strstr(a.reason, "is not writable\""));
    arec_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test_setup_teardown(test_env_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_monitor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_meta_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cannot_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dummy_meta_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dummy_lifecycle, setup, teardown),
    };

    agent_test_process_setup();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
