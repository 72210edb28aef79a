/* Unit tests of [fence "NAME"] sections and [cluster] fence-action
 * (src/conf/fence.c): every key, defaults, agent parameters, plug-map, and
 * each bad file's message with its line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../src/conf/conf.h"

#define PATH "test.conf"
/* lines 1-11 */
#define BASE                                                                                       \
    "[cluster]\nname = web\n"                                                                      \
    "[link \"lan1\"]\ntype = udp\npriority = 1\n"                                                  \
    "[node \"alpha\"]\nid = 1\nlan1 = 192.0.2.1\n"                                                 \
    "[node \"beta\"]\nid = 2\nlan1 = 192.0.2.2\n"
/* lines 12-15 */
#define IPMI "[fence \"ipmi\"]\ntype = agent\nagent = fence_ipmilan\nnodes = alpha, beta\n"

static struct conf cf;
static struct conf_diag dg;

static void parse_ok(const char *text)
{
    memset(&dg, 0, sizeof(dg));
    int rc = conf_parse_text(text, strlen(text), PATH, &cf, &dg);
    for (int i = 0; i < dg.n; i++)
        print_message("  %s\n", dg.msg[i]);
    assert_int_equal(rc, 0);
}

static void test_every_key(void **state)
{
    /* fence-action lives in [cluster] */
    parse_ok("[cluster]\nname = web\nfence-action = off\n"
             "[link \"lan1\"]\ntype = udp\npriority = 1\n"
             "[node \"alpha\"]\nid = 1\nlan1 = 192.0.2.1\n"
             "[node \"beta\"]\nid = 2\nlan1 = 192.0.2.2\n" IPMI "plug-map = beta:7, alpha : 3\n"
             "level = 2\ntimeout = 30s\nretries = 0\n"
             "ip = 192.0.2.200\nusername = admin\npassword = se cret\nlanplus = 1\n"
             "redfish-uri = /redfish/v1/Systems/1\ntls1.0 = 1\n"
             "[fence \"pdu\"]\nagent = /opt/fence/fence_apc\ntype = agent\nnodes = beta\n");
    assert_int_equal(cf.fence_action, FENCE_ACT_OFF);
    assert_string_equal(conf_fence_action_name(cf.fence_action), "off");
    assert_int_equal(cf.n_fences, 2);
    const struct conf_fence *f = &cf.fences[0];
    assert_string_equal(f->name, "ipmi");
    assert_string_equal(f->agent, "fence_ipmilan");
    assert_int_equal(f->nodes, 3);
    assert_string_equal(f->plug[0], "3");
    assert_string_equal(f->plug[1], "7");
    assert_int_equal(f->level, 2);
    assert_int_equal(f->timeout, 30 * VG_USEC_PER_SEC);
    assert_int_equal(f->retries, 0);
    assert_int_equal(f->n_params, 6);
    assert_string_equal(f->params[0].name, "ip");
    assert_string_equal(f->params[2].value, "se cret");
    assert_string_equal(f->params[4].name, "redfish-uri");
    assert_string_equal(f->params[5].name, "tls1.0");
    assert_int_equal(f->line, 13);

    /* defaults: level 1, 60 s, 2 retries, plug = the node's name */
    f = &cf.fences[1];
    assert_string_equal(f->agent, "/opt/fence/fence_apc");
    assert_int_equal(f->nodes, 2);
    assert_string_equal(f->plug[1], "beta");
    assert_string_equal(f->plug[0], "");
    assert_int_equal(f->level, 1);
    assert_int_equal(f->timeout, CONF_FENCE_DEFAULT_TIMEOUT);
    assert_int_equal(f->retries, CONF_FENCE_DEFAULT_RETRIES);
    assert_int_equal(f->n_params, 0);

    /* no fence section: reboot, none */
    parse_ok(BASE);
    assert_int_equal(cf.fence_action, FENCE_ACT_REBOOT);
    assert_int_equal(cf.n_fences, 0);
}

