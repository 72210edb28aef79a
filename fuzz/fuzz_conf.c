/* conf_parse_text(): vigil.conf, written by hand, copied between nodes,
 * pushed by the UI (docs/configuration.md).
 *
 * Input: the text of a configuration file.
 * Properties:
 *   - parsing is deterministic: a second parse gives the same result, the same
 *     configuration and the same messages;
 *   - success means no message, failure means at least one, -EINVAL, and a
 *     zeroed configuration; messages start with "FILE:LINE: " in line order;
 *   - a configuration that parses keeps the promises of conf.h (nodes sorted
 *     by id, udp links first by priority, timeout > interval, an address of
 *     the link's family and port for every node on every udp link, [np]
 *     sections within their bounds, groups with 1..16 resources in a row,
 *     policies of configured nodes, floating addresses unique and no node's,
 *     strings of resources inside conf.text, ...);
 *   - it survives a round trip: written back as text (one key per line, every
 *     value explicit) it parses again, to the same configuration. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include "../src/conf/conf.h"
#include "fuzz.h"

#define PATH "fuzz.conf"

static struct conf c1, c2, c3;
static struct conf_diag d1, d2, d3;

static int name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n >= VIGIL_NAME_MAX)
        return 0;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

static void check_diag(int r, const struct conf *c, const struct conf_diag *d)
{
    int prev = 0;

    if (r == 0) {
        FUZZ_CHECK(d->n == 0 && d->dropped == 0, "success with %d messages", d->n);
        return;
    }
    FUZZ_CHECK(r == -EINVAL, "conf_parse_text returned %d", r);
    FUZZ_CHECK(d->n >= 1 && d->n <= CONF_DIAG_MAX, "failure with %d messages", d->n);
    FUZZ_CHECK(d->dropped == 0 || d->n == CONF_DIAG_MAX, "%d dropped with only %d kept", d->dropped,
               d->n);
    FUZZ_CHECK(all_zero(c, sizeof(*c)), "failure left the configuration non-zero");
    for (int i = 0; i < d->n; i++) {
        const char *m = d->msg[i];
        int line = -1, off = 0;

        FUZZ_CHECK(memchr(m, '\0', CONF_DIAG_LEN), "message %d is not terminated", i);
        FUZZ_CHECK(sscanf(m, PATH ":%d: %n", &line, &off) == 1 && off > 0,
                   "message %d does not start with FILE:LINE: : %s", i, m);
        FUZZ_CHECK(line >= 1 && line >= prev, "message %d: line %d after line %d", i, line, prev);
        FUZZ_CHECK(m[off] != '\0', "message %d is empty: %s", i, m);
        prev = line;
    }
}

static const void *addr_bytes(const struct sockaddr_storage *ss, int *family, uint16_t *port)
{
    *family = ss->ss_family;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
        *port = ntohs(s->sin_port);
        return &s->sin_addr;
    }
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
    *port = ntohs(s->sin6_port);
    return &s->sin6_addr;
}

static int param_name_ok(const char *s)
{
    size_t n = strlen(s);

    return n >= 1 && n < VIGIL_NAME_MAX && !(s[0] >= '0' && s[0] <= '9') &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == n &&
           strncmp(s, "CRM_meta_", 9) != 0;
}

static int time_ok(vg_usec_t t, int zero_ok)
{
    return (zero_ok && t == 0) || (t >= CONF_RES_TIME_MIN && t <= CONF_RES_TIME_MAX);
}

/* An offset of a string of c->text: inside it, and starting a string. */
static int text_ok(const struct conf *c, uint32_t off)
{
    return off == 0 || (off < c->text_len && c->text[off - 1] == '\0');
}

