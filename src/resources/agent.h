/* Resource agents (docs/agents.md): run one action (start, stop, monitor;
 * for OCF also meta-data and validate-all) of an `exec`, `ocf` or `systemd`
 * resource as a child process (common/spawn.h) on the caller's sd-event
 * loop, with a timeout, and report one normalized result through a
 * callback. The parsers here (an OCF agent name, a systemd unit name, OCF
 * meta-data XML) are pure functions.
 *
 * Conventions: 0 or a negative errno; a failure an operator must see fills
 * `err` (AGENT_ERR_MAX is enough) with one sentence. Nothing here logs: the
 * caller, who knows the configuration file and the node, logs once. As for
 * spawn.h, SIGCHLD must be blocked in every thread. */
#ifndef VIGIL_AGENT_H
#define VIGIL_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "../common/clock.h"
#include "../common/spawn.h"

/* the default operation timeout, as Pacemaker's */
#define AGENT_TIMEOUT_DEFAULT (20 * VG_USEC_PER_SEC)
#define AGENT_META_OUTPUT_LIMIT (1024 * 1024) /* bytes of meta-data XML kept */
#define AGENT_ERR_MAX 512
#define AGENT_REASON_MAX 1024
#define AGENT_NAME_MAX 64      /* OCF provider, type and parameter names, with the NUL */
#define AGENT_UNIT_MAX 256     /* a systemd unit name, with the NUL */
#define AGENT_INSTANCE_MAX 256 /* OCF_RESOURCE_INSTANCE, with the NUL */
#define AGENT_SHORT_MAX 256    /* parameter defaults and short descriptions (cut beyond) */
#define AGENT_OCF_ROOT_DEFAULT "/usr/lib/ocf"
#define AGENT_SYSTEMCTL_DEFAULT "/usr/bin/systemctl"
#define AGENT_SHELL "/bin/sh"
#define AGENT_PATH_ENV "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum agent_kind { AGENT_KIND_EXEC, AGENT_KIND_OCF, AGENT_KIND_SYSTEMD };

enum agent_action {
    AGENT_ACTION_START,
    AGENT_ACTION_STOP,
    AGENT_ACTION_MONITOR,
    AGENT_ACTION_META_DATA,    /* ocf only */
    AGENT_ACTION_VALIDATE_ALL, /* ocf only */
    AGENT_ACTION_COUNT
};

/* What an action came to, the same for every kind (docs/agents.md has the
 * table per kind). Only a monitor says AGENT_NOT_RUNNING: a start that
 * leaves the resource stopped has failed, a stop that finds it stopped has
 * succeeded. */
enum agent_outcome {
    AGENT_OK,          /* done; for a monitor: running */
    AGENT_NOT_RUNNING, /* monitor: cleanly stopped */
    AGENT_FAILED,      /* the agent said so (exit_code) or died of a signal (signal) */
    AGENT_TIMED_OUT,   /* killed at the timeout: the state of the resource is unknown */
    AGENT_CANNOT_RUN,  /* the agent never ran (error: ENOENT, EACCES, ...) */
};

/* One result, valid only during the callback. */
struct agent_result {
    enum agent_outcome outcome;
    enum agent_kind kind;
    enum agent_action action;
    int exit_code;      /* when the agent exited (OK, NOT_RUNNING, FAILED); -1 otherwise */
    int signal;         /* FAILED: the signal that killed it; TIMED_OUT: the last one we sent */
    int error;          /* CANNOT_RUN: a positive errno */
    bool still_running; /* TIMED_OUT: not gone after SIGKILL; a stop may not have happened */
    const char *reason; /* one sentence: resource, agent, action, what happened, what to do */
    vg_usec_t duration;
    struct spawn_output out; /* stdout with stderr; for meta-data stdout only */
    struct spawn_output err; /* meta-data: stderr; otherwise empty */
};

/* One action of one resource. */
struct agent_request {
    enum agent_action action;
    const char *group;    /* VIGIL_GROUP; NULL: not set */
    const char *resource; /* VIGIL_RESOURCE; required, except for meta-data */
    const char *node;     /* VIGIL_NODE, this node's name; NULL: not set */
    vg_usec_t timeout;    /* 0: AGENT_TIMEOUT_DEFAULT */
    vg_usec_t interval;   /* monitor: its period, for OCF_RESKEY_CRM_meta_interval (0: a probe) */
    vg_usec_t kill_grace; /* SIGTERM → SIGKILL; 0: spawn's default */
    size_t
        output_limit; /* bytes kept; 0: spawn's default (AGENT_META_OUTPUT_LIMIT for meta-data) */
    int64_t priority; /* of the sd-event sources */
};

/* A running action: opaque, valid from the run call until its callback
 * returns or until agent_op_cancel. */
struct agent_op;

typedef void (*agent_done_fn)(struct agent_op *op, const struct agent_result *r, void *userdata);

