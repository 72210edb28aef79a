/* Unit tests of src/conf: valid files (with every default), disk and witness
 * links, groups and resources, one table of bad files each checked for its
 * line and words, durations, URLs, conf_load() and conf_diff_beyond_timing(). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/conf/conf.h"

#define PATH "test.conf"

/* DESIGN.md's example, its udp links only (test_disk_and_witness adds the
 * others, test_groups its groups), without [api], which this version does
 * not support. */
static const char design_example[] =
    "[cluster]\n"
    "name = web\n"
    "key-file = /etc/vigil/authkey     # made by: vigilctl keygen\n"
    "interval = 200ms                  # heartbeat interval\n"
    "timeout = 1s                      # a link to a peer is down after this long without a "
    "valid heartbeat\n"
    "initial-timeout = 10s             # grace at start-up, before an unseen peer is declared "
    "dead\n"
    "\n"
    "[node \"alpha\"]\n"
    "id = 1\n"
    "lan1 = 192.0.2.1                  # its address on udp link \"lan1\"\n"
    "lan2 = 2001:db8:2::1              # and on \"lan2\" (IPv6)\n"
    "\n"
    "[node \"beta\"]\n"
    "id = 2\n"
    "lan1 = 192.0.2.2\n"
    "lan2 = 2001:db8:2::2\n"
    "\n"
    "[link \"lan1\"]\n"
    "type = udp\n"
    "priority = 1                      # 1 carries cluster messages first\n"
    "port = 5405\n"
    "\n"
    "[link \"lan2\"]\n"
    "type = udp\n"
    "priority = 2\n"
    "port = 5405\n";

/* Building blocks of the bad files: C is lines 1-2, BASE lines 1-11. */
#define C "[cluster]\nname = web\n"
#define L1 "[link \"lan1\"]\ntype = udp\npriority = 1\n"
#define NA "[node \"alpha\"]\nid = 1\nlan1 = 192.0.2.1\n"
#define NB "[node \"beta\"]\nid = 2\nlan1 = 192.0.2.2\n"
#define BASE C L1 NA NB
/* A good disk link and a good witness link: 3 and 4 lines. */
#define DISK "[link \"shared\"]\ntype = disk\ndevice = /dev/sdb1\n"
#define WIT                                                                                        \
    "[link \"arbiter\"]\ntype = witness\nurl = https://witness.example:8443\n"                     \
    "token-file = /etc/vigil/witness.token\n"
/* A good ping and a good http [np] section: 3 lines each. */
#define NPG "[np \"gw\"]\ntype = ping\ntargets = 192.0.2.254\n"
#define NPH "[np \"web\"]\ntype = http\nurl = http://192.0.2.80/ok\n"
/* A group and one resource after BASE: lines 12-13, 14-16; then line 17. */
#define GRP "[group \"web\"]\nnodes = beta, alpha\n"
#define VIP "[resource \"web/vip\"]\ntype = ip\naddress = 192.0.2.100/24\n"
#define GV BASE GRP VIP
/* An exec, an ocf and a systemd resource of group web: 4, 3 and 3 lines. */
#define APP "[resource \"web/app\"]\ntype = exec\nstart = app start\nstop = app stop\n"
#define OCF "[resource \"web/db\"]\ntype = ocf\nagent = ocf:heartbeat:pgsql\n"
#define UNIT "[resource \"web/u\"]\ntype = systemd\nunit = app.service\n"
/* A witness link up to its url, which is on line 15 after BASE. */
#define WURL "[link \"arbiter\"]\ntype = witness\ntoken-file = /etc/vigil/w.token\nurl = "

static struct conf cf;
static struct conf_diag dg;

static void dump_diag(const struct conf_diag *d)
{
    for (int i = 0; i < d->n; i++)
        print_message("  diag: %s\n", d->msg[i]);
}

static void parse_ok(const char *text)
{
    int r = conf_parse_text(text, strlen(text), PATH, &cf, &dg);

    if (r != 0)
        dump_diag(&dg);
    assert_int_equal(r, 0);
    assert_int_equal(dg.n, 0);
}

static void check_v4(const struct conf_node *n, int link, const char *addr, int port)
{
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&n->addr[link];
    char buf[INET_ADDRSTRLEN];

    assert_int_equal(n->addr_len[link], sizeof(struct sockaddr_in));
    assert_int_equal(sin->sin_family, AF_INET);
    assert_int_equal(ntohs(sin->sin_port), port);
    assert_non_null(inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)));
    assert_string_equal(buf, addr);
}

static void check_v6(const struct conf_node *n, int link, const char *addr, int port)
{
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&n->addr[link];
    char buf[INET6_ADDRSTRLEN];

    assert_int_equal(n->addr_len[link], sizeof(struct sockaddr_in6));
    assert_int_equal(sin6->sin6_family, AF_INET6);
    assert_int_equal(ntohs(sin6->sin6_port), port);
    assert_int_equal(sin6->sin6_scope_id, 0);
    assert_non_null(inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf)));
    assert_string_equal(buf, addr);
}

/* --- valid files ---------------------------------------------------------- */

static void test_design_example(void **state)
{
    const struct conf_node *n;

    parse_ok(design_example);
    assert_string_equal(cf.path, PATH);
    assert_string_equal(cf.cluster_name, "web");
    assert_string_equal(cf.key_file, "/etc/vigil/authkey");
    assert_int_equal(cf.interval, 200 * VG_USEC_PER_MSEC);
    assert_int_equal(cf.timeout, VG_USEC_PER_SEC);
    assert_int_equal(cf.initial_timeout, 10 * VG_USEC_PER_SEC);
    assert_true(cf.realtime);

    assert_int_equal(cf.n_links, 2);
    assert_string_equal(cf.links[0].name, "lan1");
    assert_int_equal(cf.links[0].type, LINK_UDP);
    assert_int_equal(cf.links[0].priority, 1);
    assert_int_equal(cf.links[0].port, 5405);
    assert_int_equal(cf.links[0].family, AF_INET);
    assert_int_equal(cf.links[0].line, 18);
    assert_string_equal(cf.links[1].name, "lan2");
    assert_int_equal(cf.links[1].priority, 2);
    assert_int_equal(cf.links[1].family, AF_INET6);

    assert_int_equal(cf.n_nodes, 2);
    assert_string_equal(cf.nodes[0].name, "alpha");
    assert_int_equal(cf.nodes[0].id, 1);
    assert_int_equal(cf.nodes[0].line, 8);
    check_v4(&cf.nodes[0], 0, "192.0.2.1", 5405);
    check_v6(&cf.nodes[0], 1, "2001:db8:2::1", 5405);
    check_v4(&cf.nodes[1], 0, "192.0.2.2", 5405);
    check_v6(&cf.nodes[1], 1, "2001:db8:2::2", 5405);

    n = conf_node_by_name(&cf, "beta");
    assert_non_null(n);
    assert_int_equal(n->id, 2);
    assert_ptr_equal(conf_node_by_id(&cf, 1), &cf.nodes[0]);
    assert_null(conf_node_by_name(&cf, "gamma"));
    assert_null(conf_node_by_id(&cf, 3));
    assert_int_equal(conf_link_index(&cf, "lan2"), 1);
    assert_int_equal(conf_link_index(&cf, "shared"), -1);
}

static void test_defaults(void **state)
{
    parse_ok(BASE);
    assert_string_equal(cf.key_file, CONF_DEFAULT_KEY_FILE);
    assert_int_equal(cf.interval, 200 * VG_USEC_PER_MSEC);
    assert_int_equal(cf.timeout, VG_USEC_PER_SEC);
    assert_int_equal(cf.initial_timeout, 10 * VG_USEC_PER_SEC);
    assert_true(cf.realtime);
    assert_int_equal(cf.links[0].port, CONF_DEFAULT_PORT);
    assert_int_equal(cf.links[0].family, AF_INET);
    check_v4(&cf.nodes[1], 0, "192.0.2.2", CONF_DEFAULT_PORT);
}

/* Inline comments need a blank before them; names may hold spaces and UTF-8. */
static void test_comments_and_text(void **state)
{
    parse_ok("\xef\xbb\xbf# leading comment\r\n"
             "; another\r\n"
             "  [cluster]   ; comment after a header\r\n"
             "name = Web cluster 1#b \xc3\xa9t\xc3\xa9   # the comment\r\n"
             "key-file=/etc/vigil/key;v2 ; comment\r\n"
             "realtime = Off\r\n"
             "interval = 1.5 s\r\n"
             "timeout = 2m\r\n"
             "initial-timeout = 1h\r\n"
             "\t[link \"lan1\"]\r\n"
             "  type = udp\r\n"
             "  priority = 1\r\n"
             "  port = 6000 # not the default\r\n"
             "[node \"alpha\"]\r\n"
             "id = 7\r\n"
             "lan1 = 192.0.2.1\t;tab, then a comment\r\n"
             "\r\n");
    assert_string_equal(cf.cluster_name, "Web cluster 1#b \xc3\xa9t\xc3\xa9");
    assert_string_equal(cf.key_file, "/etc/vigil/key;v2");
    assert_false(cf.realtime);
    assert_int_equal(cf.interval, 1500 * VG_USEC_PER_MSEC);
    assert_int_equal(cf.timeout, 120 * VG_USEC_PER_SEC);
    assert_int_equal(cf.initial_timeout, 3600 * VG_USEC_PER_SEC);
    assert_int_equal(cf.nodes[0].id, 7);
    check_v4(&cf.nodes[0], 0, "192.0.2.1", 6000);
}

/* Node sections first, ids out of order, priorities against file order, IPv6
 * with and without brackets, an explicit family. */
static void test_order_and_ipv6(void **state)
{
    parse_ok("[node \"gamma\"]\n"
             "id = 3\n"
             "ring = [2001:db8::3]\n"
             "back = 10.0.0.3\n"
             "[node \"alpha\"]\n"
             "back = 10.0.0.1\n"
             "ring = 2001:db8::1\n"
             "id = 1\n"
             "[node \"beta\"]\n"
             "id = 2\n"
             "ring = [fd00::2]\n"
             "back = 10.0.0.2\n"
             "[link \"back\"]\n"
             "type = udp\n"
             "priority = 2\n"
             "port = 7000\n"
             "[link \"ring\"]\n"
             "type = udp\n"
             "priority = 1\n"
             "family = ipv6\n"
             "[cluster]\n"
             "name = c\n");
    assert_int_equal(cf.n_nodes, 3);
    assert_string_equal(cf.nodes[0].name, "alpha");
    assert_string_equal(cf.nodes[1].name, "beta");
    assert_string_equal(cf.nodes[2].name, "gamma");
    assert_int_equal(cf.n_links, 2);
    assert_string_equal(cf.links[0].name, "ring");
    assert_string_equal(cf.links[1].name, "back");
    assert_int_equal(cf.links[0].family, AF_INET6);
    check_v6(&cf.nodes[0], 0, "2001:db8::1", 5405);
    check_v6(&cf.nodes[1], 0, "fd00::2", 5405);
    check_v6(&cf.nodes[2], 0, "2001:db8::3", 5405);
    check_v4(&cf.nodes[2], 1, "10.0.0.3", 7000);
    assert_int_equal(conf_link_index(&cf, "back"), 1);
}

/* Disk and witness links: their keys, zeros for the udp-only fields, no
 * node addresses on them, and the wire order (udp links by priority, then
 * the others in file order), whatever the order in the file. */
static const char disk_witness_example[] =
    "[cluster]\n"
    "name = web\n"
    "interval = 100ms\n"
    "timeout = 2s\n"
    "[link \"shared\"]\n"
    "type = disk\n"
    "device = /dev/disk/by-partlabel/vigil-hb   # same path on every node\n"
    "interval = 1s\n"
    "timeout = 10s\n"
    "[link \"lan2\"]\n"
    "type = udp\n"
    "priority = 2\n"
    "[link \"arbiter\"]\n"
    "url = https://[2001:db8::7]:8443/vigil\n"
    "token-file = /etc/vigil/witness.token\n"
    "proxy = http://proxy.example:3128\n"
    "ca-file = /etc/vigil/witness-ca.pem\n"
    "timeout = 5s\n"
    "type = witness                             # the type may come last\n"
    "[link \"lan1\"]\n"
    "type = udp\n"
    "priority = 1\n"
    "[link \"backup\"]\n"
    "type = witness\n"
    "url = http://192.0.2.50\n"
    "token-file = /etc/vigil/backup.token\n"
    "[node \"alpha\"]\n"
    "id = 1\n"
    "lan1 = 192.0.2.1\n"
    "lan2 = 198.51.100.1\n"
    "[node \"beta\"]\n"
    "id = 2\n"
    "lan1 = 192.0.2.2\n"
    "lan2 = 198.51.100.2\n";

/* DESIGN.md's disk and witness links, verbatim. */
#define DESIGN_DISK_WITNESS                                                                        \
    "\n"                                                                                           \
    "[link \"shared\"]\n"                                                                          \
    "type = disk\n"                                                                                \
    "device = /dev/disk/by-partlabel/vigil-hb   # same path on every node; vigilctl disk init\n"   \
    "\n"                                                                                           \
    "[link \"arbiter\"]\n"                                                                         \
    "type = witness\n"                                                                             \
    "url = https://witness.example:8443\n"                                                         \
    "token-file = /etc/vigil/witness.token\n"                                                      \
    "proxy = http://proxy.example:3128  # optional\n"

