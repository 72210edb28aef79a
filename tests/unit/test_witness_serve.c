/* One request in, one reply out: routes, methods, the token, body limits,
 * the alive and arbitrate round trips on a fake clock (arbitration with the
 * bodies vigild builds, witness_arbitrate_body), the listen syntax. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <jansson.h>
#include <netinet/in.h>

#include "../../src/proto/proto.h"
#include "../../src/witness/witness.h"

#define MS VG_USEC_PER_MSEC
#define T0 (7000 * MS)
#define AUTH "Bearer tok-1"

static struct witness *new_witness(void)
{
    struct witness *w = calloc(1, sizeof(*w));

    registry_init(&w->reg, NULL, NULL);
    token_add(&w->tokens, "tok-1");
    token_add(&w->tokens, "tok-2");
    return w;
}

static void free_witness(struct witness *w)
{
    registry_free(&w->reg);
    free(w);
}

/* Serve one request; returns the reply's JSON (to json_decref) and status. */
static json_t *serve(struct witness *w, const char *method, const char *path, const char *auth,
                     const char *body, vg_usec_t now, int *status)
{
    struct witness_request req = {.method = method,
                                  .path = path,
                                  .authorization = auth,
                                  .body = body,
                                  .body_len = body ? strlen(body) : 0,
                                  .peer = "192.0.2.7"};
    struct witness_reply rep;
    json_t *j;

    witness_serve(w, &req, now, &rep);
    assert_non_null(rep.body);
    j = json_loads(rep.body, 0, NULL);
    if (!j)
        fail_msg("reply is not JSON: %s", rep.body);
    *status = rep.status;
    witness_reply_free(&rep);
    return j;
}

static void expect_error(struct witness *w, const char *method, const char *path, const char *auth,
                         const char *body, int want_status, const char *want)
{
    int status;
    json_t *j = serve(w, method, path, auth, body, T0, &status);
    const char *e = json_string_value(json_object_get(j, "error"));

    assert_int_equal(status, want_status);
    assert_non_null(e);
    if (!strstr(e, want))
        fail_msg("%s %s: error '%s' does not contain '%s'", method, path, e, want);
    json_decref(j);
}

static void test_healthz(void **state)
{
    struct witness *w = new_witness();
    int status;
    json_t *j = serve(w, "GET", "/healthz", NULL, NULL, T0, &status);

    assert_int_equal(status, 200);
    assert_true(json_is_true(json_object_get(j, "ok")));
    json_decref(j);
    assert_int_equal(witness_precheck(w, "HEAD", "/healthz", NULL), 0);
    expect_error(w, "POST", "/healthz", NULL, "{}", 405, "not allowed");
    free_witness(w);
}

static void test_routes_and_methods(void **state)
{
    struct witness *w = new_witness();
    struct witness_request req = {.method = "GET", .path = "/v1/alive", .authorization = AUTH};
    struct witness_reply rep;

    expect_error(w, "GET", "/", AUTH, NULL, 404, "no such path");
    expect_error(w, "POST", "/v1/alive/", AUTH, "{}", 404, "no such path");
    expect_error(w, "POST", "/v1/ALIVE", AUTH, "{}", 404, "no such path");
    expect_error(w, "GET", "/v1/alive", AUTH, NULL, 405, "allowed: POST");
    expect_error(w, "PUT", "/v1/arbitrate", AUTH, "{}", 405, "allowed: POST");
    expect_error(w, "POS", "/v1/arbitrate", AUTH, "{}", 405, "allowed: POST");
    expect_error(w, "GETX", "/healthz", AUTH, NULL, 405, "GET, HEAD");
    witness_serve(w, &req, T0, &rep);
    assert_string_equal(rep.allow, "POST");
    witness_reply_free(&rep);
    free_witness(w);
}

static void test_token_required(void **state)
{
    struct witness *w = new_witness();
    struct witness_request req = {
        .method = "POST", .path = "/v1/alive", .body = "{}", .body_len = 2};
    struct witness_reply rep;

    expect_error(w, "POST", "/v1/alive", NULL, "{}", 401, "Authorization: Bearer");
    expect_error(w, "POST", "/v1/arbitrate", "Bearer nope", "{}", 401, "wrong token");
    assert_int_equal(witness_precheck(w, "POST", "/v1/alive", "Bearer nope"), 401);
    assert_int_equal(witness_precheck(w, "POST", "/v1/alive", AUTH), 0);
    witness_serve(w, &req, T0, &rep);
    assert_int_equal(rep.status, 401);
    assert_true(rep.challenge);
    witness_reply_free(&rep);
    free_witness(w);
}

