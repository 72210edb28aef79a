/* The `exec` resource kind: the configured start, stop and monitor commands,
 * each run as /bin/sh -c COMMAND with PATH and VIGIL_* in an otherwise
 * empty environment. */
#include "../common/errbuf.h"
#include "agent_internal.h"

#include <errno.h>
#include <string.h>

static bool command_set(const char *c)
{
    return c && c[0];
}

int agent_exec_validate(const struct agent_exec *x, const char *where, char *err, size_t errlen)
{
    const char *w = where ? where : "exec resource";

    if (!command_set(x->start))
        return errbuf_fail(err, errlen, -EINVAL,
                           "%s: no start command: add `start = COMMAND` (run with /bin/sh -c)", w);
    if (!command_set(x->stop))
        return errbuf_fail(err, errlen, -EINVAL,
                           "%s: no stop command: add `stop = COMMAND` (run with /bin/sh -c)", w);
    return 0;
}

/* The command for an action, or NULL with a message. */
static const char *exec_command(const struct agent_exec *x, const struct agent_request *req,
                                const char *label, char *err, size_t errlen)
{
    const char *c = NULL;

    switch (req->action) {
    case AGENT_ACTION_START:
        c = x->start;
        break;
    case AGENT_ACTION_STOP:
        c = x->stop;
        break;
    case AGENT_ACTION_MONITOR:
        c = x->monitor;
        break;
    default:
        errbuf_set(err, errlen, "%s: an exec resource has only start, stop and monitor", label);
        return NULL;
    }
    if (!command_set(c))
        errbuf_set(err, errlen, "%s: the resource has no %s command", label,
                   agent_action_name(req->action));
    return command_set(c) ? c : NULL;
}

int agent_exec_run(sd_event *ev, const struct agent_exec *x, const struct agent_request *req,
                   agent_done_fn done, void *userdata, struct agent_op **ret, char *err,
                   size_t errlen)
{
    char label[AGENT_LABEL_MAX];
    struct spawn_env env = {0};
    const char *command;
    int r;

    if (!x)
        return errbuf_fail(err, errlen, -EINVAL, "no exec resource given");
    if ((r = agent_check_request(req, err, errlen)) < 0)
        return r;
    agent_label(req, "exec", label, sizeof(label));
    if (!(command = exec_command(x, req, label, err, errlen)))
        return -EOPNOTSUPP;
    if ((r = agent_env_common(&env, req, err, errlen)) < 0)
        goto out;
    {
        char *argv[] = {AGENT_SHELL, "-c", (char *)command, NULL};
        struct agent_launch l = {
            .kind = AGENT_KIND_EXEC,
            .action = req->action,
            .label = label,
            .argv = argv,
            .envp = env.vars,
        };

        r = agent_launch(ev, req, &l, done, userdata, ret, err, errlen);
    }
out:
    spawn_env_free(&env);
    return r;
}
