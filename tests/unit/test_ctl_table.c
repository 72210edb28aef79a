/* Unit tests of the text view of `vigilctl status` (src/ctl/table.c): a
 * canned status object in, text out; and no crash, whatever the object holds.
 * Linked with vigilctl's objects (Makefile), so only through its header. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ctl/ctl.h"

/* As in table.c. */
#define CELL_MAX 96      /* a cell's text, with the NUL; longer text is cut */
#define MAX_LINK_COLS 16 /* more links than this are counted, not shown */

static const char canned[] =
    "{\"node\": \"alpha\", \"id\": 1, \"cluster\": \"web\","
    " \"incarnation\": \"5f1c9e0a7b3d2e11\","
    " \"uptime_s\": 12.5, \"now_mono\": 5123.456,"
    " \"view\": {\"epoch\": 0, \"members\": [\"alpha\", \"beta\"], \"quorate\": true,"
    "            \"coordinator\": \"alpha\", \"provisional\": true},"
    " \"links\": [{\"name\": \"lan1\", \"type\": \"udp\", \"priority\": 1, \"port\": 5405,"
    "              \"family\": \"ipv4\", \"socket\": \"up\"},"
    "            {\"name\": \"lan2\", \"type\": \"udp\", \"priority\": 2, \"port\": 5405,"
    "              \"family\": \"ipv6\", \"socket\": \"down\"}],"
    " \"nodes\": ["
    "  {\"name\": \"alpha\", \"id\": 1, \"self\": true, \"state\": \"alive\","
    "   \"since_mono\": 5111.0, \"links\": {\"lan1\": \"up\", \"lan2\": \"up\"}},"
    "  {\"name\": \"beta\", \"id\": 2, \"self\": false, \"state\": \"alive\","
    "   \"since_mono\": 5112.2, \"links\": {\"lan1\": \"up\", \"lan2\": \"down\"},"
    "   \"link_detail\": {\"lan1\": {\"rtt_ms\": 0.21, \"srtt_ms\": 0.18},"
    "                     \"lan2\": {\"rtt_ms\": null, \"srtt_ms\": null}}},"
    "  {\"name\": \"gamma\", \"id\": 3, \"self\": false, \"state\": \"dead\","
    "   \"since_mono\": 4900.0, \"links\": {\"lan1\": \"up\", \"lan2\": \"down\"},"
    "   \"link_detail\": {\"lan1\": {\"rtt_ms\": 1.5, \"srtt_ms\": null}}}"
    " ],"
    " \"groups\": [{\"name\": \"web\", \"state\": \"online\", \"node\": \"alpha\"}],"
    " \"drops\": {\"short\": 0, \"bad_magic\": 0, \"bad_mac\": 3, \"replay\": 17,"
    "            \"stale_incarnation\": 0},"
    " \"counters\": {\"sent\": 1234, \"received\": 1200}}";

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);

    if (!j)
        fail_msg("bad test JSON: %s (line %d column %d)", jerr.text, jerr.line, jerr.column);
    return j;
}

/* Render into a string the caller frees. */
static char *render(const json_t *status)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    assert_int_equal(ctl_status_render(status, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_non_null(buf);
    return buf;
}

/* The line of the table that starts with `name`. */
static const char *row_of(const char *text, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = text; p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return p;
    }
    return NULL;
}

/* Copy the row of `name` into line. */
static void get_row(const char *text, const char *name, char *line, size_t size)
{
    const char *row = row_of(text, name);
    const char *end;

    if (!row)
        fail_msg("no row for %s in:\n%s", name, text);
    end = strchr(row, '\n');
    snprintf(line, size, "%.*s", end ? (int)(end - row) : (int)strlen(row), row);
}

static void assert_row_has(const char *text, const char *name, const char *want)
{
    char line[512];

    get_row(text, name, line, sizeof(line));
    if (!strstr(line, want))
        fail_msg("row '%s' lacks '%s'", line, want);
}