static void check_resource(const struct conf *c, int ri)
{
    const struct conf_resource *r = &c->resources[ri];
    const struct conf_group *g = &c->groups[r->group];

    FUZZ_CHECK(name_ok(r->name), "resource name '%s'", r->name);
    for (int j = g->first_resource; j < ri; j++)
        FUZZ_CHECK(strcmp(c->resources[j].name, r->name) != 0, "resource '%s/%s' twice", g->name,
                   r->name);
    FUZZ_CHECK(time_ok(r->monitor_interval, 1) && time_ok(r->monitor_timeout, 0) &&
                   time_ok(r->start_timeout, 0) && time_ok(r->stop_timeout, 0) &&
                   r->monitor_retries >= 0 && r->monitor_retries <= CONF_MONITOR_RETRIES_MAX,
               "resource '%s' timing", r->name);
    FUZZ_CHECK(text_ok(c, r->start) && text_ok(c, r->stop) && text_ok(c, r->monitor) &&
                   text_ok(c, r->unit),
               "resource '%s' strings", r->name);
    FUZZ_CHECK((r->type == CONF_RES_IP) == (r->ip.addr.family != 0) &&
                   (r->type == CONF_RES_EXEC) == (r->start != 0 && r->stop != 0) &&
                   (r->type == CONF_RES_OCF) == (r->ocf_provider[0] && r->ocf_type[0]) &&
                   (r->type == CONF_RES_SYSTEMD) == (r->unit != 0) &&
                   (r->type == CONF_RES_OCF || r->n_params == 0) &&
                   (r->type == CONF_RES_EXEC || r->monitor == 0),
               "resource '%s' of type %d has the fields of another", r->name, r->type);
    if (r->type == CONF_RES_EXEC && r->monitor == 0)
        FUZZ_CHECK(r->monitor_interval == 0 && r->monitor_retries == 0,
                   "exec resource '%s' without a monitor is monitored", r->name);
    if (r->type == CONF_RES_IP) {
        const struct res_ip_addr *a = &r->ip.addr;

        FUZZ_CHECK((a->family == AF_INET && a->prefix >= 1 && a->prefix <= 32) ||
                       (a->family == AF_INET6 && a->prefix >= 1 && a->prefix <= 128),
                   "resource '%s' address family %d prefix %d", r->name, a->family, a->prefix);
        FUZZ_CHECK(r->ip.announce_count >= 0 && r->ip.announce_count <= RES_IP_ANNOUNCE_COUNT_MAX,
                   "resource '%s' announce-count %d", r->name, r->ip.announce_count);
        for (int j = 0; j < ri; j++)
            FUZZ_CHECK(c->resources[j].type != CONF_RES_IP ||
                           c->resources[j].ip.addr.family != a->family ||
                           memcmp(c->resources[j].ip.addr.bytes, a->bytes, 16) != 0,
                       "two resources float one address ('%s')", r->name);
        for (int n = 0; n < c->n_nodes; n++) {
            for (int li = 0; li < c->n_links; li++) {
                int family;
                uint16_t port;
                const void *b = addr_bytes(&c->nodes[n].addr[li], &family, &port);

                FUZZ_CHECK(!c->nodes[n].addr_len[li] || family != a->family ||
                               memcmp(b, a->bytes, family == AF_INET ? 4 : 16) != 0,
                           "resource '%s' floats the address of node '%s'", r->name,
                           c->nodes[n].name);
            }
        }
    }
    FUZZ_CHECK(r->n_params >= 0 && r->n_params <= CONF_OCF_PARAMS_MAX, "resource '%s': %d params",
               r->name, r->n_params);
    for (int i = 0; i < r->n_params; i++) {
        FUZZ_CHECK(text_ok(c, r->params[i].name) && text_ok(c, r->params[i].value) &&
                       param_name_ok(conf_text(c, r->params[i].name)) &&
                       conf_text(c, r->params[i].value)[0],
                   "resource '%s' parameter %d", r->name, i);
        for (int j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(conf_text(c, r->params[i].name), conf_text(c, r->params[j].name)),
                       "resource '%s' parameter '%s' twice", r->name,
                       conf_text(c, r->params[i].name));
    }
}

