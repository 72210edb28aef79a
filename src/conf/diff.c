/* conf_diff_beyond_timing(): what a reload would change besides the timing
 * keys (the three of [cluster], and each link's interval and timeout), which
 * are the only ones the daemon can apply on the fly. Every change to an [np],
 * [group] or [resource] section is beyond timing, its own timing included. */
#include "conf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct diff {
    char *buf;
    size_t len;
    size_t off;
    int n;
};

/* Appends one difference, "; "-separated; counts it even when buf is full. */
__attribute__((format(printf, 2, 3))) static void note(struct diff *d, const char *fmt, ...)
{
    va_list ap;
    int w;

    d->n++;
    if (!d->buf || d->off + 1 >= d->len)
        return;
    if (d->n > 1) {
        w = snprintf(d->buf + d->off, d->len - d->off, "; ");
        d->off = w < 0 ? d->off : d->off + (size_t)w;
        if (d->off + 1 >= d->len)
            return;
    }
    va_start(ap, fmt);
    w = vsnprintf(d->buf + d->off, d->len - d->off, fmt, ap);
    va_end(ap);
    d->off = w < 0 ? d->off : d->off + (size_t)w;
}

static const char *yes_no(bool b)
{
    return b ? "yes" : "no";
}

static const char *addr_text(const struct sockaddr_storage *ss, socklen_t len, char *buf,
                             size_t size)
{
    const void *a;

    if (len == 0)
        return "none";
    if (ss->ss_family == AF_INET)
        a = &((const struct sockaddr_in *)ss)->sin_addr;
    else
        a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
    if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)size))
        snprintf(buf, size, "?");
    return buf;
}

static bool same_addr(const struct sockaddr_storage *a, socklen_t alen,
                      const struct sockaddr_storage *b, socklen_t blen)
{
    if (alen != blen || a->ss_family != b->ss_family)
        return false;
    if (alen == 0)
        return true;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

    return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

/* The text settings of disk and witness links ("" when not set); true when
 * one differs. */
static bool diff_link_text(const struct conf_link *x, const struct conf_link *y, struct diff *d)
{
    const struct {
        const char *key;
        const char *a, *b;
    } keys[] = {
        {"device", x->device, y->device},
        {"url", x->url, y->url},
        {"token-file", x->token_file, y->token_file},
        {"proxy", x->proxy, y->proxy},
        {"ca-file", x->ca_file, y->ca_file},
    };
    int before = d->n;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strcmp(keys[i].a, keys[i].b) != 0)
            note(d, "link '%s' %s changed from %s to %s", x->name, keys[i].key,
                 keys[i].a[0] ? keys[i].a : "none", keys[i].b[0] ? keys[i].b : "none");
    return d->n > before;
}

static void diff_links(const struct conf *a, const struct conf *b, struct diff *d)
{
    for (int i = 0; i < a->n_links; i++) {
        const struct conf_link *x = &a->links[i];
        int j = conf_link_index(b, x->name);
        const struct conf_link *y = j >= 0 ? &b->links[j] : NULL;

        if (!y)
            note(d, "link '%s' was removed", x->name);
        else if (x->type != y->type)
            note(d, "link '%s' changed type from %s to %s", x->name, conf_link_type_name(x->type),
                 conf_link_type_name(y->type));
        else if (x->priority != y->priority)
            note(d, "link '%s' priority changed from %d to %d", x->name, x->priority, y->priority);
        else if (x->port != y->port)
            note(d, "link '%s' port changed from %u to %u", x->name, x->port, y->port);
        else if (x->family != y->family)
            note(d, "link '%s' changed address family", x->name);
        else if (!diff_link_text(x, y, d) && j != i && a->n_links == b->n_links)
            /* same links, new order: other wire indexes (links added or
             * removed shift them too, and are noted as such) */
            note(d, "link '%s' moved from position %d to %d in the link order", x->name, i + 1,
                 j + 1);
    }
    for (int j = 0; j < b->n_links; j++)
        if (conf_link_index(a, b->links[j].name) < 0)
            note(d, "link '%s' was added", b->links[j].name);
}

static void diff_node(const struct conf *a, const struct conf_node *x, const struct conf *b,
                      const struct conf_node *y, struct diff *d)
{
    char s1[INET6_ADDRSTRLEN], s2[INET6_ADDRSTRLEN];

    if (x->id != y->id)
        note(d, "node '%s' id changed from %d to %d", x->name, x->id, y->id);
    if (x->votes != y->votes)
        note(d, "node '%s' votes changed from %d to %d", x->name, x->votes, y->votes);
    for (int i = 0; i < a->n_links; i++) {
        int j = conf_link_index(b, a->links[i].name);

        if (j < 0 || same_addr(&x->addr[i], x->addr_len[i], &y->addr[j], y->addr_len[j]))
            continue;
        note(d, "address of node '%s' on link '%s' changed from %s to %s", x->name,
             a->links[i].name, addr_text(&x->addr[i], x->addr_len[i], s1, sizeof(s1)),
             addr_text(&y->addr[j], y->addr_len[j], s2, sizeof(s2)));
    }
}

