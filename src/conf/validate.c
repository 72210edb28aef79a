/* Checks that need the whole file, once every section has been read: required
 * keys, unique ids and priorities, timing relations, and the node addresses,
 * whose keys name links that may be defined below the node; then groups and
 * resources (group.c, resource.c), which name nodes and groups. Then, when
 * nothing is wrong, the result in p->out: udp links by priority then the
 * other links in file order, nodes by id, addresses with their link's port,
 * groups in file order with their resources. */
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
    if (p->out->quorum == QUORUM_NONE && !p->out->allow_split_brain)
        conf_err(p, p->cluster_key_line[CK_QUORUM],
                 "[cluster] quorum: 'none' lets both sides of a split run the same services; to "
                 "confirm that, add 'allow-split-brain = yes' to [cluster] (or use majority)");
}

/* A udp link's priority: required, and unique among udp links. */
static void check_udp_link(struct conf_parser *p, int i, const char *label)
{
    const struct raw_link *l = &p->links[i];
    char other[CONF_LABEL_MAX];

    if (!l->key_line[LK_PRIORITY]) {
        conf_err(p, l->line,
                 "%s: missing required key 'priority': expected a number from 1 to %d, "
                 "unique among udp links (1 carries cluster messages first)",
                 label, VIGIL_MAX_LINKS);
        return;
    }
    if (!l->priority)
        return;
    for (int j = 0; j < i; j++) {
        const struct raw_link *o = &p->links[j];

        if (o->type == RLT_UDP && o->priority == l->priority) {
            conf_err(p, l->key_line[LK_PRIORITY],
                     "%s priority: priority %d is already used by %s (line %d): each udp "
                     "link needs its own priority",
                     label, l->priority, conf_link_label(o, other, sizeof(other)),
                     o->key_line[LK_PRIORITY]);
            return;
        }
    }
}

static void check_disk_link(struct conf_parser *p, const struct raw_link *l, const char *label)
{
    if (!l->key_line[LK_DEVICE])
        conf_err(p, l->line,
                 "%s: missing required key 'device': expected the absolute path of the shared "
                 "partition or file, the same on every node, e.g. /dev/disk/by-partlabel/vigil-hb",
                 label);
}

static void check_witness_link(struct conf_parser *p, const struct raw_link *l, const char *label)
{
    const int *line = l->key_line;

    if (!line[LK_URL])
        conf_err(p, l->line,
                 "%s: missing required key 'url': expected the witness server's URL, e.g. "
                 "'url = https://witness.example:8443'",
                 label);
    if (!line[LK_TOKEN_FILE])
        conf_err(p, l->line,
                 "%s: missing required key 'token-file': expected the absolute path of the file "
                 "that holds the cluster's witness token, e.g. /etc/vigil/witness.token",
                 label);
    if (line[LK_CA_FILE] && l->url_ok && !l->url_https && !conf_line_has_error(p, line[LK_CA_FILE]))
        conf_err(p, line[LK_CA_FILE],
                 "%s ca-file: a CA file is only used with an https url, and the url (line %d) is "
                 "http: remove this line or use https://",
                 label, line[LK_URL]);
}

/* The interval and timeout of a disk or witness link, each its own key or
 * else the [cluster] value: the timeout must be the larger. */
static void check_link_timing(struct conf_parser *p, const struct raw_link *l, const char *label)
{
    const int *line = l->key_line;
    const struct conf *c = p->out;
    vg_usec_t interval, timeout;

    if (!line[LK_INTERVAL] && !line[LK_TIMEOUT])
        return; /* both from [cluster], checked there */
    if (l->timing_bad || ((!line[LK_INTERVAL] || !line[LK_TIMEOUT]) && p->timing_bad))
        return;
    interval = line[LK_INTERVAL] ? l->interval : c->interval;
    timeout = line[LK_TIMEOUT] ? l->timeout : c->timeout;
    conf_check_timing_pair(p, label, interval, timeout, line[LK_INTERVAL], line[LK_TIMEOUT],
                           "from [cluster]", "link");
}

void conf_check_timing_pair(struct conf_parser *p, const char *label, vg_usec_t interval,
                            vg_usec_t timeout, int interval_line, int timeout_line,
                            const char *from, const char *what)
{
    char a[32], b[32];

    if (timeout > interval)
        return;
    conf_format_duration(timeout, a, sizeof(a));
    conf_format_duration(interval, b, sizeof(b));
    if (timeout_line)
        conf_err(p, timeout_line, "%s timeout: %s must be larger than interval (%s%s%s)", label, a,
                 b, interval_line ? "" : ", ", interval_line ? "" : from);
    else
        conf_err(p, interval_line,
                 "%s interval: %s must be smaller than timeout (%s, %s): set this %s's timeout "
                 "too",
                 label, b, a, from, what);
}

