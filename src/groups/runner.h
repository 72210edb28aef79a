/* The local group runner (docs/groups.md, "The runner"): runs one failover
 * group on this node, on the caller's sd-event loop. It starts the group's
 * resources in order and stops them in reverse order, probes what already
 * runs, monitors each resource while the group runs, restarts the group in
 * place after a failure and gives up at the migration threshold, and keeps
 * the group's failure count here. It decides nothing about placement: the
 * caller (vigild, on the coordinator's word) says start, stop or probe.
 *
 * Resources are `ip` (resources.h, reached through struct runner_ip_ops) or
 * agents (agent.h: exec, ocf, systemd). Nothing here blocks the loop and
 * nothing here logs: every state change and every event goes to one
 * callback with a one-sentence message, and the caller logs it. SIGCHLD must
 * be blocked (agent.h). */
#ifndef VIGIL_RUNNER_H
#define VIGIL_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "../common/clock.h"
#include "../common/limits.h"
#include "../common/log.h"
#include "../resources/agent.h"
#include "../resources/resources.h"

#define RUNNER_ERR_MAX 512      /* room for any sentence runner_new and the commands write */
#define RUNNER_MESSAGE_MAX 2048 /* an event's message, with an agent's reason in it */

/* ---- what to run: a description, copied by runner_new ---- */

enum runner_kind { RUNNER_IP, RUNNER_EXEC, RUNNER_OCF, RUNNER_SYSTEMD };

struct runner_resource {
    const char *name; /* unique in the group */
    enum runner_kind kind;
    union {
        struct res_ip ip;             /* RUNNER_IP: address, interface, announce, probe */
        struct agent_exec exec;       /* RUNNER_EXEC: start, stop and monitor commands */
        struct agent_ocf ocf;         /* RUNNER_OCF: provider, type, parameters (root, instance) */
        struct agent_systemd systemd; /* RUNNER_SYSTEMD: the unit (systemctl) */
    };
    vg_usec_t start_timeout; /* each 0: AGENT_TIMEOUT_DEFAULT; not used by ip */
    vg_usec_t stop_timeout;
    vg_usec_t monitor_timeout;
    vg_usec_t monitor_interval; /* 0: not monitored while running (still probed) */
    unsigned monitor_retries;   /* monitor failures in a row that make it failed; 0: 1 */
};

struct runner_group {
    const char *name;
    struct runner_resource resources[VIGIL_MAX_GROUP_RESOURCES]; /* in start order */
    size_t n;
    unsigned migration_threshold; /* failures here before it must move; 0: never */
    vg_usec_t failure_timeout;    /* a count this old since its last failure is 0; 0: never */
};

/* How ip resources reach the kernel: resources.h's functions, or a fake in
 * tests. runner_ip_netlink (runner_ip_netlink.c) is the real one; linking it
 * brings in ip_netlink.c and so needs libmnl. */
struct runner_ip_ops {
    int (*resolve)(const struct res_ip *ip, struct res_ip_link *out, char *err, size_t errlen);
    int (*add)(const struct res_ip *ip, const struct res_ip_link *link, char *err, size_t errlen);
    int (*del)(const struct res_ip *ip, const struct res_ip_link *link, char *err, size_t errlen);
    int (*check)(const struct res_ip *ip, int ifindex, enum res_ip_status *status, char *err,
                 size_t errlen);
    int (*announce_open)(struct res_ip_announce *a, const struct res_ip_addr *vip,
                         const struct res_ip_link *link, char *err, size_t errlen);
    int (*announce_round)(struct res_ip_announce *a, char *err, size_t errlen);
    void (*announce_close)(struct res_ip_announce *a);
    /* the probe before start (res_ip_probe_*): the runner watches p->s.fd */
    int (*probe_start)(struct res_ip_probe *p, const struct res_ip_addr *vip,
                       const struct res_ip_link *link, char *err, size_t errlen);
    int (*probe_send)(struct res_ip_probe *p, char *err, size_t errlen);
    int (*probe_read)(struct res_ip_probe *p, char *err, size_t errlen);
    void (*probe_close)(struct res_ip_probe *p);
};