/* Groups in a row of resources each, policies of configured nodes. */
static void check_groups(const struct conf *c)
{
    int next = 0;

    FUZZ_CHECK(c->n_groups >= 0 && c->n_groups <= VIGIL_MAX_GROUPS && c->n_resources >= 0 &&
                   c->n_resources <= VIGIL_MAX_RESOURCES && c->text_len <= CONF_TEXT_MAX &&
                   (c->n_resources > 0 || c->text_len == 0),
               "%d groups, %d resources, %u bytes of text", c->n_groups, c->n_resources,
               c->text_len);
    for (int gi = 0; gi < c->n_groups; gi++) {
        const struct conf_group *g = &c->groups[gi];

        FUZZ_CHECK(name_ok(g->name), "group name '%s'", g->name);
        for (int j = 0; j < gi; j++)
            FUZZ_CHECK(strcmp(g->name, c->groups[j].name) != 0, "group '%s' twice", g->name);
        FUZZ_CHECK(g->n_nodes >= 1 && g->n_nodes <= c->n_nodes, "group '%s': %d nodes", g->name,
                   g->n_nodes);
        for (int i = 0; i < g->n_nodes; i++) {
            FUZZ_CHECK(g->nodes[i] >= 0 && g->nodes[i] < c->n_nodes, "group '%s' node %d", g->name,
                       g->nodes[i]);
            for (int j = 0; j < i; j++)
                FUZZ_CHECK(g->nodes[i] != g->nodes[j], "group '%s' lists a node twice", g->name);
        }
        FUZZ_CHECK(
            g->migration_threshold >= 1 && g->migration_threshold <= CONF_MIGRATION_THRESHOLD_MAX &&
                (g->failure_timeout == 0 || (g->failure_timeout >= CONF_FAILURE_TIMEOUT_MIN &&
                                             g->failure_timeout <= CONF_FAILURE_TIMEOUT_MAX)) &&
                time_ok(g->monitor_interval, 1),
            "group '%s' settings", g->name);
        FUZZ_CHECK(g->first_resource == next && g->n_resources >= 1 &&
                       g->n_resources <= VIGIL_MAX_GROUP_RESOURCES,
                   "group '%s': resources %d+%d, expected from %d", g->name, g->first_resource,
                   g->n_resources, next);
        for (int ri = next; ri < next + g->n_resources; ri++) {
            FUZZ_CHECK(c->resources[ri].group == gi, "resource %d is in group %d, not %d", ri,
                       c->resources[ri].group, gi);
            check_resource(c, ri);
        }
        next += g->n_resources;
    }
    FUZZ_CHECK(next == c->n_resources, "%d resources, %d in groups", c->n_resources, next);
}