/* The plug of a node sorted after another: indexes are those of conf.nodes
 * (sorted by id), whatever the file order. */
static void test_node_order(void **state)
{
    parse_ok("[cluster]\nname = web\n[link \"lan1\"]\ntype = udp\npriority = 1\n"
             "[node \"zeta\"]\nid = 9\nlan1 = 192.0.2.9\n"
             "[node \"alpha\"]\nid = 1\nlan1 = 192.0.2.1\n"
             "[fence \"f\"]\ntype = agent\nagent = fence_dummy\nnodes = zeta\n"
             "plug-map = zeta:vm-z\n");
    assert_string_equal(cf.nodes[1].name, "zeta");
    assert_int_equal(cf.fences[0].nodes, 2);
    assert_string_equal(cf.fences[0].plug[1], "vm-z");
}

struct bad {
    const char *text;
    int line;
    const char *want[2];
};

static const struct bad bad_files[] = {
    {BASE "[fence]\n", 12, {"section [fence] needs a quoted name", "[fence \"ipmi\"]"}},
    {BASE IPMI "[fence \"ipmi\"]\n", 16, {"duplicate section [fence \"ipmi\"]", "line 12"}},
    {BASE "[fence \"x\"]\nagent = fence_dummy\nnodes = alpha\n",
     12,
     {"[fence \"x\"]: missing required key 'type'", "type = agent"}},
    {BASE "[fence \"x\"]\ntype = agent\nnodes = alpha\n",
     12,
     {"missing required key 'agent'", "agent = fence_ipmilan"}},
    {BASE "[fence \"x\"]\ntype = agent\nagent = fence_dummy\n",
     12,
     {"missing required key 'nodes'", "nodes = alpha, beta"}},
    {BASE "[fence \"x\"]\ntype = ssh\nnodes = alpha\n",
     13,
     {"fence type 'ssh' is not supported yet", "type = agent"}},
    {BASE "[fence \"x\"]\ntype = stonith\nagent = a\nnodes = alpha\n",
     13,
     {"unknown fence type 'stonith'", "expected agent"}},
    {BASE IPMI "agent = fence_x\n", 16, {"[fence \"ipmi\"] agent: duplicate key", "line 14"}},
    {BASE "[fence \"x\"]\ntype = agent\nagent = ../fence_x\nnodes = alpha\n",
     14,
     {"bad agent '../fence_x'", "absolute path"}},
    {BASE "[fence \"x\"]\ntype = agent\nagent = fence x\nnodes = alpha\n", 14, {"bad agent"}},
    {BASE "[fence \"x\"]\ntype = agent\nagent = fence_x\nnodes = alpha, gamma\n",
     15,
     {"nodes: no [node \"gamma\"] in this file", "add it or remove it"}},
    {BASE "[fence \"x\"]\ntype = agent\nagent = fence_x\nnodes = alpha, alpha\n",
     15,
     {"'alpha' is listed twice"}},
    {BASE "[fence \"x\"]\ntype = agent\nagent = fence_x\nnodes = alpha,\n",
     15,
     {"empty entry in the list"}},
    {BASE IPMI "plug-map = alpha\n", 16, {"bad entry 'alpha'", "NODE:PLUG"}},
    {BASE IPMI "plug-map = alpha:1, alpha:2\n", 16, {"node 'alpha' has two plugs"}},
    {BASE IPMI "plug-map = alpha:\n", 16, {"bad entry 'alpha:'"}},
    {BASE "[fence \"x\"]\ntype = agent\nagent = fence_x\nnodes = alpha\nplug-map = beta:2\n",
     16,
     {"plug-map: 'beta' is not in this device's nodes"}},
    {BASE IPMI "level = 5\n", 16, {"bad level '5'", "1 to 4"}},
    {BASE IPMI "level = 0\n", 16, {"bad level '0'"}},
    {BASE IPMI "retries = 11\n", 16, {"bad retries '11'", "0 to 10"}},
    {BASE IPMI "timeout = 10\n", 16, {"bad duration '10'"}},
    {BASE IPMI "timeout = 1ms\n", 16, {"too short"}},
    {BASE IPMI "plug = 3\n", 16, {"'plug' is set by vigil", "plug-map"}},
    {BASE IPMI "port = 3\n", 16, {"'port' is set by vigil"}},
    {BASE IPMI "action = off\n", 16, {"'action' is set by vigil"}},
    {BASE IPMI "nodename = x\n", 16, {"'nodename' is set by vigil"}},
    {BASE IPMI "ip = 1\nip = 2\n", 17, {"parameter 'ip' is given twice", "line 16"}},
    {BASE IPMI "ip/x = 1\n", 16, {"'ip/x' cannot be a fence agent parameter"}},
    {"[cluster]\nname = web\nfence-action = poweroff\n[link \"lan1\"]\ntype = udp\npriority = "
     "1\n[node \"alpha\"]\nid = 1\nlan1 = 192.0.2.1\n",
     3,
     {"unknown fence action 'poweroff'", "reboot or off"}},
    {"[cluster]\nname = web\nfencing = none\n[link \"lan1\"]\ntype = udp\npriority = 1\n"
     "[node \"alpha\"]\nid = 1\nlan1 = 192.0.2.1\n"
     "[fence \"f\"]\ntype = agent\nagent = fence_x\nnodes = alpha\n",
     10,
     {"fence devices are never used with [cluster] fencing = none", "fencing = required"}},
};