extern const struct runner_ip_ops runner_ip_netlink;

/* ---- what it tells ---- */

/* The group's state here, as every node reports it (docs/groups.md). */
enum runner_state {
    RUNNER_STOPPED,     /* not active here */
    RUNNER_STARTING,    /* a start is under way */
    RUNNER_RUNNING,     /* every resource started and its monitors pass */
    RUNNER_STOPPING,    /* a stop is under way */
    RUNNER_FAILED,      /* failed at the migration threshold; stopped again here */
    RUNNER_STOP_FAILED, /* a stop failed or timed out: it may still be active here */
};

/* What is under way. */
enum runner_op {
    RUNNER_OP_NONE,
    RUNNER_OP_START,
    RUNNER_OP_STOP,
    RUNNER_OP_PROBE, /* the state is still the one before the probe */
};

enum runner_event_kind {
    RUNNER_EV_STATE,          /* the state changed: old_state → state */
    RUNNER_EV_PROBED,         /* a probe ended: what it found, what follows */
    RUNNER_EV_ACTION,         /* a resource started or stopped, or its monitor passes again */
    RUNNER_EV_START_FAILED,   /* a resource's start failed (a failure counted) */
    RUNNER_EV_STOP_FAILED,    /* a resource's stop failed or timed out */
    RUNNER_EV_MONITOR_FAILED, /* one monitor (or probe) said not running, failed or timed out */
    RUNNER_EV_RESTART,        /* a resource failed: restarting the group here */
    RUNNER_EV_FAILED,         /* a resource failed at the threshold: stopping the group here */
    RUNNER_EV_COMMAND, /* how a command meets what is under way (waits, overrides, refused) */
    RUNNER_EV_WARNING, /* worth knowing, changes nothing (an announcement not sent) */
};

/* One event, valid during the callback. */
struct runner_event {
    enum runner_event_kind kind;
    enum log_level level; /* how to log it */
    const char *group;
    const char *node;
    const char *resource; /* the resource it is about, or NULL for the whole group */
    enum runner_state state;
    enum runner_state old_state; /* RUNNER_EV_STATE: the state before; otherwise = state */
    unsigned failures;           /* the failure count here after it */
    const char *message;         /* one sentence naming group, resource, node, what happened */
};

struct runner;

typedef void (*runner_event_fn)(struct runner *r, const struct runner_event *e, void *userdata);

struct runner_callbacks {
    runner_event_fn event; /* required */
    void *userdata;
    const struct runner_ip_ops *ip; /* NULL: a group with an ip resource is refused */
};

/* ---- the runner ---- */

/* A runner for group g on this node (`node`: its name, for VIGIL_NODE and
 * messages), in state stopped with no failures; g is copied (strings
 * included). Sources and agents use `priority`. -EINVAL (err says what is
 * wrong with g), -EOPNOTSUPP (an ip resource without cb->ip), -ENOMEM. */
int runner_new(sd_event *ev, const char *node, const struct runner_group *g,
               const struct runner_callbacks *cb, int64_t priority, struct runner **ret, char *err,
               size_t errlen);

/* Forget the group: kill the agents under way, close everything, no more
 * callbacks. Nothing is stopped: stop it first if it must not keep running.
 * May be called from inside the callback. NULL is a no-op. */
void runner_free(struct runner *r);

/* Commands. Each takes effect from the loop (its first state change comes
 * on a later turn, never from inside the call); how a command meets one
 * under way is in docs/groups.md: a stop overrides a start once the action
 * under way ends, a start waits for a stop to end, the last command wins. */

/* Start the group (in order). Already running or starting: nothing to do.
 * -EPERM when it is stop-failed here (only a successful stop clears that)
 * or its failures here reach the migration threshold; err says which. */
