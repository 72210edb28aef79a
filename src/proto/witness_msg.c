/* What a node sends to vigil-witness and makes of its answers. */
#include "proto.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

char *witness_alive_body(const char *cluster, const char *node, uint64_t incarnation,
                         uint64_t timeout_ms, const char *state, const char *sees_json,
                         const struct group_reports *groups)
{
    char inc[17];
    json_t *sees = sees_json ? json_loads(sees_json, 0, NULL) : json_object();

    if (!sees)
        sees = json_object();
    snprintf(inc, sizeof(inc), "%016" PRIx64, incarnation);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:I, s:s, s:o}", "cluster", cluster, "node", node, "incarnation",
                  inc, "timeout_ms", (json_int_t)timeout_ms, "state", state, "sees", sees);
    if (!o)
        return NULL;
    if (groups && groups->n)
        json_object_set_new(o, "groups", group_reports_json(groups));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* Copy a JSON string field that must fit; "" when absent. */
static int copy_str(json_t *o, const char *key, char *dst, size_t size, bool required,
                    const char *who, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);

    dst[0] = '\0';
    if (!v) {
        if (required) {
            snprintf(err, errlen, "%s: \"%s\" is missing", who, key);
            return -EINVAL;
        }
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) >= size) {
        snprintf(err, errlen, "%s: \"%s\" must be a string of at most %zu bytes", who, key,
                 size - 1);
        return -EINVAL;
    }
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int witness_alive_answer_parse(const char *body, size_t len, const char *cluster,
                               struct witness_answer *out, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *nodes, *v;
    const char *name;
    int r = -EINVAL;

    memset(out, 0, sizeof(*out));
    if (!root) {
        snprintf(err, errlen, "answer is not JSON: %s", jerr.text);
        return -EINVAL;
    }
    v = json_object_get(root, "cluster");
    if (!json_is_string(v) || strcmp(json_string_value(v), cluster) != 0) {
        snprintf(err, errlen, "answer is not about this cluster");
        goto out;
    }
    nodes = json_object_get(root, "nodes");
    if (!json_is_object(nodes)) {
        snprintf(err, errlen, "answer has no \"nodes\" object");
        goto out;
    }
    json_object_foreach(nodes, name, v)
    {
        if (out->n >= VIGIL_MAX_NODES) {
            snprintf(err, errlen, "answer lists more than %d nodes", VIGIL_MAX_NODES);
            goto out;
        }
        struct witness_seen_node *n = &out->nodes[out->n];
        json_t *age = json_object_get(v, "age_ms");
        if (strlen(name) >= sizeof(n->name) || !json_is_object(v)) {
            snprintf(err, errlen, "answer has an invalid node entry");
            goto out;
        }
        if (!json_is_integer(age) || json_integer_value(age) < 0) {
            snprintf(err, errlen, "node %s: \"age_ms\" must be a non-negative integer", name);
            goto out;
        }
        snprintf(n->name, sizeof(n->name), "%s", name);
        n->age_ms = (uint64_t)json_integer_value(age);
        if (copy_str(v, "state", n->state, sizeof(n->state), false, name, err, errlen) < 0 ||
            copy_str(v, "incarnation", n->incarnation, sizeof(n->incarnation), false, name, err,
                     errlen) < 0)
            goto out;
        json_t *tmo = json_object_get(v, "timeout_ms"), *groups = json_object_get(v, "groups");
        if (tmo && (!json_is_integer(tmo) || json_integer_value(tmo) < 0)) {
            snprintf(err, errlen, "node %s: \"timeout_ms\" must be a non-negative integer", name);
            goto out;
        }
        n->timeout_ms = tmo ? (uint64_t)json_integer_value(tmo) : 0;
        if (groups) {
            char why[200];
            if (group_reports_parse(groups, &n->groups, why, sizeof(why)) < 0) {
                snprintf(err, errlen, "node %s: %s", name, why);
                goto out;
            }
        }
        out->n++;
    }
    r = 0;
out:
    json_decref(root);
    return r;
}

char *witness_arbitrate_body(const char *cluster, const char *node, uint64_t epoch, uint64_t parent,
                             const char *const *members, int n_members)
{
    json_t *m = json_array();

    for (int i = 0; m && i < n_members; i++)
        json_array_append_new(m, json_string(members[i]));
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:o}", "cluster", cluster, "node", node, "epoch",
                          (json_int_t)epoch, "parent", (json_int_t)parent, "members", m);
    if (!o)
        return NULL;
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

int witness_arbitrate_answer_parse(const char *body, size_t len, uint64_t epoch, bool *granted,
                                   char *reason, size_t reason_len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    int r = -EINVAL;

    if (reason && reason_len)
        reason[0] = '\0';
    if (!root) {
        snprintf(err, errlen, "answer is not JSON: %s", jerr.text);
        return -EINVAL;
    }
    json_t *e = json_object_get(root, "epoch"), *g = json_object_get(root, "granted");
    if (!json_is_integer(e) || (uint64_t)json_integer_value(e) != epoch) {
        snprintf(err, errlen, "answer is not about epoch %llu", (unsigned long long)epoch);
        goto out;
    }
    if (!json_is_boolean(g)) {
        snprintf(err, errlen, "answer has no boolean \"granted\"");
        goto out;
    }
    *granted = json_is_true(g);
    json_t *why = json_object_get(root, "reason");
    if (reason && reason_len && json_is_string(why))
        snprintf(reason, reason_len, "%s", json_string_value(why));
    r = 0;
out:
    json_decref(root);
    return r;
}
