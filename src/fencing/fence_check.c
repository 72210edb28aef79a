/* Checking the configured fence devices against the machine (fence_check.h). */
#include "fence_check.h"

#include "fence_agent.h"

#include "../common/errbuf.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One metadata run: its outcome and output, copied out of the callback. */
struct meta_run {
    bool done;
    enum fence_outcome outcome;
    char reason[FENCE_REASON_MAX];
    char *xml;
    size_t len;
};

static void on_meta(struct fence_op *op, const struct fence_result *r, void *userdata)
{
    struct meta_run *m = userdata;

    (void)op;
    m->done = true;
    m->outcome = r->outcome;
    snprintf(m->reason, sizeof(m->reason), "%s", r->reason);
    if (r->outcome == FENCE_OK && r->out.data && (m->xml = malloc(r->out.len + 1))) {
        memcpy(m->xml, r->out.data, r->out.len);
        m->xml[r->out.len] = '\0';
        m->len = r->out.len;
    }
}

/* Append one line to err. */
static void add_line(char *err, size_t errlen, const char *line)
{
    size_t used = strlen(err);

    if (used + 1 >= errlen)
        return;
    snprintf(err + used, errlen - used, "%s%s", used ? "\n" : "", line);
}

/* Run `metadata` of one agent to its end on loop ev. */
static int run_metadata(sd_event *ev, const struct fence_agent *a, const char *label,
                        struct meta_run *m, char *err, size_t errlen)
{
    int rc = fence_agent_run(ev, a, FENCE_ACTION_METADATA, NULL, label, FENCE_CHECK_TIMEOUT, 0, 0,
                             on_meta, m, NULL, err, errlen);

    if (rc < 0)
        return rc;
    while (!m->done)
        if ((rc = sd_event_run(ev, UINT64_MAX)) < 0)
            return errbuf_fail(err, errlen, rc, "%s: the event loop failed: %s", label,
                               strerror(-rc));
    return 0;
}

static int check_one(sd_event *ev, const struct conf *c, const struct conf_fence *f,
                     struct fence_device_info *info, char *line, size_t linelen)
{
    char where[VIGIL_PATH_MAX + 96], label[FENCE_REASON_MAX / 2], why[FENCE_ERR_MAX];
    struct fence_param params[CONF_FENCE_PARAMS_MAX];
    struct fence_agent a = {.path = info->path, .params = params, .n_params = (size_t)f->n_params};
    struct meta_run m = {0};
    struct agent_ocf_meta meta;
    int rc;

    snprintf(where, sizeof(where), "%s:%d: [fence \"%s\"]", c->path, f->line, f->name);
    for (int k = 0; k < f->n_params; k++)
        params[k] = (struct fence_param){f->params[k].name, f->params[k].value};
    if ((rc = fence_agent_find(f->agent, NULL, info->path, sizeof(info->path), why, sizeof(why))) <
        0) {
        errbuf_set(line, linelen, "%s agent: %s", where, why);
        return rc;
    }
    snprintf(label, sizeof(label), "metadata of %s", info->path);
    if ((rc = run_metadata(ev, &a, label, &m, why, sizeof(why))) < 0) {
        errbuf_set(line, linelen, "%s: %s", where, why);
        return rc;
    }
    if (m.outcome != FENCE_OK || !m.xml) {
        errbuf_set(line, linelen, "%s: cannot read the agent's metadata: %s", where, m.reason);
        free(m.xml);
        return -EINVAL;
    }
    rc = agent_meta_parse(m.xml, m.len, AGENT_META_FENCE, &meta, why, sizeof(why));
    free(m.xml);
    if (rc < 0) {
        errbuf_set(line, linelen, "%s: the metadata of %s does not parse: %s", where, info->path,
                   why);
        return rc;
    }
    info->has_status = meta.has_status;
    info->takes_plug =
        agent_ocf_meta_param(&meta, "plug") != NULL || agent_ocf_meta_param(&meta, "port") != NULL;
    rc = fence_agent_check_params(&a, &meta, f->agent, where, line, linelen);
    agent_ocf_meta_free(&meta);
    return rc;
}

int fence_check_conf(const struct conf *c, struct fence_device_info info[CONF_FENCE_MAX], char *err,
                     size_t errlen)
{
    sigset_t chld, old;
    sd_event *ev = NULL;
    int rc, first = 0;

    if (errlen)
        err[0] = '\0';
    if (c->n_fences == 0)
        return 0;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, &old);
    if ((rc = sd_event_new(&ev)) < 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        snprintf(err, errlen, "cannot make an event loop to check the fence devices: %s",
                 strerror(-rc));
        return rc;
    }
    for (int i = 0; i < c->n_fences; i++) {
        char line[FENCE_ERR_MAX + VIGIL_PATH_MAX];
        memset(&info[i], 0, sizeof(info[i]));
        if ((rc = check_one(ev, c, &c->fences[i], &info[i], line, sizeof(line))) < 0) {
            add_line(err, errlen, line);
            if (!first)
                first = rc;
        }
    }
    sd_event_unref(ev);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return first;
}