static void assert_row_lacks(const char *text, const char *name, const char *unwanted)
{
    char line[512];

    get_row(text, name, line, sizeof(line));
    if (strstr(line, unwanted))
        fail_msg("row '%s' has '%s'", line, unwanted);
}

static void test_canned(void **state)
{
    json_t *st = load(canned);
    char *out = render(st);

    /* header */
    assert_non_null(strstr(out, "cluster web"));
    assert_non_null(strstr(out, "node alpha (id 1)"));
    assert_non_null(strstr(out, "incarnation 5f1c9e0a7b3d2e11"));
    assert_non_null(strstr(out, "view epoch 0 (provisional)"));
    assert_non_null(strstr(out, "members alpha, beta"));
    assert_non_null(strstr(out, "quorate"));
    assert_null(strstr(out, "NOT quorate"));
    assert_non_null(strstr(out, "coordinator alpha"));

    /* table: header row, self "-", srtt preferred, rtt as fallback */
    assert_non_null(strstr(out, "NODE"));
    assert_row_has(out, "NODE", "lan1");
    assert_row_has(out, "NODE", "lan2");
    assert_row_has(out, "alpha", "alive");
    assert_row_has(out, "alpha", "-");
    assert_row_lacks(out, "alpha", "up");
    assert_row_has(out, "beta", "up 0.18ms");
    assert_row_has(out, "beta", "down");
    assert_row_has(out, "gamma", "dead");
    assert_row_has(out, "gamma", "up 1.50ms");
    assert_row_has(out, "gamma", "3m43s"); /* 5123.456 - 4900.0 */

    /* a link whose own socket is down is reported */
    assert_non_null(strstr(out, "link lan2: this node's socket is down"));
    assert_null(strstr(out, "link lan1:"));

    /* groups, and only the non-zero drop counters */
    assert_row_has(out, "web", "online");
    assert_row_has(out, "web", "alpha");
    assert_non_null(row_of(out, "GROUP"));
    assert_non_null(strstr(out, "drops: bad_mac 3, replay 17\n"));
    assert_null(strstr(out, "bad_magic"));
    assert_null(strstr(out, "short"));

    free(out);
    json_decref(st);
}

/* Columns line up: every cell of a column starts at the same offset. */
static void test_alignment(void **state)
{
    json_t *st = load(canned);
    char *out = render(st);
    const char *head = row_of(out, "NODE");
    const char *beta = row_of(out, "beta");
    const char *gamma = row_of(out, "gamma");

    assert_non_null(head);
    assert_int_equal(strstr(head, "lan2") - head, strstr(beta, "down") - beta);
    assert_int_equal(strstr(head, "STATE") - head, strstr(gamma, "dead") - gamma);
    /* no trailing blanks */
    assert_null(strstr(out, " \n"));
    free(out);
    json_decref(st);
}

static void test_not_quorate_no_drops(void **state)
{
    json_t *st = load(canned);
    json_t *view = json_object_get(st, "view");
    char *out;

    json_object_set_new(view, "quorate", json_false());
    json_object_set_new(view, "coordinator", json_null());
    json_object_set_new(view, "members", json_array());
    json_object_set_new(st, "drops", json_pack("{s:i,s:i}", "short", 0, "replay", 0));
    json_object_set_new(st, "groups", json_array());
    out = render(st);
    assert_non_null(strstr(out, "NOT quorate"));
    assert_non_null(strstr(out, "coordinator (none)"));
    assert_non_null(strstr(out, "members (none)"));
    assert_non_null(strstr(out, "drops: none"));
    assert_non_null(strstr(out, "groups: none"));
    free(out);
    json_decref(st);
}

/* A move target and an admin stop are said under the groups; nothing
 * without them (the canned status has neither). */
