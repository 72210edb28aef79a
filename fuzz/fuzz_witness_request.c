/* vigil-witness, from the request inward: request_parse_alive,
 * request_parse_arbitrate and witness_serve (one request in, one reply out,
 * with the registry behind it). The witness faces whatever reaches its port.
 *
 * Input: one mode byte (mod 4), then
 *   0  a POST /v1/alive body,
 *   1  a POST /v1/arbitrate body,
 *   2, 3  a script of requests against one witness, separated by NUL bytes:
 *      each starts with a control byte, the rest is the body. Control bits:
 *        0-1 path: /healthz, /v1/alive, /v1/arbitrate, /nope
 *        2-3 method: POST, GET, HEAD, PUT
 *        4-5 Authorization: token A, token B, none, a wrong token
 *        6   the body was too big (body_too_big)
 *        7   an hour passes before this request (else 250 ms); then a sweep
 * Properties:
 *   - a parsed body keeps its bounds (names, incarnation, timeout, a parent
 *     older than the epoch, members that are distinct and include the asking
 *     node, "sees" as compact JSON of at most WITNESS_SEES_MAX bytes), and
 *     survives a round trip: written back as JSON it parses again to the
 *     same struct;
 *   - every reply has a known status and a JSON object body (an "error"
 *     string unless 200), Allow on 405, the challenge on 401;
 *   - arbitration is safe: a granted epoch is never older than one granted
 *     before in that cluster, every grant of one epoch names the same winner,
 *     the asking node is among the winner's members, and a newer epoch is
 *     granted only to a view whose parent is no older than the last epoch
 *     granted (it descends from that view: docs/membership.md "The model"). */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>

#include "../src/witness/witness.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (sodium_init() < 0)
        abort();
    json_object_seed(1); /* the same hash order on every run */
    return 0;
}

static void check_name(const char *s, size_t max, int may_be_empty, const char *what)
{
    size_t n = strnlen(s, max);

    FUZZ_CHECK(n < max, "%s is not terminated within %zu bytes", what, max);
    FUZZ_CHECK(may_be_empty || n > 0, "%s is empty", what);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f, "%s has control byte %02x", what,
                   (unsigned char)s[i]);
}

static void fuzz_alive(const uint8_t *data, size_t size)
{
    char *body = fuzz_dup(data, size), err[512] = "";
    struct witness_alive a, b;
    int r = request_parse_alive(body, size, &a, err, sizeof(err));

    free(body);
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL || r == -ENOMEM, "request_parse_alive returned %d", r);
        FUZZ_CHECK(r == -ENOMEM || err[0], "refusal without a message");
        FUZZ_CHECK(a.sees == NULL, "refusal left 'sees' allocated");
        return;
    }
    check_name(a.cluster, sizeof(a.cluster), 0, "cluster");
    check_name(a.node, sizeof(a.node), 0, "node");
    check_name(a.state, sizeof(a.state), 1, "state");
    FUZZ_CHECK(a.incarnation[0] && strlen(a.incarnation) < WITNESS_INCARNATION_MAX &&
                   strspn(a.incarnation, "0123456789abcdefABCDEF") == strlen(a.incarnation),
               "incarnation '%s'", a.incarnation);
    FUZZ_CHECK(a.timeout_ms >= 1 && a.timeout_ms <= WITNESS_TIMEOUT_MS_MAX, "timeout_ms %u",
               a.timeout_ms);
    FUZZ_CHECK(a.sees && strlen(a.sees) <= WITNESS_SEES_MAX, "sees missing or too long");
    json_t *sees = json_loads(a.sees, 0, NULL);
    FUZZ_CHECK(json_is_object(sees) && json_object_size(sees) <= WITNESS_MAX_NODES,
               "sees is not an object of at most %d nodes: %s", WITNESS_MAX_NODES, a.sees);

    FUZZ_CHECK(a.groups.n <= VIGIL_MAX_GROUPS && a.groups.at <= INT64_MAX,
               "groups: %u reports, at %llu", a.groups.n, (unsigned long long)a.groups.at);
    for (int g = 0; g < a.groups.n; g++)
        FUZZ_CHECK(strcmp(wire_group_state_name(a.groups.g[g].state), "invalid") != 0,
                   "group %d in state %u", g, a.groups.g[g].state);

    /* written back as JSON, it parses to the same */
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:O}", "cluster", a.cluster, "node", a.node,
                          "incarnation", a.incarnation, "timeout_ms", (json_int_t)a.timeout_ms,
                          "state", a.state, "sees", sees);
    FUZZ_CHECK(o, "cannot write the parsed body back as JSON");
    if (a.groups.n)
        json_object_set_new(o, "groups", group_reports_json(&a.groups));
    char *text = json_dumps(o, JSON_COMPACT);
    r = request_parse_alive(text, strlen(text), &b, err, sizeof(err));
    FUZZ_CHECK(r == 0, "the body written back is refused: %s\n  %s", err, text);
    FUZZ_CHECK(strcmp(a.cluster, b.cluster) == 0 && strcmp(a.node, b.node) == 0 &&
                   strcmp(a.incarnation, b.incarnation) == 0 && a.timeout_ms == b.timeout_ms &&
                   strcmp(a.state, b.state) == 0 && strcmp(a.sees, b.sees) == 0 &&
                   a.groups.n == b.groups.n && (!a.groups.n || a.groups.at == b.groups.at) &&
                   memcmp(a.groups.g, b.groups.g, sizeof(a.groups.g[0]) * a.groups.n) == 0,
               "the body written back parses to another request: %s", text);
    free(text);
    json_decref(o);
    json_decref(sees);
    request_alive_free(&a);
    request_alive_free(&b);
}

