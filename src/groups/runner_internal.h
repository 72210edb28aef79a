/* Internal to the runner files (runner*.c): the runner and per-resource
 * state, and what the files call of each other. The interface is runner.h.
 *
 * runner.c        commands, the state machine (step), failures, life
 * runner_probe.c  the probe: every monitor once, the group taken as found
 * runner_event.c  events, state changes and their messages, names
 * runner_action.c one action of one resource, whatever its kind, reported
 *                 from the loop; monitor timers
 * runner_ip.c     the ip adapter: resolve + probe + add + announce, del, check
 * runner_desc.c   checking and copying a group description
 * runner_res_status.c what status shows of each resource */
#ifndef VIGIL_RUNNER_INTERNAL_H
#define VIGIL_RUNNER_INTERNAL_H

#include "runner.h"

#define RUNNER_REASON_MAX AGENT_REASON_MAX

/* The ip adapter's state of one ip resource. */
struct runner_ip_state {
    bool have_link; /* link is where start put the address (or a probe found it) */
    struct res_ip_link link;
    bool nothing_added; /* the last start failed before adding it: a stop has nothing to do */
    bool called_off;    /* ... because a stop came during its probe */
    bool announcing;    /* ann is open and ann_timer sends the remaining rounds */
    struct res_ip_announce ann;
    sd_event_source *ann_timer;
    bool probing; /* a start listens for another holder: probe is open, watched by */
    struct res_ip_probe probe;
    sd_event_source *probe_io;    /* its socket */
    sd_event_source *probe_timer; /* the next probe to send, or the end of the window */
    vg_usec_t probe_began;        /* loop time of the first probe (of this round) */
    vg_usec_t conflict_since;     /* the first answer from another machine; 0: none yet */
};

/* Where an action of one resource is. */
struct runner_res {
    struct runner *r;
    size_t index;
    struct runner_resource d; /* owned copy (runner_desc.c) */
    bool has_monitor;

    /* the action in flight: an agent, or a deferred ip action or early
     * failure; at most one at a time */
    bool in_flight;
    enum agent_action action;
    struct agent_op *op;
    sd_event_source *defer;
    enum agent_outcome early_outcome; /* !ip: delivered by defer */
    char early_reason[RUNNER_REASON_MAX];

    bool active; /* started, start tried, or found not stopped: a stop is due */
    sd_event_source *monitor_timer;
    unsigned monitor_fails;   /* in a row */
    enum agent_outcome found; /* a probe's result */
    bool found_known;         /* found is set (the resource has a monitor and it ended) */
    struct runner_ip_state ip;

    /* what status shows of it (runner_res_status.c) */
    int exit_code;               /* of the agent of the action that just ended; -1: none */
    enum runner_res_state shown; /* what its last action ended with */
    unsigned failures;           /* the group's failures it caused */
    vg_usec_t last_failure;
    struct runner_check check; /* the last monitor or probe; reason in check_reason */
    char check_reason[RUNNER_REASON_MAX];
};

enum runner_phase {
    PHASE_IDLE,
    PHASE_STARTING, /* next: the resource to start next */
    PHASE_STOPPING, /* next: resources [0, next) are still to stop, from the top */
    PHASE_PROBING,
};

struct runner {
    sd_event *ev;
    int64_t priority;
    char node[VIGIL_NAME_MAX];
    char *name;
    struct runner_callbacks cb;
    unsigned threshold;
    vg_usec_t failure_timeout;
    size_t n;
    struct runner_res res[VIGIL_MAX_GROUP_RESOURCES];

    enum runner_state state;
    enum runner_phase phase;
    bool want_run;    /* the target: the last command, or the runner's own decision */
    bool probe_asked; /* runner_probe: begins on the next step */
    bool probe_abort; /* a stop came during the probe */
    bool stop_all;    /* stop every resource (stop-failed again, or a probe called off) */
    bool noted_want;  /* want_run as the phase under way last took it (note_command) */
    size_t next;      /* see enum runner_phase */
    bool seq_busy;    /* a start or stop of res[busy] is in flight */
    size_t busy;
    bool start_failed; /* PHASE_STARTING: stop what was started, then after_stop */
    size_t probes_pending;
    enum runner_state after_stop; /* PHASE_STOPPING: the state once every stop succeeded */
    enum runner_state before_probe;
    unsigned stop_failures;                 /* PHASE_STOPPING: stops that failed this time */
    char stop_failed_names[256];            /* their resources, for the state message */
    char cause[RUNNER_MESSAGE_MAX / 2];     /* why the next state change happens, or "" */
    char end_cause[RUNNER_MESSAGE_MAX / 2]; /* PHASE_STOPPING: why, for the state it ends in */

