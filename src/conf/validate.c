/* Checks that need the whole file, once every section has been read: required
 * keys, unique ids and priorities, timing relations, and the node addresses,
 * whose keys name links that may be defined below the node. Then, when
 * nothing is wrong, the result in p->out: udp links by priority, nodes by id,
 * addresses with their link's port. */
#include "parse.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_timing(struct conf_parser *p)
{
    const int *line = p->cluster_key_line;
    const struct conf *c = p->out;
    char a[32], b[32];

    if (p->timing_bad || !p->cluster_line)
        return;
    if (c->timeout <= c->interval) {
        conf_format_duration(c->timeout, a, sizeof(a));
        conf_format_duration(c->interval, b, sizeof(b));
        if (line[CK_TIMEOUT])
            conf_err(p, line[CK_TIMEOUT], "[cluster] timeout: %s must be larger than interval (%s)",
                     a, b);
        else
            conf_err(p, line[CK_INTERVAL],
                     "[cluster] interval: %s must be smaller than timeout (%s, the default)", b, a);
    }
    if (c->initial_timeout < c->timeout) {
        conf_format_duration(c->initial_timeout, a, sizeof(a));
        conf_format_duration(c->timeout, b, sizeof(b));
        if (line[CK_INITIAL_TIMEOUT])
            conf_err(p, line[CK_INITIAL_TIMEOUT],
                     "[cluster] initial-timeout: %s must not be smaller than timeout (%s)", a, b);
        else
            conf_err(p, line[CK_TIMEOUT],
                     "[cluster] timeout: %s must not be larger than initial-timeout (%s, the "
                     "default)",
                     b, a);
    }
}

static void check_cluster(struct conf_parser *p)
{
    if (!p->cluster_line) {
        conf_err(p, 1, "no [cluster] section: add one with at least 'name = CLUSTER-NAME'");
        return;
    }
    if (!p->cluster_key_line[CK_NAME])
        conf_err(p, p->cluster_line,
                 "[cluster]: missing required key 'name' (the cluster name, the same on every "
                 "node)");
    check_timing(p);
}

static void check_links(struct conf_parser *p)
{
    char label[CONF_LABEL_MAX], other[CONF_LABEL_MAX];

    for (int i = 0; i < p->n_links; i++) {
        struct raw_link *l = &p->links[i];

        conf_link_label(l, label, sizeof(label));
        if (l->type == RLT_UNSUPPORTED)
            continue;
        conf_link_report_unknown(p, l);
        if (l->type == RLT_UNSET && !l->key_line[LK_TYPE])
            conf_err(p, l->line, "%s: missing required key 'type': expected 'type = udp'", label);
        if (!l->key_line[LK_PRIORITY]) {
            conf_err(p, l->line,
                     "%s: missing required key 'priority': expected a number from 1 to %d, "
                     "unique among udp links (1 carries cluster messages first)",
                     label, VIGIL_MAX_LINKS);
            continue;
        }
        if (l->type != RLT_UDP || !l->priority)
            continue;
        for (int j = 0; j < i; j++) {
            const struct raw_link *o = &p->links[j];

            if (o->type == RLT_UDP && o->priority == l->priority) {
                conf_err(p, l->key_line[LK_PRIORITY],
                         "%s priority: priority %d is already used by %s (line %d): each udp "
                         "link needs its own priority",
                         label, l->priority, conf_link_label(o, other, sizeof(other)),
                         o->key_line[LK_PRIORITY]);
                break;
            }
        }
    }
    if (p->n_links == 0 && p->cluster_line)
        conf_err(p, p->cluster_line,
                 "no [link] section: a cluster needs at least one udp link, e.g. "
                 "[link \"lan1\"] with 'type = udp' and 'priority = 1'");
}

