/* What vigild makes of the witness's answers: witness_alive_answer_parse()
 * (POST /v1/alive) and witness_arbitrate_answer_parse() (POST /v1/arbitrate).
 * The witness may be someone else's server, or a proxy's error page
 * (docs/witness-api.md).
 *
 * Input: one mode byte (bit 0: 0 alive, 1 arbitrate), then the answer body,
 * parsed for the cluster FUZZ_CLUSTER (alive) or the epoch ARB_EPOCH (arbitrate).
 * Properties:
 *   - an accepted alive answer lists at most VIGIL_MAX_NODES nodes, every
 *     string terminated within its field, group reports of known states,
 *     at most VIGIL_MAX_GROUPS;
 *   - an accepted arbitration answer is about the epoch asked, its reason
 *     terminated within the caller's buffer;
 *   - a refusal says why;
 *   - written back as JSON, an accepted answer parses again to the same. */
#include <errno.h>
#include <jansson.h>

#include "../src/proto/proto.h"
#include "fuzz.h"

#define ARB_EPOCH 5

static struct witness_answer a, b;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    json_object_seed(1);
    return 0;
}

static int same_answer(const struct witness_answer *x, const struct witness_answer *y)
{
    if (x->n != y->n)
        return 0;
    for (int i = 0; i < x->n; i++) {
        const struct witness_seen_node *p = &x->nodes[i], *q = &y->nodes[i];
        if (strcmp(p->name, q->name) || p->age_ms != q->age_ms || strcmp(p->state, q->state) ||
            strcmp(p->incarnation, q->incarnation) || p->timeout_ms != q->timeout_ms ||
            p->groups.at != q->groups.at || p->groups.n != q->groups.n ||
            memcmp(p->groups.g, q->groups.g, sizeof(p->groups.g[0]) * p->groups.n))
            return 0;
    }
    return 1;
}

static void fuzz_arbitrate(const uint8_t *data, size_t size)
{
    char *body = fuzz_dup(data, size), err[512] = "", reason[128], reason2[128];
    bool granted = false, granted2 = false;
    int r;

    memset(reason, 'x', sizeof(reason));
    r = witness_arbitrate_answer_parse(body, size, ARB_EPOCH, &granted, reason, sizeof(reason), err,
                                       sizeof(err));
    free(body);
    FUZZ_CHECK(memchr(reason, '\0', sizeof(reason)), "reason not terminated (returned %d)", r);
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL, "witness_arbitrate_answer_parse returned %d", r);
        FUZZ_CHECK(err[0], "refusal without a message");
        return;
    }
    /* a reason cut inside a UTF-8 sequence cannot be written back as JSON */
    json_t *why = json_string(reason);
    json_t *o = json_pack("{s:s, s:I, s:b, s:o*}", "cluster", FUZZ_CLUSTER, "epoch",
                          (json_int_t)ARB_EPOCH, "granted", granted, "reason", why);
    char *text = json_dumps(o, JSON_COMPACT);
    FUZZ_CHECK(text, "cannot write the answer back as JSON");
    r = witness_arbitrate_answer_parse(text, strlen(text), ARB_EPOCH, &granted2, reason2,
                                       sizeof(reason2), err, sizeof(err));
    FUZZ_CHECK(r == 0 && granted == granted2 && (!why || strcmp(reason, reason2) == 0),
               "the answer written back parses to another: %s", text);
    free(text);
    json_decref(o);
}

static void fuzz_alive(const uint8_t *data, size_t size)
{
    char *body = fuzz_dup(data, size), err[512] = "";
    int r = witness_alive_answer_parse(body, size, FUZZ_CLUSTER, &a, err, sizeof(err));

    free(body);
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL, "witness_alive_answer_parse returned %d", r);
        FUZZ_CHECK(err[0], "refusal without a message");
        return;
    }
    FUZZ_CHECK(a.n >= 0 && a.n <= VIGIL_MAX_NODES, "%d nodes", a.n);

    json_t *nodes = json_object();
    for (int i = 0; i < a.n; i++) {
        const struct witness_seen_node *n = &a.nodes[i];
        FUZZ_CHECK(memchr(n->name, '\0', sizeof(n->name)) &&
                       memchr(n->state, '\0', sizeof(n->state)) &&
                       memchr(n->incarnation, '\0', sizeof(n->incarnation)),
                   "node %d: a field is not terminated", i);
        FUZZ_CHECK(n->age_ms <= INT64_MAX, "node %d: age %llu", i, (unsigned long long)n->age_ms);
        FUZZ_CHECK(n->timeout_ms <= INT64_MAX && n->groups.at <= INT64_MAX &&
                       n->groups.n <= VIGIL_MAX_GROUPS,
                   "node %d: timeout_ms, groups' at or count out of range", i);
        for (int g = 0; g < n->groups.n; g++)
            FUZZ_CHECK(strcmp(wire_group_state_name(n->groups.g[g].state), "invalid") != 0,
                       "node %d: group %d in state %u", i, g, n->groups.g[g].state);
        json_t *o = json_pack("{s:I, s:s, s:s}", "age_ms", (json_int_t)n->age_ms, "state", n->state,
                              "incarnation", n->incarnation);
        if (n->timeout_ms)
            json_object_set_new(o, "timeout_ms", json_integer((json_int_t)n->timeout_ms));
        /* "groups" with an empty list still carries its time */
        if (n->groups.n || n->groups.at)
            json_object_set_new(o, "groups", group_reports_json(&n->groups));
        json_object_set_new(nodes, n->name, o);
    }
    json_t *o = json_pack("{s:s, s:o}", "cluster", FUZZ_CLUSTER, "nodes", nodes);
    char *text = json_dumps(o, JSON_COMPACT);
    FUZZ_CHECK(text, "cannot write the answer back as JSON");
    r = witness_alive_answer_parse(text, strlen(text), FUZZ_CLUSTER, &b, err, sizeof(err));
    FUZZ_CHECK(r == 0, "the answer written back is refused: %s\n  %s", err, text);
    FUZZ_CHECK(same_answer(&a, &b), "the answer written back parses to another: %s", text);
    free(text);
    json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        fuzz_arbitrate(data + 1, size - 1);
    else
        fuzz_alive(data + 1, size - 1);
    return 0;
}
