/* [fence "NAME"] sections: fence devices (docs/configuration.md, "[fence]";
 * docs/fencing.md says how they are used). Vigil's own keys are read as they
 * come; every other key is a parameter of the fence agent, passed on its
 * stdin as name=value (checked here for shape only: whether the agent knows
 * it is checked against its metadata by vigild and `vigilctl config check`,
 * which can run the agent). Node names wait for the end of the file. */
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

#define NODES_EXAMPLE "alpha, beta"
#define PLUG_EXAMPLE "alpha:1, beta:2"
#define DURATION_EXAMPLE "a duration with a unit, e.g. 200ms or 1s"

/* Parameters Vigil sets itself for each action and node. */
static const char *const reserved[] = {"action", "plug", "port", "nodename"};

const char *conf_fence_label(const struct raw_fence *f, char *buf, size_t len)
{
    snprintf(buf, len, "[fence \"%s\"]", f->name);
    return buf;
}

void conf_open_fence(struct conf_parser *p, const char *name)
{
    struct raw_fence *f;

    for (int i = 0; i < p->n_fences; i++) {
        if (strcmp(p->fences[i].name, name) == 0) {
            conf_err(p, p->lineno,
                     "duplicate section [fence \"%s\"] (first on line %d): merge them", name,
                     p->fences[i].line);
            return;
        }
    }
    if (p->n_fences >= CONF_FENCE_MAX) {
        conf_err(p, p->lineno,
                 "too many fence devices: [fence \"%s\"] is one more than the %d allowed", name,
                 CONF_FENCE_MAX);
        return;
    }
    f = &p->fences[p->n_fences];
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->line = p->lineno;
    p->sec = SEC_FENCE;
    p->sec_index = p->n_fences++;
}

static struct raw_fence *cur_fence(struct conf_parser *p)
{
    return &p->fences[p->sec_index];
}

static void set_type(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_fence *f = cur_fence(p);

    if (strcmp(value, "agent") == 0)
        return;
    f->type_bad = true;
    if (strcmp(value, "ssh") == 0 || strcmp(value, "disk") == 0)
        conf_key_err(p, key,
                     "fence type '%s' is not supported yet by this version of vigil: use 'type = "
                     "agent' with a fence agent (fence-agents)",
                     value);
    else
        conf_key_err(p, key, "unknown fence type '%.64s': expected agent", value);
}

/* A fence agent's file name: letters, digits, _ . + -, not starting with '.'. */
static bool agent_name_valid(const char *s)
{
    if (!s[0] || s[0] == '.')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '.' || *s == '+' || *s == '-'))
            return false;
    return true;
}

static void set_agent(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_fence *f = cur_fence(p);

    if (strlen(value) >= sizeof(f->agent))
        conf_key_err(p, key, "agent is longer than %d characters", CONF_FENCE_VALUE_MAX - 1);
    else if (value[0] == '/' ? !conf_text_valid(value) || strstr(value, "/../") != NULL
                             : !agent_name_valid(value))
        conf_key_err(p, key,
                     "bad agent '%.64s': expected the name of a fence agent (e.g. fence_ipmilan, "
                     "looked for in /usr/sbin, /sbin, /usr/local/sbin) or its absolute path",
                     value);
    else
        snprintf(f->agent, sizeof(f->agent), "%s", value);
}