static void check_nodes(struct conf_parser *p)
{
    char label[CONF_LABEL_MAX], other[CONF_LABEL_MAX];

    if (p->n_nodes == 0)
        conf_err(p, p->cluster_line ? p->cluster_line : 1,
                 "no [node] section: a cluster needs at least one node, e.g. [node \"alpha\"] "
                 "with 'id = 1'");
    for (int i = 0; i < p->n_nodes; i++) {
        struct raw_node *n = &p->nodes[i];

        conf_node_label(n, label, sizeof(label));
        if (!n->id_line) {
            conf_err(p, n->line,
                     "%s: missing required key 'id': expected a number from 1 to %d, unique in "
                     "the cluster",
                     label, VIGIL_MAX_NODES);
            continue;
        }
        for (int j = 0; n->id && j < i; j++) {
            const struct raw_node *o = &p->nodes[j];

            if (o->id == n->id) {
                conf_err(p, n->id_line,
                         "%s id: duplicate node id %d: %s (line %d) has it already; each node "
                         "needs its own id",
                         label, n->id, conf_node_label(o, other, sizeof(other)), o->id_line);
                break;
            }
        }
    }
}

static int find_link(const struct conf_parser *p, const char *name)
{
    for (int i = 0; i < p->n_links; i++)
        if (strcmp(p->links[i].name, name) == 0)
            return i;
    return -1;
}

/* "links: lan1, lan2" for an unknown key in a node section. */
static const char *link_list(const struct conf_parser *p, char *buf, size_t len)
{
    size_t off = 0;

    if (p->n_links == 0) {
        snprintf(buf, len, "no [link] section is defined");
        return buf;
    }
    buf[0] = '\0';
    for (int i = 0; i < p->n_links && off + 1 < len; i++) {
        int w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "links: ", p->links[i].name);

        if (w < 0)
            break;
        off += (size_t)w;
    }
    return buf;
}

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* The address of node ni on link li (key k): family and uniqueness. Nodes
 * are handled in file order, so the first address seen decides the family of
 * a link that has no `family` key. */
static void resolve_address(struct conf_parser *p, int ni, int li, const struct raw_key *k)
{
    struct raw_node *n = &p->nodes[ni];
    struct raw_link *l = &p->links[li];
    char label[CONF_LABEL_MAX], other[CONF_LABEL_MAX];
    struct sockaddr_storage ss;
    socklen_t len;
    const char *why;

    conf_node_label(n, label, sizeof(label));
    if (k->value[0] == '\0') {
        conf_err(p, k->line,
                 "%s %s: empty value: expected the node's IPv4 or IPv6 address on link '%s'", label,
                 k->key, l->name);
        return;
    }
    if (k->value_long) {
        conf_err(p, k->line, "%s %s: value too long: expected an IPv4 or IPv6 address", label,
                 k->key);
        return;
    }
    if (conf_parse_address(k->value, &ss, &len, &why) < 0) {
        conf_err(p, k->line, "%s %s: invalid address '%s': %s", label, k->key, k->value, why);
        return;
    }
    if (l->family == AF_UNSPEC) {
        l->family = ss.ss_family;
        l->family_line = k->line;
        l->family_node = ni;
    } else if (l->family != ss.ss_family) {
        char from[CONF_LABEL_MAX + 64];

        if (l->family_node < 0)
            snprintf(from, sizeof(from), "set by its 'family' key on line %d", l->family_line);
        else
            snprintf(from, sizeof(from), "from the address of %s on line %d",
                     conf_node_label(&p->nodes[l->family_node], other, sizeof(other)),
                     l->family_line);
        conf_err(p, k->line,
                 "%s %s: %s is an %s address but link '%s' is %s (%s): all addresses on a "
                 "link must be of one family",
                 label, k->key, k->value, conf_family_name(ss.ss_family), l->name,
                 conf_family_name(l->family), from);
        return;
    }
    for (int j = 0; j < ni; j++) {
        const struct raw_node *o = &p->nodes[j];

        if (o->addr_len[li] && same_address(&o->addr[li], &ss)) {
            conf_err(p, k->line,
                     "%s %s: address %s is already used by %s (line %d) on link '%s': each "
                     "node needs its own address",
                     label, k->key, k->value, conf_node_label(o, other, sizeof(other)),
                     o->addr_line[li], l->name);
            return;
        }
    }
    n->addr[li] = ss;
    n->addr_len[li] = len;
}

