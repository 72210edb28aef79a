/* Unit tests of the check of a configuration's ocf resources against the
 * agents installed (src/groups/ocf_check.c, agent_ocf_meta_read in
 * src/resources/agent_ocf_check.c): fake agents in a temporary OCF root (one
 * whose meta-data requires a parameter and advises timeouts, one whose
 * meta-data fails, one not executable), an agent not installed, the groups
 * of one node only, the advised timeouts where the section sets none; and,
 * when resource-agents is installed, ocf:heartbeat:IPaddr2 without its
 * required `ip`. SIGCHLD is not blocked here, as in vigilctl. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_agent_util.h"

#include "../../src/groups/ocf_check.h"

#define PATH "vigil.conf"
#define IPADDR2_PATH AGENT_OCF_ROOT_DEFAULT "/resource.d/heartbeat/IPaddr2"

static const char meta_agent[] =
    "#!/bin/sh\n"
    "[ \"$1\" = meta-data ] || exit 3\n"
    "cat <<'END'\n"
    "<?xml version=\"1.0\"?>\n"
    "<resource-agent name=\"need\" version=\"0.1\">\n"
    "<parameters>\n"
    "<parameter name=\"ip\" required=\"1\">\n"
    "<shortdesc lang=\"en\">IPv4 or IPv6 address</shortdesc>\n"
    "<content type=\"string\"/>\n"
    "</parameter>\n"
    "<parameter name=\"port\"><content type=\"integer\" default=\"80\"/></parameter>\n"
    "</parameters>\n"
    "<actions>\n"
    "<action name=\"start\" timeout=\"30s\"/>\n"
    "<action name=\"stop\" timeout=\"40\"/>\n"
    "<action name=\"monitor\" timeout=\"15s\" interval=\"5s\"/>\n"
    "</actions>\n"
    "</resource-agent>\n"
    "END\n";

static const char failing_agent[] = "#!/bin/sh\necho 'ocf-exit-reason:broken' >&2\nexit 1\n";

/* Three nodes; group web on alpha and beta; resources from line 17. */
static const char conf_head[] = "[cluster]\n"
                                "name = t\n"
                                "[node \"alpha\"]\n"
                                "id = 1\n"
                                "lan1 = 192.0.2.1\n"
                                "[node \"beta\"]\n"
                                "id = 2\n"
                                "lan1 = 192.0.2.2\n"
                                "[node \"gamma\"]\n"
                                "id = 3\n"
                                "lan1 = 192.0.2.3\n"
                                "[link \"lan1\"]\n"
                                "type = udp\n"
                                "priority = 1\n"
                                "[group \"web\"]\n"
                                "nodes = alpha, beta\n";

struct fx {
    char *root;
    struct conf c;
    struct conf_diag diag;
    struct ocf_advice adv[VIGIL_MAX_RESOURCES];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char path[4096];

    assert_non_null(f);
    f->root = tmpdir_make("ocfcheck");
    snprintf(path, sizeof(path), "%s/resource.d/vigil/need", f->root);
    write_file(path, meta_agent, 0755);
    snprintf(path, sizeof(path), "%s/resource.d/vigil/failing", f->root);
    write_file(path, failing_agent, 0755);
    snprintf(path, sizeof(path), "%s/resource.d/vigil/noexec", f->root);
    write_file(path, meta_agent, 0644);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    tmpdir_remove(f->root);
    free(f);
    return 0;
}

/* conf_head and then `resources` parsed into f->c (it must be valid). */
static void load(struct fx *f, const char *resources)
{
    char text[8192];

    snprintf(text, sizeof(text), "%s%s", conf_head, resources);
    memset(&f->diag, 0, sizeof(f->diag));
    if (conf_parse_text(text, strlen(text), PATH, &f->c, &f->diag) < 0)
        fail_msg("bad test configuration: %s", f->diag.msg[0]);
}

static int check(struct fx *f, int node)
{
    memset(&f->diag, 0, sizeof(f->diag));
    return ocf_check_conf(&f->c, node, f->root, f->adv, &f->diag);
}

static void assert_diag(const struct fx *f, int i, const char *want)
{
    assert_true(i < f->diag.n);
    if (strcmp(f->diag.msg[i], want) != 0)
        fail_msg("error %d:\n'%s'\nwanted\n'%s'", i, f->diag.msg[i], want);
}

/* A required parameter not set: an error naming file:line, the resource,
 * the agent, the parameter and what to do; a parameter the agent does not
 * have: an error too. Every problem is reported, not only the first. */
static void test_required_and_unknown(void **state)
{
    struct fx *f = *state;

    load(f, "[resource \"web/app\"]\n" /* line 17 */
            "type = ocf\n"
            "agent = ocf:vigil:need\n"
            "port = 8080\n"
            "[resource \"web/typo\"]\n" /* line 21 */
            "type = ocf\n"
            "agent = ocf:vigil:need\n"
            "ip = 192.0.2.9\n"
            "prot = 8080\n");
    assert_int_equal(check(f, -1), -EINVAL);
    assert_int_equal(f->diag.n, 2);
    assert_diag(f, 0,
                "vigil.conf:17: [resource \"web/app\"]: ocf:vigil:need requires parameter 'ip' "
                "(IPv4 or IPv6 address), which is not set: add it");
    assert_diag(f, 1,
                "vigil.conf:21: [resource \"web/typo\"]: ocf:vigil:need has no parameter 'prot' "
                "(its parameters: ip, port): fix the name or remove it");
}