static void check_arbitrate(const struct witness_arbitrate *a)
{
    int self = 0;

    check_name(a->cluster, sizeof(a->cluster), 0, "cluster");
    check_name(a->node, sizeof(a->node), 0, "node");
    FUZZ_CHECK(a->epoch <= INT64_MAX, "epoch %" PRIu64, a->epoch);
    FUZZ_CHECK(a->parent < a->epoch, "parent %" PRIu64 " not older than epoch %" PRIu64, a->parent,
               a->epoch);
    FUZZ_CHECK(a->n_members >= 1 && a->n_members <= WITNESS_MAX_NODES, "%d members", a->n_members);
    for (int i = 0; i < a->n_members; i++) {
        check_name(a->members[i], sizeof(a->members[i]), 0, "member");
        for (int j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(a->members[i], a->members[j]) != 0, "member '%s' twice",
                       a->members[i]);
        self |= strcmp(a->members[i], a->node) == 0;
    }
    FUZZ_CHECK(self, "the asking node '%s' is not a member", a->node);
}

static void fuzz_arbitrate(const uint8_t *data, size_t size)
{
    char *body = fuzz_dup(data, size), err[512] = "";
    static struct witness_arbitrate a, b;
    int r = request_parse_arbitrate(body, size, &a, err, sizeof(err));

    free(body);
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL, "request_parse_arbitrate returned %d", r);
        FUZZ_CHECK(err[0], "refusal without a message");
        return;
    }
    check_arbitrate(&a);

    json_t *members = json_array();
    for (int i = 0; i < a.n_members; i++)
        json_array_append_new(members, json_string(a.members[i]));
    json_t *o =
        json_pack("{s:s, s:s, s:I, s:I, s:o}", "cluster", a.cluster, "node", a.node, "epoch",
                  (json_int_t)a.epoch, "parent", (json_int_t)a.parent, "members", members);
    FUZZ_CHECK(o, "cannot write the parsed body back as JSON");
    char *text = json_dumps(o, JSON_COMPACT);
    r = request_parse_arbitrate(text, strlen(text), &b, err, sizeof(err));
    FUZZ_CHECK(r == 0, "the body written back is refused: %s\n  %s", err, text);
    FUZZ_CHECK(strcmp(a.cluster, b.cluster) == 0 && strcmp(a.node, b.node) == 0 &&
                   a.epoch == b.epoch && a.parent == b.parent && a.n_members == b.n_members,
               "the body written back parses to another request: %s", text);
    for (int i = 0; i < a.n_members; i++)
        FUZZ_CHECK(strcmp(a.members[i], b.members[i]) == 0, "member %d differs: %s", i, text);
    free(text);
    json_decref(o);
}