static void diff_nodes(const struct conf *a, const struct conf *b, struct diff *d)
{
    for (int i = 0; i < a->n_nodes; i++) {
        const struct conf_node *x = &a->nodes[i];
        const struct conf_node *y = conf_node_by_name(b, x->name);

        if (!y)
            note(d, "node '%s' was removed", x->name);
        else
            diff_node(a, x, b, y, d);
    }
    for (int j = 0; j < b->n_nodes; j++)
        if (!conf_node_by_name(a, b->nodes[j].name))
            note(d, "node '%s' was added", b->nodes[j].name);
}

static int np_index(const struct conf *c, const char *name)
{
    for (int i = 0; i < c->n_nps; i++)
        if (strcmp(c->nps[i].name, name) == 0)
            return i;
    return -1;
}

static bool same_targets(const struct conf_np *x, const struct conf_np *y)
{
    if (x->n_targets != y->n_targets)
        return false;
    for (int i = 0; i < x->n_targets; i++)
        if (!same_addr(&x->targets[i], x->target_len[i], &y->targets[i], y->target_len[i]))
            return false;
    return true;
}

/* One sentence per [np] section that changed, was added, removed or moved. */
static void diff_nps(const struct conf *a, const struct conf *b, struct diff *d)
{
    char t1[32], t2[32];

    for (int i = 0; i < a->n_nps; i++) {
        const struct conf_np *x = &a->nps[i];
        int j = np_index(b, x->name);
        const struct conf_np *y = j >= 0 ? &b->nps[j] : NULL;

        if (!y)
            note(d, "np '%s' was removed", x->name);
        else if (x->type != y->type)
            note(d, "np '%s' changed type from %s to %s", x->name, conf_np_type_name(x->type),
                 conf_np_type_name(y->type));
        else if (!same_targets(x, y))
            note(d, "np '%s' targets changed", x->name);
        else if (x->count != y->count)
            note(d, "np '%s' count changed from %d to %d", x->name, x->count, y->count);
        else if (strcmp(x->url, y->url) != 0)
            note(d, "np '%s' url changed from %s to %s", x->name, x->url, y->url);
        else if (x->interval != y->interval)
            note(d, "np '%s' interval changed from %s to %s", x->name,
                 conf_format_duration(x->interval, t1, sizeof(t1)),
                 conf_format_duration(y->interval, t2, sizeof(t2)));
        else if (x->timeout != y->timeout)
            note(d, "np '%s' timeout changed from %s to %s", x->name,
                 conf_format_duration(x->timeout, t1, sizeof(t1)),
                 conf_format_duration(y->timeout, t2, sizeof(t2)));
        else if (j != i && a->n_nps == b->n_nps)
            note(d, "np '%s' moved from position %d to %d in the np order", x->name, i + 1, j + 1);
    }
    for (int j = 0; j < b->n_nps; j++)
        if (np_index(a, b->nps[j].name) < 0)
            note(d, "np '%s' was added", b->nps[j].name);
}

/* "alpha, beta": a group's failover policy by node names. */
static const char *policy_text(const struct conf *c, const struct conf_group *g, char *buf,
                               size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (int i = 0; i < g->n_nodes && off + 1 < len; i++) {
        int w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", c->nodes[g->nodes[i]].name);

        if (w < 0)
            break;
        off += (size_t)w;
    }
    return buf;
}

/* A duration that may be 0 (no monitor) or, for failure-timeout, never. */
static const char *time_text(vg_usec_t t, const char *zero, char *buf, size_t len)
{
    if (t == 0)
        return zero;
    return conf_format_duration(t, buf, len);
}

static void diff_group(const struct conf *a, const struct conf_group *x, const struct conf *b,
                       const struct conf_group *y, struct diff *d)
{
    char p1[256], p2[256], t1[32], t2[32];

    policy_text(a, x, p1, sizeof(p1));
    policy_text(b, y, p2, sizeof(p2));
    if (strcmp(p1, p2) != 0)
        note(d, "group '%s' nodes changed from %s to %s", x->name, p1, p2);
    if (x->failback != y->failback)
        note(d, "group '%s' failback changed from %s to %s", x->name, yes_no(x->failback),
             yes_no(y->failback));
    if (x->migration_threshold != y->migration_threshold)
        note(d, "group '%s' migration-threshold changed from %d to %d", x->name,
             x->migration_threshold, y->migration_threshold);
    if (x->failure_timeout != y->failure_timeout)
        note(d, "group '%s' failure-timeout changed from %s to %s", x->name,
             time_text(x->failure_timeout, "never", t1, sizeof(t1)),
             time_text(y->failure_timeout, "never", t2, sizeof(t2)));
    if (x->monitor_interval != y->monitor_interval)
        note(d, "group '%s' monitor-interval changed from %s to %s", x->name,
             time_text(x->monitor_interval, "0", t1, sizeof(t1)),
             time_text(y->monitor_interval, "0", t2, sizeof(t2)));
}

