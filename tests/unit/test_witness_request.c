/* The witness's JSON bodies: good ones, each bad field, huge strings,
 * non-UTF-8; and the replies built from them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../src/witness/witness.h"

static char err[512];

static int alive(const char *body, struct witness_alive *a)
{
    err[0] = '\0';
    return request_parse_alive(body, strlen(body), a, err, sizeof(err));
}

static int arbitrate(const char *body, struct witness_arbitrate *a)
{
    err[0] = '\0';
    return request_parse_arbitrate(body, strlen(body), a, err, sizeof(err));
}

/* Asserts that an alive body is refused with a message containing `want`. */
static void alive_refused(const char *body, const char *want)
{
    struct witness_alive a;

    assert_int_equal(alive(body, &a), -EINVAL);
    assert_null(a.sees);
    if (!strstr(err, want))
        fail_msg("body %s: error '%s' does not contain '%s'", body, err, want);
}

static void arbitrate_refused(const char *body, const char *want)
{
    struct witness_arbitrate a;

    assert_int_equal(arbitrate(body, &a), -EINVAL);
    if (!strstr(err, want))
        fail_msg("body %s: error '%s' does not contain '%s'", body, err, want);
}

static void test_alive_good(void **state)
{
    struct witness_alive a;

    assert_int_equal(alive("{\"cluster\": \"web\", \"node\": \"alpha\", \"incarnation\": "
                           "\"5f1c9e0a7b3d2e11\", \"timeout_ms\": 1000, \"sees\": {\"beta\": "
                           "[\"lan1\", \"lan2\"], \"gamma\": []}, \"state\": \"running\", "
                           "\"future_field\": [1, 2]}",
                           &a),
                     0);
    assert_string_equal(a.cluster, "web");
    assert_string_equal(a.node, "alpha");
    assert_string_equal(a.incarnation, "5f1c9e0a7b3d2e11");
    assert_int_equal(a.timeout_ms, 1000);
    assert_string_equal(a.state, "running");
    assert_string_equal(a.sees, "{\"beta\":[\"lan1\",\"lan2\"],\"gamma\":[]}");
    request_alive_free(&a);
    assert_null(a.sees);
}

static void test_alive_optional_fields(void **state)
{
    struct witness_alive a;

    assert_int_equal(alive("{\"cluster\": \"web\", \"node\": \"a\", \"incarnation\": \"1\", "
                           "\"timeout_ms\": 1}",
                           &a),
                     0);
    assert_string_equal(a.state, "");
    assert_string_equal(a.sees, "{}");
    request_alive_free(&a);
    assert_int_equal(alive("{\"cluster\": \"web\", \"node\": \"a\", \"incarnation\": \"1\", "
                           "\"timeout_ms\": 1, \"state\": \"\"}",
                           &a),
                     0);
    assert_string_equal(a.state, "");
    request_alive_free(&a);
}

static void test_alive_unicode_cluster(void **state)
{
    struct witness_alive a;

    assert_int_equal(alive("{\"cluster\": \"caf\\u00e9 \xe6\x97\xa5\xe6\x9c\xac web\", \"node\": "
                           "\"n\\u00f8de 1\", \"incarnation\": \"ab\", \"timeout_ms\": 5}",
                           &a),
                     0);
    assert_string_equal(a.cluster, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac web");
    assert_string_equal(a.node, "n\xc3\xb8"
                                "de 1");
    request_alive_free(&a);
}

static void test_alive_missing_fields(void **state)
{
    alive_refused("{\"node\": \"a\", \"incarnation\": \"1\", \"timeout_ms\": 1}",
                  "'cluster' is missing");
    alive_refused("{\"cluster\": \"c\", \"incarnation\": \"1\", \"timeout_ms\": 1}",
                  "'node' is missing");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"timeout_ms\": 1}",
                  "'incarnation' is missing");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": \"1\"}",
                  "'timeout_ms' is missing");
}