static void test_bad_files(void **state)
{
    for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
        const struct bad *b = &bad_files[i];
        char at[32];
        bool found = false;

        memset(&dg, 0, sizeof(dg));
        if (conf_parse_text(b->text, strlen(b->text), PATH, &cf, &dg) != -EINVAL)
            fail_msg("case %zu parsed without error", i);
        snprintf(at, sizeof(at), PATH ":%d: ", b->line);
        for (int m = 0; m < dg.n && !found; m++) {
            bool all = strncmp(dg.msg[m], at, strlen(at)) == 0;
            for (int w = 0; w < 2 && all; w++)
                all = !b->want[w] || strstr(dg.msg[m], b->want[w]);
            found = all;
        }
        if (!found) {
            for (int m = 0; m < dg.n; m++)
                print_message("  %s\n", dg.msg[m]);
            fail_msg("case %zu: no message at line %d holding '%s'", i, b->line, b->want[0]);
        }
    }
}

/* A too-long value and too many devices or parameters are errors, never
 * cut silently. */
static void test_limits(void **state)
{
    static char text[64 * 1024];
    char *p = text + sprintf(text, BASE);
    char value[CONF_FENCE_VALUE_MAX + 8];

    for (int i = 0; i <= CONF_FENCE_MAX; i++)
        p += sprintf(p, "[fence \"f%d\"]\ntype = agent\nagent = fence_x\nnodes = alpha\n", i);
    memset(&dg, 0, sizeof(dg));
    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, &dg), -EINVAL);
    assert_non_null(strstr(dg.msg[0], "too many fence devices"));

    p = text + sprintf(text, BASE IPMI);
    for (int i = 0; i <= CONF_FENCE_PARAMS_MAX; i++)
        p += sprintf(p, "p%d = %d\n", i, i);
    memset(&dg, 0, sizeof(dg));
    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, &dg), -EINVAL);
    assert_non_null(strstr(dg.msg[0], "more than 16 agent parameters"));

    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    snprintf(text, sizeof(text), BASE IPMI "password = %s\n", value);
    memset(&dg, 0, sizeof(dg));
    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, &dg), -EINVAL);
    assert_non_null(strstr(dg.msg[0], "longer than 255 characters"));
}

