/* The runner's events (runner.h): the one-sentence messages with the
 * group, node and failure count around them, state changes, and names. */
#include "runner_internal.h"

#include <stdarg.h>
#include <stdio.h>

const char *runner_state_name(enum runner_state s)
{
    static const char *const names[] = {"stopped",  "starting", "running",
                                        "stopping", "failed",   "stop-failed"};

    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

const char *runner_op_name(enum runner_op o)
{
    static const char *const names[] = {"none", "start", "stop", "probe"};

    return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "unknown";
}

const char *runner_event_name(enum runner_event_kind k)
{
    static const char *const names[] = {"state",       "probed",         "action",  "start-failed",
                                        "stop-failed", "monitor-failed", "restart", "failed",
                                        "command",     "warning"};

    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

const char *runner_kind_name(enum runner_kind k)
{
    static const char *const names[] = {"ip", "exec", "ocf", "systemd"};

    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

static void deliver(struct runner *r, enum runner_event_kind kind, enum log_level level,
                    const struct runner_res *x, enum runner_state old, const char *msg)
{
    struct runner_event e = {
        .kind = kind,
        .level = level,
        .group = r->name,
        .node = r->node,
        .resource = x ? x->d.name : NULL,
        .state = r->state,
        .old_state = old,
        .failures = runner_failures(r, runner_loop_now(r)),
        .message = msg,
    };

    if (!r->freed)
        r->cb.event(r, &e, r->cb.userdata);
}

void runner_emit(struct runner *r, enum runner_event_kind kind, enum log_level level,
                 const struct runner_res *x, const char *fmt, ...)
{
    char msg[RUNNER_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    deliver(r, kind, level, x, r->state, msg);
}

/* Change the state and say so, with r->cause when there is one. */
void runner_set_state(struct runner *r, enum runner_state s)
{
    static const enum log_level levels[] = {
        [RUNNER_STOPPED] = LOG_LVL_NOTICE, [RUNNER_STARTING] = LOG_LVL_INFO,
        [RUNNER_RUNNING] = LOG_LVL_NOTICE, [RUNNER_STOPPING] = LOG_LVL_INFO,
        [RUNNER_FAILED] = LOG_LVL_ERR,     [RUNNER_STOP_FAILED] = LOG_LVL_ERR,
    };
    enum runner_state old = r->state;
    char msg[RUNNER_MESSAGE_MAX];

    if (s != old) {
        r->state = s;
        snprintf(msg, sizeof(msg), "group %s is now %s on %s (was %s)%s%s", r->name,
                 runner_state_name(s), r->node, runner_state_name(old), r->cause[0] ? ": " : "",
                 r->cause);
        r->cause[0] = '\0';
        deliver(r, RUNNER_EV_STATE, levels[s], NULL, old, msg);
    }
    r->cause[0] = '\0';
}
