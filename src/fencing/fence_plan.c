/* The order of fencing steps (fence_plan.h has the rules). */
#include "fence_plan.h"

#include <stdio.h>
#include <string.h>

/* Move to the first device of the next non-empty level, from `level`. */
static void enter_level(struct fence_plan *p, size_t level)
{
    while (level < p->n_levels && p->levels[level].n == 0)
        level++;
    p->level = level;
    p->dev = 0;
    p->attempt = 1;
    p->confirming = false;
    if (level >= p->n_levels)
        p->state = FENCE_PLAN_FAILED;
}

/* Append "; text" (or text first) to why, cut at its size. */
static void add_why(struct fence_plan *p, const char *text)
{
    size_t len = strlen(p->why), room;

    if (len && len + 2 < sizeof(p->why)) {
        memcpy(p->why + len, "; ", 2);
        len += 2;
    }
    room = sizeof(p->why) - 1 - len;
    size_t n = strlen(text) < room ? strlen(text) : room;
    memcpy(p->why + len, text, n);
    p->why[len + n] = '\0';
}

void fence_plan_init(struct fence_plan *p, const struct fence_plan_level *levels, size_t n_levels,
                     enum fence_action action)
{
    memset(p, 0, sizeof(*p));
    p->n_levels = n_levels < FENCE_LEVELS_MAX ? n_levels : FENCE_LEVELS_MAX;
    for (size_t l = 0; l < p->n_levels; l++) {
        p->levels[l] = levels[l];
        if (p->levels[l].n > FENCE_LEVEL_DEVICES_MAX)
            p->levels[l].n = FENCE_LEVEL_DEVICES_MAX;
    }
    p->action = action == FENCE_ACTION_OFF ? FENCE_ACTION_OFF : FENCE_ACTION_REBOOT;
    p->state = FENCE_PLAN_RUNNING;
    enter_level(p, 0);
    if (p->state == FENCE_PLAN_FAILED)
        add_why(p, "no fence device is configured for this node");
}

bool fence_plan_step(const struct fence_plan *p, struct fence_step *out)
{
    const struct fence_plan_device *d;

    if (p->state != FENCE_PLAN_RUNNING)
        return false;
    d = &p->levels[p->level].devices[p->dev];
    *out = (struct fence_step){
        .device = d->device,
        .action = p->confirming ? FENCE_ACTION_STATUS : p->action,
        .level = p->level,
        .attempt = p->attempt,
    };
    return true;
}

/* The device under way is done: the next one in the level, or the end. */
static void device_done(struct fence_plan *p)
{
    p->confirming = false;
    p->attempt = 1;
    if (++p->dev >= p->levels[p->level].n)
        p->state = FENCE_PLAN_FENCED;
}

/* An attempt failed: again, or the level has failed. `final`: no retry
 * can help (the agent cannot run). */
static void attempt_failed(struct fence_plan *p, bool final, const char *reason)
{
    const struct fence_plan_device *d = &p->levels[p->level].devices[p->dev];
    char line[FENCE_PLAN_WHY_MAX];

    p->confirming = false;
    if (!final && p->attempt <= d->retries) {
        p->attempt++;
        return;
    }
    snprintf(line, sizeof(line), "level %zu: %s (attempt %u of %u)", p->level + 1,
             reason && reason[0] ? reason : "failed", p->attempt, d->retries + 1);
    add_why(p, line);
    enter_level(p, p->level + 1);
}

void fence_plan_report(struct fence_plan *p, enum fence_outcome outcome, const char *reason)
{
    const struct fence_plan_device *d;

    if (p->state != FENCE_PLAN_RUNNING)
        return;
    d = &p->levels[p->level].devices[p->dev];
    if (p->confirming) {
        if (outcome == FENCE_POWERED_OFF)
            device_done(p);
        else if (outcome == FENCE_OK)
            attempt_failed(p, false, "the agent said off, but status says the plug is still on");
        else
            attempt_failed(p, outcome == FENCE_CANNOT_RUN, reason);
        return;
    }
    switch (outcome) {
    case FENCE_OK:
        if (p->action == FENCE_ACTION_OFF && d->confirm_by_status)
            p->confirming = true;
        else
            device_done(p);
        return;
    case FENCE_CANNOT_RUN:
        attempt_failed(p, true, reason);
        return;
    case FENCE_POWERED_OFF: /* not an answer to off/reboot: treat as a failure */
    case FENCE_FAILED:
    case FENCE_TIMED_OUT:
        attempt_failed(p, false, reason);
        return;
    }
}

enum fence_plan_state fence_plan_state(const struct fence_plan *p)
{
    return p->state;
}