static bool same_params(const struct conf *a, const struct conf_resource *x, const struct conf *b,
                        const struct conf_resource *y)
{
    if (x->n_params != y->n_params)
        return false;
    for (int i = 0; i < x->n_params; i++)
        if (strcmp(conf_text(a, x->params[i].name), conf_text(b, y->params[i].name)) != 0 ||
            strcmp(conf_text(a, x->params[i].value), conf_text(b, y->params[i].value)) != 0)
            return false;
    return true;
}

/* The keys of each type; commands and parameters are named, not quoted. */
static void diff_resource_type(const struct conf *a, const struct conf_resource *x,
                               const struct conf *b, const struct conf_resource *y,
                               const char *name, struct diff *d)
{
    char s1[RES_IP_TEXT_MAX + VIGIL_NAME_MAX], s2[RES_IP_TEXT_MAX + VIGIL_NAME_MAX];
    const struct {
        const char *key;
        uint32_t x, y;
    } commands[] = {{"start", x->start, y->start},
                    {"stop", x->stop, y->stop},
                    {"monitor", x->monitor, y->monitor}};

    switch (x->type) {
    case CONF_RES_IP:
        res_ip_format(&x->ip.addr, s1, sizeof(s1));
        res_ip_format(&y->ip.addr, s2, sizeof(s2));
        if (strcmp(s1, s2) != 0)
            note(d, "resource '%s' address changed from %s to %s", name, s1, s2);
        if (strcmp(x->ip.interface, y->ip.interface) != 0)
            note(d, "resource '%s' interface changed from %s to %s", name,
                 x->ip.interface[0] ? x->ip.interface : "automatic",
                 y->ip.interface[0] ? y->ip.interface : "automatic");
        if (x->ip.announce_count != y->ip.announce_count)
            note(d, "resource '%s' announce-count changed from %d to %d", name,
                 x->ip.announce_count, y->ip.announce_count);
        if (x->ip.probe_timeout != y->ip.probe_timeout)
            note(d, "resource '%s' probe-timeout changed from %s to %s", name,
                 time_text(x->ip.probe_timeout, "0", s1, sizeof(s1)),
                 time_text(y->ip.probe_timeout, "0", s2, sizeof(s2)));
        break;
    case CONF_RES_EXEC:
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
            if (strcmp(conf_text(a, commands[i].x), conf_text(b, commands[i].y)) != 0)
                note(d, "resource '%s' %s command changed", name, commands[i].key);
        break;
    case CONF_RES_OCF:
        if (strcmp(x->ocf_provider, y->ocf_provider) != 0 || strcmp(x->ocf_type, y->ocf_type) != 0)
            note(d, "resource '%s' agent changed from ocf:%s:%s to ocf:%s:%s", name,
                 x->ocf_provider, x->ocf_type, y->ocf_provider, y->ocf_type);
        if (!same_params(a, x, b, y))
            note(d, "resource '%s' parameters changed", name);
        break;
    case CONF_RES_SYSTEMD:
        if (strcmp(conf_text(a, x->unit), conf_text(b, y->unit)) != 0)
            note(d, "resource '%s' unit changed from %s to %s", name, conf_text(a, x->unit),
                 conf_text(b, y->unit));
        break;
    }
}

static void diff_resource(const struct conf *a, const struct conf_resource *x, const struct conf *b,
                          const struct conf_resource *y, struct diff *d)
{
    const struct conf_group *gx = &a->groups[x->group], *gy = &b->groups[y->group];
    char name[2 * VIGIL_NAME_MAX], t1[32], t2[32];
    const struct {
        const char *key;
        vg_usec_t x, y;
    } times[] = {{"monitor-interval", x->monitor_interval, y->monitor_interval},
                 {"monitor-timeout", x->monitor_timeout, y->monitor_timeout},
                 {"start-timeout", x->start_timeout, y->start_timeout},
                 {"stop-timeout", x->stop_timeout, y->stop_timeout}};
    int i = (int)(x - a->resources) - gx->first_resource;
    int j = (int)(y - b->resources) - gy->first_resource;

    snprintf(name, sizeof(name), "%s/%s", gx->name, x->name);
    if (x->type != y->type) {
        note(d, "resource '%s' changed type from %s to %s", name, conf_res_type_name(x->type),
             conf_res_type_name(y->type));
        return;
    }
    diff_resource_type(a, x, b, y, name, d);
    for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++)
        if (times[k].x != times[k].y)
            note(d, "resource '%s' %s changed from %s to %s", name, times[k].key,
                 time_text(times[k].x, "0", t1, sizeof(t1)),
                 time_text(times[k].y, "0", t2, sizeof(t2)));
    if (x->monitor_retries != y->monitor_retries)
        note(d, "resource '%s' monitor-retries changed from %d to %d", name, x->monitor_retries,
             y->monitor_retries);
    if (i != j && gx->n_resources == gy->n_resources)
        note(d, "resource '%s' moved from position %d to %d in group '%s' (the start order)", name,
             i + 1, j + 1, gx->name);
}