static void test_disk_and_witness(void **state)
{
    static char text[sizeof(design_example) + sizeof(DESIGN_DISK_WITNESS)];
    const struct conf_link *l;

    parse_ok(disk_witness_example);
    assert_int_equal(cf.n_links, 5);
    assert_string_equal(cf.links[0].name, "lan1");
    assert_string_equal(cf.links[1].name, "lan2");
    assert_string_equal(cf.links[2].name, "shared");
    assert_string_equal(cf.links[3].name, "arbiter");
    assert_string_equal(cf.links[4].name, "backup");
    assert_int_equal(conf_link_index(&cf, "arbiter"), 3);

    l = &cf.links[2];
    assert_int_equal(l->type, LINK_DISK);
    assert_string_equal(conf_link_type_name(l->type), "disk");
    assert_string_equal(l->device, "/dev/disk/by-partlabel/vigil-hb");
    assert_int_equal(l->interval, VG_USEC_PER_SEC);
    assert_int_equal(l->timeout, 10 * VG_USEC_PER_SEC);
    assert_int_equal(l->priority, 0);
    assert_int_equal(l->port, 0);
    assert_int_equal(l->family, AF_UNSPEC);
    assert_int_equal(l->line, 5);
    assert_string_equal(l->url, "");
    assert_string_equal(l->token_file, "");

    l = &cf.links[3];
    assert_int_equal(l->type, LINK_WITNESS);
    assert_string_equal(conf_link_type_name(l->type), "witness");
    assert_string_equal(l->url, "https://[2001:db8::7]:8443/vigil");
    assert_string_equal(l->token_file, "/etc/vigil/witness.token");
    assert_string_equal(l->proxy, "http://proxy.example:3128");
    assert_string_equal(l->ca_file, "/etc/vigil/witness-ca.pem");
    assert_int_equal(l->interval, 100 * VG_USEC_PER_MSEC); /* the cluster's */
    assert_int_equal(l->timeout, 5 * VG_USEC_PER_SEC);
    assert_int_equal(l->priority, 0);
    assert_int_equal(l->port, 0);
    assert_string_equal(l->device, "");

    l = &cf.links[4];
    assert_string_equal(l->url, "http://192.0.2.50");
    assert_string_equal(l->proxy, ""); /* not set */
    assert_string_equal(l->ca_file, "");
    assert_int_equal(l->interval, 100 * VG_USEC_PER_MSEC);
    assert_int_equal(l->timeout, 2 * VG_USEC_PER_SEC);

    assert_string_equal(conf_link_type_name(cf.links[0].type), "udp");
    assert_int_equal(cf.links[0].interval, 100 * VG_USEC_PER_MSEC);
    assert_int_equal(cf.links[0].timeout, 2 * VG_USEC_PER_SEC);
    assert_string_equal(cf.links[0].device, "");

    /* nodes have addresses on udp links only, in wire order */
    check_v4(&cf.nodes[0], 0, "192.0.2.1", 5405);
    check_v4(&cf.nodes[0], 1, "198.51.100.1", 5405);
    for (int i = 2; i < 5; i++) {
        static const struct sockaddr_storage zero;

        assert_int_equal(cf.nodes[1].addr_len[i], 0);
        assert_memory_equal(&cf.nodes[1].addr[i], &zero, sizeof(zero));
    }

    snprintf(text, sizeof(text), "%s%s", design_example, DESIGN_DISK_WITNESS);
    parse_ok(text);
    assert_int_equal(cf.n_links, 4);
    assert_int_equal(cf.links[2].type, LINK_DISK);
    assert_string_equal(cf.links[3].url, "https://witness.example:8443");
    assert_string_equal(cf.links[3].proxy, "http://proxy.example:3128");
    assert_string_equal(cf.links[3].ca_file, "");
}

/* A link's interval and timeout default to the cluster's, one by one. */
static void test_link_timing(void **state)
{
    parse_ok(C "interval = 100ms\ntimeout = 2s\n" L1 NA
               "[link \"d1\"]\ntype = disk\ndevice = /dev/sdb1\n"
               "[link \"d2\"]\ntype = disk\ndevice = /dev/sdc1\ninterval = 500ms\n"
               "[link \"w\"]\ntype = witness\nurl = http://w.example\ntoken-file = /t\n"
               "timeout = 300ms\n");
    assert_int_equal(cf.n_links, 4);
    assert_int_equal(cf.links[0].interval, 100 * VG_USEC_PER_MSEC);
    assert_int_equal(cf.links[0].timeout, 2 * VG_USEC_PER_SEC);
    assert_int_equal(cf.links[1].interval, 100 * VG_USEC_PER_MSEC);
    assert_int_equal(cf.links[1].timeout, 2 * VG_USEC_PER_SEC);
    assert_int_equal(cf.links[2].interval, 500 * VG_USEC_PER_MSEC);
    assert_int_equal(cf.links[2].timeout, 2 * VG_USEC_PER_SEC);
    assert_int_equal(cf.links[3].interval, 100 * VG_USEC_PER_MSEC);
    assert_int_equal(cf.links[3].timeout, 300 * VG_USEC_PER_MSEC);

    /* no timing anywhere: the defaults */
    parse_ok(BASE DISK WIT);
    /* quorum modes and votes */
    parse_ok("[cluster]\nname = web\nquorum = none\nallow-split-brain = yes\n" L1 NA
             "votes = 3\n" NB);
    assert_int_equal(cf.quorum, QUORUM_NONE);
    assert_true(cf.allow_split_brain);
    assert_int_equal(cf.nodes[0].votes, 3);
    assert_int_equal(cf.nodes[1].votes, 1);
    assert_string_equal(conf_quorum_name(QUORUM_WITNESS), "witness");
    parse_ok("[cluster]\nname = web\nquorum = witness\n" L1 NA NB WIT);
    assert_int_equal(cf.quorum, QUORUM_WITNESS);
    parse_ok(BASE WIT);
    assert_int_equal(cf.quorum, QUORUM_MAJORITY);
    /* fencing: required by default, none when asked */
    assert_int_equal(cf.fencing, FENCING_REQUIRED);
    parse_ok("[cluster]\nname = web\nfencing = none\n" L1 NA NB);
    assert_int_equal(cf.fencing, FENCING_NONE);
    assert_string_equal(conf_fencing_name(FENCING_NONE), "none");
    parse_ok("[cluster]\nname = web\nfencing = required\n" L1 NA NB);
    assert_int_equal(cf.fencing, FENCING_REQUIRED);
    for (int i = 0; i < cf.n_links; i++) {
        assert_int_equal(cf.links[i].interval, CONF_DEFAULT_INTERVAL);
        assert_int_equal(cf.links[i].timeout, CONF_DEFAULT_TIMEOUT);
    }
}

/* [np] sections: file order, defaults, IPv4 and IPv6 targets, the type last. */
static void test_np(void **state)
{
    const struct conf_np *n;

    parse_ok(BASE "[np \"gw\"]\n"
                  "type = ping\n"
                  "targets = 192.0.2.254, [2001:db8::1] ,2001:db8::fe   # gateways\n"
                  "[np \"web\"]\n"
                  "url = https://check.example:8443/health\n"
                  "type = http\n");
    assert_int_equal(cf.n_nps, 2);
    n = &cf.nps[0];
    assert_string_equal(n->name, "gw");
    assert_int_equal(n->type, NP_PING);
    assert_string_equal(conf_np_type_name(n->type), "ping");
    assert_int_equal(n->line, 12);
    assert_int_equal(n->n_targets, 3);
    {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&n->targets[0];
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&n->targets[1];
        char buf[INET6_ADDRSTRLEN];

        assert_int_equal(n->target_len[0], sizeof(struct sockaddr_in));
        assert_int_equal(sin->sin_family, AF_INET);
        assert_int_equal(sin->sin_port, 0);
        assert_string_equal(inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)), "192.0.2.254");
        assert_int_equal(n->target_len[1], sizeof(struct sockaddr_in6));
        assert_int_equal(sin6->sin6_family, AF_INET6);
        assert_int_equal(sin6->sin6_port, 0);
        assert_string_equal(inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf)), "2001:db8::1");
        sin6 = (const struct sockaddr_in6 *)&n->targets[2];
        assert_string_equal(inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf)),
                            "2001:db8::fe");
    }
    assert_int_equal(n->count, CONF_NP_DEFAULT_COUNT);
    assert_int_equal(n->count, 3);
    assert_int_equal(n->interval, VG_USEC_PER_SEC);
    assert_int_equal(n->timeout, 3 * VG_USEC_PER_SEC);
    assert_string_equal(n->url, "");

    n = &cf.nps[1];
    assert_string_equal(n->name, "web");
    assert_int_equal(n->type, NP_HTTP);
    assert_string_equal(conf_np_type_name(n->type), "http");
    assert_string_equal(n->url, "https://check.example:8443/health");
    assert_int_equal(n->n_targets, 0);
    assert_int_equal(n->count, 0);
    assert_int_equal(n->interval, VG_USEC_PER_SEC);
    assert_int_equal(n->timeout, 3 * VG_USEC_PER_SEC);
    assert_int_equal(cf.n_links, 1); /* np sections are not links */

    /* every key set, at the bounds; 8 targets; 4 sections */
    parse_ok(BASE NPG "count = 10\ninterval = 100ms\ntimeout = 1h\n"
                      "[np \"t8\"]\ntype = ping\ntargets = 10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,"
                      "10.0.0.5,10.0.0.6,10.0.0.7,fd00::8\ncount = 1\n" NPH
                      "[np \"h2\"]\ntype = http\nurl = http://[2001:db8::80]\n"
                      "interval = 1m\ntimeout = 61s\n");
    assert_int_equal(cf.n_nps, CONF_NP_MAX);
    assert_int_equal(cf.nps[0].count, 10);
    assert_int_equal(cf.nps[0].interval, 100 * VG_USEC_PER_MSEC);
    assert_int_equal(cf.nps[0].timeout, 3600 * VG_USEC_PER_SEC);
    assert_int_equal(cf.nps[1].n_targets, CONF_NP_TARGETS_MAX);
    assert_int_equal(cf.nps[1].count, 1);
    assert_int_equal(cf.nps[1].targets[7].ss_family, AF_INET6);
    assert_string_equal(cf.nps[2].name, "web");
    assert_int_equal(cf.nps[3].interval, 60 * VG_USEC_PER_SEC);
    assert_int_equal(cf.nps[3].timeout, 61 * VG_USEC_PER_SEC);

    /* none: n_nps 0 */
    parse_ok(BASE);
    assert_int_equal(cf.n_nps, 0);
}

/* DESIGN.md's groups, verbatim. */
#define DESIGN_GROUPS                                                                              \
    "\n"                                                                                           \
    "[group \"web\"]\n"                                                                            \
    "nodes = alpha, beta               # failover policy: preferred first\n"                       \
    "failback = no\n"                                                                              \
    "\n"                                                                                           \
    "[resource \"web/vip\"]\n"                                                                     \
    "type = ip\n"                                                                                  \
    "address = 192.0.2.100/24\n"                                                                   \
    "interface = eth0\n"                                                                           \
    "\n"                                                                                           \
    "[resource \"web/app\"]\n"                                                                     \
    "type = exec\n"                                                                                \
    "start = /usr/local/sbin/app start\n"                                                          \
    "stop = /usr/local/sbin/app stop\n"                                                            \
    "monitor = /usr/local/sbin/app status\n"                                                       \
    "monitor-interval = 5s\n"

/* One resource of each type with every default; lookups; DESIGN.md's example. */
static void test_groups(void **state)
{
    static char text[sizeof(design_example) + sizeof(DESIGN_GROUPS)];
    const struct conf_group *g;
    const struct conf_resource *r;
    char buf[RES_IP_TEXT_MAX];

    parse_ok(GV APP OCF "pgdata = /var/lib/pgsql\n" UNIT);
    assert_int_equal(cf.n_groups, 1);
    g = &cf.groups[0];
    assert_string_equal(g->name, "web");
    assert_int_equal(g->line, 12);
    assert_int_equal(g->n_nodes, 2);
    assert_string_equal(cf.nodes[g->nodes[0]].name, "beta"); /* policy order, not id order */
    assert_string_equal(cf.nodes[g->nodes[1]].name, "alpha");
    assert_false(g->failback);
    assert_int_equal(g->migration_threshold, CONF_DEFAULT_MIGRATION_THRESHOLD);
    assert_int_equal(g->migration_threshold, 3);
    assert_int_equal(g->failure_timeout, 600 * VG_USEC_PER_SEC);
    assert_int_equal(g->monitor_interval, 10 * VG_USEC_PER_SEC);
    assert_int_equal(g->first_resource, 0);
    assert_int_equal(g->n_resources, 4);
    assert_int_equal(cf.n_resources, 4);
    for (int i = 0; i < cf.n_resources; i++) {
        r = &cf.resources[i];
        assert_int_equal(r->group, 0);
        assert_int_equal(r->monitor_timeout, 20 * VG_USEC_PER_SEC);
        assert_int_equal(r->start_timeout, 20 * VG_USEC_PER_SEC);
        assert_int_equal(r->stop_timeout, 20 * VG_USEC_PER_SEC);
        assert_int_equal(r->monitor_retries, 0);
    }

    r = &cf.resources[0];
    assert_string_equal(r->name, "vip");
    assert_int_equal(r->type, CONF_RES_IP);
    assert_string_equal(conf_res_type_name(r->type), "ip");
    assert_int_equal(r->line, 14);
    assert_int_equal(r->monitor_interval, 10 * VG_USEC_PER_SEC); /* the group's */
    assert_int_equal(r->ip.addr.family, AF_INET);
    assert_string_equal(res_ip_format(&r->ip.addr, buf, sizeof(buf)), "192.0.2.100/24");
    assert_string_equal(r->ip.interface, "");
    assert_int_equal(r->ip.announce_count, RES_IP_ANNOUNCE_COUNT_DEFAULT);
    assert_int_equal(r->ip.probe_timeout, RES_IP_PROBE_TIMEOUT_DEFAULT);
    assert_int_equal(r->start, 0);
    assert_int_equal(r->n_params, 0);

    r = &cf.resources[1];
    assert_string_equal(r->name, "app");
    assert_int_equal(r->type, CONF_RES_EXEC);
    assert_string_equal(conf_text(&cf, r->start), "app start");
    assert_string_equal(conf_text(&cf, r->stop), "app stop");
    assert_int_equal(r->monitor, 0);
    assert_string_equal(conf_text(&cf, r->monitor), "");
    assert_int_equal(r->monitor_interval, 0); /* no monitor command, nothing to run */
    assert_int_equal(r->ip.addr.family, 0);

    r = &cf.resources[2];
    assert_string_equal(r->name, "db");
    assert_int_equal(r->type, CONF_RES_OCF);
    assert_string_equal(r->ocf_provider, "heartbeat");
    assert_string_equal(r->ocf_type, "pgsql");
    assert_int_equal(r->n_params, 1);
    assert_string_equal(conf_text(&cf, r->params[0].name), "pgdata");
    assert_string_equal(conf_text(&cf, r->params[0].value), "/var/lib/pgsql");
    assert_int_equal(r->monitor_interval, 10 * VG_USEC_PER_SEC);

    r = &cf.resources[3];
    assert_string_equal(r->name, "u");
    assert_int_equal(r->type, CONF_RES_SYSTEMD);
    assert_string_equal(conf_res_type_name(r->type), "systemd");
    assert_string_equal(conf_text(&cf, r->unit), "app.service");

    assert_ptr_equal(conf_group_by_name(&cf, "web"), g);
    assert_null(conf_group_by_name(&cf, "db"));
    assert_ptr_equal(conf_resource_by_name(&cf, "web", "db"), &cf.resources[2]);
    assert_null(conf_resource_by_name(&cf, "web", "nope"));
    assert_null(conf_resource_by_name(&cf, "nope", "db"));
    assert_string_equal(conf_text(&cf, 0), "");
    assert_string_equal(conf_text(&cf, cf.text_len), "");
    assert_string_equal(conf_text(NULL, 1), "");

    /* no group: nothing */
    parse_ok(BASE);
    assert_int_equal(cf.n_groups, 0);
    assert_int_equal(cf.n_resources, 0);
    assert_int_equal(cf.text_len, 0);

    /* DESIGN.md's example with its groups */
    snprintf(text, sizeof(text), "%s%s", design_example, DESIGN_GROUPS);
    parse_ok(text);
    assert_int_equal(cf.n_groups, 1);
    assert_string_equal(cf.nodes[cf.groups[0].nodes[0]].name, "alpha");
    assert_int_equal(cf.n_resources, 2);
    assert_string_equal(cf.resources[0].ip.interface, "eth0");
    assert_string_equal(conf_text(&cf, cf.resources[1].monitor), "/usr/local/sbin/app status");
    assert_int_equal(cf.resources[1].monitor_interval, 5 * VG_USEC_PER_SEC);
}