/* One node name of `nodes =` (n bytes at s, blanks trimmed); false after an error. */
static bool add_node(struct conf_parser *p, const char *key, const char *s, size_t n)
{
    struct raw_fence *f = cur_fence(p);
    char name[VIGIL_NAME_MAX + 1];

    if (n == 0) {
        conf_key_err(p, key,
                     "empty entry in the list: expected the names of the nodes this device can "
                     "fence, separated by commas, e.g. " NODES_EXAMPLE);
        return false;
    }
    snprintf(name, sizeof(name), "%.*s", (int)n, s);
    if (n >= VIGIL_NAME_MAX || !conf_name_valid(name)) {
        conf_key_err(p, key, "bad node name '%.64s%s': " CONF_NAME_EXPECT, name,
                     n >= VIGIL_NAME_MAX ? "..." : "");
        return false;
    }
    for (int i = 0; i < f->n_nodes; i++) {
        if (strcmp(f->nodes[i], name) == 0) {
            conf_key_err(p, key, "'%s' is listed twice: list each node once", name);
            return false;
        }
    }
    if (f->n_nodes >= VIGIL_MAX_NODES) {
        conf_key_err(p, key, "more than %d nodes: a cluster has at most %d", VIGIL_MAX_NODES,
                     VIGIL_MAX_NODES);
        return false;
    }
    memcpy(f->nodes[f->n_nodes++], name, n + 1); /* n < VIGIL_NAME_MAX, checked above */
    return true;
}

static void set_nodes(struct conf_parser *p, const char *key, const char *value)
{
    if (!conf_split_list(p, key, value, add_node))
        cur_fence(p)->n_nodes = 0;
}

/* One NODE:PLUG of `plug-map =`; false after an error. */
static bool add_plug(struct conf_parser *p, const char *key, const char *s, size_t n)
{
    struct raw_fence *f = cur_fence(p);
    const char *colon = memchr(s, ':', n);
    size_t nlen, plen;
    const char *plug;

    if (!colon || colon == s || colon == s + n - 1) {
        conf_key_err(p, key,
                     "bad entry '%.*s': expected NODE:PLUG pairs separated by commas, e.g. "
                     "" PLUG_EXAMPLE,
                     (int)(n > 64 ? 64 : n), s);
        return false;
    }
    nlen = (size_t)(colon - s);
    plug = colon + 1;
    plen = n - nlen - 1;
    while (nlen && (s[nlen - 1] == ' ' || s[nlen - 1] == '\t'))
        nlen--;
    while (plen && (*plug == ' ' || *plug == '\t'))
        plug++, plen--;
    if (f->n_plugs >= VIGIL_MAX_NODES) {
        conf_key_err(p, key, "more than %d entries", VIGIL_MAX_NODES);
        return false;
    }
    if (nlen == 0 || nlen >= VIGIL_NAME_MAX || plen == 0 || plen >= CONF_FENCE_PLUG_MAX) {
        conf_key_err(p, key,
                     "bad entry '%.*s': the node name is 1 to %d characters and the plug 1 to %d",
                     (int)(n > 64 ? 64 : n), s, VIGIL_NAME_MAX - 1, CONF_FENCE_PLUG_MAX - 1);
        return false;
    }
    snprintf(f->plugs[f->n_plugs].node, VIGIL_NAME_MAX, "%.*s", (int)nlen, s);
    snprintf(f->plugs[f->n_plugs].plug, CONF_FENCE_PLUG_MAX, "%.*s", (int)plen, plug);
    if (!conf_name_valid(f->plugs[f->n_plugs].node) ||
        !conf_text_valid(f->plugs[f->n_plugs].plug)) {
        conf_key_err(p, key, "bad entry '%.*s': expected NODE:PLUG, e.g. " PLUG_EXAMPLE,
                     (int)(n > 64 ? 64 : n), s);
        return false;
    }
    for (int i = 0; i < f->n_plugs; i++) {
        if (strcmp(f->plugs[i].node, f->plugs[f->n_plugs].node) == 0) {
            conf_key_err(p, key, "node '%s' has two plugs: give each node one", f->plugs[i].node);
            return false;
        }
    }
    f->n_plugs++;
    return true;
}

static void set_plug_map(struct conf_parser *p, const char *key, const char *value)
{
    if (!conf_split_list(p, key, value, add_plug))
        cur_fence(p)->n_plugs = 0;
}

static void set_level(struct conf_parser *p, const char *key, const char *value)
{
    unsigned long v;

    if (conf_parse_uint(value, 1, CONF_FENCE_LEVELS, &v) < 0)
        conf_key_err(p, key, "bad level '%.64s': expected a number from 1 to %d (1 is tried first)",
                     value, CONF_FENCE_LEVELS);
    else
        cur_fence(p)->level = (int)v;
}

