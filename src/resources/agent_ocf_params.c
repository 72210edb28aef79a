/* Checking an OCF resource's parameters against its agent's meta-data
 * (pure), so that a missing or misspelt parameter is a configuration error
 * with a line number, not an agent failing at 3 a.m. */
#include "../common/errbuf.h"
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LIST_MAX 200 /* of the parameter names listed in a message */

/* "state, fake" (the agent's parameters) into buf, cut with ", ...". */
static void list_params(const struct agent_ocf_meta *m, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    if (m->n_params == 0) {
        snprintf(buf, size, "none");
        return;
    }
    for (size_t i = 0; i < m->n_params; i++) {
        const char *sep = i ? ", " : "";
        size_t need = strlen(sep) + strlen(m->params[i].name);

        if (used + need + sizeof(", ...") > size) {
            snprintf(buf + used, size - used, ", ...");
            return;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, m->params[i].name);
    }
}

int agent_ocf_check_params(const struct agent_ocf *o, const struct agent_ocf_meta *m,
                           const char *where, unsigned flags, char *err, size_t errlen)
{
    const char *w = where ? where : "resource";
    char list[LIST_MAX];

    if (!o || !m || (o->n_params && !o->params))
        return errbuf_fail(err, errlen, -EINVAL, "%s: nothing to check", w);
    for (size_t i = 0; i < o->n_params; i++) {
        const char *name = o->params[i].name;

        if (!name || !spawn_env_name_valid(name) || strlen(name) >= AGENT_NAME_MAX)
            return errbuf_fail(err, errlen, -EINVAL,
                               "%s: parameter '%.100s' of ocf:%s:%s is not a valid name: 1 to %d "
                               "letters, digits and '_', not starting with a digit",
                               w, name ? name : "", o->provider, o->type, AGENT_NAME_MAX - 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(o->params[j].name, name) == 0)
                return errbuf_fail(err, errlen, -EINVAL,
                                   "%s: parameter '%s' of ocf:%s:%s is set twice: keep one", w,
                                   name, o->provider, o->type);
        if (!(flags & AGENT_CHECK_ALLOW_UNKNOWN) && !agent_ocf_meta_param(m, name)) {
            list_params(m, list, sizeof(list));
            return errbuf_fail(err, errlen, -EINVAL,
                               "%s: ocf:%s:%s has no parameter '%s' (its parameters: %s): fix "
                               "the name or remove it",
                               w, o->provider, o->type, name, list);
        }
    }
    for (size_t i = 0; i < m->n_params; i++) {
        const struct agent_ocf_param_meta *p = &m->params[i];
        bool given = false;

        for (size_t j = 0; j < o->n_params && !given; j++)
            given = strcmp(o->params[j].name, p->name) == 0;
        if (p->required && !given)
            return errbuf_fail(err, errlen, -EINVAL,
                               "%s: ocf:%s:%s requires parameter '%s'%s%s%s, which is not set: "
                               "add it",
                               w, o->provider, o->type, p->name, p->shortdesc[0] ? " (" : "",
                               p->shortdesc, p->shortdesc[0] ? ")" : "");
    }
    return 0;
}