/* Every key set, the type last, groups and resources interleaved in the
 * file: resources come out by group, in file order within a group. */
static void test_groups_every_key(void **state)
{
    const struct conf_group *g;
    const struct conf_resource *r;
    char buf[RES_IP_TEXT_MAX];

    parse_ok(BASE "[resource \"db/vip6\"]\n"
                  "address = 2001:db8::100/64\n"
                  "interface = bond0.12\n"
                  "announce-count = 0\n"
                  "probe-timeout = 0\n"
                  "monitor-interval = 0\n"
                  "monitor-timeout = 100ms\n"
                  "start-timeout = 24h\n"
                  "stop-timeout = 1.5s\n"
                  "monitor-retries = 10\n"
                  "type = ip\n" GRP "failback = yes\n"
                  "migration-threshold = 1000\n"
                  "failure-timeout = never\n"
                  "monitor-interval = 0s\n" VIP "[group \"db\"]\n"
                  "nodes = alpha\n"
                  "migration-threshold = 1\n"
                  "failure-timeout = 720h\n"
                  "monitor-interval = 100ms\n"
                  "[resource \"web/app\"]\n"
                  "start = /usr/local/sbin/app start && echo 'ok; done' # a comment\n"
                  "stop = app stop\n"
                  "monitor = app status\n"
                  "monitor-interval = 5s\n"
                  "monitor-retries = 2\n"
                  "type = exec\n"
                  "[resource \"db/pg\"]\n"
                  "agent = ocf:my-provider.x:Pg_sql-1.2\n"
                  "pgdata = /var/lib/pgsql\n"
                  "address = not checked: a parameter of the agent\n"
                  "_x9 = caf\xc3\xa9 au lait\n"
                  "start-timeout = 2m\n"
                  "type = ocf\n"
                  "[resource \"db/tpl\"]\n"
                  "type = systemd\n"
                  "unit = app@db-1.service\n"
                  "[resource \"db/sock\"]\n"
                  "type = systemd\n"
                  "unit = srv-data\\x2dx.mount\n");
    assert_int_equal(cf.n_groups, 2);
    assert_int_equal(cf.n_resources, 6);

    g = &cf.groups[0];
    assert_string_equal(g->name, "web");
    assert_true(g->failback);
    assert_int_equal(g->migration_threshold, 1000);
    assert_int_equal(g->failure_timeout, 0); /* never */
    assert_int_equal(g->monitor_interval, 0);
    assert_int_equal(g->first_resource, 0);
    assert_int_equal(g->n_resources, 2);
    assert_string_equal(cf.resources[0].name, "vip");
    assert_int_equal(cf.resources[0].monitor_interval, 0); /* the group's 0 */
    r = &cf.resources[1];
    assert_string_equal(r->name, "app");
    assert_string_equal(conf_text(&cf, r->start), "/usr/local/sbin/app start && echo 'ok; done'");
    assert_string_equal(conf_text(&cf, r->monitor), "app status");
    assert_int_equal(r->monitor_interval, 5 * VG_USEC_PER_SEC);
    assert_int_equal(r->monitor_retries, 2);

    g = &cf.groups[1];
    assert_string_equal(g->name, "db");
    assert_int_equal(g->n_nodes, 1);
    assert_string_equal(cf.nodes[g->nodes[0]].name, "alpha");
    assert_int_equal(g->migration_threshold, 1);
    assert_int_equal(g->failure_timeout, 720 * 3600 * VG_USEC_PER_SEC);
    assert_int_equal(g->monitor_interval, 100 * VG_USEC_PER_MSEC);
    assert_int_equal(g->first_resource, 2);
    assert_int_equal(g->n_resources, 4);

    r = &cf.resources[2];
    assert_string_equal(r->name, "vip6");
    assert_int_equal(r->group, 1);
    assert_int_equal(r->line, 12);
    assert_int_equal(r->ip.addr.family, AF_INET6);
    assert_string_equal(res_ip_format(&r->ip.addr, buf, sizeof(buf)), "2001:db8::100/64");
    assert_string_equal(r->ip.interface, "bond0.12");
    assert_int_equal(r->ip.announce_count, 0);
    assert_int_equal(r->ip.probe_timeout, 0);
    assert_int_equal(r->monitor_interval, 0);
    assert_int_equal(r->monitor_timeout, 100 * VG_USEC_PER_MSEC);
    assert_int_equal(r->start_timeout, 24 * 3600 * VG_USEC_PER_SEC);
    assert_int_equal(r->stop_timeout, 1500 * VG_USEC_PER_MSEC);
    assert_int_equal(r->monitor_retries, 10);

    r = &cf.resources[3];
    assert_string_equal(r->name, "pg");
    assert_string_equal(r->ocf_provider, "my-provider.x");
    assert_string_equal(r->ocf_type, "Pg_sql-1.2");
    assert_int_equal(r->n_params, 3);
    assert_string_equal(conf_text(&cf, r->params[0].name), "pgdata");
    assert_string_equal(conf_text(&cf, r->params[1].name), "address");
    assert_string_equal(conf_text(&cf, r->params[1].value),
                        "not checked: a parameter of the agent");
    assert_string_equal(conf_text(&cf, r->params[2].name), "_x9");
    assert_string_equal(conf_text(&cf, r->params[2].value), "caf\xc3\xa9 au lait");
    assert_int_equal(r->start_timeout, 120 * VG_USEC_PER_SEC);
    assert_int_equal(r->monitor_interval, 100 * VG_USEC_PER_MSEC);

    assert_string_equal(conf_text(&cf, cf.resources[4].unit), "app@db-1.service");
    assert_string_equal(conf_text(&cf, cf.resources[5].unit), "srv-data\\x2dx.mount");
}

/* The bounds: 64 groups, 16 resources in a group, 256 in all, 32 OCF
 * parameters, the text of the resources. */
static void test_groups_limits(void **state)
{
    size_t size = 256 * 1024;
    char *text = malloc(size), *p;

    assert_non_null(text);
    /* 16 groups of 16 resources: 256 */
    p = text + sprintf(text, BASE);
    for (int g = 0; g < VIGIL_MAX_RESOURCES / VIGIL_MAX_GROUP_RESOURCES; g++) {
        p += sprintf(p, "[group \"g%d\"]\nnodes = alpha\n", g);
        for (int r = 0; r < VIGIL_MAX_GROUP_RESOURCES; r++)
            p += sprintf(p, "[resource \"g%d/r%d\"]\ntype = ip\naddress = 10.%d.%d.1/16\n", g, r, g,
                         r);
    }
    parse_ok(text);
    assert_int_equal(cf.n_resources, VIGIL_MAX_RESOURCES);
    assert_int_equal(cf.groups[15].first_resource, 240);
    /* one more in all */
    sprintf(p, "[group \"x\"]\nnodes = alpha\n[resource \"x/r\"]\ntype = ip\n"
               "address = 10.99.0.1/16\n");
    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, &dg), -EINVAL);
    assert_int_equal(dg.n, 2); /* and group x has none */
    assert_non_null(strstr(dg.msg[1], "too many resources: [resource \"x/r\"] is one more than "
                                      "the 256 allowed (all groups together)"));

    /* 17 in one group */
    p = text + sprintf(text, BASE GRP);
    for (int r = 0; r <= VIGIL_MAX_GROUP_RESOURCES; r++)
        p += sprintf(p, "[resource \"web/r%d\"]\ntype = ip\naddress = 10.0.%d.1/16\n", r, r);
    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, &dg), -EINVAL);
    assert_int_equal(dg.n, 1);
    assert_non_null(strstr(dg.msg[0], PATH ":62: too many resources in group 'web': [resource "
                                           "\"web/r16\"] is one more than the 16 allowed"));

    /* 65 groups */
    p = text + sprintf(text, BASE);
    for (int g = 0; g <= VIGIL_MAX_GROUPS; g++)
        p += sprintf(p,
                     "[group \"g%d\"]\nnodes = alpha\n[resource \"g%d/r\"]\ntype = exec\n"
                     "start = a\nstop = b\n",
                     g, g);
    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, &dg), -EINVAL);
    assert_non_null(strstr(dg.msg[0], "too many groups: [group \"g64\"] is one more than the 64 "
                                      "allowed"));

    /* 32 parameters, then 33 */
    p = text + sprintf(text, GV OCF);
    for (int i = 0; i < CONF_OCF_PARAMS_MAX; i++)
        p += sprintf(p, "p%d = %d\n", i, i);
    parse_ok(text);
    assert_int_equal(cf.resources[1].n_params, CONF_OCF_PARAMS_MAX);
    assert_string_equal(conf_text(&cf, cf.resources[1].params[31].value), "31");
    sprintf(p, "p32 = 32\n");
    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, &dg), -EINVAL);
    assert_int_equal(dg.n, 1);
    assert_non_null(strstr(dg.msg[0], PATH ":52: [resource \"web/db\"] p32: too many OCF "
                                           "parameters: an ocf resource takes at most 32"));

    /* a command of 4000 bytes, and more text than the resources may hold */
    p = text + sprintf(text, GV "[resource \"web/app\"]\ntype = exec\nstop = x\nstart = ");
    memset(p, 'a', 4000);
    strcpy(p + 4000, "\n");
    parse_ok(text);
    assert_int_equal(strlen(conf_text(&cf, cf.resources[1].start)), 4000);
    p = text + sprintf(text, GV);
    for (int i = 0; i < 12; i++) {
        p += sprintf(p, "[resource \"web/a%d\"]\ntype = exec\n", i);
        for (int k = 0; k < 3; k++) {
            p += sprintf(p, "%s = ", k == 0 ? "start" : k == 1 ? "stop" : "monitor");
            memset(p, 'a', 4000);
            p += 4000;
            *p++ = '\n';
        }
    }
    *p = '\0';
    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, &dg), -EINVAL);
    assert_true(dg.n >= 1);
    assert_non_null(strstr(dg.msg[0], ": too much text: the [group] and [resource] sections "
                                      "hold at most 128 KiB"));
    free(text);
}

/* URL shapes that a witness link and its proxy accept. */
static void test_urls(void **state)
{
    static const char *const urls[] = {
        "http://w",
        "https://witness.example:8443",
        "https://witness.example:8443/",
        "http://192.0.2.50:80/vigil/api",
        "https://[2001:db8::7]",
        "https://[2001:db8::7]:443/x%20y",
        "http://WITNESS.Example.COM",
        "https://a-b.c-d.example/~v/;x=1/@me",
        "https://w1.example:65535",
    };
    static const char *const proxies[] = {
        "http://proxy.example:3128",
        "http://192.0.2.1:8080/",
        "http://[2001:db8::3]:1",
    };
    char text[512];

    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        snprintf(text, sizeof(text), BASE WURL "%s\nca-file = /c.pem\n", urls[i]);
        if (strncmp(urls[i], "http:", 5) == 0) /* ca-file is for https only */
            snprintf(text, sizeof(text), BASE WURL "%s\n", urls[i]);
        parse_ok(text);
        assert_string_equal(cf.links[1].url, urls[i]);
    }
    for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++) {
        snprintf(text, sizeof(text), BASE WIT "proxy = %s\n", proxies[i]);
        parse_ok(text);
        assert_string_equal(cf.links[1].proxy, proxies[i]);
    }
}

