/* [group "NAME"] sections: failover groups (docs/configuration.md,
 * "[group]"; docs/groups.md says what vigild will make of them). The keys
 * are read as they come, like [cluster]; the node names of the failover
 * policy wait for the end of the file, since [node] sections may come
 * later. conf_group_build() then writes each group with its resources,
 * which resource.c reads. */
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

#define NODES_EXAMPLE "alpha, beta"
#define DURATION_EXAMPLE "a duration with a unit, e.g. 200ms or 1s"

void conf_open_group(struct conf_parser *p, const char *name)
{
    struct raw_group *g;

    if (!conf_raw_groups(p))
        return;

    for (int i = 0; i < p->gr->n_groups; i++) {
        if (strcmp(p->gr->groups[i].name, name) == 0) {
            conf_err(p, p->lineno,
                     "duplicate section [group \"%s\"] (first on line %d): merge them", name,
                     p->gr->groups[i].line);
            return;
        }
    }
    if (p->gr->n_groups >= VIGIL_MAX_GROUPS) {
        conf_err(p, p->lineno, "too many groups: [group \"%s\"] is one more than the %d allowed",
                 name, VIGIL_MAX_GROUPS);
        return;
    }
    g = &p->gr->groups[p->gr->n_groups];
    snprintf(g->name, sizeof(g->name), "%s", name);
    g->line = p->lineno;
    p->sec = SEC_GROUP;
    p->sec_index = p->gr->n_groups++;
}

static struct raw_group *cur_group(struct conf_parser *p)
{
    return &p->gr->groups[p->sec_index];
}

/* One name of the list (n bytes at s, blanks trimmed); false after an error. */
static bool add_node(struct conf_parser *p, const char *key, const char *s, size_t n)
{
    struct raw_group *g = cur_group(p);
    char name[VIGIL_NAME_MAX + 1];

    if (n == 0) {
        conf_key_err(p, key,
                     "empty entry in the list: expected node names separated by commas, "
                     "preferred first, e.g. " NODES_EXAMPLE);
        return false;
    }
    snprintf(name, sizeof(name), "%.*s", (int)n, s);
    if (n >= VIGIL_NAME_MAX || !conf_name_valid(name)) {
        conf_key_err(p, key, "bad node name '%.64s%s': " CONF_NAME_EXPECT, name,
                     n >= VIGIL_NAME_MAX ? "..." : "");
        return false;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        if (strcmp(p->gr->pool + g->nodes[i], name) == 0) {
            conf_key_err(p, key, "'%s' is listed twice: list each node once", name);
            return false;
        }
    }
    if (g->n_nodes >= VIGIL_MAX_NODES) {
        conf_key_err(p, key, "more than %d nodes: a cluster has at most %d", VIGIL_MAX_NODES,
                     VIGIL_MAX_NODES);
        return false;
    }
    return conf_pool_add(p, key, name, &g->nodes[g->n_nodes++]) == 0;
}

/* The failover policy: node names separated by commas, preferred first.
 * Whether each is a configured node is checked at the end. On an error no
 * name is kept (the key is set, so no "missing" message follows). */
static void set_nodes(struct conf_parser *p, const char *key, const char *value)
{
    if (!conf_split_list(p, key, value, add_node))
        cur_group(p)->n_nodes = 0;
}

static void set_failback(struct conf_parser *p, const char *key, const char *value)
{
    if (conf_parse_bool(value, &cur_group(p)->failback) < 0)
        conf_key_err(p, key, "bad boolean '%.64s': expected yes or no", value);
}

static void set_migration_threshold(struct conf_parser *p, const char *key, const char *value)
{
    unsigned long n;

    if (conf_parse_uint(value, 1, CONF_MIGRATION_THRESHOLD_MAX, &n) < 0)
        conf_key_err(p, key,
                     "bad migration-threshold '%.64s': expected a number from 1 to %d (failures "
                     "on a node before the group leaves it)",
                     value, CONF_MIGRATION_THRESHOLD_MAX);
    else
        cur_group(p)->migration_threshold = (int)n;
}

/* A duration, or `never`; a zero is refused so that "never" is always said
 * in so many words. */
static void set_failure_timeout(struct conf_parser *p, const char *key, const char *value)
{
    vg_usec_t v;

    if (strcmp(value, "never") == 0) {
        cur_group(p)->failure_timeout = 0;
        return;
    }
    if (conf_parse_duration_or_zero(value, &v) == 0 && v == 0) {
        conf_key_err(p, key,
                     "'%.64s': a failure count cannot expire after zero time: write 'never' for "
                     "counts that never expire, or a duration such as 10m",
                     value);
        return;
    }
    conf_set_duration(p, key, value, &cur_group(p)->failure_timeout, CONF_FAILURE_TIMEOUT_MIN,
                      CONF_FAILURE_TIMEOUT_MAX);
}

