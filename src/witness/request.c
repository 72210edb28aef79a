/* The witness's JSON: request bodies into structs, and the replies. Pure: no
 * I/O, no globals. Every field is checked for presence, type and bounds, and
 * a refusal says which field is wrong and what is expected. */
#include "witness.h"
#include "../common/errbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A name is 1 to max-1 bytes of UTF-8 (jansson has checked the encoding)
 * without control characters (C0, DEL, C1), so that it prints in a log line
 * as it is. */
static bool name_ok(const char *s, size_t len, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;

    if (len == 0 || len >= max)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (u[i] < 0x20 || u[i] == 0x7f)
            return false;
        if (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
            return false;
    }
    return true;
}

/* Copy string field `key` of obj into buf (of size max); an optional one
 * that is absent or "" gives "". */
static int get_name(json_t *obj, const char *key, bool required, char *buf, size_t max, char *err,
                    size_t errlen)
{
    json_t *v = json_object_get(obj, key);

    if (!v) {
        if (!required) {
            buf[0] = '\0';
            return 0;
        }
        return errbuf_fail(err, errlen, -EINVAL, "field '%s' is missing", key);
    }
    if (!json_is_string(v))
        return errbuf_fail(err, errlen, -EINVAL, "field '%s' must be a string", key);
    if (!required && json_string_length(v) == 0) {
        buf[0] = '\0'; /* "" is as good as absent */
        return 0;
    }
    if (!name_ok(json_string_value(v), json_string_length(v), max))
        return errbuf_fail(err, errlen, -EINVAL,
                           "field '%s' must be 1 to %zu bytes of UTF-8 without control characters",
                           key, max - 1);
    memcpy(buf, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* Parse a body that must be one JSON object. */
static int load_object(const char *body, size_t len, json_t **out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root;

    if (len == 0)
        return errbuf_fail(err, errlen, -EINVAL, "the body is empty; expected a JSON object");
    /* JSON_REJECT_DUPLICATES: {"node": "a", "node": "b"} is ambiguous, not last-wins. */
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return errbuf_fail(err, errlen, -EINVAL,
                           "the body is not valid JSON: %s (line %d, column %d)", je.text, je.line,
                           je.column);
    if (!json_is_object(root)) {
        json_decref(root);
        return errbuf_fail(err, errlen, -EINVAL, "the body must be a JSON object");
    }
    *out = root;
    return 0;
}

/* Incarnation: 1 to 16 hex digits (vigild sends 16). */
static int get_incarnation(json_t *obj, char *buf, size_t max, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, "incarnation");
    const char *s;
    size_t len;

    if (!v)
        return errbuf_fail(err, errlen, -EINVAL, "field 'incarnation' is missing");
    if (!json_is_string(v))
        return errbuf_fail(err, errlen, -EINVAL,
                           "field 'incarnation' must be a string of hex digits");
    s = json_string_value(v);
    len = json_string_length(v);
    if (len == 0 || len >= max || strspn(s, "0123456789abcdefABCDEF") != len)
        return errbuf_fail(err, errlen, -EINVAL, "field 'incarnation' must be 1 to %zu hex digits",
                           max - 1);
    memcpy(buf, s, len + 1);
    return 0;
}

static int get_integer(json_t *obj, const char *key, json_int_t min, json_int_t max,
                       json_int_t *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return errbuf_fail(err, errlen, -EINVAL, "field '%s' is missing", key);
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return errbuf_fail(err, errlen, -EINVAL, "field '%s' must be an integer from %lld to %lld",
                           key, (long long)min, (long long)max);
    *out = json_integer_value(v);
    return 0;
}

/* "sees": {"peer": ["link", ...], ...}: at most WITNESS_MAX_NODES peers of at
 * most VIGIL_MAX_LINKS links each, every name a valid name; kept as compact
 * text of at most WITNESS_SEES_MAX bytes. */
static int get_sees(json_t *obj, char **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, "sees");
    const char *peer;
    json_t *links;
    char *text;

    if (!v) {
        *out = strdup("{}");
        return *out ? 0 : -ENOMEM;
    }
    if (!json_is_object(v))
        return errbuf_fail(err, errlen, -EINVAL,
                           "field 'sees' must be an object {\"node\": [\"link\", ...]}");
    if (json_object_size(v) > WITNESS_MAX_NODES)
        return errbuf_fail(err, errlen, -EINVAL, "field 'sees' names more than %d nodes",
                           WITNESS_MAX_NODES);
    json_object_foreach(v, peer, links)
    {
        size_t i;
        json_t *l;

        if (!name_ok(peer, strlen(peer), WITNESS_NAME_MAX))
            return errbuf_fail(err, errlen, -EINVAL,
                               "field 'sees': node names must be 1 to %d bytes of UTF-8 without "
                               "control characters",
                               WITNESS_NAME_MAX - 1);
        if (!json_is_array(links) || json_array_size(links) > VIGIL_MAX_LINKS)
            return errbuf_fail(
                err, errlen, -EINVAL,
                "field 'sees': the value for node '%s' must be an array of at most %d "
                "link names",
                peer, VIGIL_MAX_LINKS);
        json_array_foreach(links, i, l)
        {
            if (!json_is_string(l) ||
                !name_ok(json_string_value(l), json_string_length(l), WITNESS_NAME_MAX))
                return errbuf_fail(
                    err, errlen, -EINVAL,
                    "field 'sees': the links of node '%s' must be strings of 1 to %d "
                    "bytes without control characters",
                    peer, WITNESS_NAME_MAX - 1);
        }
    }
    text = json_dumps(v, JSON_COMPACT);
    if (!text)
        return -ENOMEM;
    if (strlen(text) > WITNESS_SEES_MAX) {
        free(text);
        return errbuf_fail(err, errlen, -EINVAL,
                           "field 'sees' is longer than %d bytes as compact JSON",
                           WITNESS_SEES_MAX);
    }
    *out = text;
    return 0;
}