static void test_booleans(void **state)
{
    static const struct {
        const char *text;
        bool value;
    } cases[] = {{"yes", true},  {"no", false}, {"true", true}, {"false", false}, {"on", true},
                 {"off", false}, {"1", true},   {"0", false},   {"YES", true},    {"False", false}};
    char text[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), C "realtime = %s\n" L1 NA, cases[i].text);
        parse_ok(text);
        assert_int_equal(cf.realtime, cases[i].value);
    }
}

/* Lines of CONF_LINE_MAX characters work; one more is an error. */
static void test_long_lines(void **state)
{
    size_t head = strlen(BASE "key-file = /");
    char *text = malloc(head + CONF_LINE_MAX + 64);
    char *p;

    assert_non_null(text);
    p = text + sprintf(text, C "key-file = /");
    memset(p, 'k', CONF_LINE_MAX - strlen("key-file = /"));
    p += CONF_LINE_MAX - strlen("key-file = /");
    strcpy(p, "\n" L1 NA);
    parse_ok(text);
    assert_int_equal(strlen(cf.key_file), CONF_LINE_MAX - strlen("key-file = "));

    p = text + sprintf(text, C "#");
    memset(p, 'c', CONF_LINE_MAX);
    strcpy(p + CONF_LINE_MAX, "\n" L1 NA);
    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, &dg), -EINVAL);
    assert_int_equal(dg.n, 1);
    assert_non_null(strstr(dg.msg[0], PATH ":3: line too long"));
    free(text);
}

/* Same input, same output; inih's options are left as they were. */
static void test_pure(void **state)
{
    static struct conf again;
    int max_line = ini_max_line;
    bool multiline = ini_allow_multiline;
    char *prefixes = ini_inline_comment_prefixes;

    parse_ok(design_example);
    assert_int_equal(conf_parse_text(design_example, strlen(design_example), PATH, &again, NULL),
                     0);
    assert_memory_equal(&cf, &again, sizeof(cf));
    assert_int_equal(ini_max_line, max_line);
    assert_int_equal(ini_allow_multiline, multiline);
    assert_ptr_equal(ini_inline_comment_prefixes, prefixes);

    /* the length bounds the text: no NUL terminator needed */
    assert_int_equal(conf_parse_text(BASE "garbage", strlen(BASE), PATH, &cf, &dg), 0);
    assert_int_equal(conf_parse_text(NULL, 0, PATH, &cf, &dg), -EINVAL);
    assert_int_equal(dg.n, 2);
}

/* --- bad files ------------------------------------------------------------ */

struct bad {
    const char *text;
    int line;            /* of the expected message */
    const char *want[3]; /* words the message holds */
    int count;           /* messages in all; 0: not checked */
};

