/* An OCF agent's meta-data read at once, waiting for it, to check a
 * configuration before anything runs it (vigild before its loop starts,
 * vigilctl config check): a missing agent or a missing required parameter
 * is then a configuration error, not a start that fails at 3 a.m. */
#include "../common/errbuf.h"
#include "../common/limits.h"
#include "agent.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct meta_wait {
    bool done;
    enum agent_outcome outcome;
    struct agent_ocf_meta *out;
    int rc;
    char *err;
    size_t errlen;
};

static void on_meta(struct agent_op *op, const struct agent_result *res, void *userdata)
{
    struct meta_wait *w = userdata;
    char why[AGENT_ERR_MAX];

    w->done = true;
    w->outcome = res->outcome;
    if (res->outcome != AGENT_OK) {
        w->rc = -EIO;
        errbuf_set(w->err, w->errlen, "%s", res->reason);
        return;
    }
    w->rc = agent_ocf_meta_parse(res->out.data, res->out.len, w->out, why, sizeof(why));
    if (w->rc < 0)
        errbuf_set(w->err, w->errlen, "it is not usable: %s", why);
}

/* Run the agent's meta-data in a loop of its own until it ends (at most
 * `timeout`), with SIGCHLD blocked meanwhile as agents need it. */
static int run_meta(const struct agent_ocf *o, vg_usec_t timeout, struct agent_ocf_meta *out,
                    char *err, size_t errlen)
{
    struct agent_request req = {.action = AGENT_ACTION_META_DATA, .timeout = timeout};
    struct meta_wait w = {.out = out, .err = err, .errlen = errlen};
    sigset_t chld, old;
    sd_event *ev = NULL;
    int rc;

    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, &old);
    if ((rc = sd_event_new(&ev)) < 0) {
        errbuf_set(err, errlen, "cannot make an event loop: %s", strerror(-rc));
        goto out;
    }
    if ((rc = agent_ocf_run(ev, o, &req, on_meta, &w, NULL, err, errlen)) < 0)
        goto out;
    while (!w.done)
        if ((rc = sd_event_run(ev, UINT64_MAX)) < 0) {
            errbuf_set(err, errlen, "the event loop failed: %s", strerror(-rc));
            goto out;
        }
    rc = w.rc;
out:
    sd_event_unref(ev);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int agent_ocf_meta_read(const struct agent_ocf *o, vg_usec_t timeout, struct agent_ocf_meta *out,
                        char *err, size_t errlen)
{
    char path[VIGIL_PATH_MAX], why[AGENT_ERR_MAX];
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = agent_ocf_path(o, path, sizeof(path))) < 0)
        return errbuf_fail(err, errlen, rc, "ocf:%s:%s: no usable path under OCF root %.100s",
                           o->provider, o->type, o->root ? o->root : AGENT_OCF_ROOT_DEFAULT);
    if (access(path, X_OK) < 0) {
        rc = -errno;
        if (rc == -ENOENT)
            return errbuf_fail(err, errlen, rc,
                               "ocf:%s:%s is not installed on this node: %s does not exist; "
                               "install the package that provides it (resource-agents for "
                               "ocf:heartbeat:*) or fix the agent name",
                               o->provider, o->type, path);
        return errbuf_fail(err, errlen, rc,
                           "ocf:%s:%s cannot be run on this node: %s: %s; make it an executable "
                           "file",
                           o->provider, o->type, path, strerror(-rc));
    }
    if ((rc = run_meta(o, timeout, out, why, sizeof(why))) < 0)
        return errbuf_fail(err, errlen, rc, "ocf:%s:%s (%s): cannot read its meta-data: %s",
                           o->provider, o->type, path, why);
    return 0;
}