/* Groups added, removed or changed, and the resources of the groups that
 * stay (those of a group added or removed go with it). */
static void diff_groups(const struct conf *a, const struct conf *b, struct diff *d)
{
    for (int i = 0; i < a->n_groups; i++) {
        const struct conf_group *x = &a->groups[i], *y = conf_group_by_name(b, x->name);

        if (!y) {
            note(d, "group '%s' was removed", x->name);
            continue;
        }
        diff_group(a, x, b, y, d);
        for (int r = x->first_resource; r < x->first_resource + x->n_resources; r++) {
            const struct conf_resource *rx = &a->resources[r];
            const struct conf_resource *ry = conf_resource_by_name(b, x->name, rx->name);

            if (ry)
                diff_resource(a, rx, b, ry, d);
            else
                note(d, "resource '%s/%s' was removed", x->name, rx->name);
        }
        for (int r = y->first_resource; r < y->first_resource + y->n_resources; r++)
            if (!conf_resource_by_name(a, x->name, b->resources[r].name))
                note(d, "resource '%s/%s' was added", x->name, b->resources[r].name);
    }
    for (int j = 0; j < b->n_groups; j++)
        if (!conf_group_by_name(a, b->groups[j].name))
            note(d, "group '%s' was added", b->groups[j].name);
}

/* Fence devices and the watchdog: any change, parameters included. */
static void diff_fences(const struct conf *a, const struct conf *b, struct diff *d)
{
    if (a->fence_action != b->fence_action)
        note(d, "fence-action changed from %s to %s", conf_fence_action_name(a->fence_action),
             conf_fence_action_name(b->fence_action));
    if (a->watchdog != b->watchdog || strcmp(a->watchdog_device, b->watchdog_device) != 0 ||
        a->watchdog_timeout != b->watchdog_timeout)
        note(d, "[watchdog] changed (added, removed, device or timeout)");
    if (a->n_fences != b->n_fences) {
        note(d, "fence devices changed from %d to %d", a->n_fences, b->n_fences);
        return;
    }
    for (int i = 0; i < a->n_fences; i++) {
        const struct conf_fence *x = &a->fences[i], *y = &b->fences[i];
        /* line differs when only the text around it moved: compare the rest */
        struct conf_fence xc = *x, yc = *y;
        xc.line = yc.line = 0;
        if (memcmp(&xc, &yc, sizeof(xc)) != 0)
            note(d, "fence device '%s' changed", y->name);
    }
}

bool conf_diff_beyond_timing(const struct conf *a, const struct conf *b, char *buf, size_t len)
{
    struct diff d = {.buf = len ? buf : NULL, .len = len};

    if (d.buf)
        d.buf[0] = '\0';
    if (strcmp(a->cluster_name, b->cluster_name) != 0)
        note(&d, "cluster name changed from '%s' to '%s'", a->cluster_name, b->cluster_name);
    if (strcmp(a->key_file, b->key_file) != 0)
        note(&d, "key-file changed from %s to %s", a->key_file, b->key_file);
    if (a->realtime != b->realtime)
        note(&d, "realtime changed from %s to %s", yes_no(a->realtime), yes_no(b->realtime));
    if (a->quorum != b->quorum)
        note(&d, "quorum changed from %s to %s", conf_quorum_name(a->quorum),
             conf_quorum_name(b->quorum));
    if (a->fencing != b->fencing)
        note(&d, "fencing changed from %s to %s", conf_fencing_name(a->fencing),
             conf_fencing_name(b->fencing));
    if (a->allow_split_brain != b->allow_split_brain)
        note(&d, "allow-split-brain changed from %s to %s", yes_no(a->allow_split_brain),
             yes_no(b->allow_split_brain));
    diff_links(a, b, &d);
    diff_nodes(a, b, &d);
    diff_nps(a, b, &d);
    diff_groups(a, b, &d);
    diff_fences(a, b, &d);
    return d.n > 0;
}