static const struct bad bad_files[] = {
    /* quorum */
    {"[cluster]\nname = web\nquorum = most\n" L1 NA,
     3,
     {"unknown quorum mode 'most'", "majority"},
     1},
    {"[cluster]\nname = web\nquorum = none\n" L1 NA, 3, {"allow-split-brain = yes"}, 1},
    {"[cluster]\nname = web\nquorum = witness\n" L1 NA, 3, {"needs a [link] of type witness"}, 1},
    {"[cluster]\nname = web\nallow-split-brain = maybe\n" L1 NA, 3, {"bad boolean"}, 1},
    {"[cluster]\nname = web\nfencing = maybe\n" L1 NA,
     3,
     {"unknown fencing mode 'maybe'", "required or none"},
     1},
    {C L1 NA "votes = 99\n", 9, {"bad votes '99'", "0 to 64"}, 1},
    {C L1 NA "votes = 1\nvotes = 2\n", 10, {"duplicate key", "votes"}, 1},
    /* syntax */
    {C "interval 200ms\n" L1 NA, 3, {"syntax error", "key = value"}, 1},
    {C "interval: 200ms\n" L1 NA, 3, {"syntax error", "'='"}, 1},
    {C "name2 # = x\n" L1 NA, 3, {"syntax error"}, 1},
    {"name = x\n" BASE, 1, {"key 'name' is outside of any section", "[cluster]"}, 1},
    {"[cluster\nname = web\n" L1 NA, 1, {"no closing ']'"}, 0},
    {C L1 NA "[node \"beta\"] id = 2\n", 9, {"unexpected text after the section header"}, 0},
    {C L1 NA "[node \"beta]\n", 9, {"no closing quote"}, 0},
    /* sections */
    {BASE "[api]\nlisten = 127.0.0.1:9871\n", 12, {"section [api] is not supported yet"}, 1},
    {BASE "[foo]\nbar = 1\n",
     12,
     {"unknown section [foo]",
      "[cluster], [node \"NAME\"], [link \"NAME\"], [np \"NAME\"], [group \"NAME\"], "
      "[resource \"GROUP/NAME\"], [fence \"NAME\"] or [watchdog]"},
     1},
    {BASE "[]\n", 12, {"empty section header"}, 1},
    {BASE "[node]\nid = 3\n", 12, {"section [node] needs a quoted name", "[node \"alpha\"]"}, 1},
    {BASE "[node gamma]\nid = 3\n", 12, {"double quotes"}, 1},
    {BASE "[cluster \"web\"]\n", 12, {"section [cluster] takes no name"}, 1},
    {BASE "[node \"al pha\"]\nid = 3\n", 12, {"bad node name 'al pha'", "1 to 63 characters"}, 1},
    {BASE "[link \"a123456789a123456789a123456789a123456789a123456789a123456789abcd\"]\n",
     12,
     {"bad link name", "1 to 63"},
     1},
    {BASE "[link \"id\"]\ntype = udp\npriority = 2\n", 12, {"cannot be named 'id'"}, 1},
    {BASE "[cluster]\nname = other\n", 12, {"duplicate section [cluster]", "line 1"}, 1},
    {BASE "[node \"alpha\"]\nid = 3\n", 12, {"duplicate section [node \"alpha\"]", "line 6"}, 1},
    {BASE "[link \"lan1\"]\ntype = udp\n", 12, {"duplicate section [link \"lan1\"]", "line 3"}, 1},
    {L1 NA, 1, {"no [cluster] section"}, 1},
    {C L1, 1, {"no [node] section", "at least one node"}, 1},
    {C NA, 5, {"unknown key 'lan1' in [node \"alpha\"]", "no [link] section is defined"}, 0},
    /* keys */
    {C "name = again\n" L1 NA, 3, {"[cluster] name: duplicate key", "line 2"}, 1},
    {C L1 NA "lan1 = 192.0.2.9\n", 9, {"[node \"alpha\"] lan1: duplicate key", "line 8"}, 1},
    {C L1 NA "id = 4\n", 9, {"[node \"alpha\"] id: duplicate key", "line 7"}, 1},
    {C L1 "port = 1\nport = 2\n" NA, 7, {"[link \"lan1\"] port: duplicate key", "line 6"}, 1},
    {C "colour = blue\n" L1 NA, 3, {"unknown key 'colour' in [cluster]", "interval"}, 1},
    {C L1 "[link \"lan2\"]\ntype = udp\npriority = 2\n" NA "lan2 = 192.0.2.11\nlan3 = 192.0.2.21\n",
     13,
     {"unknown key 'lan3' in [node \"alpha\"]: expected 'id' or the name of a [link] section "
      "(links: lan1, lan2)"},
     1},
    {C L1 "mtu = 1500\n" NA, 6, {"unknown key 'mtu' in [link \"lan1\"]", "type, priority"}, 1},
    {"[cluster]\nrealtime = yes\n" L1 NA, 1, {"[cluster]: missing required key 'name'"}, 1},
    {C L1 "[node \"alpha\"]\nlan1 = 192.0.2.1\n",
     6,
     {"[node \"alpha\"]: missing required key 'id'"},
     1},
    {C "[link \"lan1\"]\npriority = 1\n" NA,
     3,
     {"[link \"lan1\"]: missing required key 'type'",
      "expected 'type = udp', 'type = disk' or 'type = witness'"},
     1},
    {C "[link \"lan1\"]\ntype = udp\n" NA,
     3,
     {"[link \"lan1\"]: missing required key 'priority'"},
     1},
    {"[cluster]\nname =\n" L1 NA, 2, {"[cluster] name: empty value", "expected"}, 1},
    {C L1 "[node \"alpha\"]\nid = 1\nlan1 =   # nothing\n", 8, {"lan1: empty value", "address"}, 1},
    {"[cluster]\nname = \x01\x02\n" L1 NA, 2, {"[cluster] name", "UTF-8"}, 0},
    {"[cluster]\nname = caf\xc3\n" L1 NA, 2, {"[cluster] name", "UTF-8"}, 0},
    {C "key-file = authkey\n" L1 NA, 3, {"[cluster] key-file", "absolute path"}, 1},
    /* node ids and addresses */
    {BASE "[node \"gamma\"]\nid = 1\nlan1 = 192.0.2.3\n",
     13,
     {"duplicate node id 1", "[node \"alpha\"] (line 7)"},
     1},
    {C L1 "[node \"alpha\"]\nid = 65\nlan1 = 192.0.2.1\n",
     7,
     {"[node \"alpha\"] id", "out of range", "1 to 64"},
     1},
    {C L1 "[node \"alpha\"]\nid = 0\nlan1 = 192.0.2.1\n", 7, {"out of range", "1 to 64"}, 1},
    {C L1 "[node \"alpha\"]\nid = one\nlan1 = 192.0.2.1\n", 7, {"bad id 'one'", "1 to 64"}, 1},
    {C L1 "[node \"alpha\"]\nid = -1\nlan1 = 192.0.2.1\n", 7, {"bad id '-1'"}, 1},
    {C L1 "[link \"lan2\"]\ntype = udp\npriority = 2\n" NA,
     9,
     {"[node \"alpha\"]: no address on udp link 'lan2'", "lan2 = ADDRESS"},
     1},
    {C L1 NA "[node \"beta\"]\nid = 2\nlan1 = 2001:db8::2\n",
     11,
     {"[node \"beta\"] lan1: 2001:db8::2 is an IPv6 address but link 'lan1' is IPv4",
      "[node \"alpha\"] on line 8"},
     1},
    {C L1 "family = ipv6\n" NA,
     9,
     {"[node \"alpha\"] lan1", "IPv4 address but link 'lan1' is IPv6", "'family' key on line 6"},
     1},
    {C L1 NA "[node \"beta\"]\nid = 2\nlan1 = 192.0.2.1\n",
     11,
     {"address 192.0.2.1 is already used by [node \"alpha\"] (line 8)"},
     1},
    {C L1 NA "[node \"beta\"]\nid = 2\nlan1 = 192.0.2\n",
     11,
     {"[node \"beta\"] lan1: invalid address '192.0.2'", "IPv4"},
     1},
    {C L1 NA "[node \"beta\"]\nid = 2\nlan1 = beta.example\n",
     11,
     {"invalid address 'beta.example'"},
     1},
    {C L1 NA "[node \"beta\"]\nid = 2\nlan1 = 192.0.2.2:5405\n",
     11,
     {"invalid address", "port does not go here"},
     1},
    {C L1 "family = ipv6\n[node \"alpha\"]\nid = 1\nlan1 = fe80::1%eth0\n",
     9,
     {"invalid address", "scoped"},
     1},
    {C L1 "family = ipv6\n[node \"alpha\"]\nid = 1\nlan1 = fe80::1\n",
     9,
     {"invalid address", "link-local"},
     1},
    {C L1 NA "[node \"beta\"]\nid = 2\nlan1 = 224.0.0.1\n",
     11,
     {"invalid address", "multicast"},
     1},
    {C L1 NA "[node \"beta\"]\nid = 2\nlan1 = 0.0.0.0\n",
     11,
     {"invalid address", "unspecified"},
     1},
    {C L1 "[node \"alpha\"]\nid = 1\nlan1 = [2001:db8::1\n", 8, {"invalid address", "']'"}, 1},
    {C L1 "[node \"alpha\"]\nid = 1\nlan1 = [192.0.2.1]\n", 8, {"invalid address", "IPv6"}, 1},
    {C L1 "[node \"alpha\"]\nid = 1\nlan1 = ::ffff:192.0.2.1\n", 8, {"IPv4-mapped"}, 1},
    /* durations and timing */
    {C "interval = 200\n" L1 NA,
     3,
     {"[cluster] interval: bad duration '200'",
      "expected a duration with a unit, e.g. 200ms or 1s"},
     1},
    {C "timeout = 5d\n" L1 NA, 3, {"[cluster] timeout: bad duration '5d'", "with a unit"}, 1},
    {C "interval = 0ms\n" L1 NA, 3, {"bad duration '0ms'", "with a unit"}, 1},
    {C "interval = -200ms\n" L1 NA, 3, {"bad duration '-200ms'", "with a unit"}, 1},
    {C "initial-timeout = 99999999999999999999h\n" L1 NA, 3, {"bad duration", "with a unit"}, 1},
    {C "interval = 5ms\n" L1 NA, 3, {"[cluster] interval: 5ms is too short", "at least 10ms"}, 1},
    {C "interval = 2m\ntimeout = 1h\n" L1 NA,
     3,
     {"[cluster] interval: 2m is too long", "at most 1m"},
     1},
    {C "timeout = 2h\n" L1 NA, 3, {"[cluster] timeout: 2h is too long", "at most 1h"}, 1},
    {C "interval = 1s\ntimeout = 1s\n" L1 NA,
     4,
     {"[cluster] timeout: 1s must be larger than interval (1s)"},
     1},
    {C "interval = 2s\n" L1 NA, 3, {"[cluster] interval: 2s must be smaller than timeout (1s"}, 1},
    {C "timeout = 3s\ninitial-timeout = 2s\n" L1 NA,
     4,
     {"[cluster] initial-timeout: 2s must not be smaller than timeout (3s)"},
     1},
    {C "timeout = 20s\n" L1 NA,
     3,
     {"[cluster] timeout: 20s must not be larger than initial-timeout"},
     1},
    {C "realtime = maybe\n" L1 NA, 3, {"[cluster] realtime: bad boolean 'maybe'", "yes or no"}, 1},
    /* links */
    {C L1 "port = 0\n" NA, 6, {"[link \"lan1\"] port: bad port '0'", "1 to 65535"}, 1},
    {C L1 "port = 65536\n" NA, 6, {"bad port '65536'", "1 to 65535"}, 1},
    {C L1 "port = http\n" NA, 6, {"bad port 'http'"}, 1},
    {C "[link \"lan1\"]\ntype = udp\npriority = 9\n" NA,
     5,
     {"[link \"lan1\"] priority: bad priority '9'", "1 to 8"},
     1},
    {C L1 "[link \"lan2\"]\ntype = udp\npriority = 1\n" NA "lan2 = 192.0.2.11\n",
     8,
     {"[link \"lan2\"] priority: priority 1 is already used by [link \"lan1\"] (line 5)"},
     1},
    {C L1 "family = ipx\n" NA, 6, {"bad family 'ipx'", "ipv4 or ipv6"}, 1},
    {BASE "[link \"x\"]\ntype = tcp\npriority = 2\n",
     13,
     {"unknown link type 'tcp'", "expected udp, disk or witness"},
     1},
    /* disk links */
    {BASE "[link \"shared\"]\ntype = disk\n",
     12,
     {"[link \"shared\"]: missing required key 'device'", "absolute path", "same on every node"},
     1},
    {BASE "[link \"shared\"]\ntype = disk\ndevice = sdb1\n",
     14,
     {"[link \"shared\"] device: 'sdb1' is not an absolute path"},
     1},
    {BASE DISK "priority = 2\n",
     15,
     {"[link \"shared\"] priority: priority applies to udp links only ('shared' is a disk link)",
      "remove this line"},
     1},
    {BASE "[link \"shared\"]\nport = 5405\ntype = disk\ndevice = /dev/sdb1\n",
     13,
     {"[link \"shared\"] port: port applies to udp links only"},
     1},
    {BASE DISK "priority = high\n", 15, {"bad priority 'high'"}, 1},
    {BASE DISK "size = 1M\n",
     15,
     {"unknown key 'size' in [link \"shared\"]: expected one of type, device, interval, timeout"},
     1},
    {BASE DISK "url = http://w.example\n",
     15,
     {"[link \"shared\"] url: url applies to witness links only ('shared' is a disk link)"},
     1},
    {C L1 DISK NA "shared = 192.0.2.1\n",
     12,
     {"[node \"alpha\"] shared: 'shared' is a disk link; nodes have no address on it (remove this "
      "line)"},
     1},
    {C DISK "[node \"alpha\"]\nid = 1\n",
     1,
     {"no udp link", "cluster messages need at least one [link] with 'type = udp'"},
     1},
    {C DISK WIT "[node \"alpha\"]\nid = 1\n", 1, {"no udp link"}, 1},
    /* udp links take no disk or witness keys */
    {C L1 "interval = 100ms\n" NA,
     6,
     {"[link \"lan1\"] interval: interval applies to disk and witness links only ('lan1' is a udp "
      "link)",
      "[cluster] timing"},
     1},
    {C L1 "device = /dev/sdb1\n" NA, 6, {"device applies to disk links only"}, 1},
    {C L1 "token-file = /t\n" NA, 6, {"token-file applies to witness links only"}, 1},
    /* per-link timing */
    {BASE DISK "interval = 2s\ntimeout = 2s\n",
     16,
     {"[link \"shared\"] timeout: 2s must be larger than interval (2s)"},
     1},
    {BASE DISK "interval = 1s\n",
     15,
     {"[link \"shared\"] interval: 1s must be smaller than timeout (1s, from [cluster])"},
     1},
    {C "interval = 500ms\n" L1 NA NB WIT "timeout = 300ms\n",
     17,
     {"[link \"arbiter\"] timeout: 300ms must be larger than interval (500ms, from [cluster])"},
     1},
    {BASE DISK "interval = 5ms\n",
     15,
     {"[link \"shared\"] interval: 5ms is too short", "at least 10ms"},
     1},
    {BASE WIT "timeout = 2h\n", 16, {"[link \"arbiter\"] timeout: 2h is too long"}, 1},
    {BASE DISK "timeout = fast\n", 15, {"[link \"shared\"] timeout: bad duration 'fast'"}, 1},
    /* witness links */
    {BASE "[link \"arbiter\"]\ntype = witness\ntoken-file = /etc/vigil/w.token\n",
     12,
     {"[link \"arbiter\"]: missing required key 'url'", "https://witness.example:8443"},
     1},
    {BASE "[link \"arbiter\"]\ntype = witness\nurl = https://witness.example\n",
     12,
     {"[link \"arbiter\"]: missing required key 'token-file'", "absolute path"},
     1},
    {BASE "[link \"arbiter\"]\ntype = witness\nurl = https://w.example\ntoken-file = w.token\n",
     15,
     {"[link \"arbiter\"] token-file: 'w.token' is not an absolute path"},
     1},
    {BASE WIT "family = ipv6\n",
     16,
     {"[link \"arbiter\"] family: family applies to udp links only ('arbiter' is a witness link)"},
     1},
    {BASE WIT "priority = 3\n", 16, {"priority applies to udp links only"}, 1},
    {C L1 WIT NA "arbiter = 192.0.2.9\n",
     13,
     {"[node \"alpha\"] arbiter: 'arbiter' is a witness link; nodes have no address on it"},
     1},
    {BASE WURL "ftp://w.example\n",
     15,
     {"[link \"arbiter\"] url: bad url 'ftp://w.example'", "http:// or https://"},
     1},
    {BASE WURL "witness.example:8443\n", 15, {"bad url", "start"}, 1},
    {BASE WURL "https://w.example:0\n", 15, {"bad url", "bad port", "1 to 65535"}, 1},
    {BASE WURL "https://w.example:65536/\n", 15, {"bad url", "bad port"}, 1},
    {BASE WURL "https://w.example:https\n", 15, {"bad url", "bad port"}, 1},
    {BASE WURL "https://w.example:/v\n", 15, {"bad url", "empty port"}, 1},
    {BASE WURL "https://admin:secret@w.example\n",
     15,
     {"bad url", "user:password@ is not allowed", "token-file"},
     1},
    {BASE WURL "https://w.example/vigil?cluster=web\n", 15, {"bad url", "query"}, 1},
    {BASE WURL "https://w.example/vigil#top\n", 15, {"bad url", "fragment"}, 1},
    {BASE WURL "https://w.example/a b\n", 15, {"bad url", "the path may hold"}, 1},
    {BASE WURL "https://w.example/%zz\n", 15, {"bad url", "two hex digits"}, 1},
    {BASE WURL "https://2001:db8::7:8443\n", 15, {"bad url", "IPv6 address goes in brackets"}, 1},
    {BASE WURL "https://[2001:db8::7:8443\n", 15, {"bad url", "no closing ']'"}, 1},
    {BASE WURL "https://[2001:db8::zz]\n", 15, {"bad url", "inside the brackets"}, 1},
    {BASE WURL "https://[fe80::1%eth0]:8443\n", 15, {"bad url", "scoped"}, 1},
    {BASE WURL "http://192.0.2/\n", 15, {"bad url", "not a valid IPv4 address"}, 1},
    {BASE WURL "http://0x7f.1\n", 15, {"bad url", "not a valid IPv4 address"}, 1},
    {BASE WURL "http://0.0.0.0:80\n", 15, {"bad url", "unspecified"}, 1},
    {BASE WURL "https://wit_ness.example\n", 15, {"bad url", "bad host name"}, 1},
    {BASE WURL "https://-w.example\n", 15, {"bad url", "bad host name"}, 1},
    {BASE WURL "https://:8443\n", 15, {"bad url", "no host"}, 1},
    {BASE WURL "\n", 15, {"[link \"arbiter\"] url: empty value", "http://HOST[:PORT][/PATH]"}, 1},
    {BASE "[link \"arbiter\"]\ntype = witness\nurl = http://witness.example\n"
          "token-file = /etc/vigil/w.token\nca-file = /etc/vigil/ca.pem\n",
     16,
     {"[link \"arbiter\"] ca-file: a CA file is only used with an https url",
      "the url (line 14) is http"},
     1},
    {BASE WIT "ca-file = ca.pem\n",
     16,
     {"[link \"arbiter\"] ca-file: 'ca.pem' is not an absolute"},
     1},
    {BASE WIT "proxy = http://proxy.example\n",
     16,
     {"[link \"arbiter\"] proxy: bad proxy 'http://proxy.example'", "needs a port"},
     1},
    {BASE WIT "proxy = https://proxy.example:3128\n",
     16,
     {"bad proxy", "expected an http:// proxy URL"},
     1},
    {BASE WIT "proxy = http://proxy.example:3128/pac\n", 16, {"bad proxy", "has no path"}, 1},
    {BASE WIT "proxy = http://u:p@proxy.example:3128\n", 16, {"bad proxy", "user:password@"}, 1},
    {BASE WIT "proxy = proxy.example:3128\n", 16, {"bad proxy", "http://"}, 1},
    {C "[link \"l1\"]\n[link \"l2\"]\n[link \"l3\"]\n[link \"l4\"]\n[link \"l5\"]\n"
       "[link \"l6\"]\n[link \"l7\"]\n[link \"l8\"]\n[link \"l9\"]\n",
     11,
     {"too many links", "8 allowed"},
     0},
    /* [np] sections */
    {BASE "[np \"gw\"]\ntargets = 192.0.2.254\n",
     12,
     {"[np \"gw\"]: missing required key 'type'", "expected 'type = ping' or 'type = http'"},
     1},
    {BASE "[np \"gw\"]\ntype = dns\n",
     13,
     {"[np \"gw\"] type: unknown np type 'dns'", "expected ping or http"},
     1},
    {BASE "[np \"gw\"]\ntype = ping\n",
     12,
     {"[np \"gw\"]: missing required key 'targets'", "separated by commas"},
     1},
    {BASE "[np \"gw\"]\ntype = ping\ntargets = 192.0.2.254, gw.example\n",
     14,
     {"[np \"gw\"] targets: invalid address 'gw.example'", "IPv4"},
     1},
    {BASE "[np \"gw\"]\ntype = ping\ntargets = 192.0.2.254:80\n",
     14,
     {"[np \"gw\"] targets: invalid address '192.0.2.254:80'", "ping targets are addresses only"},
     1},
    {BASE "[np \"gw\"]\ntype = ping\ntargets = 224.0.0.1\n",
     14,
     {"[np \"gw\"] targets: invalid address '224.0.0.1'", "cannot be a ping target"},
     1},
    {BASE "[np \"gw\"]\ntype = ping\ntargets = 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4, "
          "10.0.0.5, 10.0.0.6, 10.0.0.7, 10.0.0.8, 10.0.0.9\n",
     14,
     {"[np \"gw\"] targets: 9 addresses", "at most 8"},
     1},
    {BASE "[np \"gw\"]\ntype = ping\ntargets = 192.0.2.254,,192.0.2.1\n",
     14,
     {"[np \"gw\"] targets: empty entry in the list", "separated by commas"},
     1},
    {BASE "[np \"gw\"]\ntype = ping\ntargets = 192.0.2.254, 192.0.2.254\n",
     14,
     {"[np \"gw\"] targets: 192.0.2.254 is listed twice"},
     1},
    {BASE "[np \"gw\"]\ntype = ping\ntargets =\n",
     14,
     {"[np \"gw\"] targets: empty value", "separated by commas"},
     1},
    {BASE NPG "targets = 192.0.2.1\n",
     15,
     {"[np \"gw\"] targets: duplicate key (first set on line 14)"},
     1},
    {BASE NPG "count = 0\n", 15, {"[np \"gw\"] count: bad count '0'", "1 to 10"}, 1},
    {BASE NPG "count = 11\n", 15, {"[np \"gw\"] count: bad count '11'", "1 to 10"}, 1},
    {BASE NPG "interval = 2s\ntimeout = 2s\n",
     16,
     {"[np \"gw\"] timeout: 2s must be larger than interval (2s)"},
     1},
    {BASE NPG "timeout = 500ms\n",
     15,
     {"[np \"gw\"] timeout: 500ms must be larger than interval (1s, the default)"},
     1},
    {BASE NPG "interval = 5s\n",
     15,
     {"[np \"gw\"] interval: 5s must be smaller than timeout (3s, the default)"},
     1},
    {BASE NPG "interval = 50ms\n",
     15,
     {"[np \"gw\"] interval: 50ms is too short", "at least 100ms"},
     1},
    {BASE NPH "timeout = 2h\n", 15, {"[np \"web\"] timeout: 2h is too long", "at most 1h"}, 1},
    {BASE NPG "interval = soon\n", 15, {"[np \"gw\"] interval: bad duration 'soon'"}, 1},
    {BASE NPG "url = http://w.example\n",
     15,
     {"[np \"gw\"] url: url applies to http sections only ('gw' is a ping section)",
      "remove this line"},
     1},
    {BASE NPH "targets = 192.0.2.1\n",
     15,
     {"[np \"web\"] targets: targets applies to ping sections only ('web' is an http section)"},
     1},
    {BASE NPH "count = 2\n", 15, {"[np \"web\"] count: count applies to ping sections only"}, 1},
    {BASE "[np \"web\"]\ntype = http\nurl = ftp://w.example\n",
     14,
     {"[np \"web\"] url: bad url 'ftp://w.example'", "http:// or https://"},
     1},
    {BASE "[np \"web\"]\ntype = http\nurl = https://u:p@w.example\n",
     14,
     {"[np \"web\"] url: bad url", "user:password@"},
     1},
    {BASE "[np \"web\"]\ntype = http\n",
     12,
     {"[np \"web\"]: missing required key 'url'", "https://witness.example:8443"},
     1},
    {BASE NPG "[np \"n2\"]\ntype = ping\ntargets = 192.0.2.254\n"
              "[np \"n3\"]\ntype = ping\ntargets = 192.0.2.254\n"
              "[np \"n4\"]\ntype = ping\ntargets = 192.0.2.254\n"
              "[np \"n5\"]\ntype = ping\ntargets = 192.0.2.254\n",
     24,
     {"too many np sections: [np \"n5\"]", "4 allowed"},
     1},
    {BASE NPG "[np \"gw\"]\ntype = http\n",
     15,
     {"duplicate section [np \"gw\"] (first on line 12)", "merge them"},
     1},
    {BASE NPG "ttl = 64\n",
     15,
     {"unknown key 'ttl' in [np \"gw\"]: expected one of type, targets, count, interval, "
      "timeout"},
     1},
    {BASE "[np \"web\"]\nproxy = http://p:1\n",
     13,
     {"unknown key 'proxy' in [np \"web\"]: expected one of type, targets, count, url, "
      "interval, timeout"},
     0},
    {BASE "[np \"g w\"]\ntype = ping\n", 12, {"bad np name 'g w'", "1 to 63"}, 1},
    {BASE "[np]\ntype = ping\n", 12, {"section [np] needs a quoted name", "[np \"gw\"]"}, 1},
    /* [group] sections */
    {BASE "[group \"web\"]\nnodes = alpha, beta\n",
     12,
     {"[group \"web\"]: group 'web' has no resources", "add a [resource \"web/NAME\"] section"},
     1},
    {GV "[group]\n", 17, {"section [group] needs a quoted name", "[group \"web\"]"}, 1},
    {GV "[group \"w b\"]\n", 17, {"bad group name 'w b'", "1 to 63 characters"}, 1},
    {GV "[group \"web\"]\nnodes = alpha\n",
     17,
     {"duplicate section [group \"web\"] (first on line 12)", "merge them"},
     1},
    {BASE "[group \"web\"]\nfailback = no\n" VIP,
     12,
     {"[group \"web\"]: missing required key 'nodes'", "preferred first", "'nodes = alpha, beta'"},
     1},
    {BASE "[group \"web\"]\nnodes = alpha, gamma\n" VIP,
     13,
     {"[group \"web\"] nodes: 'gamma' is not a configured node",
      "expected the names of [node] sections (alpha, beta)"},
     1},
    {BASE "[group \"web\"]\nnodes = alpha, alpha\n" VIP,
     13,
     {"[group \"web\"] nodes: 'alpha' is listed twice: list each node once"},
     1},
    {BASE "[group \"web\"]\nnodes = alpha,,beta\n" VIP,
     13,
     {"[group \"web\"] nodes: empty entry in the list", "separated by commas, preferred first"},
     1},
    {BASE "[group \"web\"]\nnodes = alpha beta\n" VIP,
     13,
     {"[group \"web\"] nodes: bad node name 'alpha beta'", "1 to 63 characters"},
     1},
    {BASE "[group \"web\"]\nnodes =\n" VIP,
     13,
     {"[group \"web\"] nodes: empty value", "node names separated by commas"},
     1},
    {BASE GRP "nodes = alpha\n" VIP,
     14,
     {"[group \"web\"] nodes: duplicate key (first set on line 13)"},
     1},
    {BASE GRP "failback = maybe\n" VIP,
     14,
     {"[group \"web\"] failback: bad boolean 'maybe'", "yes or no"},
     1},
    {BASE GRP "migration-threshold = 0\n" VIP,
     14,
     {"[group \"web\"] migration-threshold: bad migration-threshold '0'", "1 to 1000"},
     1},
    {BASE GRP "migration-threshold = 1001\n" VIP, 14, {"bad migration-threshold '1001'"}, 1},
    {BASE GRP "failure-timeout = 0\n" VIP,
     14,
     {"[group \"web\"] failure-timeout: '0': a failure count cannot expire after zero time",
      "write 'never'"},
     1},
    {BASE GRP "failure-timeout = 0.0s\n" VIP, 14, {"'0.0s'", "write 'never'"}, 1},
    {BASE GRP "failure-timeout = 721h\n" VIP,
     14,
     {"[group \"web\"] failure-timeout: 721h is too long", "at most 720h"},
     1},
    {BASE GRP "failure-timeout = 500ms\n" VIP, 14, {"500ms is too short", "at least 1s"}, 1},
    {BASE GRP "failure-timeout = forever\n" VIP,
     14,
     {"[group \"web\"] failure-timeout: bad duration 'forever'"},
     1},
    {BASE GRP "monitor-interval = 50ms\n" VIP,
     14,
     {"[group \"web\"] monitor-interval: 50ms is too short", "at least 100ms"},
     1},
    {BASE GRP "monitor-interval = 25h\n" VIP, 14, {"25h is too long", "at most 24h"}, 1},
    {BASE GRP "colour = red\n" VIP,
     14,
     {"unknown key 'colour' in [group \"web\"]: expected one of nodes, failback, "
      "migration-threshold, failure-timeout, monitor-interval"},
     1},
    /* [resource] sections */
    {BASE "[resource \"web/vip\"]\ntype = ip\naddress = 192.0.2.100/24\n",
     12,
     {"[resource \"web/vip\"]: there is no [group \"web\"] section", "fix the group name"},
     1},
    {GV "[resource]\n",
     17,
     {"section [resource] needs a quoted name", "[resource \"web/vip\"]"},
     1},
    {GV "[resource \"vip2\"]\ntype = ip\n",
     17,
     {"bad resource name 'vip2': expected GROUP/NAME, e.g. [resource \"web/vip\"]",
      "1 to 63 characters"},
     1},
    {GV "[resource \"web/a/b\"]\n", 17, {"bad resource name 'web/a/b'"}, 1},
    {GV "[resource \"/vip\"]\n", 17, {"bad resource name '/vip'"}, 1},
    {GV "[resource \"web/v p\"]\n", 17, {"bad resource name 'web/v p'"}, 1},
    {GV "[resource \"web/vip\"]\ntype = ip\n",
     17,
     {"duplicate section [resource \"web/vip\"] (first on line 14)", "merge them"},
     1},
    {GV "[resource \"web/x\"]\naddress = 192.0.2.101/24\n",
     17,
     {"[resource \"web/x\"]: missing required key 'type'",
      "'type = ip', 'type = exec', 'type = ocf' or 'type = systemd'"},
     1},
    {GV "[resource \"web/x\"]\ntype = nfs\nfoo = bar\n",
     18,
     {"[resource \"web/x\"] type: unknown resource type 'nfs'",
      "expected ip, exec, ocf or systemd"},
     1},
    {GV "[resource \"web/x\"]\ntype =\n",
     18,
     {"[resource \"web/x\"] type: empty value", "ip, exec, ocf or systemd"},
     1},
    {GV "type = exec\n",
     17,
     {"[resource \"web/vip\"] type: duplicate key (first set on line 15)"},
     1},
    {GV "colour = red\n",
     17,
     {"unknown key 'colour' in [resource \"web/vip\"]: expected one of type, address, interface, "
      "announce-count, probe-timeout, monitor-interval, monitor-timeout, start-timeout, "
      "stop-timeout, monitor-retries"},
     1},
    {GV "start = /bin/true\n",
     17,
     {"[resource \"web/vip\"] start: key 'start' is for type exec; type ip takes type, address, "
      "interface, announce-count, probe-timeout, monitor-interval",
      "remove this line"},
     1},
    {GV APP "address = 192.0.2.5/24\n",
     21,
     {"[resource \"web/app\"] address: key 'address' is for type ip; type exec takes type, start, "
      "stop, monitor, monitor-interval"},
     1},
    {GV UNIT "agent = ocf:heartbeat:Dummy\n",
     20,
     {"[resource \"web/u\"] agent: key 'agent' is for type ocf; type systemd takes type, unit, "
      "monitor-interval"},
     1},
    {GV OCF "announce-count = 3\n",
     20,
     {"key 'announce-count' is for type ip; type ocf takes type, agent, monitor-interval",
      "and the agent's parameters"},
     1},
    /* ip */
    {BASE GRP "[resource \"web/vip\"]\ntype = ip\n",
     14,
     {"[resource \"web/vip\"]: missing required key 'address'", "'address = 192.0.2.100/24'"},
     1},
    {GV "address = 192.0.2.101/24\n",
     17,
     {"[resource \"web/vip\"] address: duplicate key (first set on line 16)"},
     1},
    {BASE GRP "[resource \"web/vip\"]\ntype = ip\naddress = 192.0.2.100\n",
     16,
     {"[resource \"web/vip\"] address: address '192.0.2.100': no prefix length", "ADDRESS/PREFIX"},
     1},
    {BASE GRP "[resource \"web/vip\"]\ntype = ip\naddress = 192.0.2.100/33\n",
     16,
     {"[resource \"web/vip\"] address", "the prefix length must be 1 to 32"},
     1},
    {BASE GRP "[resource \"web/vip\"]\ntype = ip\naddress = 2001:db8::1/129\n",
     16,
     {"the prefix length must be 1 to 128"},
     1},
    {BASE GRP "[resource \"web/vip\"]\ntype = ip\naddress = 192.0.2.0/24\n",
     16,
     {"[resource \"web/vip\"] address", "network address of its prefix"},
     1},
    {BASE GRP "[resource \"web/vip\"]\ntype = ip\naddress = fe80::1/64\n", 16, {"link-local"}, 1},
    {BASE GRP "[resource \"web/vip\"]\ntype = ip\naddress = 127.0.0.2/8\n", 16, {"loopback"}, 1},
    {BASE GRP "[resource \"web/vip\"]\ntype = ip\naddress = vip.example/24\n",
     16,
     {"'vip.example' is not an IP address"},
     1},
    {BASE GRP "[resource \"web/vip\"]\ntype = ip\naddress = 192.0.2.1/24\n",
     16,
     {"[resource \"web/vip\"] address: 192.0.2.1 is the address of [node \"alpha\"] on link "
      "'lan1' (line 8)",
      "must not be a node's own address"},
     1},
    {GV "[resource \"web/vip2\"]\ntype = ip\naddress = 192.0.2.100/25\n",
     19,
     {"[resource \"web/vip2\"] address: 192.0.2.100 is already the address of [resource "
      "\"web/vip\"] (line 16)",
      "a floating address belongs to one resource"},
     1},
    {GV "[group \"db\"]\nnodes = alpha\n[resource \"db/v6\"]\ntype = ip\n"
        "address = 2001:db8::100/64\n[resource \"db/v6b\"]\ntype = ip\n"
        "address = 2001:db8:0::0100/120\n",
     24,
     {"[resource \"db/v6b\"] address: 2001:db8::100 is already the address of [resource "
      "\"db/v6\"] (line 21)"},
     1},
    {GV "interface = eth0:1\n",
     17,
     {"[resource \"web/vip\"] interface: interface 'eth0:1'", "no '/', ':' or blanks"},
     1},
    {GV "interface = a23456789012345678\n", 17, {"interface 'a2345", "1 to 15 characters"}, 1},
    {GV "announce-count = 101\n",
     17,
     {"[resource \"web/vip\"] announce-count: announce-count '101'", "0 (never announce) to 100"},
     1},
    {GV "probe-timeout = 200\n",
     17,
     {"[resource \"web/vip\"] probe-timeout: bad duration '200'", "e.g. 200ms"},
     1},
    {GV "probe-timeout = 5ms\n",
     17,
     {"[resource \"web/vip\"] probe-timeout: 5ms is too short: expected at least 10ms"},
     1},
    {GV "probe-timeout = 11s\n",
     17,
     {"[resource \"web/vip\"] probe-timeout: 11s is too long: expected at most 10s"},
     1},
    {GV APP "probe-timeout = 1s\n",
     21,
     {"[resource \"web/app\"] probe-timeout: key 'probe-timeout' is for type ip; type exec "
      "takes type, start"},
     1},
    /* exec */
    {GV "[resource \"web/app\"]\ntype = exec\nstop = x\n",
     17,
     {"[resource \"web/app\"]: missing required key 'start'", "run with /bin/sh -c"},
     1},
    {GV "[resource \"web/app\"]\ntype = exec\nstart = x\n",
     17,
     {"[resource \"web/app\"]: missing required key 'stop'", "'stop = /usr/local/sbin/app stop'"},
     1},
    {GV APP "start = again\n",
     21,
     {"[resource \"web/app\"] start: duplicate key (first set on line 19)"},
     1},
    {GV "[resource \"web/app\"]\ntype = exec\nstart =\nstop = x\n",
     19,
     {"[resource \"web/app\"] start: empty value", "a command line, run with /bin/sh -c"},
     1},
    {GV APP "monitor = a\x01b\n",
     21,
     {"[resource \"web/app\"] monitor: not valid text", "control characters"},
     1},
    {GV APP "monitor-interval = 5s\n",
     21,
     {"[resource \"web/app\"] monitor-interval: this exec resource has no 'monitor' command",
      "add 'monitor = COMMAND' or remove this line"},
     1},
    {GV APP "monitor-retries = 1\n",
     21,
     {"[resource \"web/app\"] monitor-retries: this exec resource has no 'monitor' command"},
     1},
    {GV APP "monitor-timeout = 5s\n",
     21,
     {"monitor-timeout: this exec resource has no 'monitor'"},
     1},
    /* ocf */
    {GV "[resource \"web/db\"]\ntype = ocf\nip = 192.0.2.9\n",
     17,
     {"[resource \"web/db\"]: missing required key 'agent'", "'agent = ocf:heartbeat:IPaddr2'"},
     1},
    {GV "[resource \"web/db\"]\ntype = ocf\nagent = heartbeat:IPaddr2\n",
     19,
     {"[resource \"web/db\"] agent: bad agent 'heartbeat:IPaddr2': not an OCF agent name",
      "ocf:PROVIDER:TYPE"},
     1},
    {GV "[resource \"web/db\"]\ntype = ocf\nagent = ocf:IPaddr2\n",
     19,
     {"bad agent", "no type"},
     1},
    {GV "[resource \"web/db\"]\ntype = ocf\nagent = ocf::IPaddr2\n",
     19,
     {"bad agent 'ocf::IPaddr2'", "1 to 63 characters", "not starting with '.'"},
     1},
    {GV "[resource \"web/db\"]\ntype = ocf\nagent = ocf:..:x\n", 19, {"bad agent 'ocf:..:x'"}, 1},
    {GV "[resource \"web/db\"]\ntype = ocf\nagent = ocf:heartbeat:IP/x\n", 19, {"bad agent"}, 1},
    {GV "[resource \"web/db\"]\ntype = ocf\nagent = ocf:heartbeat:a:b\n", 19, {"bad agent"}, 1},
    {GV OCF "monitor-intervall = 5s\n",
     20,
     {"unknown key 'monitor-intervall' in [resource \"web/db\"]: expected one of type, agent, "
      "monitor-interval",
      "and the agent's parameters (names of A-Z a-z 0-9 _)"},
     1},
    {GV OCF "1x = 2\n", 20, {"unknown key '1x' in [resource \"web/db\"]"}, 1},
    {GV OCF "CRM_meta_timeout = 5000\n",
     20,
     {"[resource \"web/db\"] CRM_meta_timeout: parameters that start with CRM_meta_ are set by "
      "vigild",
      "timeout keys"},
     1},
    {GV OCF "ip =\n",
     20,
     {"[resource \"web/db\"] ip: empty value", "the agent's parameter 'ip'"},
     1},
    {GV OCF "ip = a\nip = b\n",
     21,
     {"[resource \"web/db\"] ip: duplicate key (first set on line 20)"},
     1},
    {GV OCF "ip = a\x7f\n", 20, {"[resource \"web/db\"] ip: not valid text"}, 1},
    {GV "[group \"a-b\"]\nnodes = alpha\n[resource \"a-b/c\"]\ntype = ocf\n"
        "agent = ocf:heartbeat:Dummy\n[group \"a\"]\nnodes = alpha\n[resource \"a/b-c\"]\n"
        "type = ocf\nagent = ocf:heartbeat:Dummy\n",
     24,
     {"[resource \"a/b-c\"]: its OCF instance name 'a-b-c'",
      "also that of [resource \"a-b/c\"] (line 19): rename one of them"},
     1},
    /* systemd */
    {GV "[resource \"web/u\"]\ntype = systemd\n",
     17,
     {"[resource \"web/u\"]: missing required key 'unit'", "'unit = postgresql.service'"},
     1},
    {GV "[resource \"web/u\"]\ntype = systemd\nunit = postgresql\n",
     19,
     {"[resource \"web/u\"] unit: bad unit 'postgresql'", "NAME.service"},
     1},
    {GV "[resource \"web/u\"]\ntype = systemd\nunit = user.slice\n",
     19,
     {"bad unit 'user.slice'", "can be started and stopped"},
     1},
    {GV "[resource \"web/u\"]\ntype = systemd\nunit = -x.service\n",
     19,
     {"bad unit '-x.service'", "does not start with '-'"},
     1},
    {GV "[resource \"web/u\"]\ntype = systemd\nunit = app@.service\n",
     19,
     {"bad unit 'app@.service'", "an instance after it"},
     1},
    {GV "[resource \"web/u\"]\ntype = systemd\nunit = a@b@c.service\n", 19, {"exactly one '@'"}, 1},
    {GV "[resource \"web/u\"]\ntype = systemd\nunit = my app.service\n",
     19,
     {"bad unit 'my app.service'", "only letters, digits"},
     1},
    /* keys of every type */
    {GV "monitor-interval = 50ms\n",
     17,
     {"[resource \"web/vip\"] monitor-interval: 50ms is too short", "at least 100ms"},
     1},
    {GV "monitor-interval = often\n",
     17,
     {"[resource \"web/vip\"] monitor-interval: bad duration 'often'"},
     1},
    {GV "monitor-timeout = 0s\n",
     17,
     {"[resource \"web/vip\"] monitor-timeout: bad duration '0s' (zero or too large)"},
     1},
    {GV "start-timeout = 25h\n",
     17,
     {"[resource \"web/vip\"] start-timeout: 25h is too long", "at most 24h"},
     1},
    {GV "stop-timeout = 20\n",
     17,
     {"[resource \"web/vip\"] stop-timeout: bad duration '20'", "with a unit"},
     1},
    {GV "monitor-retries = 11\n",
     17,
     {"[resource \"web/vip\"] monitor-retries: bad monitor-retries '11'", "0 to 10"},
     1},
    {GV "monitor-retries =\n",
     17,
     {"[resource \"web/vip\"] monitor-retries: empty value", "0 to 10"},
     1},
    {"[cluster]\nname = 0123456789012345678901234567890123456789012345678901234567890123456789"
     "0123456789012345678901234567890123456789012345678901234567890123456789"
     "0123456789012345678901234567890123456789012345678901234567890123456789"
     "0123456789012345678901234567890123456789012345678901234567890123456789\n" L1 NA,
     2,
     {"[cluster] name: value too long (280 bytes)", "at most 255"},
     1},
    {C L1 "[node \"alpha\"]\nid = 1\nlan1 = "
          "2001:0db8:0000:0000:0000:0000:0000:0001:2001:0db8:0000:0000:0000:0001\n",
     8,
     {"[node \"alpha\"] lan1: value too long"},
     1},
};