static void test_admin_state(void **state)
{
    json_t *st = load(canned);
    json_t *g = json_array_get(json_object_get(st, "groups"), 0);
    char *out = render(st);

    assert_null(strstr(out, "by the administrator"));
    free(out);
    json_object_set_new(g, "move_target", json_string("beta"));
    json_object_set_new(g, "move_lapsed", json_string("beta is in standby"));
    json_object_set_new(g, "admin_stopped", json_true());
    out = render(st);
    assert_non_null(strstr(out, "group web: moved to beta by the administrator (lapsed: beta is "
                                "in standby) (vigilctl move web --clear)\n"));
    assert_non_null(strstr(out, "group web: stopped by the administrator (vigilctl start web)\n"));
    free(out);
    json_decref(st);
}

/* A node being fenced, fenced or whose fencing failed gets a line; idle
 * ones and a status without the field get none. */
static void test_fencing(void **state)
{
    json_t *st = load(canned);
    json_t *nodes = json_object_get(st, "nodes");
    json_t *n1 = json_array_get(nodes, 1);
    char *out = render(st);

    assert_null(strstr(out, "fencing "));
    free(out);
    json_object_set_new(n1, "fencing",
                        json_pack("{s:s, s:i, s:s}", "state", "failed", "plans", 2, "last",
                                  "level 1: off of beta by ipmi: timed out (attempt 3 of 3)"));
    out = render(st);
    assert_non_null(strstr(out, "fencing beta: failed: level 1: off of beta by ipmi: timed out "
                                "(attempt 3 of 3)\n"));
    free(out);
    json_object_set_new(n1, "fencing", json_pack("{s:s, s:n}", "state", "fencing", "last"));
    out = render(st);
    assert_non_null(strstr(out, "fencing beta: fencing\n"));
    free(out);
    json_object_set_new(n1, "fencing", json_pack("{s:s}", "state", "idle"));
    out = render(st);
    assert_null(strstr(out, "fencing beta"));
    free(out);
    json_decref(st);
}

/* Each resource's state here and its last monitor, in a table under the
 * groups, with the reason of a monitor that did not pass; nothing from a
 * vigild whose resources have no state; "?" for fields of the wrong type. */
static void test_resources(void **state)
{
    json_t *st = load(canned);
    json_t *g = json_array_get(json_object_get(st, "groups"), 0);
    char *out = render(st);

    assert_null(strstr(out, "resources on"));
    free(out);
    json_object_set_new(
        g, "resources",
        load("[{\"name\": \"vip\", \"type\": \"ip\", \"state\": \"running\", \"failures\": 0,"
             "  \"last_monitor\": {\"result\": \"ok\", \"probe\": false, \"exit_code\": null,"
             "                     \"reason\": \"monitor of web/vip (ip): ok\", \"age_s\": 1.25}},"
             " {\"name\": \"app\", \"type\": \"exec\", \"state\": \"starting\", \"failures\": 2,"
             "  \"last_monitor\": {\"result\": \"not running\", \"probe\": false,"
             "                     \"exit_code\": 7, \"age_s\": 0.5,"
             "                     \"reason\": \"monitor of web/app (exec): not running (exit "
             "7)\"}},"
             " {\"name\": \"db\", \"type\": \"ocf\", \"state\": \"stopped\","
             "  \"last_monitor\": {\"result\": \"not running\", \"probe\": true,"
             "                     \"exit_code\": 7, \"age_s\": 12}},"
             " {\"name\": \"unit\", \"type\": \"systemd\", \"state\": \"unknown\","
             "  \"failures\": 0, \"last_monitor\": null},"
             " {\"name\": \"odd\", \"type\": 3, \"state\": \"running\", \"last_monitor\": 4},"
             " {\"name\": \"old\", \"type\": \"exec\"}]"));
    out = render(st);
    if (getenv("VIGIL_TEST_VERBOSE"))
        fprintf(stderr, "%s", out);
    assert_non_null(strstr(out,
                           "\nresources on alpha (this node; each node shows its own):\n"
                           "GROUP  RESOURCE  TYPE     STATE     FAILURES  LAST MONITOR\n"
                           "web    vip       ip       running   0         ok 1.2s ago\n"
                           "web    app       exec     starting  2         not running (exit 7) "
                           "0.5s ago        monitor of web/app (exec): not running (exit 7)\n"
                           "web    db        ocf      stopped   -         probe: not running "
                           "(exit 7) 12s ago\n"
                           "web    unit      systemd  unknown   0         -\n"
                           "web    odd       ?        running   -         ?\n"));
    assert_null(strstr(out, "old"));
    free(out);
    json_decref(st);
}