/* Every key of a node section but `id` must name a link; an unsupported or
 * broken link has been reported already, so its addresses are not checked. */
static void resolve_addresses(struct conf_parser *p)
{
    char label[CONF_LABEL_MAX], links[VIGIL_MAX_LINKS * (VIGIL_NAME_MAX + 2) + 16];

    for (int ni = 0; ni < p->n_nodes; ni++) {
        struct raw_node *n = &p->nodes[ni];

        for (int i = 0; i < n->n_keys; i++) {
            const struct raw_key *k = &n->keys[i];
            int li = k->key_long ? -1 : find_link(p, k->key);

            if (li < 0) {
                conf_err(p, k->line,
                         "unknown key '%s%s' in %s: expected 'id' or the name of a [link] "
                         "section (%s)",
                         k->key, k->key_long ? "..." : "", conf_node_label(n, label, sizeof(label)),
                         link_list(p, links, sizeof(links)));
                continue;
            }
            n->addr_line[li] = k->line;
            if (p->links[li].type == RLT_UDP)
                resolve_address(p, ni, li, k);
        }
    }
}

static void check_coverage(struct conf_parser *p)
{
    char label[CONF_LABEL_MAX];

    for (int ni = 0; ni < p->n_nodes; ni++) {
        const struct raw_node *n = &p->nodes[ni];

        for (int li = 0; li < p->n_links; li++) {
            const struct raw_link *l = &p->links[li];

            if (l->type == RLT_UDP && !n->addr_line[li])
                conf_err(p, n->line,
                         "%s: no address on udp link '%s': add '%s = ADDRESS' (every node "
                         "needs an address on every udp link)",
                         conf_node_label(n, label, sizeof(label)), l->name, l->name);
        }
    }
}

static int by_priority(const void *a, const void *b)
{
    const struct conf_link *x = a, *y = b;

    return (x->priority > y->priority) - (x->priority < y->priority);
}

static int by_id(const void *a, const void *b)
{
    const struct conf_node *x = a, *y = b;

    return (x->id > y->id) - (x->id < y->id);
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* Fills p->out from a file with no errors (the cluster keys are there already). */
static void build(struct conf_parser *p)
{
    struct conf *c = p->out;

    for (int li = 0; li < p->n_links; li++) {
        const struct raw_link *l = &p->links[li];
        struct conf_link *cl = &c->links[c->n_links++];

        snprintf(cl->name, sizeof(cl->name), "%s", l->name);
        cl->type = LINK_UDP;
        cl->priority = l->priority;
        cl->port = l->port;
        cl->family = l->family;
        cl->line = l->line;
    }
    qsort(c->links, (size_t)c->n_links, sizeof(c->links[0]), by_priority);

    for (int ni = 0; ni < p->n_nodes; ni++) {
        const struct raw_node *n = &p->nodes[ni];
        struct conf_node *cn = &c->nodes[c->n_nodes++];

        snprintf(cn->name, sizeof(cn->name), "%s", n->name);
        cn->id = n->id;
        cn->line = n->line;
        for (int j = 0; j < c->n_links; j++) {
            int li = find_link(p, c->links[j].name);

            cn->addr[j] = n->addr[li];
            cn->addr_len[j] = n->addr_len[li];
            set_port(&cn->addr[j], c->links[j].port);
        }
    }
    qsort(c->nodes, (size_t)c->n_nodes, sizeof(c->nodes[0]), by_id);
}

void conf_validate(struct conf_parser *p)
{
    check_cluster(p);
    check_links(p);
    check_nodes(p);
    resolve_addresses(p);
    check_coverage(p);
    if (p->errors == 0)
        build(p);
}