/* Kill the action's process group and forget it: no callback after this.
 * NULL, and a call from inside the op's own callback, are no-ops. */
void agent_op_cancel(struct agent_op *op);

/* The agent's pid (and process group id), for logs; 0 when it never ran. */
pid_t agent_op_pid(const struct agent_op *op);

/* Every agent_*_run below: on 0, `done` comes exactly once from the loop
 * (never from inside the call) unless agent_op_cancel comes first; an agent
 * that cannot be started (missing, not executable) is reported that way,
 * as AGENT_CANNOT_RUN. A negative errno with `err` filled means nothing ran
 * and no callback comes: -EINVAL (a bad request), -EOPNOTSUPP (an action
 * the kind or the resource does not have), -EBUSY (SIGCHLD not blocked),
 * -ENOMEM, -EMFILE. `ret` may be NULL. */

/* ---- exec: shell commands (agent_exec.c) ---- */

struct agent_exec {
    const char *start;   /* each run as /bin/sh -c COMMAND */
    const char *stop;    /* start and stop are required */
    const char *monitor; /* NULL or "": the resource has no monitor */
};

/* Check a configuration: start and stop present. `where` names it in the
 * message ("vigil.conf:12 [resource \"web/app\"]"). */
int agent_exec_validate(const struct agent_exec *x, const char *where, char *err, size_t errlen);

int agent_exec_run(sd_event *ev, const struct agent_exec *x, const struct agent_request *req,
                   agent_done_fn done, void *userdata, struct agent_op **ret, char *err,
                   size_t errlen);

/* ---- ocf: OCF resource agents (agent_ocf.c) ---- */

/* One OCF_RESKEY_<name>=<value>. */
struct agent_param {
    const char *name;
    const char *value;
};

struct agent_ocf {
    char provider[AGENT_NAME_MAX]; /* ocf:PROVIDER:TYPE → ROOT/resource.d/PROVIDER/TYPE */
    char type[AGENT_NAME_MAX];
    const char *root;     /* the OCF root; NULL: AGENT_OCF_ROOT_DEFAULT */
    const char *instance; /* OCF_RESOURCE_INSTANCE; NULL: "GROUP-RESOURCE" (or RESOURCE) */
    const struct agent_param *params;
    size_t n_params;
};

/* "ocf:PROVIDER:TYPE" into provider and type; the rest of *out is zeroed.
 * Provider and type are file names: [A-Za-z0-9_.+-], not starting with '.'. */
int agent_ocf_parse(const char *spec, struct agent_ocf *out, char *err, size_t errlen);

/* The agent's file: ROOT/resource.d/PROVIDER/TYPE. -ENAMETOOLONG. */
int agent_ocf_path(const struct agent_ocf *o, char *buf, size_t len);

int agent_ocf_run(sd_event *ev, const struct agent_ocf *o, const struct agent_request *req,
                  agent_done_fn done, void *userdata, struct agent_op **ret, char *err,
                  size_t errlen);

/* OCF exit codes (OCF resource agent API 1.1). */
enum agent_ocf_code {
    OCF_SUCCESS = 0,
    OCF_ERR_GENERIC = 1,
    OCF_ERR_ARGS = 2,
    OCF_ERR_UNIMPLEMENTED = 3,
    OCF_ERR_PERM = 4,
    OCF_ERR_INSTALLED = 5,
    OCF_ERR_CONFIGURED = 6,
    OCF_NOT_RUNNING = 7,
    OCF_RUNNING_PROMOTED = 8,
    OCF_FAILED_PROMOTED = 9,
};

/* "OCF_ERR_CONFIGURED", or NULL for a code without a name. */
const char *agent_ocf_code_name(int code);

/* ---- ocf: meta-data (agent_ocf_meta.c, pure) ---- */

struct agent_ocf_param_meta {
    char name[AGENT_NAME_MAX];
    bool required;
    bool unique;
    char type[AGENT_NAME_MAX];           /* <content type=...>: string, integer, boolean, ... */
    char default_value[AGENT_SHORT_MAX]; /* <content default=...>, cut with "..." */
    char shortdesc[AGENT_SHORT_MAX];     /* English or unlabelled, blanks folded, cut */
};

struct agent_ocf_meta {
    char name[AGENT_NAME_MAX];           /* <resource-agent name=...> */
    struct agent_ocf_param_meta *params; /* malloc'd, in document order */
    size_t n_params;
    bool has_action[AGENT_ACTION_COUNT];   /* listed under <actions> */
    bool has_status;                       /* <action name="status"> (fence agents) */
    vg_usec_t timeout[AGENT_ACTION_COUNT]; /* the agent's advised timeout; 0: not said */
    vg_usec_t monitor_interval;            /* advised monitor interval; 0: not said */
};

