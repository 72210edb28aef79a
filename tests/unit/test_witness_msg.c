/* The node's side of the witness protocol: request body and answer parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/proto/proto.h"

static char err[256];
static struct witness_answer ans;

static void test_body(void **state)
{
    char *b =
        witness_alive_body("web é", "alpha", 0xabc, 1000, "running", "{\"beta\":[\"lan1\"]}", NULL);
    assert_non_null(b);
    assert_non_null(strstr(b, "\"cluster\":\"web é\""));
    assert_non_null(strstr(b, "\"incarnation\":\"0000000000000abc\""));
    assert_non_null(strstr(b, "\"timeout_ms\":1000"));
    assert_non_null(strstr(b, "\"beta\":[\"lan1\"]"));
    free(b);
    b = witness_alive_body("web", "alpha", 1, 1000, "running", "not json", NULL);
    assert_non_null(strstr(b, "\"sees\":{}"));
    free(b);
}

/* The group reports in the body: only when there are some. */
static void test_body_groups(void **state)
{
    struct group_reports r = {.at = 123456789, .n = 2};
    r.g[0] = (struct wire_group_report){WIRE_GROUP_RUNNING, 0};
    r.g[1] = (struct wire_group_report){WIRE_GROUP_STOP_FAILED, 3};
    char *b = witness_alive_body("web", "alpha", 1, 1000, "running", NULL, &r);

    assert_non_null(b);
    assert_non_null(strstr(b, "\"groups\":{\"at\":123456789,\"list\":[{\"state\":\"running\","
                              "\"failures\":0},{\"state\":\"stop-failed\",\"failures\":3}]}"));
    free(b);
    r.n = 0; /* still probing */
    b = witness_alive_body("web", "alpha", 1, 1000, "running", NULL, &r);
    assert_null(strstr(b, "groups"));
    free(b);
}

static int parse(const char *body)
{
    return witness_alive_answer_parse(body, strlen(body), "web", &ans, err, sizeof(err));
}

static void test_answer_good(void **state)
{
    assert_int_equal(parse("{\"cluster\":\"web\",\"nodes\":{\"alpha\":{\"age_ms\":0,"
                           "\"state\":\"running\",\"incarnation\":\"00ff\"},"
                           "\"beta\":{\"age_ms\":180,\"extra\":[1,2]}}}"),
                     0);
    assert_int_equal(ans.n, 2);
    int b = strcmp(ans.nodes[0].name, "beta") == 0 ? 0 : 1;
    assert_string_equal(ans.nodes[b].name, "beta");
    assert_true(ans.nodes[b].age_ms == 180);
    assert_string_equal(ans.nodes[1 - b].state, "running");
    assert_string_equal(ans.nodes[1 - b].incarnation, "00ff");
}

static void test_answer_groups(void **state)
{
    assert_int_equal(
        parse("{\"cluster\":\"web\",\"nodes\":{\"alpha\":{\"age_ms\":20,\"timeout_ms\":500,"
              "\"incarnation\":\"00ff\",\"groups\":{\"at\":77,\"list\":[{\"state\":\"stopped\","
              "\"failures\":1},{\"state\":\"failed\",\"failures\":255}]}}}}"),
        0);
    assert_int_equal(ans.n, 1);
    assert_true(ans.nodes[0].timeout_ms == 500);
    assert_true(ans.nodes[0].groups.at == 77);
    assert_int_equal(ans.nodes[0].groups.n, 2);
    assert_int_equal(ans.nodes[0].groups.g[0].state, WIRE_GROUP_STOPPED);
    assert_int_equal(ans.nodes[0].groups.g[0].failures, 1);
    assert_int_equal(ans.nodes[0].groups.g[1].state, WIRE_GROUP_FAILED);
    assert_int_equal(ans.nodes[0].groups.g[1].failures, 255);
    /* a witness from before them: none */
    assert_int_equal(parse("{\"cluster\":\"web\",\"nodes\":{\"alpha\":{\"age_ms\":20}}}"), 0);
    assert_int_equal(ans.nodes[0].groups.n, 0);
    assert_true(ans.nodes[0].timeout_ms == 0);
}