static bool has_words(const char *msg, const char *const want[3])
{
    for (int i = 0; i < 3; i++)
        if (want[i] && !strstr(msg, want[i]))
            return false;
    return true;
}

static void test_bad_files(void **state)
{
    size_t n = sizeof(bad_files) / sizeof(bad_files[0]);

    assert_true(n >= 130);
    for (size_t i = 0; i < n; i++) {
        const struct bad *b = &bad_files[i];
        char prefix[64];
        bool found = false;
        int r = conf_parse_text(b->text, strlen(b->text), PATH, &cf, &dg);

        snprintf(prefix, sizeof(prefix), PATH ":%d: ", b->line);
        for (int j = 0; j < dg.n && !found; j++)
            found =
                strncmp(dg.msg[j], prefix, strlen(prefix)) == 0 && has_words(dg.msg[j], b->want);
        if (r != -EINVAL || !found || (b->count && dg.n != b->count)) {
            print_error("bad file #%zu (want line %d: '%s'; %d message(s)), got %d:\n", i, b->line,
                        b->want[0], b->count, r);
            dump_diag(&dg);
            fail();
        }
        /* a failed parse leaves nothing usable behind */
        assert_int_equal(cf.n_nodes, 0);
        assert_int_equal(cf.n_links, 0);
        assert_int_equal(cf.n_nps, 0);
        assert_int_equal(cf.n_groups, 0);
        assert_int_equal(cf.n_resources, 0);
        assert_int_equal(cf.text_len, 0);
    }
}