/* Without "self", the node named by the status' "node" is this one. */
static void test_self_by_name(void **state)
{
    json_t *st = load(canned);
    json_t *alpha = json_array_get(json_object_get(st, "nodes"), 0);
    char *out;

    json_object_del(alpha, "self");
    out = render(st);
    assert_row_has(out, "alpha", "-");
    assert_row_lacks(out, "alpha", "up");
    free(out);
    json_decref(st);
}

static void test_empty_and_not_object(void **state)
{
    json_t *st = json_object();
    json_t *arr = json_array();
    char *out;

    out = render(st);
    assert_non_null(strstr(out, "cluster ?"));
    assert_non_null(strstr(out, "view ?"));
    assert_non_null(strstr(out, "nodes: ?"));
    free(out);

    out = render(arr);
    assert_non_null(strstr(out, "not a JSON object"));
    free(out);

    out = render(NULL);
    assert_non_null(strstr(out, "not a JSON object"));
    free(out);

    json_decref(st);
    json_decref(arr);
}

static void test_wrong_types(void **state)
{
    json_t *st = load("{\"node\": 7, \"id\": \"one\", \"cluster\": [], \"incarnation\": null,"
                      " \"uptime_s\": \"long\", \"now_mono\": \"now\","
                      " \"view\": {\"epoch\": \"x\", \"members\": [1, null, \"beta\"],"
                      "          \"quorate\": \"yes\", \"coordinator\": 5},"
                      " \"links\": {\"lan1\": 1},"
                      " \"nodes\": [1, null, \"x\", [], {},"
                      "   {\"name\": 5, \"id\": 2.5, \"state\": {}, \"links\": [\"up\"]},"
                      "   {\"name\": \"beta\", \"links\": {\"lan1\": \"up\", \"lan2\": 3,"
                      "                                  \"lan3\": \"flapping\"},"
                      "    \"link_detail\": {\"lan1\": {\"srtt_ms\": \"fast\", \"rtt_ms\": -1}}},"
                      "   {\"name\": \"gamma\", \"links\": {\"lan1\": \"up\"},"
                      "    \"link_detail\": {\"lan1\": [0.5]}},"
                      "   {\"name\": \"delta\", \"links\": {\"lan1\": \"up\"},"
                      "    \"link_detail\": {\"lan1\": {\"srtt_ms\": 2}}}],"
                      " \"groups\": [1, {\"name\": null, \"state\": 3, \"node\": 4}],"
                      " \"drops\": {\"bad_mac\": \"3\", \"replay\": -2, \"short\": 2.0,"
                      "            \"malformed\": null}}");
    char *out = render(st);

    assert_non_null(strstr(out, "cluster ?"));
    assert_non_null(strstr(out, "view epoch ?"));
    assert_non_null(strstr(out, "members ?, ?, beta"));
    assert_non_null(strstr(out, "quorate ?"));
    assert_row_has(out, "beta", "up");
    assert_null(strstr(out, "fast"));
    assert_row_has(out, "beta", "flapping");
    assert_row_has(out, "gamma", "up");
    assert_row_has(out, "delta", "up 2.00ms");
    assert_non_null(strstr(out, "drops: short 2\n"));
    assert_non_null(strstr(out, "\n?      ?      -\n?      ?      -\n"));
    free(out);
    json_decref(st);

    st = load("{\"view\": 3, \"nodes\": {}, \"groups\": \"web\", \"drops\": [1]}");
    out = render(st);
    assert_non_null(strstr(out, "view ?"));
    assert_non_null(strstr(out, "nodes: ?"));
    assert_non_null(strstr(out, "groups: ?"));
    assert_non_null(strstr(out, "drops: ?"));
    free(out);
    json_decref(st);
}