static void test_answer_bad(void **state)
{
    static const struct {
        const char *body;
        const char *want;
    } bad[] = {
        {"", "not JSON"},
        {"[1]", "not about this cluster"},
        {"{\"cluster\":\"db\",\"nodes\":{}}", "not about this cluster"},
        {"{\"cluster\":\"web\"}", "no \"nodes\""},
        {"{\"cluster\":\"web\",\"nodes\":[]}", "no \"nodes\""},
        {"{\"cluster\":\"web\",\"nodes\":{\"a\":1}}", "invalid node"},
        {"{\"cluster\":\"web\",\"nodes\":{\"a\":{}}}", "age_ms"},
        {"{\"cluster\":\"web\",\"nodes\":{\"a\":{\"age_ms\":-1}}}", "age_ms"},
        {"{\"cluster\":\"web\",\"nodes\":{\"a\":{\"age_ms\":\"5\"}}}", "age_ms"},
        {"{\"cluster\":\"web\",\"nodes\":{\"a\":{\"age_ms\":5,\"state\":7}}}", "state"},
        {"{\"cluster\":\"web\",\"nodes\":{\"a\":{\"age_ms\":5,"
         "\"incarnation\":\"00000000000000000000\"}}}",
         "incarnation"},
        {"{\"cluster\":\"web\",\"cluster\":\"web\",\"nodes\":{}}", "not JSON"},
        {"{\"cluster\":\"web\",\"nodes\":{\"a\":{\"age_ms\":5,\"timeout_ms\":-1}}}", "timeout_ms"},
        {"{\"cluster\":\"web\",\"nodes\":{\"a\":{\"age_ms\":5,\"groups\":[]}}}", "\"groups\""},
        {"{\"cluster\":\"web\",\"nodes\":{\"a\":{\"age_ms\":5,\"groups\":{\"at\":-1,"
         "\"list\":[]}}}}",
         "\"at\""},
        {"{\"cluster\":\"web\",\"nodes\":{\"a\":{\"age_ms\":5,\"groups\":{\"at\":1,"
         "\"list\":[{\"state\":\"gone\",\"failures\":0}]}}}}",
         "unknown state"},
        {"{\"cluster\":\"web\",\"nodes\":{\"a\":{\"age_ms\":5,\"groups\":{\"at\":1,"
         "\"list\":[{\"state\":\"stopped\",\"failures\":256}]}}}}",
         "0 to 255"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i].body), -EINVAL);
        if (!strstr(err, bad[i].want))
            fail_msg("case %zu: error '%s' lacks '%s'", i, err, bad[i].want);
    }
}

static void test_answer_too_many_nodes(void **state)
{
    char body[16384];
    size_t n = (size_t)snprintf(body, sizeof(body), "{\"cluster\":\"web\",\"nodes\":{");
    for (int i = 0; i <= VIGIL_MAX_NODES; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "%s\"n%d\":{\"age_ms\":1}", i ? "," : "",
                              i);
    snprintf(body + n, sizeof(body) - n, "}}");
    assert_int_equal(parse(body), -EINVAL);
    assert_non_null(strstr(err, "more than"));
}

static void test_arbitrate(void **state)
{
    const char *side[] = {"alpha", "beta"};
    char *b = witness_arbitrate_body("web", "alpha", 459631316057688064ULL, 459631316057688000ULL,
                                     side, 2);
    bool granted = false;
    char reason[128];

    assert_non_null(b);
    assert_string_equal(b, "{\"cluster\":\"web\",\"node\":\"alpha\",\"epoch\":459631316057688064,"
                           "\"parent\":459631316057688000,\"members\":[\"alpha\",\"beta\"]}");
    free(b);
    /* no quorate view before: parent 0 is sent, not left out */
    b = witness_arbitrate_body("web", "beta", 7, 0, side + 1, 1);
    assert_non_null(b);
    assert_non_null(strstr(b, "\"epoch\":7,\"parent\":0,\"members\":[\"beta\"]"));
    free(b);
#define ARB(text)                                                                                  \
    witness_arbitrate_answer_parse(text, strlen(text), 8, &granted, reason, sizeof(reason), err,   \
                                   sizeof(err))
    assert_int_equal(ARB("{\"cluster\":\"web\",\"epoch\":8,\"granted\":true}"), 0);
    assert_true(granted);
    assert_int_equal(ARB("{\"epoch\":8,\"granted\":false,\"reason\":\"taken\"}"), 0);
    assert_false(granted);
    assert_string_equal(reason, "taken");
    assert_int_equal(ARB("{\"epoch\":7,\"granted\":true}"), -EINVAL);
    assert_non_null(strstr(err, "epoch 8"));
    assert_int_equal(ARB("{\"epoch\":8,\"granted\":1}"), -EINVAL);
    assert_int_equal(ARB("nope"), -EINVAL);
#undef ARB
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body),          cmocka_unit_test(test_body_groups),
        cmocka_unit_test(test_answer_groups), cmocka_unit_test(test_answer_good),
        cmocka_unit_test(test_answer_bad),    cmocka_unit_test(test_answer_too_many_nodes),
        cmocka_unit_test(test_arbitrate),
    };
    return cmocka_run_group_tests_name("witness_msg", tests, NULL, NULL);
}