static void test_bad_bodies(void **state)
{
    struct witness *w = new_witness();
    struct witness_request req = {.method = "POST",
                                  .path = "/v1/alive",
                                  .authorization = AUTH,
                                  .body_too_big = true,
                                  .peer = "x"};
    struct witness_reply rep;

    expect_error(w, "POST", "/v1/alive", AUTH, "{not json", 400, "not valid JSON");
    expect_error(w, "POST", "/v1/arbitrate", AUTH, "{\"cluster\": \"web\"}", 400,
                 "'node' is missing");
    expect_error(w, "POST", "/v1/alive", AUTH, "", 400, "empty");
    witness_serve(w, &req, T0, &rep);
    assert_int_equal(rep.status, 413);
    witness_reply_free(&rep);
    /* without the token, a big body is a 401 all the same */
    req.authorization = NULL;
    witness_serve(w, &req, T0, &rep);
    assert_int_equal(rep.status, 401);
    witness_reply_free(&rep);
    assert_int_equal(w->reg.n_clusters, 0);
    free_witness(w);
}

static const char *alive_body(char *buf, size_t size, const char *cluster, const char *node)
{
    snprintf(buf, size,
             "{\"cluster\": \"%s\", \"node\": \"%s\", \"incarnation\": \"abc\", \"timeout_ms\": "
             "1000, \"sees\": {\"other\": [\"lan1\"]}, \"state\": \"running\"}",
             cluster, node);
    return buf;
}

static void test_alive_round_trip(void **state)
{
    struct witness *w = new_witness();
    char body[512];
    int status;
    json_t *j, *nodes;

    j = serve(w, "POST", "/v1/alive", AUTH, alive_body(body, sizeof(body), "web 1", "alpha"), T0,
              &status);
    assert_int_equal(status, 200);
    json_decref(j);
    j = serve(w, "POST", "/v1/alive", AUTH, alive_body(body, sizeof(body), "web 1", "beta"),
              T0 + 180 * MS, &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(j, "cluster")), "web 1");
    nodes = json_object_get(j, "nodes");
    assert_int_equal(json_object_size(nodes), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(nodes, "alpha"), "age_ms")),
                     180);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(nodes, "beta"), "age_ms")),
                     0);
    json_decref(j);

    /* another cluster sees only its own node */
    j = serve(w, "POST", "/v1/alive", AUTH, alive_body(body, sizeof(body), "db", "alpha"),
              T0 + 200 * MS, &status);
    assert_int_equal(json_object_size(json_object_get(j, "nodes")), 1);
    json_decref(j);

    /* a cluster belongs to the token that created it */
    expect_error(w, "POST", "/v1/alive", "Bearer tok-2",
                 alive_body(body, sizeof(body), "db", "beta"), 403, "another token");
    free_witness(w);
}

/* The witness keeps each node's latest group reports and returns them; a
 * report without them leaves none. */
static void test_alive_groups_returned(void **state)
{
    struct witness *w = new_witness();
    const char *with = "{\"cluster\": \"web\", \"node\": \"alpha\", \"incarnation\": \"abc\", "
                       "\"timeout_ms\": 700, \"groups\": {\"at\": 42, \"list\": [{\"state\": "
                       "\"stopped\", \"failures\": 1}]}}";
    const char *without = "{\"cluster\": \"web\", \"node\": \"alpha\", \"incarnation\": "
                          "\"abd\", \"timeout_ms\": 700}";
    char body[512];
    int status;
    json_t *j, *alpha;

    json_decref(serve(w, "POST", "/v1/alive", AUTH, with, T0, &status));
    assert_int_equal(status, 200);
    j = serve(w, "POST", "/v1/alive", AUTH, alive_body(body, sizeof(body), "web", "beta"),
              T0 + 10 * MS, &status);
    alpha = json_object_get(json_object_get(j, "nodes"), "alpha");
    assert_int_equal(json_integer_value(json_object_get(alpha, "timeout_ms")), 700);
    json_t *g = json_object_get(alpha, "groups");
    assert_int_equal(json_integer_value(json_object_get(g, "at")), 42);
    json_t *e = json_array_get(json_object_get(g, "list"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "state")), "stopped");
    assert_int_equal(json_integer_value(json_object_get(e, "failures")), 1);
    assert_null(json_object_get(json_object_get(json_object_get(j, "nodes"), "beta"), "groups"));
    json_decref(j);

    /* the same node again, without reports (restarted, probing): none kept */
    j = serve(w, "POST", "/v1/alive", AUTH, without, T0 + 20 * MS, &status);
    assert_int_equal(status, 200);
    assert_null(json_object_get(json_object_get(json_object_get(j, "nodes"), "alpha"), "groups"));
    json_decref(j);
    /* a bad one is a 400 that names the field, and changes nothing */
    expect_error(w, "POST", "/v1/alive", AUTH,
                 "{\"cluster\": \"web\", \"node\": \"alpha\", \"incarnation\": \"abc\", "
                 "\"timeout_ms\": 700, \"groups\": {\"at\": 1, \"list\": [{\"state\": \"up\", "
                 "\"failures\": 0}]}}",
                 400, "unknown state");
    free_witness(w);
}