static void set_timeout(struct conf_parser *p, const char *key, const char *value)
{
    conf_set_duration(p, key, value, &cur_fence(p)->timeout, CONF_RES_TIME_MIN, CONF_RES_TIME_MAX);
}

static void set_retries(struct conf_parser *p, const char *key, const char *value)
{
    unsigned long v;

    if (conf_parse_uint(value, 0, CONF_FENCE_RETRIES_MAX, &v) < 0)
        conf_key_err(p, key, "bad retries '%.64s': expected a number from 0 to %d", value,
                     CONF_FENCE_RETRIES_MAX);
    else
        cur_fence(p)->retries = (int)v;
}

static const struct key_def fence_keys[FK_COUNT] = {
    [FK_TYPE] = {"type", "agent", set_type, 0},
    [FK_AGENT] = {"agent", "a fence agent's name, e.g. fence_ipmilan, or its absolute path",
                  set_agent, 0},
    [FK_NODES] = {"nodes", "node names separated by commas, e.g. " NODES_EXAMPLE, set_nodes, 0},
    [FK_PLUG_MAP] = {"plug-map", "NODE:PLUG pairs separated by commas, e.g. " PLUG_EXAMPLE,
                     set_plug_map, 0},
    [FK_LEVEL] = {"level", "a number from 1 to " STR(CONF_FENCE_LEVELS), set_level, 0},
    [FK_TIMEOUT] = {"timeout", DURATION_EXAMPLE, set_timeout, 0},
    [FK_RETRIES] = {"retries", "a number from 0 to " STR(CONF_FENCE_RETRIES_MAX), set_retries, 0},
};

/* Whether a parameter name can go on an agent's stdin: [A-Za-z0-9_.-]. */
static bool param_name_valid(const char *s)
{
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '.' || *c == '-'))
            return false;
    return s[0] != '\0' && strlen(s) < VIGIL_NAME_MAX;
}

/* A key that is not Vigil's: a parameter of the agent. */
static void add_param(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_fence *f = cur_fence(p);

    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (strcmp(key, reserved[i]) == 0) {
            conf_key_err(p, key,
                         "'%s' is set by vigil for each action and node: remove it (give the "
                         "plug of each node with plug-map = " PLUG_EXAMPLE ")",
                         key);
            return;
        }
    }
    if (!param_name_valid(key)) {
        conf_key_err(p, key,
                     "'%.64s' cannot be a fence agent parameter: expected one of vigil's keys "
                     "(type, agent, nodes, plug-map, level, timeout, retries) or a parameter "
                     "name of the agent (letters, digits, _ . -)",
                     key);
        return;
    }
    for (int i = 0; i < f->n_params; i++) {
        if (strcmp(f->params[i].name, key) == 0) {
            conf_key_err(p, key, "parameter '%s' is given twice (first on line %d): keep one", key,
                         f->params[i].line);
            return;
        }
    }
    if (strlen(value) >= CONF_FENCE_VALUE_MAX || !conf_text_valid(value)) {
        conf_key_err(p, key, "the value is longer than %d characters or holds a control character",
                     CONF_FENCE_VALUE_MAX - 1);
        return;
    }
    if (f->n_params >= CONF_FENCE_PARAMS_MAX) {
        conf_key_err(p, key, "more than %d agent parameters in one device", CONF_FENCE_PARAMS_MAX);
        return;
    }
    snprintf(f->params[f->n_params].name, VIGIL_NAME_MAX, "%s", key);
    snprintf(f->params[f->n_params].value, CONF_FENCE_VALUE_MAX, "%s", value);
    f->params[f->n_params++].line = p->lineno;
}

void conf_key_fence(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_fence *f = cur_fence(p);
    int i = conf_find_key(p, fence_keys, FK_COUNT, f->key_line, key, value);

    if (i >= 0)
        fence_keys[i].set(p, key, value);
    else if (i == -ENOENT)
        add_param(p, key, value);
}