/* The promises conf.h makes about a configuration that parsed. */
static void check_invariants(const struct conf *c)
{
    int n_udp = 0;

    FUZZ_CHECK(strcmp(c->path, PATH) == 0, "path is '%s'", c->path);
    FUZZ_CHECK(c->cluster_name[0] != '\0', "no cluster name");
    FUZZ_CHECK(c->key_file[0] == '/', "key file '%s' is not absolute", c->key_file);
    FUZZ_CHECK(c->interval >= CONF_INTERVAL_MIN && c->interval <= CONF_INTERVAL_MAX,
               "interval %llu", (unsigned long long)c->interval);
    FUZZ_CHECK(c->timeout > c->interval && c->timeout <= CONF_TIMEOUT_MAX, "timeout %llu",
               (unsigned long long)c->timeout);
    FUZZ_CHECK(c->initial_timeout >= c->timeout && c->initial_timeout <= CONF_TIMEOUT_MAX,
               "initial timeout %llu", (unsigned long long)c->initial_timeout);
    FUZZ_CHECK(c->n_links >= 1 && c->n_links <= VIGIL_MAX_LINKS, "%d links", c->n_links);
    FUZZ_CHECK(c->n_nodes >= 1 && c->n_nodes <= VIGIL_MAX_NODES, "%d nodes", c->n_nodes);

    for (int i = 0; i < c->n_links; i++) {
        const struct conf_link *l = &c->links[i];

        FUZZ_CHECK(name_ok(l->name) && strcmp(l->name, "id") != 0, "link name '%s'", l->name);
        for (int j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(l->name, c->links[j].name) != 0, "link '%s' twice", l->name);
        FUZZ_CHECK(l->interval >= CONF_INTERVAL_MIN && l->interval <= CONF_INTERVAL_MAX &&
                       l->timeout > l->interval && l->timeout <= CONF_TIMEOUT_MAX,
                   "link '%s' interval %llu timeout %llu", l->name, (unsigned long long)l->interval,
                   (unsigned long long)l->timeout);
        if (l->type == LINK_UDP) {
            FUZZ_CHECK(i == n_udp, "udp link '%s' after a non-udp link", l->name);
            FUZZ_CHECK(l->priority >= 1 && l->priority <= VIGIL_MAX_LINKS &&
                           (i == 0 || l->priority > c->links[i - 1].priority),
                       "udp link '%s' priority %d out of order", l->name, l->priority);
            FUZZ_CHECK(l->port >= 1, "udp link '%s' port 0", l->name);
            FUZZ_CHECK(l->family == AF_INET || l->family == AF_INET6, "udp link '%s' family %d",
                       l->name, l->family);
            FUZZ_CHECK(l->interval == c->interval && l->timeout == c->timeout,
                       "udp link '%s' has its own timing", l->name);
            n_udp++;
        } else {
            FUZZ_CHECK(l->type == LINK_DISK || l->type == LINK_WITNESS, "link type %d", l->type);
            FUZZ_CHECK(l->priority == 0 && l->port == 0 && l->family == AF_UNSPEC,
                       "%s link '%s' has udp fields", conf_link_type_name(l->type), l->name);
            if (l->type == LINK_DISK)
                FUZZ_CHECK(l->device[0] == '/', "disk link '%s' device '%s'", l->name, l->device);
            else
                FUZZ_CHECK(l->url[0] && l->token_file[0] == '/',
                           "witness link '%s' url '%s' token file '%s'", l->name, l->url,
                           l->token_file);
        }
    }
    FUZZ_CHECK(n_udp >= 1, "no udp link");

    FUZZ_CHECK(c->n_nps >= 0 && c->n_nps <= CONF_NP_MAX, "%d np sections", c->n_nps);
    for (int i = 0; i < c->n_nps; i++) {
        const struct conf_np *np = &c->nps[i];

        FUZZ_CHECK(name_ok(np->name), "np name '%s'", np->name);
        for (int j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(np->name, c->nps[j].name) != 0, "np '%s' twice", np->name);
        FUZZ_CHECK(np->interval >= CONF_NP_INTERVAL_MIN && np->interval <= CONF_NP_INTERVAL_MAX &&
                       np->timeout > np->interval && np->timeout <= CONF_TIMEOUT_MAX,
                   "np '%s' interval %llu timeout %llu", np->name, (unsigned long long)np->interval,
                   (unsigned long long)np->timeout);
        if (np->type == NP_PING) {
            FUZZ_CHECK(np->n_targets >= 1 && np->n_targets <= CONF_NP_TARGETS_MAX &&
                           np->count >= 1 && np->count <= CONF_NP_COUNT_MAX && !np->url[0],
                       "ping np '%s': %d targets, count %d", np->name, np->n_targets, np->count);
            for (int t = 0; t < np->n_targets; t++) {
                int family;
                uint16_t port;
                const void *a = addr_bytes(&np->targets[t], &family, &port);
                FUZZ_CHECK((family == AF_INET || family == AF_INET6) && port == 0,
                           "np '%s' target %d: family %d port %u", np->name, t, family, port);
                for (int u = 0; u < t; u++) {
                    int f2;
                    uint16_t p2;
                    const void *b = addr_bytes(&np->targets[u], &f2, &p2);
                    FUZZ_CHECK(f2 != family || memcmp(a, b, family == AF_INET ? 4 : 16) != 0,
                               "np '%s' lists a target twice", np->name);
                }
            }
        } else {
            FUZZ_CHECK(np->type == NP_HTTP && np->url[0] && np->n_targets == 0 && np->count == 0,
                       "np '%s': type %d url '%s' %d targets count %d", np->name, np->type, np->url,
                       np->n_targets, np->count);
        }
    }
    check_groups(c);
    FUZZ_CHECK(c->quorum == QUORUM_MAJORITY || c->quorum == QUORUM_WITNESS ||
                   (c->quorum == QUORUM_NONE && c->allow_split_brain),
               "quorum %d, allow-split-brain %d", c->quorum, c->allow_split_brain);

    for (int i = 0; i < c->n_nodes; i++) {
        const struct conf_node *n = &c->nodes[i];

        FUZZ_CHECK(name_ok(n->name), "node name '%s'", n->name);
        FUZZ_CHECK(n->id >= 1 && n->id <= VIGIL_MAX_NODES, "node id %d", n->id);
        FUZZ_CHECK(n->votes >= 0 && n->votes <= VIGIL_MAX_NODES, "node votes %d", n->votes);
        FUZZ_CHECK(i == 0 || n->id > c->nodes[i - 1].id, "node ids not increasing at %d", i);
        for (int j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(n->name, c->nodes[j].name) != 0, "node '%s' twice", n->name);
        for (int li = 0; li < c->n_links; li++) {
            const struct conf_link *l = &c->links[li];
            int family;
            uint16_t port;

            if (l->type != LINK_UDP) {
                FUZZ_CHECK(n->addr_len[li] == 0, "node '%s' has an address on %s link '%s'",
                           n->name, conf_link_type_name(l->type), l->name);
                continue;
            }
            const void *a = addr_bytes(&n->addr[li], &family, &port);
            FUZZ_CHECK(n->addr_len[li] == (family == AF_INET ? sizeof(struct sockaddr_in)
                                                             : sizeof(struct sockaddr_in6)),
                       "node '%s' link '%s' address length %u", n->name, l->name,
                       (unsigned)n->addr_len[li]);
            FUZZ_CHECK(family == l->family && port == l->port,
                       "node '%s' on link '%s': family %d port %u, the link's %d %u", n->name,
                       l->name, family, port, l->family, l->port);
            for (int j = 0; j < i; j++) {
                int f2;
                uint16_t p2;
                const void *b = addr_bytes(&c->nodes[j].addr[li], &f2, &p2);
                FUZZ_CHECK(memcmp(a, b, family == AF_INET ? 4 : 16) != 0,
                           "nodes '%s' and '%s' share an address on link '%s'", n->name,
                           c->nodes[j].name, l->name);
            }
        }
    }
}