/* "groups": the node's group reports (docs/witness-api.md); optional, and
 * checked as strictly as the rest (proto's group_reports_parse). */
static int get_groups(json_t *obj, struct group_reports *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, "groups");
    char why[200];

    memset(out, 0, sizeof(*out));
    if (!v)
        return 0;
    if (group_reports_parse(v, out, why, sizeof(why)) < 0)
        return errbuf_fail(err, errlen, -EINVAL, "field %s", why);
    return 0;
}

int request_parse_alive(const char *body, size_t len, struct witness_alive *out, char *err,
                        size_t errlen)
{
    json_int_t timeout;
    json_t *root;
    int r;

    memset(out, 0, sizeof(*out));
    r = load_object(body, len, &root, err, errlen);
    if (r < 0)
        return r;
    if ((r = get_name(root, "cluster", true, out->cluster, sizeof(out->cluster), err, errlen)) <
            0 ||
        (r = get_name(root, "node", true, out->node, sizeof(out->node), err, errlen)) < 0 ||
        (r = get_incarnation(root, out->incarnation, sizeof(out->incarnation), err, errlen)) < 0 ||
        (r = get_integer(root, "timeout_ms", 1, WITNESS_TIMEOUT_MS_MAX, &timeout, err, errlen)) <
            0 ||
        (r = get_name(root, "state", false, out->state, sizeof(out->state), err, errlen)) < 0 ||
        (r = get_sees(root, &out->sees, err, errlen)) < 0 ||
        (r = get_groups(root, &out->groups, err, errlen)) < 0) {
        free(out->sees);
        out->sees = NULL;
        json_decref(root);
        return r;
    }
    out->timeout_ms = (uint32_t)timeout;
    json_decref(root);
    return 0;
}

void request_alive_free(struct witness_alive *a)
{
    free(a->sees);
    a->sees = NULL;
}

/* "members": 1 to WITNESS_MAX_NODES distinct node names, the asking node among them. */
static int get_members(json_t *obj, struct witness_arbitrate *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, "members");
    bool self = false;
    size_t i;
    json_t *m;

    if (!v)
        return errbuf_fail(err, errlen, -EINVAL, "field 'members' is missing");
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > WITNESS_MAX_NODES)
        return errbuf_fail(err, errlen, -EINVAL,
                           "field 'members' must be an array of 1 to %d node names",
                           WITNESS_MAX_NODES);
    json_array_foreach(v, i, m)
    {
        if (!json_is_string(m) ||
            !name_ok(json_string_value(m), json_string_length(m), WITNESS_NAME_MAX))
            return errbuf_fail(
                err, errlen, -EINVAL,
                "field 'members': item %zu must be a string of 1 to %d bytes of UTF-8 "
                "without control characters",
                i, WITNESS_NAME_MAX - 1);
        for (int j = 0; j < (int)i; j++) {
            if (strcmp(out->members[j], json_string_value(m)) == 0)
                return errbuf_fail(err, errlen, -EINVAL, "field 'members': '%s' is listed twice",
                                   json_string_value(m));
        }
        memcpy(out->members[i], json_string_value(m), json_string_length(m) + 1);
        if (strcmp(out->members[i], out->node) == 0)
            self = true;
    }
    out->n_members = (int)json_array_size(v);
    if (!self)
        return errbuf_fail(err, errlen, -EINVAL,
                           "field 'members' must include the asking node '%s'", out->node);
    return 0;
}

/* "epoch" and "parent": the view asked for, and the last quorate view it
 * descends from, which must be older. */