static int node_index_raw(const struct conf_parser *p, const char *name)
{
    for (int i = 0; i < p->n_nodes; i++)
        if (strcmp(p->nodes[i].name, name) == 0)
            return i;
    return -1;
}

static bool in_nodes(const struct raw_fence *f, const char *name)
{
    for (int i = 0; i < f->n_nodes; i++)
        if (strcmp(f->nodes[i], name) == 0)
            return true;
    return false;
}

void conf_fence_check(struct conf_parser *p)
{
    char label[CONF_LABEL_MAX];

    if (p->n_fences && p->out->fencing == FENCING_NONE)
        conf_err(p, p->fences[0].line,
                 "[fence \"%s\"]: fence devices are never used with [cluster] fencing = none: "
                 "remove them, or set fencing = required",
                 p->fences[0].name);
    for (int i = 0; i < p->n_fences; i++) {
        const struct raw_fence *f = &p->fences[i];

        conf_fence_label(f, label, sizeof(label));
        if (!f->key_line[FK_TYPE])
            conf_err(p, f->line, "%s: missing required key 'type': expected 'type = agent'", label);
        if (!f->type_bad && !f->key_line[FK_AGENT])
            conf_err(p, f->line,
                     "%s: missing required key 'agent': expected the fence agent to run, e.g. "
                     "'agent = fence_ipmilan'",
                     label);
        if (!f->key_line[FK_NODES])
            conf_err(p, f->line,
                     "%s: missing required key 'nodes': expected the nodes this device can "
                     "fence, e.g. 'nodes = " NODES_EXAMPLE "'",
                     label);
        for (int k = 0; k < f->n_nodes; k++)
            if (node_index_raw(p, f->nodes[k]) < 0)
                conf_err(p, f->key_line[FK_NODES],
                         "%s nodes: no [node \"%s\"] in this file: add it or remove it from "
                         "the list",
                         label, f->nodes[k]);
        for (int k = 0; k < f->n_plugs; k++)
            if (!in_nodes(f, f->plugs[k].node))
                conf_err(p, f->key_line[FK_PLUG_MAP],
                         "%s plug-map: '%s' is not in this device's nodes: add it to nodes or "
                         "remove its plug",
                         label, f->plugs[k].node);
    }
}

void conf_fence_build(struct conf_parser *p)
{
    struct conf *c = p->out;

    for (int i = 0; i < p->n_fences; i++) {
        const struct raw_fence *f = &p->fences[i];
        struct conf_fence *cf = &c->fences[c->n_fences++];

        snprintf(cf->name, sizeof(cf->name), "%s", f->name);
        snprintf(cf->agent, sizeof(cf->agent), "%s", f->agent);
        cf->line = f->line;
        cf->level = f->key_line[FK_LEVEL] ? f->level : 1;
        cf->timeout = f->key_line[FK_TIMEOUT] ? f->timeout : CONF_FENCE_DEFAULT_TIMEOUT;
        cf->retries = f->key_line[FK_RETRIES] ? f->retries : CONF_FENCE_DEFAULT_RETRIES;
        for (int k = 0; k < f->n_nodes; k++) {
            const struct conf_node *n = conf_node_by_name(c, f->nodes[k]);
            int idx = n ? (int)(n - c->nodes) : -1;
            if (idx < 0)
                continue; /* reported by conf_fence_check */
            cf->nodes |= UINT64_C(1) << idx;
            snprintf(cf->plug[idx], sizeof(cf->plug[idx]), "%s", n->name);
            for (int m = 0; m < f->n_plugs; m++)
                if (strcmp(f->plugs[m].node, n->name) == 0)
                    snprintf(cf->plug[idx], sizeof(cf->plug[idx]), "%s", f->plugs[m].plug);
        }
        for (int k = 0; k < f->n_params; k++) {
            snprintf(cf->params[k].name, sizeof(cf->params[k].name), "%s", f->params[k].name);
            snprintf(cf->params[k].value, sizeof(cf->params[k].value), "%s", f->params[k].value);
        }
        cf->n_params = f->n_params;
    }
}
