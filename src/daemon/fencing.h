/* Fencing in vigild (docs/fencing.md, "In vigild"): the coordinator of a
 * quorate view fences a node that left the view while a group may still be
 * active there (stop-unconfirmed, docs/groups.md "Safety rule 2"), through
 * the node's fence devices level by level (src/fencing/fence_plan.c); once
 * a plan succeeds, the node's groups count as stopped there and may start
 * elsewhere. A plan that fails leaves them down and is tried again. */
#ifndef VIGIL_DAEMON_FENCING_H
#define VIGIL_DAEMON_FENCING_H

#include <stdbool.h>

#include "../common/clock.h"
#include "../common/limits.h"
#include "../fencing/fence_agent.h"
#include "../fencing/fence_check.h"
#include "../fencing/fence_plan.h"

struct daemon;

#define FENCING_RETRY_INTERVAL (10 * VG_USEC_PER_SEC) /* after a plan failed */

enum fencing_node_state {
    FENCING_IDLE,     /* nothing to do, or nothing done yet */
    FENCING_RUNNING,  /* a plan is under way */
    FENCING_DONE,     /* fenced; until the node is a member again */
    FENCING_FAILED,   /* every level failed; tried again at next_try */
    FENCING_WATCHDOG, /* no device: waiting until its watchdog has certainly reset it */
};

struct fencing_node {
    struct daemon *d; /* for the callbacks */
    int index;        /* of the node in conf.nodes */
    enum fencing_node_state state;
    struct fence_plan plan;
    struct fence_op *op; /* the step under way */
    struct fence_step step;
    vg_usec_t since;    /* when the plan (or the state) began */
    vg_usec_t next_try; /* FAILED: when to try again */
    unsigned plans;     /* plans run for this node since vigild started */
    bool was_member;    /* in the view at the last tick */
    vg_usec_t left_at;  /* when it left the view (this node's clock); 0: a member, or never seen */
    char last[FENCE_PLAN_WHY_MAX]; /* the last outcome, for status and the log */
};

/* Part of struct daemon. */
struct daemon_fencing {
    struct fence_device_info dev[CONF_FENCE_MAX]; /* from fence_check_conf at start */
    struct fencing_node node[VIGIL_MAX_NODES];
};

/* At start, before the loop: check every configured device against this
 * machine (fence_check_conf); logs every problem. -EINVAL when a device
 * cannot work. */
int fencing_setup(struct daemon *d);

/* Every interval, from the groups' tick: start, carry on or call off the
 * fencing of each node. */
void fencing_tick(struct daemon *d);

/* The nodes this coordinator fenced (or counts as reset by their watchdog)
 * since they left the view: sent in every ASSIGN, so that the members,
 * which check a start again, count their groups as stopped too. */
uint64_t fencing_fenced_mask(const struct daemon *d);

/* Cancel everything under way (shutdown). */
void fencing_teardown(struct daemon *d);

/* "idle", "fencing", "fenced", "failed", "watchdog" */
const char *fencing_state_name(enum fencing_node_state s);

#endif