static void test_alive_wrong_types(void **state)
{
    alive_refused("{\"cluster\": 7, \"node\": \"a\", \"incarnation\": \"1\", \"timeout_ms\": 1}",
                  "'cluster' must be a string");
    alive_refused("{\"cluster\": \"c\", \"node\": null, \"incarnation\": \"1\", \"timeout_ms\": 1}",
                  "'node' must be a string");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": 12, \"timeout_ms\": 1}",
                  "'incarnation' must be a string");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": \"1\", \"timeout_ms\": "
                  "\"1000\"}",
                  "'timeout_ms' must be an integer");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": \"1\", \"timeout_ms\": "
                  "1.5}",
                  "'timeout_ms' must be an integer");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": \"1\", \"timeout_ms\": "
                  "1, \"state\": true}",
                  "'state' must be a string");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": \"1\", \"timeout_ms\": "
                  "1, \"sees\": [\"b\"]}",
                  "'sees' must be an object");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": \"1\", \"timeout_ms\": "
                  "1, \"sees\": {\"b\": \"lan1\"}}",
                  "value for node 'b' must be an array");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": \"1\", \"timeout_ms\": "
                  "1, \"sees\": {\"b\": [1]}}",
                  "links of node 'b'");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": \"1\", \"timeout_ms\": "
                  "1, \"sees\": {\"\": []}}",
                  "'sees': node names");
}

static void test_alive_bad_values(void **state)
{
    alive_refused("{\"cluster\": \"\", \"node\": \"a\", \"incarnation\": \"1\", \"timeout_ms\": 1}",
                  "'cluster' must be 1 to 255 bytes");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\\nb\", \"incarnation\": \"1\", "
                  "\"timeout_ms\": 1}",
                  "without control characters");
    alive_refused("{\"cluster\": \"c\\u0085\", \"node\": \"a\", \"incarnation\": \"1\", "
                  "\"timeout_ms\": 1}",
                  "without control characters");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": \"xyz\", "
                  "\"timeout_ms\": 1}",
                  "'incarnation' must be 1 to 16 hex digits");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": "
                  "\"00112233445566778\", \"timeout_ms\": 1}",
                  "'incarnation' must be 1 to 16 hex digits");
    alive_refused(
        "{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": \"1\", \"timeout_ms\": 0}",
        "from 1 to 3600000");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": \"1\", "
                  "\"timeout_ms\": 3600001}",
                  "from 1 to 3600000");
    alive_refused("{\"cluster\": \"c\", \"node\": \"a\", \"incarnation\": \"1\", "
                  "\"timeout_ms\": 99999999999999999999999}",
                  "not valid JSON");
}

static void test_bad_json(void **state)
{
    alive_refused("", "the body is empty");
    alive_refused("{\"cluster\": ", "not valid JSON");
    alive_refused("[1, 2]", "must be a JSON object");
    alive_refused("\"web\"", "not valid JSON");
    alive_refused("{\"cluster\": \"a\", \"cluster\": \"b\"}", "not valid JSON");
    /* not UTF-8: a lone continuation byte, an overlong form, a lone surrogate escape */
    alive_refused("{\"cluster\": \"w\x80\", \"node\": \"a\", \"incarnation\": \"1\", "
                  "\"timeout_ms\": 1}",
                  "not valid JSON");
    alive_refused("{\"cluster\": \"\xc0\xaf\", \"node\": \"a\", \"incarnation\": \"1\", "
                  "\"timeout_ms\": 1}",
                  "not valid JSON");
    alive_refused("{\"cluster\": \"\\ud800\", \"node\": \"a\", \"incarnation\": \"1\", "
                  "\"timeout_ms\": 1}",
                  "not valid JSON");
    alive_refused("{\"cluster\": \"a\\u0000b\", \"node\": \"a\", \"incarnation\": \"1\", "
                  "\"timeout_ms\": 1}",
                  "not valid JSON");
}

/* A body with a string field of n bytes of 'x'. */
static char *with_long(const char *field, size_t n)
{
    char *s = malloc(n + 1);
    char *body;
    json_t *o;

    memset(s, 'x', n);
    s[n] = '\0';
    o = json_pack("{s:s, s:s, s:s, s:i}", "cluster", "c", "node", "a", "incarnation", "1",
                  "timeout_ms", 1);
    json_object_set_new(o, field, json_string(s));
    body = json_dumps(o, 0);
    json_decref(o);
    free(s);
    return body;
}

static void test_huge_strings(void **state)
{
    struct witness_alive a;
    char *body;

    body = with_long("cluster", WITNESS_CLUSTER_MAX - 1);
    assert_int_equal(alive(body, &a), 0);
    assert_int_equal(strlen(a.cluster), WITNESS_CLUSTER_MAX - 1);
    request_alive_free(&a);
    free(body);
    body = with_long("cluster", WITNESS_CLUSTER_MAX);
    alive_refused(body, "'cluster' must be 1 to 255 bytes");
    free(body);
    body = with_long("node", WITNESS_NAME_MAX);
    alive_refused(body, "'node' must be 1 to 63 bytes");
    free(body);
    body = with_long("state", 60000);
    alive_refused(body, "'state' must be 1 to 63 bytes");
    free(body);
    body = with_long("incarnation", 60000);
    alive_refused(body, "'incarnation' must be 1 to 16 hex digits");
    free(body);
}