#define AGENT_OCF_META_PARAMS_MAX 256
#define AGENT_OCF_META_DEPTH_MAX 32

/* Read an agent's meta-data XML: well-formed XML with the root element
 * <resource-agent>, its <parameters> and <actions>. Comments, processing
 * instructions, a DOCTYPE and CDATA are understood; the five predefined and
 * numeric character references are decoded; anything else malformed is an
 * error naming the line. *out is set only on success; free it with
 * agent_ocf_meta_free. */
int agent_ocf_meta_parse(const char *xml, size_t len, struct agent_ocf_meta *out, char *err,
                         size_t errlen);

/* The same for the metadata of a fence agent (fence-agents family, the same
 * XML shape): flags AGENT_META_FENCE lets parameter names hold '-', as they
 * go on the agent's stdin, not into its environment. */
#define AGENT_META_FENCE 1u
int agent_meta_parse(const char *xml, size_t len, unsigned flags, struct agent_ocf_meta *out,
                     char *err, size_t errlen);

void agent_ocf_meta_free(struct agent_ocf_meta *m);

/* The parameter called name, or NULL. */
const struct agent_ocf_param_meta *agent_ocf_meta_param(const struct agent_ocf_meta *m,
                                                        const char *name);

/* A timeout for an action: the configured one, else the agent's advice,
 * else AGENT_TIMEOUT_DEFAULT. m may be NULL. */
vg_usec_t agent_ocf_meta_timeout(const struct agent_ocf_meta *m, enum agent_action a,
                                 vg_usec_t configured);

/* A duration as meta-data writes it (Pacemaker's reading): a whole number
 * with an optional unit ms/msec, us/usec, s/sec, m/min, h/hr; no unit means
 * seconds. -EINVAL, -ERANGE. */
int agent_ocf_parse_duration(const char *s, vg_usec_t *out);

/* Read agent o's meta-data now, waiting for it (in an sd-event loop of its
 * own, SIGCHLD blocked meanwhile; at most `timeout`, 0: the default): for
 * checking a configuration before a daemon's loop runs, or in a command;
 * never from inside a running loop. -ENOENT when the agent is not
 * installed (err names the path looked for), -EACCES and the like when it
 * cannot run, -EIO when meta-data failed, -EINVAL when its XML is not
 * usable; err says which. Free *out with agent_ocf_meta_free on success
 * (agent_ocf_check.c). */
int agent_ocf_meta_read(const struct agent_ocf *o, vg_usec_t timeout, struct agent_ocf_meta *out,
                        char *err, size_t errlen);

/* agent_ocf_check_params flags */
#define AGENT_CHECK_ALLOW_UNKNOWN 1u /* a parameter the meta-data does not list is not an error */

/* Check o's parameters against the agent's meta-data: every required one is
 * given, none twice, none unknown (unless allowed), each name usable as
 * OCF_RESKEY_<name>. The message names `where`, the agent and the
 * parameter, and says what to add, fix or remove. -EINVAL. */
int agent_ocf_check_params(const struct agent_ocf *o, const struct agent_ocf_meta *m,
                           const char *where, unsigned flags, char *err, size_t errlen);

/* ---- systemd: units through systemctl (agent_systemd.c) ---- */

struct agent_systemd {
    char unit[AGENT_UNIT_MAX];
    const char *systemctl; /* NULL: AGENT_SYSTEMCTL_DEFAULT */
};

/* A unit name as systemd spells it ("app.service", "app@1.service",
 * "srv-data.mount"); a name without a unit suffix gets ".service". The rest
 * of *out is zeroed. */
int agent_systemd_parse_unit(const char *s, struct agent_systemd *out, char *err, size_t errlen);

/* Whether systemd runs this machine (/run/systemd/system exists). When not,
 * `why` (may be NULL) says so in a sentence fit for a skip message. */
bool agent_systemd_available(char *why, size_t whylen);

int agent_systemd_run(sd_event *ev, const struct agent_systemd *u, const struct agent_request *req,
                      agent_done_fn done, void *userdata, struct agent_op **ret, char *err,
                      size_t errlen);

/* ---- common (agent_run.c) ---- */

const char *agent_action_name(enum agent_action a); /* "start", "meta-data", ... */
const char *agent_outcome_name(enum agent_outcome o);
const char *agent_kind_name(enum agent_kind k);

/* Turn how a child ended into an agent result (pure): the outcome for this
 * kind and action (docs/agents.md), and a reason in reason[] that starts
 * with `label` ("start of web/app (ocf:heartbeat:Dummy)"), gives the exit
 * code's meaning, and ends with the agent's own last word (OCF's
 * "ocf-exit-reason:" line, else its last line of output) for failures. */
void agent_classify(enum agent_kind kind, enum agent_action action, const char *label,
                    const struct spawn_result *sr, struct agent_result *out, char *reason,
                    size_t reason_len);

#endif