/* Every error of a file comes out at once, in line order. */
static void test_many_errors(void **state)
{
    static const char text[] = "[node \"alpha\"]\n"
                               "id = 99\n"
                               "lan1 = 192.0.2.1\n"
                               "[cluster]\n"
                               "interval = fast\n"
                               "[link \"lan1\"]\n"
                               "type = udp\n"
                               "priority = 1\n"
                               "port = 0\n";

    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, &dg), -EINVAL);
    if (dg.n != 4)
        dump_diag(&dg);
    assert_int_equal(dg.n, 4);
    assert_non_null(strstr(dg.msg[0], PATH ":2: [node \"alpha\"] id"));
    assert_non_null(strstr(dg.msg[1], PATH ":4: [cluster]: missing required key 'name'"));
    assert_non_null(strstr(dg.msg[2], PATH ":5: [cluster] interval: bad duration 'fast'"));
    assert_non_null(strstr(dg.msg[3], PATH ":9: [link \"lan1\"] port"));
    assert_int_equal(dg.dropped, 0);
}

static void test_diag_overflow(void **state)
{
    size_t size = 200 * 16 + 256;
    char *text = malloc(size), *p = text;

    assert_non_null(text);
    p += sprintf(p, BASE);
    for (int i = 0; i < 200; i++)
        p += sprintf(p, "junk%d\n", i);
    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, &dg), -EINVAL);
    assert_int_equal(dg.n, CONF_DIAG_MAX);
    assert_int_equal(dg.dropped, 200 - CONF_DIAG_MAX);
    assert_non_null(strstr(dg.msg[0], PATH ":12: syntax error"));
    /* no diag wanted */
    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, NULL), -EINVAL);
    free(text);
}

static void test_nul_byte(void **state)
{
    static const char text[] = C "key-file = /etc/a\0b\n" L1 NA;

    assert_int_equal(conf_parse_text(text, sizeof(text) - 1, PATH, &cf, &dg), -EINVAL);
    assert_int_equal(dg.n, 1);
    assert_non_null(strstr(dg.msg[0], PATH ":3: the line contains a NUL byte"));
}

static void test_too_many_nodes(void **state)
{
    char *text = malloc(100 * 80), *p = text;

    assert_non_null(text);
    p += sprintf(p, C L1);
    for (int i = 1; i <= VIGIL_MAX_NODES + 1; i++)
        p += sprintf(p, "[node \"n%d\"]\nid = %d\nlan1 = 10.0.%d.%d\n", i, i, i / 200, i % 200 + 1);
    assert_int_equal(conf_parse_text(text, strlen(text), PATH, &cf, &dg), -EINVAL);
    assert_int_equal(dg.n, 1);
    assert_non_null(strstr(dg.msg[0], "too many nodes: [node \"n65\"]"));
    assert_non_null(strstr(dg.msg[0], PATH ":198: "));

    /* exactly VIGIL_MAX_NODES is fine */
    p = text + sprintf(text, C L1);
    for (int i = 1; i <= VIGIL_MAX_NODES; i++)
        p += sprintf(p, "[node \"n%d\"]\nid = %d\nlan1 = 10.0.%d.%d\n", VIGIL_MAX_NODES + 1 - i,
                     VIGIL_MAX_NODES + 1 - i, i / 200, i % 200 + 1);
    parse_ok(text);
    assert_int_equal(cf.n_nodes, VIGIL_MAX_NODES);
    for (int i = 0; i < VIGIL_MAX_NODES; i++)
        assert_int_equal(cf.nodes[i].id, i + 1);
    free(text);
}

/* --- durations ------------------------------------------------------------ */

static void test_durations(void **state)
{
    static const struct {
        const char *text;
        vg_usec_t usec;
    } good[] = {
        {"1us", 1},
        {"500us", 500},
        {"150ms", 150 * VG_USEC_PER_MSEC},
        {"3s", 3 * VG_USEC_PER_SEC},
        {"2m", 120 * VG_USEC_PER_SEC},
        {"1h", 3600 * VG_USEC_PER_SEC},
        {"1.5s", 1500 * VG_USEC_PER_MSEC},
        {"0.25ms", 250},
        {"1.000s", VG_USEC_PER_SEC},
        {"200 ms", 200 * VG_USEC_PER_MSEC},
        {"007s", 7 * VG_USEC_PER_SEC},
        /* just below 2^64: the overflow guard uses the actual digit (fuzz_duration) */
        {"18446744073709551614us", UINT64_C(18446744073709551614)},
        {"5124095576h", 5124095576ULL * 3600 * VG_USEC_PER_SEC},
    };
    static const struct {
        const char *text;
        int err;
    } bad[] = {
        {"200", -EINVAL},
        {"", -EINVAL},
        {"ms", -EINVAL},
        {"5d", -EINVAL},
        {"5 s x", -EINVAL},
        {"-1s", -EINVAL},
        {"+1s", -EINVAL},
        {"1.s", -EINVAL},
        {".5s", -EINVAL},
        {"1e3ms", -EINVAL},
        {"0.5us", -EINVAL},
        {"1S", -EINVAL},
        {"0s", -ERANGE},
        {"0.000ms", -ERANGE},
        {"5124095577h", -ERANGE},
        {"18446744073709551616us", -ERANGE},
        {"18446744073709551620us", -ERANGE},
        {"99999999999999999999999h", -ERANGE},
        {"1.0000000001s", -EINVAL},
    };
    char buf[32];
    vg_usec_t v;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        v = 0;
        if (conf_parse_duration(good[i].text, &v) != 0 || v != good[i].usec)
            fail_msg("'%s' gave %llu", good[i].text, (unsigned long long)v);
        /* formatting reads back to the same value */
        assert_int_equal(conf_parse_duration(conf_format_duration(v, buf, sizeof(buf)), &v), 0);
        assert_int_equal(v, good[i].usec);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (conf_parse_duration(bad[i].text, &v) != bad[i].err)
            fail_msg("'%s' should fail with %d", bad[i].text, bad[i].err);
    assert_int_equal(conf_parse_duration(NULL, &v), -EINVAL);

    assert_string_equal(conf_format_duration(200 * VG_USEC_PER_MSEC, buf, sizeof(buf)), "200ms");
    assert_string_equal(conf_format_duration(VG_USEC_PER_SEC, buf, sizeof(buf)), "1s");
    assert_string_equal(conf_format_duration(1500 * VG_USEC_PER_MSEC, buf, sizeof(buf)), "1500ms");
    assert_string_equal(conf_format_duration(120 * VG_USEC_PER_SEC, buf, sizeof(buf)), "2m");
    assert_string_equal(conf_format_duration(7, buf, sizeof(buf)), "7us");
    assert_string_equal(conf_format_duration(0, buf, sizeof(buf)), "0us");
}

/* --- conf_load ------------------------------------------------------------ */