/* Everything set: no error; the agent's timeouts where the section sets
 * none, the section's own where it does; nothing for other kinds. */
static void test_advice(void **state)
{
    struct fx *f = *state;

    load(f, "[resource \"web/app\"]\n"
            "type = ocf\n"
            "agent = ocf:vigil:need\n"
            "ip = 192.0.2.9\n"
            "start-timeout = 3s\n"
            "[resource \"web/run\"]\n"
            "type = exec\n"
            "start = true\n"
            "stop = true\n");
    assert_int_equal(check(f, -1), 0);
    assert_int_equal(f->diag.n, 0);
    assert_int_equal(f->adv[0].start_timeout, 0); /* set: 3s */
    assert_int_equal(f->c.resources[0].start_timeout, 3 * VG_USEC_PER_SEC);
    assert_int_equal(f->adv[0].stop_timeout, 40 * VG_USEC_PER_SEC);
    assert_int_equal(f->adv[0].monitor_timeout, 15 * VG_USEC_PER_SEC);
    assert_int_equal(f->adv[1].start_timeout, 0);
    assert_int_equal(f->adv[1].stop_timeout, 0);
    /* advice may be NULL */
    memset(&f->diag, 0, sizeof(f->diag));
    assert_int_equal(ocf_check_conf(&f->c, -1, f->root, NULL, &f->diag), 0);
}

/* An agent not installed names the path looked for; one not executable,
 * and one whose meta-data fails, say so. */
static void test_agent_missing_or_broken(void **state)
{
    struct fx *f = *state;
    char want[4096];

    load(f, "[resource \"web/a\"]\n" /* line 17 */
            "type = ocf\n"
            "agent = ocf:vigil:absent\n"
            "[resource \"web/b\"]\n" /* line 20 */
            "type = ocf\n"
            "agent = ocf:vigil:noexec\n"
            "[resource \"web/c\"]\n" /* line 23 */
            "type = ocf\n"
            "agent = ocf:vigil:failing\n");
    assert_int_equal(check(f, -1), -EINVAL);
    assert_int_equal(f->diag.n, 3);
    snprintf(want, sizeof(want),
             "vigil.conf:17: [resource \"web/a\"] agent: ocf:vigil:absent is not installed on "
             "this node: %s/resource.d/vigil/absent does not exist; install the package that "
             "provides it (resource-agents for ocf:heartbeat:*) or fix the agent name",
             f->root);
    assert_diag(f, 0, want);
    snprintf(want, sizeof(want),
             "vigil.conf:20: [resource \"web/b\"] agent: ocf:vigil:noexec cannot be run on this "
             "node: %s/resource.d/vigil/noexec: Permission denied; make it an executable file",
             f->root);
    assert_diag(f, 1, want); /* root too: X_OK wants an execute bit */
    assert_non_null(strstr(f->diag.msg[2], "[resource \"web/c\"] agent: ocf:vigil:failing ("));
    assert_non_null(strstr(f->diag.msg[2], "cannot read its meta-data: meta-data of "
                                           "ocf:vigil:failing failed: exit 1, OCF_ERR_GENERIC"));
    assert_non_null(strstr(f->diag.msg[2], "broken"));
}

/* vigild checks only the groups its node may run: gamma's db is not
 * alpha's business, and the other way round. */
static void test_node_filter(void **state)
{
    struct fx *f = *state;

    load(f, "[resource \"web/a\"]\n"
            "type = ocf\n"
            "agent = ocf:vigil:need\n"
            "ip = 192.0.2.9\n"
            "[group \"db\"]\n"
            "nodes = gamma\n"
            "[resource \"db/a\"]\n"
            "type = ocf\n"
            "agent = ocf:vigil:absent\n");
    assert_int_equal(check(f, 0), 0); /* alpha */
    assert_int_equal(f->adv[0].stop_timeout, 40 * VG_USEC_PER_SEC);
    assert_int_equal(check(f, 2), -EINVAL); /* gamma */
    assert_int_equal(f->diag.n, 1);
    assert_non_null(strstr(f->diag.msg[0], "[resource \"db/a\"] agent: ocf:vigil:absent is not"));
    assert_int_equal(check(f, -1), -EINVAL); /* vigilctl: every group */
}

/* The real IPaddr2 requires `ip` (Debian's resource-agents). */
static void test_ipaddr2(void **state)
{
    struct fx *f = *state;

    if (access(IPADDR2_PATH, X_OK) != 0)
        skip();
    load(f, "[resource \"web/vip\"]\n"
            "type = ocf\n"
            "agent = ocf:heartbeat:IPaddr2\n"
            "cidr_netmask = 24\n");
    memset(&f->diag, 0, sizeof(f->diag));
    assert_int_equal(ocf_check_conf(&f->c, -1, NULL, f->adv, &f->diag), -EINVAL);
    assert_int_equal(f->diag.n, 1);
    assert_non_null(strstr(f->diag.msg[0], "vigil.conf:17: [resource \"web/vip\"]: "
                                           "ocf:heartbeat:IPaddr2 requires parameter 'ip' ("));
    assert_non_null(strstr(f->diag.msg[0], "which is not set: add it"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_required_and_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_advice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agent_missing_or_broken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipaddr2, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