/* A duration, or the word for zero (0 or never). */
static const char *time_text(vg_usec_t t, const char *zero, char *buf, size_t len)
{
    return t ? conf_format_duration(t, buf, len) : zero;
}

static void write_resource(FILE *f, const struct conf *c, const struct conf_resource *r)
{
    char b1[32], b2[32], b3[32], b4[32], addr[RES_IP_TEXT_MAX];

    fprintf(f,
            "[resource \"%s/%s\"]\ntype=%s\nmonitor-interval=%s\nstart-timeout=%s\n"
            "stop-timeout=%s\n",
            c->groups[r->group].name, r->name, conf_res_type_name(r->type),
            time_text(r->monitor_interval, "0", b1, sizeof(b1)),
            conf_format_duration(r->start_timeout, b2, sizeof(b2)),
            conf_format_duration(r->stop_timeout, b3, sizeof(b3)));
    /* an exec resource without a monitor command takes no monitor keys */
    if (r->type != CONF_RES_EXEC || r->monitor)
        fprintf(f, "monitor-timeout=%s\nmonitor-retries=%d\n",
                conf_format_duration(r->monitor_timeout, b4, sizeof(b4)), r->monitor_retries);
    switch (r->type) {
    case CONF_RES_IP:
        fprintf(f, "address=%s\nannounce-count=%d\n",
                res_ip_format(&r->ip.addr, addr, sizeof(addr)), r->ip.announce_count);
        if (r->ip.interface[0])
            fprintf(f, "interface=%s\n", r->ip.interface);
        break;
    case CONF_RES_EXEC:
        fprintf(f, "start=%s\nstop=%s\n", conf_text(c, r->start), conf_text(c, r->stop));
        if (r->monitor)
            fprintf(f, "monitor=%s\n", conf_text(c, r->monitor));
        break;
    case CONF_RES_OCF:
        fprintf(f, "agent=ocf:%s:%s\n", r->ocf_provider, r->ocf_type);
        for (int i = 0; i < r->n_params; i++)
            fprintf(f, "%s=%s\n", conf_text(c, r->params[i].name),
                    conf_text(c, r->params[i].value));
        break;
    case CONF_RES_SYSTEMD:
        fprintf(f, "unit=%s\n", conf_text(c, r->unit));
        break;
    }
}