static void test_sees_bounds(void **state)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i}", "cluster", "c", "node", "a", "incarnation", "1",
                          "timeout_ms", 1);
    json_t *sees = json_object();
    char name[32], *body;

    json_object_set(o, "sees", sees);
    for (int i = 0; i <= WITNESS_MAX_NODES; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        json_object_set_new(sees, name, json_pack("[s]", "lan1"));
    }
    body = json_dumps(o, 0);
    alive_refused(body, "'sees' names more than 64 nodes");
    free(body);

    /* 64 peers with 8 long link names each: within the counts, over the size */
    json_object_clear(sees);
    memset(name, 'l', 30);
    name[30] = '\0';
    for (int i = 0; i < WITNESS_MAX_NODES; i++) {
        char peer[16];
        json_t *links = json_array();
        snprintf(peer, sizeof(peer), "node%d", i);
        for (int j = 0; j < VIGIL_MAX_LINKS; j++)
            json_array_append_new(links, json_string(name));
        json_object_set_new(sees, peer, links);
    }
    body = json_dumps(o, 0);
    alive_refused(body, "'sees' is longer than 4096 bytes");
    free(body);

    json_object_clear(sees);
    json_object_set_new(
        sees, "b", json_pack("[s,s,s,s,s,s,s,s,s]", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
    body = json_dumps(o, 0);
    alive_refused(body, "at most 8 link names");
    free(body);
    json_decref(sees);
    json_decref(o);
}

#define ALIVE_HEAD                                                                                 \
    "{\"cluster\": \"web\", \"node\": \"alpha\", \"incarnation\": \"ab\", \"timeout_ms\": 1000, "

/* "groups": kept as given, and checked strictly (docs/witness-api.md). */
static void test_alive_groups(void **state)
{
    struct witness_alive a;
    char body[8192];

    assert_int_equal(alive(ALIVE_HEAD "\"groups\": {\"at\": 9223372036854775807, \"list\": ["
                                      "{\"state\": \"running\", \"failures\": 2}, "
                                      "{\"failures\": 0, \"state\": \"stop-failed\"}]}}",
                           &a),
                     0);
    assert_true(a.groups.at == INT64_MAX);
    assert_int_equal(a.groups.n, 2);
    assert_int_equal(a.groups.g[0].state, WIRE_GROUP_RUNNING);
    assert_int_equal(a.groups.g[0].failures, 2);
    assert_int_equal(a.groups.g[1].state, WIRE_GROUP_STOP_FAILED);
    request_alive_free(&a);
    assert_int_equal(alive(ALIVE_HEAD "\"groups\": {\"at\": 0, \"list\": []}}", &a), 0);
    assert_int_equal(a.groups.n, 0);
    request_alive_free(&a);

    alive_refused(ALIVE_HEAD "\"groups\": []}", "field \"groups\" must be an object");
    alive_refused(ALIVE_HEAD "\"groups\": {\"list\": []}}", "integer \"at\"");
    alive_refused(ALIVE_HEAD "\"groups\": {\"at\": 1}}", "array \"list\"");
    alive_refused(ALIVE_HEAD "\"groups\": {\"at\": -5, \"list\": []}}", "0 to 2^63-1");
    alive_refused(ALIVE_HEAD "\"groups\": {\"at\": 1.5, \"list\": []}}", "integer \"at\"");
    alive_refused(ALIVE_HEAD "\"groups\": {\"at\": 1, \"list\": [1]}}", "entry 0 must be");
    alive_refused(ALIVE_HEAD "\"groups\": {\"at\": 1, \"list\": [{\"state\": \"running\"}]}}",
                  "entry 0 must be");
    alive_refused(ALIVE_HEAD "\"groups\": {\"at\": 1, \"list\": [{\"state\": \"running\", "
                             "\"failures\": 0, \"more\": 1}]}}",
                  "nothing else");
    alive_refused(ALIVE_HEAD "\"groups\": {\"at\": 1, \"list\": [{\"state\": \"RUNNING\", "
                             "\"failures\": 0}]}}",
                  "unknown state");
    alive_refused(ALIVE_HEAD "\"groups\": {\"at\": 1, \"list\": [{\"state\": \"running\\u0000x\", "
                             "\"failures\": 0}]}}",
                  "not valid JSON");
    alive_refused(ALIVE_HEAD "\"groups\": {\"at\": 1, \"list\": [{\"state\": \"running\", "
                             "\"failures\": 256}]}}",
                  "0 to 255");
    alive_refused(ALIVE_HEAD "\"groups\": {\"at\": 1, \"list\": [{\"state\": \"running\", "
                             "\"failures\": -1}]}}",
                  "0 to 255");
    /* at most VIGIL_MAX_GROUPS */
    size_t n =
        (size_t)snprintf(body, sizeof(body), ALIVE_HEAD "\"groups\": {\"at\": 1, \"list\": [");
    for (int g = 0; g <= VIGIL_MAX_GROUPS; g++)
        n += (size_t)snprintf(body + n, sizeof(body) - n,
                              "%s{\"state\": \"stopped\", \"failures\": 0}", g ? ", " : "");
    snprintf(body + n, sizeof(body) - n, "]}}");
    alive_refused(body, "at most 64");
}

static void test_arbitrate_good(void **state)
{
    struct witness_arbitrate a;

    assert_int_equal(arbitrate("{\"cluster\": \"web\", \"node\": \"alpha\", \"epoch\": 8, "
                               "\"parent\": 4, \"members\": [\"alpha\", \"beta\"]}",
                               &a),
                     0);
    assert_string_equal(a.cluster, "web");
    assert_string_equal(a.node, "alpha");
    assert_int_equal(a.epoch, 8);
    assert_int_equal(a.parent, 4);
    assert_int_equal(a.n_members, 2);
    assert_string_equal(a.members[0], "alpha");
    assert_string_equal(a.members[1], "beta");
    /* parent 0: no view was quorate before */
    assert_int_equal(arbitrate("{\"cluster\": \"web\", \"node\": \"b\", \"epoch\": 1, "
                               "\"parent\": 0, \"members\": [\"b\"]}",
                               &a),
                     0);
    assert_int_equal(a.epoch, 1);
    assert_int_equal(a.parent, 0);
    /* the largest epochs */
    assert_int_equal(arbitrate("{\"cluster\": \"web\", \"node\": \"b\", \"epoch\": "
                               "9223372036854775807, \"parent\": 9223372036854775806, "
                               "\"members\": [\"b\"]}",
                               &a),
                     0);
    assert_true(a.epoch == INT64_MAX && a.parent == INT64_MAX - 1);
}

static void test_arbitrate_bad(void **state)
{
    char *body;
    json_t *o, *members;

    arbitrate_refused("{\"node\": \"a\", \"epoch\": 1, \"parent\": 0, \"members\": [\"a\"]}",
                      "'cluster' is missing");
    arbitrate_refused("{\"cluster\": \"c\", \"epoch\": 1, \"parent\": 0, \"members\": [\"a\"]}",
                      "'node' is missing");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"parent\": 0, \"members\": [\"a\"]}",
                      "'epoch' is missing");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 1, \"parent\": 0}",
                      "'members' is missing");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": -1, \"parent\": 0, "
                      "\"members\": [\"a\"]}",
                      "'epoch' must be an integer from 0");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": \"8\", \"parent\": 0, "
                      "\"members\": [\"a\"]}",
                      "'epoch' must be an integer");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 1, \"parent\": 0, "
                      "\"members\": \"a\"}",
                      "'members' must be an array of 1 to 64");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 1, \"parent\": 0, "
                      "\"members\": []}",
                      "'members' must be an array of 1 to 64");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 1, \"parent\": 0, "
                      "\"members\": [\"a\", 3]}",
                      "item 1 must be a string");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 1, \"parent\": 0, "
                      "\"members\": [\"a\", \"a\"]}",
                      "'a' is listed twice");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 1, \"parent\": 0, "
                      "\"members\": [\"b\"]}",
                      "must include the asking node 'a'");

    o = json_pack("{s:s, s:s, s:i, s:i}", "cluster", "c", "node", "n0", "epoch", 1, "parent", 0);
    members = json_array();
    for (int i = 0; i <= WITNESS_MAX_NODES; i++) {
        char name[16];
        snprintf(name, sizeof(name), "n%d", i);
        json_array_append_new(members, json_string(name));
    }
    json_object_set_new(o, "members", members);
    body = json_dumps(o, 0);
    arbitrate_refused(body, "'members' must be an array of 1 to 64");
    free(body);
    json_decref(o);
}

