/* Fence agents of the fence-agents family (fence_ipmilan, fence_redfish,
 * fence_virsh, fence_dummy, ...; docs/fencing.md): find one, write its
 * standard stdin (one `name=value` per line, `action=` first), run one
 * action as a child process (common/spawn.h) on the caller's sd-event loop
 * with a timeout, and turn how it ended into one result; check a device's
 * parameters against the agent's `metadata` (the same XML shape as OCF
 * meta-data, read with agent_ocf_meta_parse).
 *
 * The fence-agents conventions this follows (fencing.py, as shipped by
 * Debian): exit 0 is success; for `status`, 0 means the plug is on, 2 that
 * it is off, anything else an error; `plug` names the outlet, VM or blade
 * (`port` is its old alias). Nothing here logs: the caller, who knows the
 * configuration file and the node, logs once. SIGCHLD must be blocked, as
 * for spawn.h. */
#ifndef VIGIL_FENCE_AGENT_H
#define VIGIL_FENCE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "../common/clock.h"
#include "../common/spawn.h"
#include "../resources/agent.h"

/* where Debian's fence-agents and hand-installed ones live, searched in order */
#define FENCE_AGENT_DIRS "/usr/sbin:/sbin:/usr/local/sbin"
#define FENCE_TIMEOUT_DEFAULT (60 * VG_USEC_PER_SEC) /* Pacemaker's stonith-timeout */
#define FENCE_ERR_MAX 512
#define FENCE_REASON_MAX 1024
#define FENCE_STDIN_MAX 8192 /* the whole stdin of one action */
#define FENCE_NAME_MAX 64    /* a parameter name, with the NUL */
#define FENCE_AGENT_NAME_MAX 64

enum fence_action {
    FENCE_ACTION_OFF,
    FENCE_ACTION_ON,
    FENCE_ACTION_REBOOT,
    FENCE_ACTION_STATUS,
    FENCE_ACTION_MONITOR,  /* is the device itself reachable */
    FENCE_ACTION_METADATA, /* its parameters, as XML on stdout */
    FENCE_ACTION_COUNT
};

/* What an action came to. */
enum fence_outcome {
    FENCE_OK,          /* off/on/reboot/monitor/metadata succeeded; status: the plug is on */
    FENCE_POWERED_OFF, /* status only: the plug is off (exit 2) */
    FENCE_FAILED,      /* the agent said so (exit_code), or died of a signal */
    FENCE_TIMED_OUT,   /* killed at the timeout: nothing is known */
    FENCE_CANNOT_RUN,  /* it never ran (error: ENOENT, EACCES, ...) */
};

/* One `name=value` for the agent's stdin. */
struct fence_param {
    const char *name;
    const char *value;
};

/* A device: which agent, with which parameters (action and plug excluded:
 * they are per action and per node). */
struct fence_agent {
    const char *path; /* absolute: fence_agent_find's answer */
    const struct fence_param *params;
    size_t n_params;
};

/* One result, valid only during the callback. */
struct fence_result {
    enum fence_outcome outcome;
    enum fence_action action;
    int exit_code;      /* when it exited; -1 otherwise */
    int signal;         /* FAILED: the signal that killed it; TIMED_OUT: the last one sent */
    int error;          /* CANNOT_RUN: a positive errno */
    bool still_running; /* TIMED_OUT: not gone after SIGKILL */
    const char *reason; /* one sentence: the label, what happened, the agent's last word */
    vg_usec_t duration;
    struct spawn_output out; /* stdout (and stderr, except for metadata) */
};

struct fence_op;

typedef void (*fence_done_fn)(struct fence_op *op, const struct fence_result *r, void *userdata);

/* "off", "on", "reboot", "status", "monitor", "metadata" */
const char *fence_action_name(enum fence_action a);
const char *fence_outcome_name(enum fence_outcome o);

/* The agent called `name`: an absolute path is taken as it is (it must be
 * an executable file); a bare name ([A-Za-z0-9_.+-], starting fence_ by
 * convention but not required) is looked for in each directory of `dirs`
 * (NULL: FENCE_AGENT_DIRS). -ENOENT with the places looked in, -EINVAL for
 * a name with a slash that is not absolute, -ENAMETOOLONG. */
int fence_agent_find(const char *name, const char *dirs, char *path, size_t pathlen, char *err,
                     size_t errlen);

/* Whether a parameter name may go to an agent: [A-Za-z0-9_.-], 1 to
 * FENCE_NAME_MAX-1 bytes; and whether it is one Vigil sets itself
 * (action, plug, port, nodename) and so may not be configured. */
bool fence_param_name_valid(const char *name);
bool fence_param_reserved(const char *name);

/* The agent's stdin for one action (pure): "action=ACTION\n", then
 * "plug=PLUG\n" when plug is non-NULL, then "name=value\n" per parameter,
 * into buf, NUL-terminated; *len gets its length. -EINVAL naming the
 * parameter for a bad or reserved name or a value holding a line break or
 * a control byte, -ENOSPC. */
int fence_agent_stdin(const struct fence_agent *a, enum fence_action action, const char *plug,
                      char *buf, size_t size, size_t *len, char *err, size_t errlen);

/* Run one action on the loop (plug: NULL for metadata and monitor). On 0,
 * `done` comes exactly once from the loop (never from inside the call)
 * unless fence_op_cancel comes first. `label` names it in the reason
 * ("off of n2 by ipmi (fence_ipmilan)"). timeout 0: FENCE_TIMEOUT_DEFAULT.
 * -EINVAL with err for a bad request (fence_agent_stdin's checks), -EBUSY,
 * -ENOMEM, -EMFILE: then nothing ran. `ret` may be NULL. */
int fence_agent_run(sd_event *ev, const struct fence_agent *a, enum fence_action action,
                    const char *plug, const char *label, vg_usec_t timeout, vg_usec_t kill_grace,
                    int64_t priority, fence_done_fn done, void *userdata, struct fence_op **ret,
                    char *err, size_t errlen);

/* Kill the agent's process group and forget it: no callback after this.
 * NULL, and a call from inside the op's own callback, are no-ops. */
void fence_op_cancel(struct fence_op *op);

/* Turn how the agent ended into an outcome (pure): see enum fence_outcome. */
enum fence_outcome fence_outcome_of(enum fence_action action, const struct spawn_result *r);

/* Check a device's parameters against its agent's metadata: every
 * required parameter is given (action, plug and port excepted: Vigil sets
 * them; `plug` may be required only when the device has no plug for a
 * node, which the caller checks), and every parameter given is one the
 * agent lists. The message names `where` and the agent, and says what to
 * add or remove. -EINVAL. */
int fence_agent_check_params(const struct fence_agent *a, const struct agent_ocf_meta *m,
                             const char *agent_name, const char *where, char *err, size_t errlen);

#endif