/* Serve one arbitration request; its reply (to json_decref) and log note. */
static json_t *serve_arbitrate(struct witness *w, const char *body, char *note, size_t note_size)
{
    struct witness_request req = {.method = "POST",
                                  .path = "/v1/arbitrate",
                                  .authorization = AUTH,
                                  .body = body,
                                  .body_len = strlen(body),
                                  .peer = "192.0.2.7"};
    struct witness_reply rep;
    json_t *j;

    witness_serve(w, &req, T0, &rep);
    assert_int_equal(rep.status, 200);
    j = json_loads(rep.body, 0, NULL);
    if (!j)
        fail_msg("reply is not JSON: %s", rep.body);
    snprintf(note, note_size, "%s", rep.note);
    witness_reply_free(&rep);
    return j;
}

static void test_arbitrate_round_trip(void **state)
{
    struct witness *w = new_witness();
    char note[1024];
    json_t *j;

    j = serve_arbitrate(w,
                        "{\"cluster\": \"web\", \"node\": \"alpha\", \"epoch\": 8, \"parent\": 4, "
                        "\"members\": [\"alpha\", \"beta\"]}",
                        note, sizeof(note));
    assert_true(json_is_true(json_object_get(j, "granted")));
    assert_int_equal(json_integer_value(json_object_get(j, "epoch")), 8);
    assert_string_equal(note, "cluster 'web': epoch 8 (parent 4) granted to node alpha (side of "
                              "alpha, 2 member(s))");
    json_decref(j);
    j = serve_arbitrate(
        w,
        "{\"cluster\": \"web\", \"node\": \"gamma\", \"epoch\": 8, \"parent\": 4, \"members\": "
        "[\"gamma\"]}",
        note, sizeof(note));
    assert_true(json_is_false(json_object_get(j, "granted")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "winner"), "node")),
                        "alpha");
    assert_int_equal(json_integer_value(json_object_get(j, "newest_epoch")), 8);
    if (!strstr(note, "epoch 8 (parent 4) refused to node gamma: epoch 8 was granted to the side "
                      "of node 'alpha' (members alpha, beta)"))
        fail_msg("note: %s", note);
    json_decref(j);
    free_witness(w);
}

/* An arbitration as vigild asks it (witness_arbitrate_body) -> granted? */
static bool node_asks(struct witness *w, const char *node, uint64_t epoch, uint64_t parent,
                      const char *m1, const char *m2, json_t **reply)
{
    const char *members[] = {m1, m2};
    char *body = witness_arbitrate_body("web", node, epoch, parent, members, m2 ? 2 : 1);
    char note[1024], reason[512], err[256];
    bool granted = false;
    char *text;
    json_t *j;

    assert_non_null(body);
    j = serve_arbitrate(w, body, note, sizeof(note));
    free(body);
    /* and vigild understands the answer */
    text = json_dumps(j, JSON_COMPACT);
    assert_int_equal(witness_arbitrate_answer_parse(text, strlen(text), epoch, &granted, reason,
                                                    sizeof(reason), err, sizeof(err)),
                     0);
    free(text);
    assert_true(granted == json_is_true(json_object_get(j, "granted")));
    if (reply)
        *reply = j;
    else
        json_decref(j);
    return granted;
}

/* docs/membership.md "The model": a COMMIT lost before a split gives the
 * halves different parents; only the one that descends from the view
 * granted is granted. */