static void test_load(void **state)
{
    char dir[] = "/tmp/vigil-test-conf.XXXXXX", path[128];
    FILE *f;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/vigil.conf", dir);

    assert_int_equal(conf_load(path, &cf, &dg), -ENOENT);
    assert_int_equal(dg.n, 1);
    assert_non_null(strstr(dg.msg[0], path));
    assert_non_null(strstr(dg.msg[0], strerror(ENOENT)));

    assert_int_equal(conf_load(dir, &cf, &dg), -EINVAL);
    assert_non_null(strstr(dg.msg[0], "not a regular file"));

    f = fopen(path, "w");
    assert_non_null(f);
    fputs(design_example, f);
    fclose(f);
    assert_int_equal(conf_load(path, &cf, &dg), 0);
    assert_string_equal(cf.path, path);
    assert_int_equal(cf.n_nodes, 2);

    f = fopen(path, "a");
    fputs("port = x\n", f);
    fclose(f);
    assert_int_equal(conf_load(path, &cf, &dg), -EINVAL);
    assert_int_equal(dg.n, 1);
    assert_non_null(strstr(dg.msg[0], path));
    assert_non_null(strstr(dg.msg[0], ":27: [link \"lan2\"] port: duplicate key"));

    assert_int_equal(truncate(path, CONF_FILE_MAX + 1), 0);
    assert_int_equal(conf_load(path, &cf, &dg), -EFBIG);
    assert_non_null(strstr(dg.msg[0], "too large"));

    unlink(path);
    rmdir(dir);
}

/* --- conf_diff_beyond_timing ---------------------------------------------- */

static void diff_pair(const char *base, const char *edited, bool want, const char *words)
{
    static struct conf a, b;
    char buf[256];
    bool r;

    assert_int_equal(conf_parse_text(base, strlen(base), PATH, &a, NULL), 0);
    assert_int_equal(conf_parse_text(edited, strlen(edited), "other.conf", &b, &dg), 0);
    r = conf_diff_beyond_timing(&a, &b, buf, sizeof(buf));
    if (r != want || (words && !strstr(buf, words)))
        fail_msg("diff gave %d '%s', wanted %d '%s'", r, buf, want, words ? words : "");
    if (!want)
        assert_string_equal(buf, "");
}

static void diff_case(const char *edited, bool want, const char *words)
{
    diff_pair(design_example, edited, want, words);
}

/* base with `from` replaced by `to` (once). */
static char *edit_in(const char *base, const char *from, const char *to)
{
    static char buf[2048];
    const char *at = strstr(base, from);

    assert_non_null(at);
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
    return buf;
}

static char *edit(const char *from, const char *to)
{
    return edit_in(design_example, from, to);
}

static void test_diff(void **state)
{
    diff_case(design_example, false, NULL);
    diff_case(edit("interval = 200ms", "interval = 100ms"), false, NULL);
    diff_case(edit("timeout = 1s  ", "timeout = 3s  "), false, NULL);
    diff_case(edit("initial-timeout = 10s", "initial-timeout = 30s"), false, NULL);
    diff_case(edit("name = web", "name = shop"), true, "cluster name changed from 'web' to 'shop'");
    diff_case(edit("key-file = /etc/vigil/authkey", "key-file = /etc/vigil/k2"), true,
              "key-file changed");
    diff_case(edit("[cluster]\n", "[cluster]\nrealtime = no\n"), true,
              "realtime changed from yes to no");
    diff_case(edit("id = 2", "id = 5"), true, "node 'beta' id changed from 2 to 5");
    diff_case(edit("lan1 = 192.0.2.2", "lan1 = 192.0.2.3"), true,
              "address of node 'beta' on link 'lan1' changed from 192.0.2.2 to 192.0.2.3");
    diff_case(edit("priority = 2\nport = 5405", "priority = 2\nport = 5406"), true,
              "link 'lan2' port changed from 5405 to 5406");
    diff_case(edit("[link \"lan1\"]", "[node \"gamma\"]\nid = 3\nlan1 = 192.0.2.3\n"
                                      "lan2 = 2001:db8:2::3\n[link \"lan1\"]"),
              true, "node 'gamma' was added");
    diff_case(edit("[node \"beta\"]\nid = 2\nlan1 = 192.0.2.2\nlan2 = 2001:db8:2::2\n", ""), true,
              "node 'beta' was removed");
}

/* Every disk and witness setting is beyond timing; their interval and
 * timeout are timing. */
static void test_diff_disk_witness(void **state)
{
    const char *base = disk_witness_example;

    diff_pair(base, base, false, NULL);
    diff_pair(base, edit_in(base, "interval = 1s", "interval = 2s"), false, NULL);
    diff_pair(base, edit_in(base, "timeout = 5s", "timeout = 7s"), false, NULL);
    diff_pair(base,
              edit_in(base, "url = http://192.0.2.50\n", "url = http://192.0.2.50\ntimeout = 3s\n"),
              false, NULL);
    diff_pair(base, edit_in(base, "vigil-hb", "vigil-hb2"), true,
              "link 'shared' device changed from /dev/disk/by-partlabel/vigil-hb to "
              "/dev/disk/by-partlabel/vigil-hb2");
    diff_pair(base, edit_in(base, ":8443/vigil", ":8444/vigil"), true,
              "link 'arbiter' url changed from https://[2001:db8::7]:8443/vigil to "
              "https://[2001:db8::7]:8444/vigil");
    diff_pair(base, edit_in(base, "backup.token", "b2.token"), true,
              "link 'backup' token-file changed from /etc/vigil/backup.token to "
              "/etc/vigil/b2.token");
    diff_pair(base, edit_in(base, "proxy = http://proxy.example:3128\n", ""), true,
              "link 'arbiter' proxy changed from http://proxy.example:3128 to none");
    diff_pair(
        base,
        edit_in(base, "url = http://192.0.2.50\n", "url = http://192.0.2.50\nproxy = http://p:1\n"),
        true, "link 'backup' proxy changed from none to http://p:1");
    diff_pair(
        base, edit_in(base, "witness-ca.pem", "ca2.pem"), true,
        "link 'arbiter' ca-file changed from /etc/vigil/witness-ca.pem to /etc/vigil/ca2.pem");
    diff_pair(base,
              edit_in(base, "type = disk\ndevice = /dev/disk/by-partlabel/vigil-hb",
                      "type = witness\nurl = http://w\ntoken-file = /t"),
              true, "link 'shared' changed type from disk to witness");
    /* the same links in another order: other wire indexes */
    diff_pair(C L1 DISK WIT NA, C L1 WIT DISK NA, true,
              "link 'shared' moved from position 2 to 3 in the link order");
}

/* Every [np] change is beyond timing, its interval and timeout too. */
static void test_diff_np(void **state)
{
    const char *base = BASE NPG NPH;

    diff_pair(base, base, false, NULL);
    diff_pair(base, BASE, true, "np 'gw' was removed; np 'web' was removed");
    diff_pair(BASE, base, true, "np 'gw' was added");
    diff_pair(base, edit_in(base, "192.0.2.254", "192.0.2.253"), true, "np 'gw' targets changed");
    diff_pair(base, edit_in(base, "192.0.2.254", "192.0.2.254, 2001:db8::1"), true,
              "np 'gw' targets changed");
    diff_pair(base, edit_in(base, "192.0.2.254\n", "192.0.2.254\ncount = 5\n"), true,
              "np 'gw' count changed from 3 to 5");
    diff_pair(base, edit_in(base, "192.0.2.254\n", "192.0.2.254\ninterval = 2s\ntimeout = 5s\n"),
              true, "np 'gw' interval changed from 1s to 2s");
    diff_pair(base, edit_in(base, "/ok\n", "/ok\ntimeout = 5s\n"), true,
              "np 'web' timeout changed from 3s to 5s");
    diff_pair(base, edit_in(base, "/ok", "/health"), true,
              "np 'web' url changed from http://192.0.2.80/ok to http://192.0.2.80/health");
    diff_pair(base,
              edit_in(base, "type = ping\ntargets = 192.0.2.254", "type = http\nurl = http://x"),
              true, "np 'gw' changed type from ping to http");
    diff_pair(base, BASE NPH NPG, true, "np 'gw' moved from position 1 to 2 in the np order");
}

/* Every [group] and [resource] change is beyond timing, and names what changed. */
static void test_diff_groups(void **state)
{
    static char base[1024];
    const char *e;

    snprintf(base, sizeof(base), "%s", GV APP OCF "ip = 192.0.2.9\n" UNIT);
    diff_pair(base, base, false, NULL);
    diff_pair(BASE, base, true, "group 'web' was added");
    diff_pair(base, BASE, true, "group 'web' was removed");
    diff_pair(base, edit_in(base, "nodes = beta, alpha", "nodes = alpha, beta"), true,
              "group 'web' nodes changed from beta, alpha to alpha, beta");
    diff_pair(base, edit_in(base, "nodes = beta, alpha", "nodes = beta"), true,
              "group 'web' nodes changed from beta, alpha to beta");
    diff_pair(base, edit_in(base, "alpha\n", "alpha\nfailback = yes\n"), true,
              "group 'web' failback changed from no to yes");
    diff_pair(base, edit_in(base, "alpha\n", "alpha\nmigration-threshold = 5\n"), true,
              "group 'web' migration-threshold changed from 3 to 5");
    diff_pair(base, edit_in(base, "alpha\n", "alpha\nfailure-timeout = never\n"), true,
              "group 'web' failure-timeout changed from 10m to never");
    diff_pair(base, edit_in(base, "alpha\n", "alpha\nmonitor-interval = 0\n"), true,
              "group 'web' monitor-interval changed from 10s to 0; resource 'web/vip' "
              "monitor-interval changed from 10s to 0");
    diff_pair(base, edit_in(base, "192.0.2.100/24", "192.0.2.101/24"), true,
              "resource 'web/vip' address changed from 192.0.2.100/24 to 192.0.2.101/24");
    diff_pair(base, edit_in(base, "/24\n", "/24\ninterface = eth1\n"), true,
              "resource 'web/vip' interface changed from automatic to eth1");
    diff_pair(base, edit_in(base, "/24\n", "/24\nannounce-count = 1\n"), true,
              "resource 'web/vip' announce-count changed from 5 to 1");
    diff_pair(base, edit_in(base, "/24\n", "/24\nprobe-timeout = 0\n"), true,
              "resource 'web/vip' probe-timeout changed from 50ms to 0");
    diff_pair(base, edit_in(base, "app start", "app start --now"), true,
              "resource 'web/app' start command changed");
    diff_pair(base, edit_in(base, "stop = app stop\n", "stop = app stop\nmonitor = app st\n"), true,
              "resource 'web/app' monitor command changed");
    diff_pair(base, edit_in(base, "app stop\n", "app stop\nstop-timeout = 30s\n"), true,
              "resource 'web/app' stop-timeout changed from 20s to 30s");
    diff_pair(base, edit_in(base, "pgsql\n", "pgsql\nstart-timeout = 1m\nmonitor-retries = 2\n"),
              true,
              "resource 'web/db' start-timeout changed from 20s to 1m; resource 'web/db' "
              "monitor-retries changed from 0 to 2");
    diff_pair(base, edit_in(base, "pgsql", "mysql"), true,
              "resource 'web/db' agent changed from ocf:heartbeat:pgsql to ocf:heartbeat:mysql");
    diff_pair(base, edit_in(base, "192.0.2.9", "192.0.2.8"), true,
              "resource 'web/db' parameters changed");
    diff_pair(base, edit_in(base, "ip = 192.0.2.9\n", ""), true,
              "resource 'web/db' parameters changed");
    diff_pair(base, edit_in(base, "unit = app.service", "unit = app2.service"), true,
              "resource 'web/u' unit changed from app.service to app2.service");
    diff_pair(
        base,
        edit_in(base, "type = ip\naddress = 192.0.2.100/24", "type = exec\nstart = a\nstop = b"),
        true, "resource 'web/vip' changed type from ip to exec");
    diff_pair(base, edit_in(base, UNIT, ""), true, "resource 'web/u' was removed");
    diff_pair(edit_in(base, UNIT, ""), base, true, "resource 'web/u' was added");
    /* the start order */
    diff_pair(GV APP, BASE GRP APP VIP, true,
              "resource 'web/vip' moved from position 1 to 2 in group 'web' (the start order)");
    /* groups in another order in the file: the same configuration */
    e = GV "[group \"db\"]\nnodes = alpha\n" APP;
    diff_pair(edit_in(e, "web/app", "db/app"),
              BASE "[group \"db\"]\nnodes = alpha\n[resource \"db/app\"]\ntype = exec\n"
                   "start = app start\nstop = app stop\n" GRP VIP,
              false, NULL);
}

static void test_diff_link_added(void **state)
{
    static struct conf a, b;
    static const char more[] =
        C L1 "[link \"lan2\"]\ntype = udp\npriority = 2\n" NA "lan2 = 10.0.0.1\n";
    char buf[8];

    parse_ok(C L1 NA);
    a = cf;
    parse_ok(more);
    b = cf;
    assert_true(conf_diff_beyond_timing(&a, &b, buf, sizeof(buf)));
    assert_int_equal(strlen(buf), sizeof(buf) - 1); /* cut to fit */
    assert_true(conf_diff_beyond_timing(&a, &b, NULL, 0));
    assert_true(conf_diff_beyond_timing(&b, &a, NULL, 0));
    assert_false(conf_diff_beyond_timing(&b, &b, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_design_example),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_comments_and_text),
        cmocka_unit_test(test_order_and_ipv6),
        cmocka_unit_test(test_disk_and_witness),
        cmocka_unit_test(test_link_timing),
        cmocka_unit_test(test_np),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_groups_every_key),
        cmocka_unit_test(test_groups_limits),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_booleans),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_pure),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_many_errors),
        cmocka_unit_test(test_diag_overflow),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_too_many_nodes),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_diff_disk_witness),
        cmocka_unit_test(test_diff_np),
        cmocka_unit_test(test_diff_groups),
        cmocka_unit_test(test_diff_link_added),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