static void test_arbitrate_bad_parent(void **state)
{
    /* missing: what to send */
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 8, \"members\": [\"a\"]}",
                      "field 'parent' is missing: send the epoch of the last view known to be "
                      "quorate (0 if there is none)");
    /* not older than the view asked for */
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 8, \"parent\": 8, "
                      "\"members\": [\"a\"]}",
                      "field 'parent' (8) must be smaller than field 'epoch' (8)");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 8, \"parent\": 9, "
                      "\"members\": [\"a\"]}",
                      "field 'parent' (9) must be smaller than field 'epoch' (8)");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 0, \"parent\": 0, "
                      "\"members\": [\"a\"]}",
                      "must be smaller than field 'epoch' (0)");
    /* wrong type, out of bounds */
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 8, \"parent\": -1, "
                      "\"members\": [\"a\"]}",
                      "field 'parent' must be an integer from 0 to 9223372036854775807");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 8, \"parent\": \"4\", "
                      "\"members\": [\"a\"]}",
                      "field 'parent' must be an integer");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 8, \"parent\": 4.0, "
                      "\"members\": [\"a\"]}",
                      "field 'parent' must be an integer");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 8, \"parent\": null, "
                      "\"members\": [\"a\"]}",
                      "field 'parent' must be an integer");
    arbitrate_refused("{\"cluster\": \"c\", \"node\": \"a\", \"epoch\": 8, \"parent\": 4, "
                      "\"parent\": 5, \"members\": [\"a\"]}",
                      "not valid JSON");
}

