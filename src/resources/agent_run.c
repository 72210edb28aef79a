/* Running one agent action: the request checks, the environment every kind
 * shares, and the agent_op handle around a spawn that turns its result into
 * an agent result (agent_result.c) before calling the user back. */
#include "../common/errbuf.h"
#include "agent_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct agent_op {
    struct spawn *spawn;
    agent_done_fn done;
    void *userdata;
    enum agent_kind kind;
    enum agent_action action;
    bool in_callback;
    char label[AGENT_LABEL_MAX];
    char reason[AGENT_REASON_MAX];
};

/* Names go into the environment and into messages: no control bytes. */
static bool text_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

int agent_check_request(const struct agent_request *req, char *err, size_t errlen)
{
    const char *names[] = {req ? req->group : NULL, req ? req->resource : NULL,
                           req ? req->node : NULL};

    if (!req)
        return errbuf_fail(err, errlen, -EINVAL, "no agent request given");
    if ((unsigned)req->action >= AGENT_ACTION_COUNT)
        return errbuf_fail(err, errlen, -EINVAL, "unknown agent action %d", (int)req->action);
    if (req->action != AGENT_ACTION_META_DATA && (!req->resource || !req->resource[0]))
        return errbuf_fail(err, errlen, -EINVAL, "%s needs the resource's name",
                           agent_action_name(req->action));
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i] && !text_printable(names[i]))
            return errbuf_fail(err, errlen, -EINVAL,
                               "group, resource and node names may not hold control characters");
    return 0;
}

vg_usec_t agent_request_timeout(const struct agent_request *req)
{
    return req->timeout ? req->timeout : AGENT_TIMEOUT_DEFAULT;
}

void agent_label(const struct agent_request *req, const char *what, char *buf, size_t len)
{
    const char *action = agent_action_name(req->action);

    if (!req->resource || !req->resource[0])
        snprintf(buf, len, "%s of %s", action, what);
    else if (req->group && req->group[0])
        snprintf(buf, len, "%s of %s/%s (%s)", action, req->group, req->resource, what);
    else
        snprintf(buf, len, "%s of %s (%s)", action, req->resource, what);
}

int agent_env_common(struct spawn_env *env, const struct agent_request *req, char *err,
                     size_t errlen)
{
    const struct {
        const char *name, *value;
    } vars[] = {
        {"PATH", AGENT_PATH_ENV},
        {"VIGIL_GROUP", req->group},
        {"VIGIL_RESOURCE", req->resource},
        {"VIGIL_NODE", req->node},
        {"VIGIL_ACTION", agent_action_name(req->action)},
    };
    int r;

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (vars[i].value &&
            (r = spawn_env_set_str(env, vars[i].name, vars[i].value, err, errlen)) < 0)
            return r;
    return 0;
}

/* The spawn's callback: classify, call the user once, free the op. A
 * cancel from inside the user's callback is a no-op (in_callback). */
static void on_spawn_done(struct spawn *s, const struct spawn_result *sr, void *userdata)
{
    struct agent_op *op = userdata;
    struct agent_result r;

    agent_classify(op->kind, op->action, op->label, sr, &r, op->reason, sizeof(op->reason));
    op->in_callback = true;
    op->done(op, &r, op->userdata);
    free(op);
}

int agent_launch(sd_event *ev, const struct agent_request *req, const struct agent_launch *l,
                 agent_done_fn done, void *userdata, struct agent_op **ret, char *err,
                 size_t errlen)
{
    struct spawn_opts o = {
        .argv = l->argv,
        .envp = l->envp,
        .timeout = agent_request_timeout(req),
        .kill_grace = req->kill_grace,
        .output_limit = req->output_limit,
        .separate_stderr = l->meta_data,
        .priority = req->priority,
    };
    struct agent_op *op;
    int r;

    if (!ev || !done)
        return errbuf_fail(err, errlen, -EINVAL, "%s: no event loop or callback", l->label);
    if (l->meta_data && !o.output_limit)
        o.output_limit = AGENT_META_OUTPUT_LIMIT;
    if (!(op = calloc(1, sizeof(*op))))
        return errbuf_fail(err, errlen, -ENOMEM, "%s: out of memory", l->label);
    op->done = done;
    op->userdata = userdata;
    op->kind = l->kind;
    op->action = l->action;
    snprintf(op->label, sizeof(op->label), "%s", l->label);

    r = spawn_start(ev, &o, on_spawn_done, op, &op->spawn);
    if (r < 0) {
        if (r == -EBUSY)
            errbuf_set(err, errlen, "%s: SIGCHLD is not blocked, so the agent cannot be watched",
                       l->label);
        else
            errbuf_set(err, errlen, "%s: cannot start %s: %s", l->label, l->argv[0], strerror(-r));
        free(op);
        return r;
    }
    if (ret)
        *ret = op;
    return 0;
}

void agent_op_cancel(struct agent_op *op)
{
    if (!op || op->in_callback)
        return;
    spawn_cancel(op->spawn);
    free(op);
}

pid_t agent_op_pid(const struct agent_op *op)
{
    return op ? spawn_pid(op->spawn) : 0;
}