static void write_groups(FILE *f, const struct conf *c)
{
    char b1[32], b2[32];

    for (int i = 0; i < c->n_groups; i++) {
        const struct conf_group *g = &c->groups[i];

        fprintf(f, "[group \"%s\"]\nnodes=", g->name);
        for (int n = 0; n < g->n_nodes; n++)
            fprintf(f, "%s%s", n ? "," : "", c->nodes[g->nodes[n]].name);
        fprintf(f,
                "\nfailback=%s\nmigration-threshold=%d\nfailure-timeout=%s\n"
                "monitor-interval=%s\n",
                g->failback ? "yes" : "no", g->migration_threshold,
                time_text(g->failure_timeout, "never", b1, sizeof(b1)),
                time_text(g->monitor_interval, "0", b2, sizeof(b2)));
        for (int r = g->first_resource; r < g->first_resource + g->n_resources; r++)
            write_resource(f, c, &c->resources[r]);
    }
}

/* The configuration as text, every value explicit, "key=value" with no
 * blanks so that no line is longer than the one it came from. */
static char *write_conf(const struct conf *c, size_t *len)
{
    char *text = NULL, b1[32], b2[32], b3[32], host[INET6_ADDRSTRLEN];
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);

    if (!f)
        abort();
    fprintf(f,
            "[cluster]\nname=%s\nkey-file=%s\ninterval=%s\ntimeout=%s\ninitial-timeout=%s\n"
            "realtime=%s\nquorum=%s\nallow-split-brain=%s\n",
            c->cluster_name, c->key_file, conf_format_duration(c->interval, b1, sizeof(b1)),
            conf_format_duration(c->timeout, b2, sizeof(b2)),
            conf_format_duration(c->initial_timeout, b3, sizeof(b3)), c->realtime ? "yes" : "no",
            conf_quorum_name(c->quorum), c->allow_split_brain ? "yes" : "no");
    for (int i = 0; i < c->n_links; i++) {
        const struct conf_link *l = &c->links[i];

        fprintf(f, "[link \"%s\"]\ntype=%s\n", l->name, conf_link_type_name(l->type));
        if (l->type == LINK_UDP) {
            fprintf(f, "priority=%d\nport=%u\nfamily=%s\n", l->priority, l->port,
                    l->family == AF_INET ? "ipv4" : "ipv6");
            continue;
        }
        fprintf(f, "interval=%s\ntimeout=%s\n", conf_format_duration(l->interval, b1, sizeof(b1)),
                conf_format_duration(l->timeout, b2, sizeof(b2)));
        if (l->type == LINK_DISK) {
            fprintf(f, "device=%s\n", l->device);
            continue;
        }
        fprintf(f, "url=%s\ntoken-file=%s\n", l->url, l->token_file);
        if (l->proxy[0])
            fprintf(f, "proxy=%s\n", l->proxy);
        if (l->ca_file[0])
            fprintf(f, "ca-file=%s\n", l->ca_file);
    }
    for (int i = 0; i < c->n_nodes; i++) {
        const struct conf_node *n = &c->nodes[i];

        fprintf(f, "[node \"%s\"]\nid=%d\nvotes=%d\n", n->name, n->id, n->votes);
        for (int li = 0; li < c->n_links; li++) {
            int family;
            uint16_t port;

            if (c->links[li].type != LINK_UDP)
                continue;
            inet_ntop(c->links[li].family, addr_bytes(&n->addr[li], &family, &port), host,
                      sizeof(host));
            fprintf(f, "%s=%s\n", c->links[li].name, host);
        }
    }
    for (int i = 0; i < c->n_nps; i++) {
        const struct conf_np *np = &c->nps[i];

        fprintf(f, "[np \"%s\"]\ntype=%s\ninterval=%s\ntimeout=%s\n", np->name,
                conf_np_type_name(np->type), conf_format_duration(np->interval, b1, sizeof(b1)),
                conf_format_duration(np->timeout, b2, sizeof(b2)));
        if (np->type == NP_HTTP) {
            fprintf(f, "url=%s\n", np->url);
            continue;
        }
        fprintf(f, "count=%d\ntargets=", np->count);
        for (int t = 0; t < np->n_targets; t++) {
            int family;
            uint16_t port;
            const void *a = addr_bytes(&np->targets[t], &family, &port);
            inet_ntop(family, a, host, sizeof(host));
            fprintf(f, "%s%s", t ? "," : "", host);
        }
        fputc('\n', f);
    }
    write_groups(f, c);
    fclose(f);
    *len = size;
    return text;
}

