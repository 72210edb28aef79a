/* The ocf resources of a configuration against this machine's agents
 * (ocf_check.h). */
#include "ocf_check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../resources/agent.h"

#define META_TIMEOUT (10 * VG_USEC_PER_SEC) /* agents advise 5 s for meta-data */

static void diag_add(struct conf_diag *diag, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void diag_add(struct conf_diag *diag, const char *fmt, ...)
{
    va_list ap;

    if (!diag)
        return;
    if (diag->n >= CONF_DIAG_MAX) {
        diag->dropped++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(diag->msg[diag->n++], sizeof(diag->msg[0]), fmt, ap);
    va_end(ap);
}

static bool group_has_node(const struct conf_group *g, int node)
{
    if (node < 0)
        return true;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i] == node)
            return true;
    return false;
}

/* The agent's advice for a timeout the resource does not set; 0 when it
 * sets it or the agent says nothing. */
static vg_usec_t advised(const struct agent_ocf_meta *m, enum agent_action a, bool set)
{
    return set ? 0 : m->timeout[a];
}

/* One resource: its agent, its parameters, the advice. 0 or -EINVAL. */
static int check_resource(const struct conf *c, const struct conf_resource *cr, const char *root,
                          struct ocf_advice *adv, struct conf_diag *diag)
{
    struct agent_param params[CONF_OCF_PARAMS_MAX];
    struct agent_ocf o = {.root = root, .params = params, .n_params = (size_t)cr->n_params};
    struct agent_ocf_meta m;
    char where[VIGIL_PATH_MAX + 3 * VIGIL_NAME_MAX], err[AGENT_ERR_MAX];
    int rc;

    snprintf(where, sizeof(where), "%s:%d: [resource \"%s/%s\"]", c->path, cr->line,
             c->groups[cr->group].name, cr->name);
    snprintf(o.provider, sizeof(o.provider), "%s", cr->ocf_provider);
    snprintf(o.type, sizeof(o.type), "%s", cr->ocf_type);
    for (int k = 0; k < cr->n_params; k++)
        params[k] = (struct agent_param){conf_text(c, cr->params[k].name),
                                         conf_text(c, cr->params[k].value)};
    if ((rc = agent_ocf_meta_read(&o, META_TIMEOUT, &m, err, sizeof(err))) < 0) {
        diag_add(diag, "%s agent: %s", where, err);
        return -EINVAL;
    }
    rc = agent_ocf_check_params(&o, &m, where, 0, err, sizeof(err));
    if (rc < 0)
        diag_add(diag, "%s", err);
    else if (adv)
        *adv = (struct ocf_advice){
            .start_timeout = advised(&m, AGENT_ACTION_START, cr->start_timeout_set),
            .stop_timeout = advised(&m, AGENT_ACTION_STOP, cr->stop_timeout_set),
            .monitor_timeout = advised(&m, AGENT_ACTION_MONITOR, cr->monitor_timeout_set),
        };
    agent_ocf_meta_free(&m);
    return rc < 0 ? -EINVAL : 0;
}

int ocf_check_conf(const struct conf *c, int node, const char *root, struct ocf_advice *advice,
                   struct conf_diag *diag)
{
    int rc = 0;

    for (int i = 0; i < c->n_resources; i++) {
        const struct conf_resource *cr = &c->resources[i];

        if (advice)
            advice[i] = (struct ocf_advice){0};
        if (cr->type != CONF_RES_OCF || !group_has_node(&c->groups[cr->group], node))
            continue;
        if (check_resource(c, cr, root, advice ? &advice[i] : NULL, diag) < 0)
            rc = -EINVAL;
    }
    return rc;
}