/* Replace each field of the canned status, at the top, in the view, in a node
 * and in a link detail, by a value of every JSON type: rendering must never
 * crash (this test is most useful under ASan/UBSan). */
static void test_every_field_every_type(void **state)
{
    json_t *values[] = {json_null(),       json_true(),      json_false(),      json_integer(-1),
                        json_integer(0),   json_real(1e300), json_real(-1e300), json_string(""),
                        json_string("up"), json_array(),     json_object()};
    size_t n_values = sizeof(values) / sizeof(values[0]);
    const char *paths[][2] = {
        {"node"},
        {"id"},
        {"cluster"},
        {"incarnation"},
        {"uptime_s"},
        {"now_mono"},
        {"view"},
        {"links"},
        {"nodes"},
        {"groups"},
        {"drops"},
        {"view", "epoch"},
        {"view", "members"},
        {"view", "quorate"},
        {"view", "coordinator"},
        {"view", "provisional"},
    };
    const char *node_keys[] = {"name", "id", "self", "state", "since_mono", "links", "link_detail"};

    for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
        for (size_t v = 0; v < n_values; v++) {
            json_t *st = load(canned);
            json_t *obj = paths[p][1] ? json_object_get(st, paths[p][0]) : st;
            const char *key = paths[p][1] ? paths[p][1] : paths[p][0];

            json_object_set(obj, key, values[v]);
            free(render(st));
            json_object_del(obj, key);
            free(render(st));
            json_decref(st);
        }
    }
    for (size_t k = 0; k < sizeof(node_keys) / sizeof(node_keys[0]); k++) {
        for (size_t v = 0; v < n_values; v++) {
            json_t *st = load(canned);
            json_t *beta = json_array_get(json_object_get(st, "nodes"), 1);
            json_t *lan1 = json_object_get(json_object_get(beta, "link_detail"), "lan1");

            json_object_set(beta, node_keys[k], values[v]);
            json_object_set(lan1, "srtt_ms", values[v]);
            json_object_set(json_object_get(st, "drops"), "replay", values[v]);
            free(render(st));
            json_array_set(json_object_get(st, "nodes"), 0, values[v]);
            free(render(st));
            json_decref(st);
        }
    }
    for (size_t v = 0; v < n_values; v++)
        json_decref(values[v]);
}

/* Names with control characters cannot reach the terminal; a huge name or
 * rtt is cut to a cell; more links than columns are counted. */
static void test_hostile_names(void **state)
{
    json_t *st = load(canned);
    json_t *nodes = json_object_get(st, "nodes");
    json_t *links = json_object();
    char name[600], *out;

    json_array_append_new(
        nodes, json_pack("{s:s,s:i,s:s}", "name", "ev\x1b[2Jil", "id", 9, "state", "alive\n"));
    memset(name, 'n', sizeof(name) - 1);
    memcpy(name + 90, "\xc3\xa9\xc3\xa9\xc3\xa9", 6); /* a cut must not split a character */
    name[sizeof(name) - 1] = '\0';
    json_array_append_new(nodes, json_pack("{s:s,s:i}", "name", name, "id", 10));
    for (int i = 0; i < MAX_LINK_COLS + 5; i++) {
        char l[16];
        snprintf(l, sizeof(l), "x%d", i);
        json_object_set_new(links, l, json_string("up"));
    }
    json_object_set_new(links, "lan1", json_string("up"));
    json_array_append_new(nodes,
                          json_pack("{s:s,s:i,s:o,s:{s:{s:f}}}", "name", "wide", "id", 11, "links",
                                    links, "link_detail", "lan1", "srtt_ms", 1e300));
    out = render(st);
    assert_null(strchr(out, '\x1b'));
    assert_non_null(strstr(out, "ev?[2Jil"));
    assert_non_null(strstr(out, "alive?"));
    assert_non_null(strstr(out, "more links not shown"));
    free(out);
    json_decref(st);
}

