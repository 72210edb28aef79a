/* Checking a group description before a runner takes it, and the runner's
 * own copy of each resource (so the caller's configuration may go away). */
#include "../common/errbuf.h"
#include "runner_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names go into agents' environments and into messages. */
static bool name_ok(const char *s)
{
    if (!s || !s[0] || strlen(s) >= VIGIL_NAME_MAX)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static int check_resource(const struct runner_group *g, size_t i, const struct runner_callbacks *cb,
                          char *err, size_t errlen)
{
    const struct runner_resource *d = &g->resources[i];
    char where[2 * VIGIL_NAME_MAX + 32];

    if (!name_ok(d->name))
        return errbuf_fail(err, errlen, -EINVAL,
                           "group %s: resource %zu has no name, or one too long or with control "
                           "characters",
                           g->name, i + 1);
    for (size_t j = 0; j < i; j++)
        if (!strcmp(g->resources[j].name, d->name))
            return errbuf_fail(err, errlen, -EINVAL, "group %s: resource %s is there twice",
                               g->name, d->name);
    snprintf(where, sizeof(where), "group %s, resource %s", g->name, d->name);
    switch (d->kind) {
    case RUNNER_IP:
        if (!cb->ip)
            return errbuf_fail(err, errlen, -EOPNOTSUPP,
                               "%s: an ip resource, but this runner has no way to reach the "
                               "kernel's addresses",
                               where);
        if (d->ip.addr.family != AF_INET && d->ip.addr.family != AF_INET6)
            return errbuf_fail(err, errlen, -EINVAL, "%s: no address", where);
        if (d->ip.announce_count < 0 || d->ip.announce_count > RES_IP_ANNOUNCE_COUNT_MAX)
            return errbuf_fail(err, errlen, -EINVAL, "%s: announce-count %d is not 0 to %d", where,
                               d->ip.announce_count, RES_IP_ANNOUNCE_COUNT_MAX);
        if (d->ip.probe_timeout > RES_IP_PROBE_TIMEOUT_MAX)
            return errbuf_fail(err, errlen, -EINVAL,
                               "%s: probe-timeout %llu ms is more than the %llu ms allowed", where,
                               (unsigned long long)(d->ip.probe_timeout / VG_USEC_PER_MSEC),
                               (unsigned long long)(RES_IP_PROBE_TIMEOUT_MAX / VG_USEC_PER_MSEC));
        if (d->ip.probe_timeout && (!cb->ip->probe_start || !cb->ip->probe_send ||
                                    !cb->ip->probe_read || !cb->ip->probe_close))
            return errbuf_fail(err, errlen, -EOPNOTSUPP,
                               "%s: a probe-timeout, but this runner has no way to probe the "
                               "network",
                               where);
        return 0;
    case RUNNER_EXEC:
        return agent_exec_validate(&d->exec, where, err, errlen);
    case RUNNER_OCF:
        if (!d->ocf.provider[0] || !d->ocf.type[0])
            return errbuf_fail(err, errlen, -EINVAL, "%s: no OCF agent (ocf:PROVIDER:TYPE)", where);
        if (d->ocf.n_params && !d->ocf.params)
            return errbuf_fail(err, errlen, -EINVAL, "%s: parameters missing", where);
        for (size_t k = 0; k < d->ocf.n_params; k++)
            if (!d->ocf.params[k].name || !d->ocf.params[k].value)
                return errbuf_fail(err, errlen, -EINVAL, "%s: parameter %zu has no name or value",
                                   where, k + 1);
        return 0;
    case RUNNER_SYSTEMD:
        if (!d->systemd.unit[0])
            return errbuf_fail(err, errlen, -EINVAL, "%s: no systemd unit", where);
        return 0;
    }
    return errbuf_fail(err, errlen, -EINVAL, "%s: unknown kind %d", where, (int)d->kind);
}

int runner_desc_check(const struct runner_group *g, const char *node,
                      const struct runner_callbacks *cb, char *err, size_t errlen)
{
    int rc;

    if (!g || !cb || !cb->event)
        return errbuf_fail(err, errlen, -EINVAL, "a runner needs a group and an event callback");
    if (!name_ok(node))
        return errbuf_fail(err, errlen, -EINVAL,
                           "a runner needs this node's name (1 to %d characters, no control "
                           "characters)",
                           VIGIL_NAME_MAX - 1);
    if (!name_ok(g->name))
        return errbuf_fail(err, errlen, -EINVAL,
                           "a group needs a name (1 to %d characters, no control characters)",
                           VIGIL_NAME_MAX - 1);
    if (g->n > VIGIL_MAX_GROUP_RESOURCES)
        return errbuf_fail(err, errlen, -EINVAL, "group %s: %zu resources, at most %d", g->name,
                           g->n, VIGIL_MAX_GROUP_RESOURCES);
    for (size_t i = 0; i < g->n; i++)
        if ((rc = check_resource(g, i, cb, err, errlen)) < 0)
            return rc;
    return 0;
}

/* strdup that keeps NULL. */
static int dup_str(const char **dst, const char *src)
{
    char *s;

    if (!src) {
        *dst = NULL;
        return 0;
    }
    if (!(s = strdup(src)))
        return -ENOMEM;
    *dst = s;
    return 0;
}

int runner_desc_copy(struct runner_resource *dst, const struct runner_resource *src)
{
    struct agent_param *params = NULL;

    *dst = *src;
    /* from here on dst owns nothing yet: clear every pointer we will own */
    dst->name = NULL;
    switch (src->kind) {
    case RUNNER_EXEC:
        dst->exec = (struct agent_exec){0};
        break;
    case RUNNER_OCF:
        dst->ocf.root = dst->ocf.instance = NULL;
        dst->ocf.params = NULL;
        dst->ocf.n_params = 0;
        break;
    case RUNNER_SYSTEMD:
        dst->systemd.systemctl = NULL;
        break;
    case RUNNER_IP:
        break;
    }
    if (dup_str(&dst->name, src->name) < 0)
        goto nomem;
    switch (src->kind) {
    case RUNNER_EXEC:
        if (dup_str(&dst->exec.start, src->exec.start) < 0 ||
            dup_str(&dst->exec.stop, src->exec.stop) < 0 ||
            dup_str(&dst->exec.monitor, src->exec.monitor) < 0)
            goto nomem;
        break;
    case RUNNER_OCF:
        if (dup_str(&dst->ocf.root, src->ocf.root) < 0 ||
            dup_str(&dst->ocf.instance, src->ocf.instance) < 0)
            goto nomem;
        if (src->ocf.n_params) {
            if (!(params = calloc(src->ocf.n_params, sizeof(*params))))
                goto nomem;
            dst->ocf.params = params;
            dst->ocf.n_params = src->ocf.n_params;
            for (size_t k = 0; k < src->ocf.n_params; k++)
                if (dup_str(&params[k].name, src->ocf.params[k].name) < 0 ||
                    dup_str(&params[k].value, src->ocf.params[k].value) < 0)
                    goto nomem;
        }
        break;
    case RUNNER_SYSTEMD:
        if (dup_str(&dst->systemd.systemctl, src->systemd.systemctl) < 0)
            goto nomem;
        break;
    case RUNNER_IP:
        break;
    }
    return 0;
nomem:
    runner_desc_free(dst);
    return -ENOMEM;
}

void runner_desc_free(struct runner_resource *d)
{
    free((char *)d->name);
    switch (d->kind) {
    case RUNNER_EXEC:
        free((char *)d->exec.start);
        free((char *)d->exec.stop);
        free((char *)d->exec.monitor);
        break;
    case RUNNER_OCF:
        free((char *)d->ocf.root);
        free((char *)d->ocf.instance);
        for (size_t k = 0; k < d->ocf.n_params; k++) {
            free((char *)d->ocf.params[k].name);
            free((char *)d->ocf.params[k].value);
        }
        free((struct agent_param *)d->ocf.params);
        break;
    case RUNNER_SYSTEMD:
        free((char *)d->systemd.systemctl);
        break;
    case RUNNER_IP:
        break;
    }
    memset(d, 0, sizeof(*d));
}