static void set_monitor_interval(struct conf_parser *p, const char *key, const char *value)
{
    conf_set_monitor_interval(p, key, value, &cur_group(p)->monitor_interval);
}

static const struct key_def group_keys[GK_COUNT] = {
    [GK_NODES] = {"nodes", "node names separated by commas, preferred first, e.g. " NODES_EXAMPLE,
                  set_nodes, 0},
    [GK_FAILBACK] = {"failback", "yes or no", set_failback, 0},
    [GK_MIGRATION_THRESHOLD] = {"migration-threshold",
                                "a number from 1 to " STR(CONF_MIGRATION_THRESHOLD_MAX),
                                set_migration_threshold, 0},
    [GK_FAILURE_TIMEOUT] = {"failure-timeout", DURATION_EXAMPLE " or never", set_failure_timeout,
                            0},
    [GK_MONITOR_INTERVAL] = {"monitor-interval", DURATION_EXAMPLE " (0: no monitor)",
                             set_monitor_interval, 0},
};

void conf_key_group(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_group *g = cur_group(p);
    char list[160];
    int i = conf_find_key(p, group_keys, GK_COUNT, g->key_line, key, value);

    if (i >= 0)
        group_keys[i].set(p, key, value);
    else if (i == -ENOENT)
        conf_err(p, p->lineno, "unknown key '%.64s' in [group \"%s\"]: expected one of %s", key,
                 g->name, conf_key_list(group_keys, GK_COUNT, 0, list, sizeof(list)));
}

/* "alpha, beta, gamma" (cut with "..."): the nodes a policy may name. */
static const char *node_list(const struct conf_parser *p, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (int i = 0; i < p->n_nodes; i++) {
        int w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", p->nodes[i].name);

        if (w < 0 || (size_t)w >= len - off) {
            snprintf(buf + (off < len - 4 ? off : len - 4), 4, "...");
            break;
        }
        off += (size_t)w;
    }
    return buf;
}

static bool node_defined(const struct conf_parser *p, const char *name)
{
    for (int i = 0; i < p->n_nodes; i++)
        if (strcmp(p->nodes[i].name, name) == 0)
            return true;
    return false;
}

void conf_group_check(struct conf_parser *p)
{
    char label[CONF_LABEL_MAX], nodes[256];

    if (!p->gr)
        return;

    for (int i = 0; i < p->gr->n_groups; i++) {
        const struct raw_group *g = &p->gr->groups[i];

        conf_group_label(g, label, sizeof(label));
        if (!g->key_line[GK_NODES]) {
            conf_err(p, g->line,
                     "%s: missing required key 'nodes': expected the nodes that may run the "
                     "group, preferred first, e.g. 'nodes = " NODES_EXAMPLE "'",
                     label);
            continue;
        }
        for (int n = 0; n < g->n_nodes; n++) {
            const char *name = p->gr->pool + g->nodes[n];

            if (!node_defined(p, name))
                conf_err(p, g->key_line[GK_NODES],
                         "%s nodes: '%s' is not a configured node: expected the names of [node] "
                         "sections (%s)",
                         label, name,
                         p->n_nodes ? node_list(p, nodes, sizeof(nodes))
                                    : "no [node] section is defined");
        }
    }
}

static int node_index(const struct conf *c, const char *name)
{
    const struct conf_node *n = conf_node_by_name(c, name);

    return n ? (int)(n - c->nodes) : -1;
}

/* After build(): node indexes are those of the sorted c->nodes. */
void conf_group_build(struct conf_parser *p)
{
    struct conf *c = p->out;

    if (!p->gr)
        return;

    for (int gi = 0; gi < p->gr->n_groups; gi++) {
        const struct raw_group *g = &p->gr->groups[gi];
        struct conf_group *cg = &c->groups[c->n_groups++];

        snprintf(cg->name, sizeof(cg->name), "%s", g->name);
        cg->line = g->line;
        for (int n = 0; n < g->n_nodes; n++)
            cg->nodes[cg->n_nodes++] = node_index(c, p->gr->pool + g->nodes[n]);
        cg->failback = g->failback;
        cg->migration_threshold = g->key_line[GK_MIGRATION_THRESHOLD]
                                      ? g->migration_threshold
                                      : CONF_DEFAULT_MIGRATION_THRESHOLD;
        cg->failure_timeout =
            g->key_line[GK_FAILURE_TIMEOUT] ? g->failure_timeout : CONF_DEFAULT_FAILURE_TIMEOUT;
        cg->monitor_interval =
            g->key_line[GK_MONITOR_INTERVAL] ? g->monitor_interval : CONF_DEFAULT_MONITOR_INTERVAL;
        cg->first_resource = c->n_resources;
        for (int ri = 0; ri < p->gr->n_resources; ri++)
            if (p->gr->resources[ri].group_index == gi)
                conf_resource_build(p, &p->gr->resources[ri], gi, &c->resources[c->n_resources++]);
        cg->n_resources = c->n_resources - cg->first_resource;
    }
}