/* The text of the cell of row `name` under the column headed `col`. */
static void cell_of(const char *text, const char *name, const char *col, char *buf, size_t size)
{
    const char *head = row_of(text, "NODE"), *row = row_of(text, name), *h;
    size_t off, n;

    assert_non_null(head);
    if (!row)
        fail_msg("no row for %s in:\n%s", name, text);
    h = strstr(head, col);
    assert_non_null(h);
    off = (size_t)(h - head);
    n = strcspn(row + off, " \n");
    snprintf(buf, size, "%.*s", (int)n, row + off);
}

/* Characters (not bytes) before p in its line. */
static size_t columns_before(const char *line, const char *p)
{
    size_t w = 0;

    for (; line < p; line++)
        if (((unsigned char)*line & 0xc0) != 0x80)
            w++;
    return w;
}

/* A name is cut to a cell without splitting a UTF-8 character, control
 * characters become '?', and columns count characters, not bytes. */
static void test_cell_cut(void **state)
{
    char cut[CELL_MAX + 8], want[CELL_MAX];
    json_t *st;
    char *out;
    const char *head, *row;

    memset(cut, 'a', CELL_MAX - 2);
    memcpy(cut + CELL_MAX - 2, "\xc3\xa9", 3); /* the cut falls inside the é */
    memset(want, 'a', CELL_MAX - 2);
    want[CELL_MAX - 2] = '\0';
    st = json_pack("{s:s, s:[{s:s, s:i, s:s}, {s:s, s:i, s:s}, {s:s, s:i, s:s}]}", "node", "x",
                   "nodes", "name", cut, "id", 1, "state", "alive", "name", "\xc3\xa9t\xc3\xa9",
                   "id", 2, "state", "dead", "name", "a\t", "id", 3, "state", "dead");
    assert_non_null(st);
    out = render(st);
    assert_non_null(row_of(out, want));
    assert_null(strstr(out, "\xc3 "));
    assert_non_null(row_of(out, "a?"));
    head = row_of(out, "NODE");
    row = row_of(out, "\xc3\xa9t\xc3\xa9");
    assert_non_null(row);
    assert_int_equal(columns_before(head, strstr(head, "STATE")),
                     columns_before(row, strstr(row, "dead")));
    free(out);
    json_decref(st);
}

/* The FOR column: how long a node has been in its state. */
static void test_format_age(void **state)
{
    static const struct {
        const char *name;
        double age;
        const char *want;
    } cases[] = {
        {"n1", 0.44, "0.4s"},  {"n2", 42.9, "42s"},    {"n3", 183, "3m03s"},
        {"n4", 7500, "2h05m"}, {"n5", 90000, "1d01h"}, {"n6", 1e12, "?"},
    };
    const double now = 2e12;
    json_t *st = json_pack("{s:s, s:f, s:[]}", "node", "x", "now_mono", now, "nodes");
    char buf[64], *out;

    assert_non_null(st);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        json_array_append_new(json_object_get(st, "nodes"),
                              json_pack("{s:s, s:i, s:s, s:f}", "name", cases[i].name, "id",
                                        (int)i + 1, "state", "alive", "since_mono",
                                        now - cases[i].age));
    out = render(st);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cell_of(out, cases[i].name, "FOR", buf, sizeof(buf));
        assert_string_equal(buf, cases[i].want);
    }
    free(out);
    json_decref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canned),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_not_quorate_no_drops),
        cmocka_unit_test(test_self_by_name),
        cmocka_unit_test(test_empty_and_not_object),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_every_field_every_type),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_cell_cut),
        cmocka_unit_test(test_format_age),
        cmocka_unit_test(test_admin_state),
        cmocka_unit_test(test_resources),
        cmocka_unit_test(test_fencing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