static void check_same_resource(const struct conf *a, const struct conf_resource *x,
                                const struct conf *b, const struct conf_resource *y,
                                const char *what)
{
    FUZZ_CHECK(
        strcmp(x->name, y->name) == 0 && x->group == y->group && x->type == y->type &&
            x->monitor_interval == y->monitor_interval &&
            x->monitor_timeout == y->monitor_timeout && x->start_timeout == y->start_timeout &&
            x->stop_timeout == y->stop_timeout && x->monitor_retries == y->monitor_retries &&
            memcmp(&x->ip, &y->ip, sizeof(x->ip)) == 0 &&
            strcmp(conf_text(a, x->start), conf_text(b, y->start)) == 0 &&
            strcmp(conf_text(a, x->stop), conf_text(b, y->stop)) == 0 &&
            strcmp(conf_text(a, x->monitor), conf_text(b, y->monitor)) == 0 &&
            strcmp(x->ocf_provider, y->ocf_provider) == 0 &&
            strcmp(x->ocf_type, y->ocf_type) == 0 &&
            strcmp(conf_text(a, x->unit), conf_text(b, y->unit)) == 0 && x->n_params == y->n_params,
        "%s: resource '%s' differs", what, x->name);
    for (int i = 0; i < x->n_params; i++)
        FUZZ_CHECK(strcmp(conf_text(a, x->params[i].name), conf_text(b, y->params[i].name)) == 0 &&
                       strcmp(conf_text(a, x->params[i].value), conf_text(b, y->params[i].value)) ==
                           0,
                   "%s: resource '%s' parameter %d differs", what, x->name, i);
}

static void check_same_groups(const struct conf *a, const struct conf *b, const char *what)
{
    FUZZ_CHECK(a->n_groups == b->n_groups && a->n_resources == b->n_resources,
               "%s: %d groups and %d resources, then %d and %d", what, a->n_groups, a->n_resources,
               b->n_groups, b->n_resources);
    for (int i = 0; i < a->n_groups; i++) {
        const struct conf_group *x = &a->groups[i], *y = &b->groups[i];

        FUZZ_CHECK(strcmp(x->name, y->name) == 0 && x->n_nodes == y->n_nodes &&
                       memcmp(x->nodes, y->nodes, sizeof(x->nodes)) == 0 &&
                       x->failback == y->failback &&
                       x->migration_threshold == y->migration_threshold &&
                       x->failure_timeout == y->failure_timeout &&
                       x->monitor_interval == y->monitor_interval &&
                       x->first_resource == y->first_resource && x->n_resources == y->n_resources,
                   "%s: group %d ('%s') differs", what, i, x->name);
    }
    for (int i = 0; i < a->n_resources; i++)
        check_same_resource(a, &a->resources[i], b, &b->resources[i], what);
}