static json_t *parse_reply(char *text)
{
    json_error_t je;
    json_t *j;

    assert_non_null(text);
    j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("reply is not JSON: %s: %s", je.text, text);
    free(text);
    return j;
}

static void test_response_error_is_valid_utf8(void **state)
{
    /* a cut multi-byte sequence and a stray byte become '?' */
    json_t *j = parse_reply(response_error("bad %s and %s", "\xe6\x97", "x\xffy"));

    assert_string_equal(json_string_value(json_object_get(j, "error")), "bad ?? and x?y");
    json_decref(j);
    j = parse_reply(response_error("caf\xc3\xa9"));
    assert_string_equal(json_string_value(json_object_get(j, "error")), "caf\xc3\xa9");
    json_decref(j);
}

static void test_response_arbitrate(void **state)
{
    struct witness_cluster *c = calloc(1, sizeof(*c));
    struct witness_verdict v = {.granted = false, .newest = 9};
    json_t *j, *w;

    snprintf(c->name, sizeof(c->name), "web");
    c->grants[0] = (struct witness_grant){
        .epoch = 9, .node = "alpha", .n_members = 2, .members = {"alpha", "beta"}};
    v.winner = &c->grants[0];
    snprintf(v.reason, sizeof(v.reason), "because");
    j = parse_reply(response_arbitrate(c, 9, &v));
    assert_false(json_boolean_value(json_object_get(j, "granted")));
    assert_int_equal(json_integer_value(json_object_get(j, "epoch")), 9);
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "because");
    w = json_object_get(j, "winner");
    assert_string_equal(json_string_value(json_object_get(w, "node")), "alpha");
    assert_int_equal(json_array_size(json_object_get(w, "members")), 2);
    json_decref(j);

    v.granted = true;
    j = parse_reply(response_arbitrate(c, 9, &v));
    assert_true(json_boolean_value(json_object_get(j, "granted")));
    assert_null(json_object_get(j, "reason"));
    json_decref(j);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alive_good),
        cmocka_unit_test(test_alive_optional_fields),
        cmocka_unit_test(test_alive_unicode_cluster),
        cmocka_unit_test(test_alive_missing_fields),
        cmocka_unit_test(test_alive_wrong_types),
        cmocka_unit_test(test_alive_bad_values),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_huge_strings),
        cmocka_unit_test(test_sees_bounds),
        cmocka_unit_test(test_alive_groups),
        cmocka_unit_test(test_arbitrate_good),
        cmocka_unit_test(test_arbitrate_bad),
        cmocka_unit_test(test_arbitrate_bad_parent),
        cmocka_unit_test(test_response_error_is_valid_utf8),
        cmocka_unit_test(test_response_arbitrate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