    unsigned failures;
    vg_usec_t last_failure;

    sd_event_source *kick; /* runs step() from the loop after a command */
    unsigned depth;        /* runner code from the loop under way (callbacks included) */
    bool freed;            /* runner_free came during it: free when depth drops to 0 */
};

/* runner.c */
void runner_enter(struct runner *r); /* runner code from the loop begins */
void runner_leave(struct runner *r); /* ... and ends; frees r when runner_free came meanwhile */
void runner_kick(struct runner *r);  /* step() from the loop, soon */
/* The runner's own change of target: not a command to remark on. */
void runner_set_want(struct runner *r, bool want);
/* Stop, from the top, every resource marked active; then the state `after`. */
void runner_begin_stop(struct runner *r, enum runner_state after);
void runner_mark_all_active(struct runner *r);
void runner_monitors_start(struct runner *r);
/* An action of x ended (from the loop, never from inside runner_action_run). */
void runner_action_done(struct runner_res *x, enum agent_action a, enum agent_outcome o,
                        const char *reason);
/* x's monitor timer fired: run its monitor. */
void runner_monitor_due(struct runner_res *x);
vg_usec_t runner_loop_now(const struct runner *r);

/* runner_event.c */
void runner_emit(struct runner *r, enum runner_event_kind kind, enum log_level level,
                 const struct runner_res *x, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Change the state and say so, with r->cause when there is one. */
void runner_set_state(struct runner *r, enum runner_state s);

/* runner_res_status.c: note how an action of x ended, before the machine
 * acts on it (runner_action_done). */
void runner_res_note(struct runner_res *x, enum agent_action a, enum agent_outcome o,
                     const char *reason);
void runner_res_reset_failures(struct runner *r);

/* runner_probe.c */
void runner_probe_begin(struct runner *r);
void runner_probe_end(struct runner *r);   /* every probe is back */
void runner_probe_abort(struct runner *r); /* a stop came during the probe */
void runner_probe_done(struct runner *r, struct runner_res *x, enum agent_outcome o,
                       const char *reason);

/* runner_action.c */
int runner_action_init(struct runner_res *x); /* the defer source */
/* Run action a of x; its end comes to runner_action_done from the loop,
 * failures to launch included. */
void runner_action_run(struct runner_res *x, enum agent_action a, vg_usec_t interval);
/* Forget the action in flight (an agent is killed): no runner_action_done. */
void runner_action_cancel(struct runner_res *x);
int runner_monitor_arm(struct runner_res *x, vg_usec_t delay);
void runner_monitor_disarm(struct runner_res *x);
/* Everything of x that lives in the loop: action, timers, announcer. */
void runner_res_release(struct runner_res *x);

/* runner_ip.c: runs the ip action (quick netlink round trips) and says how
 * it ended in *o, with a reason in the agents' style; true. A start that
 * probes the network first returns false: it ends later from the loop,
 * through runner_action_done. */
bool runner_ip_run(struct runner_res *x, enum agent_action a, enum agent_outcome *o, char *reason,
                   size_t len);
/* A stop came while x starts: a start still probing ends now (deferred),
 * having added nothing; runner_ip_called_off(x) then says so. */
void runner_ip_call_off(struct runner_res *x);
bool runner_ip_called_off(const struct runner_res *x);
void runner_ip_cancel(struct runner_res *x);  /* forget a probe under way: no report */
void runner_ip_release(struct runner_res *x); /* stop announcing and probing */

/* runner_desc.c */
int runner_desc_check(const struct runner_group *g, const char *node,
                      const struct runner_callbacks *cb, char *err, size_t errlen);
int runner_desc_copy(struct runner_resource *dst, const struct runner_resource *src);
void runner_desc_free(struct runner_resource *d);

#endif