static void test_arbitrate_two_halves(void **state)
{
    struct witness *w = new_witness();
    json_t *j;

    assert_true(node_asks(w, "a", 10, 5, "a", NULL, NULL));
    assert_true(node_asks(w, "a", 10, 5, "a", NULL, NULL)); /* a retry */
    assert_false(node_asks(w, "b", 10, 5, "b", NULL, &j));  /* not a member of view 10 */
    assert_non_null(
        strstr(json_string_value(json_object_get(j, "reason")), "'b' is not one of its members"));
    json_decref(j);
    assert_false(node_asks(w, "b", 12, 5, "b", NULL, &j)); /* the other half */
    assert_null(json_object_get(j, "winner"));
    assert_int_equal(json_integer_value(json_object_get(j, "newest_epoch")), 10);
    assert_non_null(strstr(json_string_value(json_object_get(j, "reason")),
                           "its parent epoch 5 is older than epoch 10, the last view granted"));
    json_decref(j);
    assert_true(node_asks(w, "a", 12, 10, "a", "c", &j)); /* descends from view 10 */
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "winner"), "node")),
                        "a");
    json_decref(j);
    assert_true(node_asks(w, "c", 12, 10, "c", "a", NULL));
    assert_false(node_asks(w, "a", 10, 5, "a", NULL, NULL)); /* older now */
    free_witness(w);
}

static void test_arbitrate_bad_parent_is_400(void **state)
{
    struct witness *w = new_witness();

    expect_error(w, "POST", "/v1/arbitrate", AUTH,
                 "{\"cluster\": \"web\", \"node\": \"a\", \"epoch\": 8, \"members\": [\"a\"]}", 400,
                 "field 'parent' is missing");
    expect_error(w, "POST", "/v1/arbitrate", AUTH,
                 "{\"cluster\": \"web\", \"node\": \"a\", \"epoch\": 8, \"parent\": 8, "
                 "\"members\": [\"a\"]}",
                 400, "field 'parent' (8) must be smaller than field 'epoch' (8)");
    expect_error(w, "POST", "/v1/arbitrate", AUTH,
                 "{\"cluster\": \"web\", \"node\": \"a\", \"epoch\": 8, \"parent\": 12, "
                 "\"members\": [\"a\"]}",
                 400, "must be smaller than field 'epoch'");
    assert_int_equal(w->reg.n_clusters, 0); /* nothing recorded */
    free_witness(w);
}

static void test_full_is_507(void **state)
{
    struct witness *w = new_witness();
    char body[512], name[32];
    int status;

    for (int i = 0; i < WITNESS_MAX_NODES; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        json_decref(serve(w, "POST", "/v1/alive", AUTH, alive_body(body, sizeof(body), "web", name),
                          T0, &status));
        assert_int_equal(status, 200);
    }
    expect_error(w, "POST", "/v1/alive", AUTH, alive_body(body, sizeof(body), "web", "late"), 507,
                 "maximum of 64 nodes");
    for (int i = 1; i < WITNESS_MAX_CLUSTERS; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        json_decref(serve(w, "POST", "/v1/arbitrate", AUTH,
                          (snprintf(body, sizeof(body),
                                    "{\"cluster\": \"%s\", \"node\": \"a\", \"epoch\": 1, "
                                    "\"parent\": 0, \"members\": [\"a\"]}",
                                    name),
                           body),
                          T0, &status));
        assert_int_equal(status, 200);
    }
    expect_error(w, "POST", "/v1/alive", AUTH, alive_body(body, sizeof(body), "new", "a"), 507,
                 "maximum of 1024 clusters");
    free_witness(w);
}

static void test_listen_parse(void **state)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char err[256], text[64];

    assert_int_equal(listen_parse("127.0.0.1:9872", &ss, &len, err, sizeof(err)), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9872);
    listen_format((struct sockaddr *)&ss, len, text, sizeof(text));
    assert_string_equal(text, "127.0.0.1:9872");

    assert_int_equal(listen_parse("[::1]:0", &ss, &len, err, sizeof(err)), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    listen_format((struct sockaddr *)&ss, len, text, sizeof(text));
    assert_string_equal(text, "[::1]:0");

    const char *bad[] = {"127.0.0.1",     "127.0.0.1:",     "127.0.0.1:65536", "127.0.0.1:-1",
                         "127.0.0.1:80x", "::1:9872",       "[::1]9872",       "[::1:9872",
                         "[]:1",          "localhost:9872", "[127.0.0.1]:1",   ":9872",
                         "1.2.3.4.5:1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (listen_parse(bad[i], &ss, &len, err, sizeof(err)) != -EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
        assert_non_null(strstr(err, bad[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthz),
        cmocka_unit_test(test_routes_and_methods),
        cmocka_unit_test(test_token_required),
        cmocka_unit_test(test_bad_bodies),
        cmocka_unit_test(test_alive_round_trip),
        cmocka_unit_test(test_alive_groups_returned),
        cmocka_unit_test(test_arbitrate_round_trip),
        cmocka_unit_test(test_arbitrate_two_halves),
        cmocka_unit_test(test_arbitrate_bad_parent_is_400),
        cmocka_unit_test(test_full_is_507),
        cmocka_unit_test(test_listen_parse),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