static int get_epochs(json_t *obj, struct witness_arbitrate *out, char *err, size_t errlen)
{
    json_int_t epoch, parent;
    int r;

    if ((r = get_integer(obj, "epoch", 0, INT64_MAX, &epoch, err, errlen)) < 0)
        return r;
    if (!json_object_get(obj, "parent"))
        return errbuf_fail(err, errlen, -EINVAL,
                           "field 'parent' is missing: send the epoch of the last view known to "
                           "be quorate (0 if there is none)");
    if ((r = get_integer(obj, "parent", 0, INT64_MAX, &parent, err, errlen)) < 0)
        return r;
    if (parent >= epoch)
        return errbuf_fail(err, errlen, -EINVAL,
                           "field 'parent' (%lld) must be smaller than field 'epoch' (%lld): it "
                           "is the epoch of the last view known to be quorate, an older view "
                           "than the one asked for (0 if there is none)",
                           (long long)parent, (long long)epoch);
    out->epoch = (uint64_t)epoch;
    out->parent = (uint64_t)parent;
    return 0;
}

int request_parse_arbitrate(const char *body, size_t len, struct witness_arbitrate *out, char *err,
                            size_t errlen)
{
    json_t *root;
    int r;

    memset(out, 0, sizeof(*out));
    r = load_object(body, len, &root, err, errlen);
    if (r < 0)
        return r;
    if ((r = get_name(root, "cluster", true, out->cluster, sizeof(out->cluster), err, errlen)) <
            0 ||
        (r = get_name(root, "node", true, out->node, sizeof(out->node), err, errlen)) < 0 ||
        (r = get_epochs(root, out, err, errlen)) < 0 ||
        (r = get_members(root, out, err, errlen)) < 0) {
        json_decref(root);
        return r;
    }
    json_decref(root);
    return 0;
}

/* Serialize and free root; NULL when out of memory (root may be NULL). */
static char *dump(json_t *root)
{
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;

    json_decref(root);
    return text;
}

/* Length of the valid UTF-8 sequence at s (shortest form, no surrogates),
 * or 0 when the byte at s does not start one. */
static size_t utf8_seq(const unsigned char *s)
{
    size_t n;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

/* Replace every byte that is not part of valid UTF-8 with '?': an error
 * message may quote a cut name or a bit of a bad body, and JSON text must be
 * UTF-8. */
static void utf8_sanitize(char *text)
{
    unsigned char *s = (unsigned char *)text;

    while (*s) {
        size_t n = utf8_seq(s);
        if (n == 0)
            *s++ = '?';
        else
            s += n;
    }
}

char *response_error(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    utf8_sanitize(msg);
    return dump(json_pack("{s:s}", "error", msg));
}

/* For every node of c: how long ago the witness last heard from it, and what
 * it said then. */
char *response_alive(const struct witness_cluster *c, vg_usec_t now)
{
    json_t *root = json_object(), *nodes = json_object();

    if (!root || !nodes || json_object_set_new(root, "cluster", json_string(c->name)) < 0 ||
        json_object_set(root, "nodes", nodes) < 0)
        goto fail;
    for (int i = 0; i < c->n_nodes; i++) {
        const struct witness_node *n = &c->nodes[i];
        vg_usec_t age = now > n->last_seen ? now - n->last_seen : 0;
        json_t *sees = json_loads(n->sees, 0, NULL);
        json_t *o =
            json_pack("{s:I, s:s, s:I, s:s, s:o*}", "age_ms", (json_int_t)(age / VG_USEC_PER_MSEC),
                      "incarnation", n->incarnation, "timeout_ms", (json_int_t)n->timeout_ms,
                      "state", n->state, "sees", sees);
        if (o && n->groups.n &&
            json_object_set_new(o, "groups", group_reports_json(&n->groups)) < 0) {
            json_decref(o);
            goto fail;
        }
        if (!o || json_object_set_new(nodes, n->name, o) < 0)
            goto fail;
    }
    json_decref(nodes);
    return dump(root);
fail:
    json_decref(nodes);
    json_decref(root);
    return NULL;
}

static json_t *grant_json(const struct witness_grant *g)
{
    json_t *members = json_array();
    json_t *o;

    for (int i = 0; members && i < g->n_members; i++) {
        if (json_array_append_new(members, json_string(g->members[i])) < 0) {
            json_decref(members);
            return NULL;
        }
    }
    o = json_pack("{s:I, s:s, s:o}", "epoch", (json_int_t)g->epoch, "node", g->node, "members",
                  members);
    return o;
}

char *response_arbitrate(const struct witness_cluster *c, uint64_t epoch,
                         const struct witness_verdict *v)
{
    json_t *root = json_pack("{s:s, s:I, s:b}", "cluster", c->name, "epoch", (json_int_t)epoch,
                             "granted", v->granted);
    char reason[sizeof(v->reason)];

    snprintf(reason, sizeof(reason), "%s", v->reason);
    utf8_sanitize(reason);
    if (!root)
        return NULL;
    if (v->winner && json_object_set_new(root, "winner", grant_json(v->winner)) < 0)
        goto fail;
    if (!v->granted &&
        (json_object_set_new(root, "reason", json_string(reason)) < 0 ||
         json_object_set_new(root, "newest_epoch", json_integer((json_int_t)v->newest)) < 0))
        goto fail;
    return dump(root);
fail:
    json_decref(root);
    return NULL;
}
