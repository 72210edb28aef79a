/* Unit tests of checking [fence] devices against the machine
 * (src/fencing/fence_check.c): a fake agent's metadata is run and read,
 * a missing required parameter, an unknown one, an agent not installed, a
 * metadata that does not parse; every device is reported, each with its
 * file and line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_agent_util.h"

#include "../../src/fencing/fence_check.h"

static char *dir;
static char agent[1024], broken[1024];

static int setup(void **state)
{
    static const char meta[] =
        "<?xml version=\"1.0\" ?>\n"
        "<resource-agent name=\"fence_fake\" shortdesc=\"Fake\">\n"
        "<parameters>\n"
        "<parameter name=\"action\" required=\"1\"><content type=\"string\"/></parameter>\n"
        "<parameter name=\"plug\" required=\"1\"><content type=\"string\"/></parameter>\n"
        "<parameter name=\"ip\" required=\"1\"><content type=\"string\"/>"
        "<shortdesc lang=\"en\">BMC address</shortdesc></parameter>\n"
        "<parameter name=\"username\" required=\"0\"><content type=\"string\"/></parameter>\n"
        "</parameters>\n"
        "<actions><action name=\"off\"/><action name=\"status\"/></actions>\n"
        "</resource-agent>\n";
    char script[4096];

    dir = tmpdir_make("fence-check");
    snprintf(agent, sizeof(agent), "%s/fence_fake", dir);
    snprintf(script, sizeof(script),
             "#!/bin/sh\n"
             "grep -q '^action=metadata$' || exit 1\n"
             "cat <<'EOF'\n%sEOF\n",
             meta);
    write_file(agent, script, 0755);
    snprintf(broken, sizeof(broken), "%s/fence_broken", dir);
    write_file(broken, "#!/bin/sh\necho '<resource-agent name=\"x\">'\n", 0755);
    return 0;
}

static int teardown(void **state)
{
    tmpdir_remove(dir);
    return 0;
}

#define BASE                                                                                       \
    "[cluster]\nname = web\n"                                                                      \
    "[link \"lan1\"]\ntype = udp\npriority = 1\n"                                                  \
    "[node \"alpha\"]\nid = 1\nlan1 = 192.0.2.1\n"

static void parse(const char *text, struct conf *c)
{
    struct conf_diag dg = {0};

    if (conf_parse_text(text, strlen(text), "vigil.conf", c, &dg) < 0)
        fail_msg("%s", dg.msg[0]);
    snprintf(c->path, sizeof(c->path), "vigil.conf");
}

static void test_ok(void **state)
{
    static struct conf c;
    struct fence_device_info info[CONF_FENCE_MAX];
    char text[4096], err[4096];

    snprintf(text, sizeof(text),
             BASE "[fence \"bmc\"]\ntype = agent\nagent = %s\nnodes = alpha\nip = 192.0.2.9\n",
             agent);
    parse(text, &c);
    assert_int_equal(fence_check_conf(&c, info, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_string_equal(info[0].path, agent);
    assert_true(info[0].has_status);
    assert_true(info[0].takes_plug);

    /* no device: nothing to run */
    parse(BASE, &c);
    assert_int_equal(fence_check_conf(&c, info, err, sizeof(err)), 0);
}

static void test_errors(void **state)
{
    static struct conf c;
    struct fence_device_info info[CONF_FENCE_MAX];
    char text[4096], err[4096], want[2048];

    snprintf(text, sizeof(text),
             BASE "[fence \"bmc\"]\ntype = agent\nagent = %s\nnodes = alpha\nusername = x\n"
                  "[fence \"typo\"]\ntype = agent\nagent = %s\nnodes = alpha\nip = 1\nusernme = "
                  "x\n"
                  "[fence \"none\"]\ntype = agent\nagent = fence_not_installed_here\n"
                  "nodes = alpha\n"
                  "[fence \"bad\"]\ntype = agent\nagent = %s\nnodes = alpha\n",
             agent, agent, broken);
    parse(text, &c);
    assert_int_equal(fence_check_conf(&c, info, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want),
             "vigil.conf:9: [fence \"bmc\"]: fence agent %s requires parameter 'ip' (BMC "
             "address): add 'ip = ...' to the section",
             agent);
    if (!strstr(err, want))
        fail_msg("'%s' not in:\n%s", want, err);
    assert_non_null(strstr(err, "vigil.conf:14: [fence \"typo\"]: fence agent"));
    assert_non_null(strstr(err, "has no parameter 'usernme'"));
    assert_non_null(strstr(err, "vigil.conf:20: [fence \"none\"] agent: fence agent "
                                "fence_not_installed_here not found in /usr/sbin:/sbin:"
                                "/usr/local/sbin"));
    assert_non_null(strstr(err, "vigil.conf:24: [fence \"bad\"]: the metadata of"));
    assert_non_null(strstr(err, "does not parse"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_errors),
    };

    prctl(PR_SET_CHILD_SUBREAPER, 1);
    return cmocka_run_group_tests(tests, setup, teardown);
}
