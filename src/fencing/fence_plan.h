/* Fencing one node through levels of devices (pure; docs/fencing.md): the
 * order in which devices are tried, retries, and the confirmation of an
 * `off` with `status`. The caller runs each step (fence_agent_run) and
 * reports how it ended; the plan says what comes next, and in the end
 * whether the node is fenced.
 *
 * The rules (as an admin of Pacemaker's fencing topology expects them):
 * - Levels are tried in order; a level fences the node when every device in
 *   it does (two PDUs feeding one node form one level), and fails as soon
 *   as one of its devices fails; then the next level starts from its first
 *   device.
 * - A device fails after 1 + retries attempts; an agent that cannot run at
 *   all (not installed, not executable) fails its device at once.
 * - An attempt of `off` on a device that can report `status` is confirmed
 *   only when `status` then says the plug is off; `status` saying on, or
 *   failing, makes the attempt a failed one. `reboot` is not confirmed this
 *   way (the node may be on again by then): the agent's success is taken.
 * - When every level failed, the node is not fenced: its groups stay down
 *   until a later try or the admin's `vigilctl confirm-down`. */
#ifndef VIGIL_FENCE_PLAN_H
#define VIGIL_FENCE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "fence_agent.h"

#define FENCE_LEVELS_MAX 4
#define FENCE_LEVEL_DEVICES_MAX 4
#define FENCE_PLAN_WHY_MAX 1024

struct fence_plan_device {
    int device;             /* the caller's index of the device */
    unsigned retries;       /* attempts after the first one */
    bool confirm_by_status; /* the agent has `status`: an `off` is confirmed with it */
};

struct fence_plan_level {
    struct fence_plan_device devices[FENCE_LEVEL_DEVICES_MAX];
    size_t n;
};

enum fence_plan_state { FENCE_PLAN_RUNNING, FENCE_PLAN_FENCED, FENCE_PLAN_FAILED };

/* The next thing to run. */
struct fence_step {
    int device; /* the caller's index */
    enum fence_action action;
    size_t level;     /* 0-based */
    unsigned attempt; /* 1-based, per device */
};

struct fence_plan {
    struct fence_plan_level levels[FENCE_LEVELS_MAX];
    size_t n_levels;
    enum fence_action action; /* OFF or REBOOT */
    enum fence_plan_state state;
    size_t level, dev;
    unsigned attempt;
    bool confirming;              /* the step under way is the status after an off */
    char why[FENCE_PLAN_WHY_MAX]; /* what failed so far, for status and the log */
};

/* A plan for `action` (FENCE_ACTION_OFF or FENCE_ACTION_REBOOT) over
 * n_levels levels (at most FENCE_LEVELS_MAX; levels beyond are ignored, and
 * empty levels are skipped). With no device at all the plan has failed at
 * once (why says so). */
void fence_plan_init(struct fence_plan *p, const struct fence_plan_level *levels, size_t n_levels,
                     enum fence_action action);

/* The step to run now; false when the plan has ended (fence_plan_state). */
bool fence_plan_step(const struct fence_plan *p, struct fence_step *out);

/* How the step from fence_plan_step ended; `reason` (may be NULL) goes into
 * why when it is a failure. */
void fence_plan_report(struct fence_plan *p, enum fence_outcome outcome, const char *reason);

enum fence_plan_state fence_plan_state(const struct fence_plan *p);

#endif