static void check_links(struct conf_parser *p)
{
    char label[CONF_LABEL_MAX];
    bool udp = false, unknown = false;

    for (int i = 0; i < p->n_links; i++) {
        struct raw_link *l = &p->links[i];

        conf_link_label(l, label, sizeof(label));
        conf_link_check_keys(p, l);
        switch (l->type) {
        case RLT_UNSET:
            if (!l->key_line[LK_TYPE])
                conf_err(p, l->line,
                         "%s: missing required key 'type': expected 'type = udp', 'type = disk' "
                         "or 'type = witness'",
                         label);
            unknown = true;
            break;
        case RLT_BAD:
            unknown = true;
            break;
        case RLT_UDP:
            check_udp_link(p, i, label);
            udp = true;
            break;
        case RLT_DISK:
            check_disk_link(p, l, label);
            check_link_timing(p, l, label);
            break;
        case RLT_WITNESS:
            check_witness_link(p, l, label);
            check_link_timing(p, l, label);
            break;
        }
    }
    if (p->n_links == 0 && p->cluster_line)
        conf_err(p, p->cluster_line,
                 "no [link] section: a cluster needs at least one udp link, e.g. "
                 "[link \"lan1\"] with 'type = udp' and 'priority = 1'");
    else if (p->n_links > 0 && !udp && !unknown)
        conf_err(p, p->cluster_line ? p->cluster_line : 1,
                 "no udp link: disk and witness links only tell whether a node is alive; "
                 "cluster messages need at least one [link] with 'type = udp' and "
                 "'priority = 1'");
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

/* Every key of a node section but `id` must name a udp link; a link of
 * unknown type has been reported already, so its addresses are not checked. */
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
            else if (p->links[li].type == RLT_DISK || p->links[li].type == RLT_WITNESS)
                conf_err(p, k->line,
                         "%s %s: '%s' is a %s link; nodes have no address on it (remove this "
                         "line)",
                         conf_node_label(n, label, sizeof(label)), k->key, k->key,
                         conf_raw_link_type_name(p->links[li].type));
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

/* One link of a file with no errors; timing not set on the link comes
 * from [cluster]. */
static void build_link(const struct conf *c, const struct raw_link *l, struct conf_link *cl)
{
    snprintf(cl->name, sizeof(cl->name), "%s", l->name);
    cl->line = l->line;
    cl->interval = l->key_line[LK_INTERVAL] ? l->interval : c->interval;
    cl->timeout = l->key_line[LK_TIMEOUT] ? l->timeout : c->timeout;
    switch (l->type) {
    case RLT_UDP:
        cl->type = LINK_UDP;
        cl->priority = l->priority;
        cl->port = l->port;
        cl->family = l->family;
        break;
    case RLT_DISK:
        cl->type = LINK_DISK;
        snprintf(cl->device, sizeof(cl->device), "%s", l->device);
        break;
    case RLT_WITNESS:
        cl->type = LINK_WITNESS;
        snprintf(cl->url, sizeof(cl->url), "%s", l->url);
        snprintf(cl->token_file, sizeof(cl->token_file), "%s", l->token_file);
        snprintf(cl->proxy, sizeof(cl->proxy), "%s", l->proxy);
        snprintf(cl->ca_file, sizeof(cl->ca_file), "%s", l->ca_file);
        break;
    case RLT_UNSET:
    case RLT_BAD:
        break; /* reported: build() is not called */
    }
}

/* Fills p->out from a file with no errors (the cluster keys are there
 * already). Link order is the wire order: udp links by priority (unique, so
 * the sort is deterministic), then the other links in file order. */
static void build(struct conf_parser *p)
{
    struct conf *c = p->out;

    for (int li = 0; li < p->n_links; li++)
        if (p->links[li].type == RLT_UDP)
            build_link(c, &p->links[li], &c->links[c->n_links++]);
    qsort(c->links, (size_t)c->n_links, sizeof(c->links[0]), by_priority);
    for (int li = 0; li < p->n_links; li++)
        if (p->links[li].type != RLT_UDP)
            build_link(c, &p->links[li], &c->links[c->n_links++]);

    for (int ni = 0; ni < p->n_nodes; ni++) {
        const struct raw_node *n = &p->nodes[ni];
        struct conf_node *cn = &c->nodes[c->n_nodes++];

        snprintf(cn->name, sizeof(cn->name), "%s", n->name);
        cn->id = n->id;
        cn->votes = n->votes_line ? n->votes : 1;
        cn->line = n->line;
        for (int j = 0; j < c->n_links; j++) {
            int li = find_link(p, c->links[j].name);

            if (c->links[j].type != LINK_UDP)
                continue; /* no address: addr_len stays 0 */
            cn->addr[j] = n->addr[li];
            cn->addr_len[j] = n->addr_len[li];
            set_port(&cn->addr[j], c->links[j].port);
        }
    }
    qsort(c->nodes, (size_t)c->n_nodes, sizeof(c->nodes[0]), by_id);
}

/* quorum = witness needs a witness to ask. */
static void check_quorum(struct conf_parser *p)
{
    if (p->out->quorum != QUORUM_WITNESS)
        return;
    for (int li = 0; li < p->n_links; li++)
        if (p->links[li].type == RLT_WITNESS)
            return;
    conf_err(p, p->cluster_key_line[CK_QUORUM],
             "[cluster] quorum: 'witness' needs a [link] of type witness to ask; add one or use "
             "quorum = majority");
}

void conf_validate(struct conf_parser *p)
{
    check_cluster(p);
    check_links(p);
    check_quorum(p);
    conf_np_check(p);
    check_nodes(p);
    resolve_addresses(p);
    check_coverage(p);
    conf_group_check(p);
    conf_resource_check(p);
    conf_fence_check(p);
    conf_watchdog_check(p);
    if (p->errors == 0) {
        build(p);
        conf_np_build(p);
        conf_group_build(p);
        conf_fence_build(p);
    }
}