/* Equal as configurations: every field but the line numbers. */
static void check_same_conf(const struct conf *a, const struct conf *b, const char *what)
{
    check_same_groups(a, b, what);
    FUZZ_CHECK(a->n_nps == b->n_nps, "%s: %d np sections, then %d", what, a->n_nps, b->n_nps);
    for (int i = 0; i < a->n_nps; i++) {
        const struct conf_np *x = &a->nps[i], *y = &b->nps[i];
        FUZZ_CHECK(strcmp(x->name, y->name) == 0 && x->type == y->type &&
                       x->n_targets == y->n_targets && x->count == y->count &&
                       x->interval == y->interval && x->timeout == y->timeout &&
                       strcmp(x->url, y->url) == 0,
                   "%s: np %d ('%s') differs", what, i, x->name);
        for (int t = 0; t < x->n_targets; t++)
            FUZZ_CHECK(x->target_len[t] == y->target_len[t] &&
                           memcmp(&x->targets[t], &y->targets[t], x->target_len[t]) == 0,
                       "%s: np '%s' target %d differs", what, x->name, t);
    }
    FUZZ_CHECK(strcmp(a->cluster_name, b->cluster_name) == 0 &&
                   strcmp(a->key_file, b->key_file) == 0 && a->interval == b->interval &&
                   a->timeout == b->timeout && a->initial_timeout == b->initial_timeout &&
                   a->realtime == b->realtime && a->quorum == b->quorum &&
                   a->allow_split_brain == b->allow_split_brain && a->n_links == b->n_links &&
                   a->n_nodes == b->n_nodes,
               "%s: [cluster] or counts differ", what);
    for (int i = 0; i < a->n_links; i++) {
        const struct conf_link *x = &a->links[i], *y = &b->links[i];
        FUZZ_CHECK(strcmp(x->name, y->name) == 0 && x->type == y->type &&
                       x->priority == y->priority && x->port == y->port && x->family == y->family &&
                       strcmp(x->device, y->device) == 0 && strcmp(x->url, y->url) == 0 &&
                       strcmp(x->token_file, y->token_file) == 0 &&
                       strcmp(x->proxy, y->proxy) == 0 && strcmp(x->ca_file, y->ca_file) == 0 &&
                       x->interval == y->interval && x->timeout == y->timeout,
                   "%s: link %d ('%s') differs", what, i, x->name);
    }
    for (int i = 0; i < a->n_nodes; i++) {
        const struct conf_node *x = &a->nodes[i], *y = &b->nodes[i];
        FUZZ_CHECK(strcmp(x->name, y->name) == 0 && x->id == y->id && x->votes == y->votes,
                   "%s: node %d differs", what, i);
        for (int li = 0; li < a->n_links; li++)
            FUZZ_CHECK(x->addr_len[li] == y->addr_len[li] &&
                           memcmp(&x->addr[li], &y->addr[li], x->addr_len[li]) == 0,
                       "%s: node '%s' address on link %d differs", what, x->name, li);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_dup(data, size);
    int r1 = conf_parse_text(text, size, PATH, &c1, &d1);
    int r2 = conf_parse_text(text, size, PATH, &c2, &d2);

    FUZZ_CHECK(r1 == r2, "two parses returned %d then %d", r1, r2);
    FUZZ_CHECK(memcmp(&d1, &d2, sizeof(d1)) == 0, "two parses gave different messages");
    FUZZ_CHECK(memcmp(&c1, &c2, sizeof(c1)) == 0, "two parses gave different configurations");
    check_diag(r1, &c1, &d1);
    free(text);
    if (r1 < 0)
        return 0;

    check_invariants(&c1);
    size_t len;
    char *again = write_conf(&c1, &len);
    int r3 = conf_parse_text(again, len, PATH, &c3, &d3);
    FUZZ_CHECK(r3 == 0, "the configuration written back does not parse: %s\n--- text:\n%s",
               d3.msg[0], again);
    check_same_conf(&c1, &c3, "written back and parsed again");
    free(again);
    return 0;
}