/* ---- a script of requests against one witness ---- */

/* What the harness saw granted, per cluster: the safety property is checked
 * against this, not against the registry's own memory. */
#define SEEN_MAX 64
static struct {
    char cluster[WITNESS_CLUSTER_MAX];
    uint64_t epoch; /* newest granted */
    char winner[WITNESS_NAME_MAX];
} seen[SEEN_MAX];
static int n_seen;

static void on_event(void *ctx, enum witness_event ev, const struct witness_cluster *c,
                     const struct witness_node *node, vg_usec_t silent, const char *detail)
{
    FUZZ_CHECK(c != NULL, "event %d without a cluster", ev);
    FUZZ_CHECK((ev == WITNESS_EV_CLUSTER_NEW) == (node == NULL), "event %d with node %p", ev,
               (const void *)node);
}

static void check_registry(const struct registry *reg)
{
    int total = 0;

    FUZZ_CHECK(reg->n_clusters >= 0 && reg->n_clusters <= WITNESS_MAX_CLUSTERS, "%d clusters",
               reg->n_clusters);
    for (int i = 0; i < reg->n_clusters; i++) {
        const struct witness_cluster *c = reg->clusters[i];
        FUZZ_CHECK(c->n_nodes >= 0 && c->n_nodes <= WITNESS_MAX_NODES, "%d nodes", c->n_nodes);
        FUZZ_CHECK(c->n_grants >= 0 && c->n_grants <= WITNESS_MAX_EPOCHS, "%d grants", c->n_grants);
        for (int g = 1; g < c->n_grants; g++)
            FUZZ_CHECK(c->grants[g].epoch > c->grants[g - 1].epoch,
                       "grants of cluster '%s' not in increasing epoch order", c->name);
        total += c->n_nodes;
    }
    FUZZ_CHECK(total == reg->n_nodes_total, "%d nodes counted, %d held", reg->n_nodes_total, total);
}

/* A granted arbitration: the same epoch as the last grant in its cluster
 * with the same winner, or a newer one whose parent is no older than it;
 * and the asking node is on the winning side. */
static void check_grant(const char *body, const struct witness_arbitrate *req)
{
    json_t *root = json_loads(body, 0, NULL);
    json_t *winner = json_object_get(root, "winner");
    json_t *members = json_object_get(winner, "members");
    const char *wnode = json_string_value(json_object_get(winner, "node"));
    int self = 0, i;

    if (!json_is_true(json_object_get(root, "granted"))) {
        json_decref(root);
        return;
    }
    FUZZ_CHECK(wnode && json_is_array(members), "a grant without its winner: %s", body);
    FUZZ_CHECK(json_integer_value(json_object_get(winner, "epoch")) == (json_int_t)req->epoch,
               "granted epoch %" PRIu64 " names another winner epoch: %s", req->epoch, body);
    for (size_t k = 0; k < json_array_size(members); k++)
        self |= strcmp(json_string_value(json_array_get(members, k)), req->node) == 0;
    FUZZ_CHECK(self, "epoch %" PRIu64 " granted to '%s', who is not on the winning side: %s",
               req->epoch, req->node, body);

    for (i = 0; i < n_seen; i++)
        if (strcmp(seen[i].cluster, req->cluster) == 0)
            break;
    if (i == n_seen) {
        if (n_seen == SEEN_MAX) {
            json_decref(root);
            return;
        }
        n_seen++;
        snprintf(seen[i].cluster, sizeof(seen[i].cluster), "%s", req->cluster);
    } else {
        FUZZ_CHECK(req->epoch >= seen[i].epoch,
                   "cluster '%s': epoch %" PRIu64 " granted after epoch %" PRIu64, req->cluster,
                   req->epoch, seen[i].epoch);
        FUZZ_CHECK(req->epoch > seen[i].epoch || strcmp(seen[i].winner, wnode) == 0,
                   "cluster '%s': epoch %" PRIu64 " granted to the side of '%s', then of '%s'",
                   req->cluster, req->epoch, seen[i].winner, wnode);
        FUZZ_CHECK(req->epoch == seen[i].epoch || req->parent >= seen[i].epoch,
                   "cluster '%s': epoch %" PRIu64 " with parent %" PRIu64
                   " granted after epoch %" PRIu64 ": it does not descend from it",
                   req->cluster, req->epoch, req->parent, seen[i].epoch);
    }
    seen[i].epoch = req->epoch;
    snprintf(seen[i].winner, sizeof(seen[i].winner), "%s", wnode);
    json_decref(root);
}