int runner_start(struct runner *r, char *err, size_t errlen);

/* Stop the group (in reverse order). Stopped or failed already: nothing to
 * do. Stop-failed: every resource is stopped again (the one way out). */
void runner_stop(struct runner *r);

/* Run every resource's monitor once and take the group as found: all
 * running → running (and monitored); nothing running → stopped; partly →
 * the running ones are stopped, then stopped. -EBUSY unless the group is
 * stopped or failed with nothing under way or asked. */
int runner_probe(struct runner *r, char *err, size_t errlen);

/* Forget the failure count (an operator's cleanup). */
void runner_reset_failures(struct runner *r);

struct runner_status {
    enum runner_state state;
    enum runner_op op;
    bool want_running;      /* what the last command (or a probe that found it) asked for */
    unsigned failures;      /* counted at `now` */
    vg_usec_t last_failure; /* loop time of the last one; 0: none */
    vg_usec_t expires;      /* when the count drops to 0; VG_USEC_INFINITY: never (or 0) */
};

void runner_status(const struct runner *r, vg_usec_t now, struct runner_status *out);
enum runner_state runner_state(const struct runner *r);

/* The failures that count at now (monotonic µs, the loop's clock): 0 once
 * failure_timeout has passed since the last one. */
unsigned runner_failures(const struct runner *r, vg_usec_t now);

const char *runner_name(const struct runner *r);

/* ---- each resource, as the runner here knows it (vigilctl status) ---- */

/* A resource's state here: what its last start, stop, monitor or probe
 * found, or the action under way. */
enum runner_res_state {
    RUNNER_RES_UNKNOWN,     /* nothing ran yet (no probe, or no monitor to probe with) */
    RUNNER_RES_STOPPED,     /* stopped, or a probe found it not running */
    RUNNER_RES_STARTING,    /* its start is under way */
    RUNNER_RES_RUNNING,     /* started, or a monitor or probe found it running */
    RUNNER_RES_STOPPING,    /* its stop is under way */
    RUNNER_RES_FAILED,      /* its start failed, its monitor failed past its retries, or a
                               probe failed: a stop is due */
    RUNNER_RES_STOP_FAILED, /* its stop failed or timed out: it may still run here */
};

/* The last monitor (or probe) of a resource that ended. */
struct runner_check {
    bool known; /* one has ended since the runner was made */
    bool probe; /* it was a probe (a monitor run once to learn the state) */
    enum agent_outcome outcome;
    int exit_code;      /* the agent's exit code; -1: it did not exit (ip, timeout, ...) */
    vg_usec_t at;       /* the loop's monotonic time it ended */
    const char *reason; /* its sentence; valid until the loop turns again */
};

struct runner_res_status {
    const char *name;
    enum runner_kind kind;
    enum runner_res_state state;
    vg_usec_t monitor_interval; /* 0: not monitored while running (still probed) */
    unsigned monitor_fails;     /* monitor failures in a row, below its retries */
    unsigned failures;          /* the group's failures this resource caused, counted at now */
    vg_usec_t last_failure;     /* loop time of the last one; 0: none */
    struct runner_check last_monitor;
};

size_t runner_resource_count(const struct runner *r);

/* Resource i (start order) as the runner knows it at now (the loop's
 * clock). -ERANGE when there is no resource i. */
int runner_resource_status(const struct runner *r, size_t i, vg_usec_t now,
                           struct runner_res_status *out);

const char *runner_res_state_name(enum runner_res_state s); /* "unknown", "stopped", ... */

const char *runner_state_name(enum runner_state s); /* "stopped", ..., "stop-failed" */
const char *runner_op_name(enum runner_op o);       /* "none", "start", "stop", "probe" */
const char *runner_event_name(enum runner_event_kind k);
const char *runner_kind_name(enum runner_kind k); /* "ip", "exec", "ocf", "systemd" */

#endif