/* [watchdog]: defaults, keys, and its timeout against [cluster] timeout. */
static void test_watchdog(void **state)
{
    parse_ok(BASE);
    assert_false(cf.watchdog);
    parse_ok(BASE "[watchdog]\n");
    assert_true(cf.watchdog);
    assert_string_equal(cf.watchdog_device, "/dev/watchdog");
    assert_int_equal(cf.watchdog_timeout, 10 * VG_USEC_PER_SEC);
    assert_int_equal(cf.watchdog_line, 12);
    parse_ok(BASE "[watchdog]\ndevice = /run/lab/wd\ntimeout = 2s\n");
    assert_string_equal(cf.watchdog_device, "/run/lab/wd");
    assert_int_equal(cf.watchdog_timeout, 2 * VG_USEC_PER_SEC);

    static const struct bad bad[] = {
        {BASE "[watchdog \"x\"]\n", 12, {"section [watchdog] takes no name"}},
        {BASE "[watchdog]\n[watchdog]\n", 13, {"duplicate section [watchdog]", "line 12"}},
        {BASE "[watchdog]\ndevice = dev/watchdog\n", 13, {"bad device 'dev/watchdog'"}},
        {BASE "[watchdog]\ntimeout = 1500ms\n", 13, {"not a whole number of seconds"}},
        {BASE "[watchdog]\ntimeout = 500ms\n", 13, {"too short", "1s"}},
        {BASE "[watchdog]\nkick = 1s\n", 13, {"unknown key in [watchdog]", "device, timeout"}},
        {"[cluster]\nname = web\ntimeout = 2s\n[link \"lan1\"]\ntype = udp\npriority = 1\n"
         "[node \"alpha\"]\nid = 1\nlan1 = 192.0.2.1\n[watchdog]\ntimeout = 2s\n",
         11,
         {"[watchdog] timeout: 2s is not longer than [cluster] timeout 2s", "at least 3s"}},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char at[32];
        bool found = false;
        memset(&dg, 0, sizeof(dg));
        if (conf_parse_text(bad[i].text, strlen(bad[i].text), PATH, &cf, &dg) != -EINVAL)
            fail_msg("watchdog case %zu parsed without error", i);
        snprintf(at, sizeof(at), PATH ":%d: ", bad[i].line);
        for (int m = 0; m < dg.n && !found; m++)
            found = strncmp(dg.msg[m], at, strlen(at)) == 0 && strstr(dg.msg[m], bad[i].want[0]) &&
                    (!bad[i].want[1] || strstr(dg.msg[m], bad[i].want[1]));
        if (!found) {
            for (int m = 0; m < dg.n; m++)
                print_message("  %s\n", dg.msg[m]);
            fail_msg("watchdog case %zu: no message at line %d holding '%s'", i, bad[i].line,
                     bad[i].want[0]);
        }
    }
}

/* A change to a device is more than timing: a reload refuses it. */
static void test_diff(void **state)
{
    static struct conf a;
    char buf[512];

    parse_ok(BASE IPMI "ip = 192.0.2.200\n");
    a = cf;
    parse_ok(BASE IPMI "ip = 192.0.2.201\n");
    assert_true(conf_diff_beyond_timing(&a, &cf, buf, sizeof(buf)));
    assert_non_null(strstr(buf, "fence device 'ipmi' changed"));
    parse_ok("# moved down a line\n" BASE IPMI "ip = 192.0.2.200\n");
    assert_false(conf_diff_beyond_timing(&a, &cf, buf, sizeof(buf)));
    parse_ok(BASE);
    assert_true(conf_diff_beyond_timing(&a, &cf, buf, sizeof(buf)));
    assert_non_null(strstr(buf, "fence devices changed from 1 to 0"));
    a = cf;
    parse_ok(BASE "[watchdog]\n");
    assert_true(conf_diff_beyond_timing(&a, &cf, buf, sizeof(buf)));
    assert_non_null(strstr(buf, "[watchdog] changed"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_key), cmocka_unit_test(test_node_order),
        cmocka_unit_test(test_bad_files), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_watchdog),  cmocka_unit_test(test_diff),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