static void check_reply(const struct witness_reply *rep, const char *path)
{
    static const int known[] = {200, 400, 401, 403, 404, 405, 413, 500, 507};
    int ok = 0;

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        ok |= rep->status == known[i];
    FUZZ_CHECK(ok, "status %d", rep->status);
    FUZZ_CHECK(rep->body, "no body (status %d)", rep->status);
    json_error_t je;
    json_t *root = json_loads(rep->body, 0, &je);
    FUZZ_CHECK(json_is_object(root), "status %d body is not a JSON object (%s): %s", rep->status,
               je.text, rep->body);
    if (rep->status != 200)
        FUZZ_CHECK(json_is_string(json_object_get(root, "error")),
                   "status %d without an error string: %s", rep->status, rep->body);
    FUZZ_CHECK((rep->status == 405) == (rep->allow != NULL), "status %d, Allow %s", rep->status,
               rep->allow ? rep->allow : "(none)");
    FUZZ_CHECK((rep->status == 401) == rep->challenge, "status %d, challenge %d", rep->status,
               rep->challenge);
    FUZZ_CHECK(memchr(rep->note, '\0', sizeof(rep->note)), "note not terminated");
    json_decref(root);
}

static void fuzz_serve(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {"/healthz", "/v1/alive", "/v1/arbitrate", "/nope"};
    static const char *const methods[] = {"POST", "GET", "HEAD", "PUT"};
    static const char *const auths[] = {"Bearer tokA", "bearer  tokB ", NULL, "Bearer tokC"};
    struct witness *w = calloc(1, sizeof(*w));
    vg_usec_t now = 1000 * VG_USEC_PER_SEC;
    size_t pos = 0;

    if (!w)
        abort();
    registry_init(&w->reg, on_event, NULL);
    token_add(&w->tokens, "tokA");
    token_add(&w->tokens, "tokB");
    n_seen = 0;

    while (pos < size) {
        const uint8_t *rec = data + pos, *nul = memchr(rec, '\0', size - pos);
        size_t len = nul ? (size_t)(nul - rec) : size - pos;
        unsigned ctl;
        struct witness_request req = {0};
        struct witness_reply rep;

        pos += len + 1;
        if (len == 0)
            continue;
        ctl = rec[0];
        now += (ctl & 0x80) ? 3600 * VG_USEC_PER_SEC : 250 * VG_USEC_PER_MSEC;
        registry_sweep(&w->reg, now);

        req.path = paths[ctl & 3];
        req.method = methods[(ctl >> 2) & 3];
        req.authorization = auths[(ctl >> 4) & 3];
        req.body_too_big = (ctl & 0x40) != 0;
        req.peer = "192.0.2.9";
        char *body = fuzz_dup(rec + 1, len - 1);
        req.body = body;
        req.body_len = len - 1;

        witness_serve(w, &req, now, &rep);
        check_reply(&rep, req.path);
        if (rep.status == 200 && strcmp(req.path, "/v1/arbitrate") == 0) {
            static struct witness_arbitrate a;
            char err[512];
            FUZZ_CHECK(request_parse_arbitrate(body, len - 1, &a, err, sizeof(err)) == 0,
                       "arbitration served for a body that does not parse");
            check_grant(rep.body, &a);
        }
        witness_reply_free(&rep);
        free(body);
        check_registry(&w->reg);
    }
    registry_free(&w->reg);
    free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] & 3) {
    case 0:
        fuzz_alive(data + 1, size - 1);
        break;
    case 1:
        fuzz_arbitrate(data + 1, size - 1);
        break;
    default:
        fuzz_serve(data + 1, size - 1);
        break;
    }
    return 0;
}
